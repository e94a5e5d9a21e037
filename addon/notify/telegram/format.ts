/**
 * Telegram messages in HTML parse mode. Pure. Every value from a job, a playlist or an error
 * is escaped; messages are cut to Telegram's limits without breaking a tag or an entity.
 */
import type { SyncSummary } from '../../events/app-events.js';
import type { JobStats } from '../../jobs/job-service.js';
import type { Job } from '../../jobs/model.js';
import { displayTitle, formatBytes, formatDuration, type DownloadEventData } from '../job-summary.js';

/** sendMessage text, after entity parsing. */
export const MESSAGE_LIMIT = 4096;
/** sendPhoto caption. */
export const CAPTION_LIMIT = 1024;

/** The three characters Telegram's HTML mode needs escaped (and `"` for attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Cuts plain text (before escaping) to `max` characters, on a code point boundary. */
export function clip(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * Cuts HTML to at most `limit` characters (counted on the markup, which is never shorter than
 * the text Telegram counts): never inside a tag, an entity or a surrogate pair; open tags
 * are closed and an ellipsis marks the cut.
 */
export function truncateHtml(html: string, limit: number): string {
  if (html.length <= limit) return html;
  const tokens = html.match(/<[^>]*>|&#?[a-zA-Z0-9]+;|[\s\S]/gu) ?? [];
  const ellipsis = '…';
  const closing = (open: string[]): string => [...open].reverse().map((t) => `</${t}>`).join('');
  let out = '';
  let open: string[] = [];
  for (const token of tokens) {
    let next = open;
    const tag = /^<(\/)?([a-zA-Z0-9-]+)[^>]*?(\/)?>$/.exec(token);
    if (tag) {
      const name = tag[2]!.toLowerCase();
      if (tag[1]) {
        const at = open.lastIndexOf(name);
        next = at >= 0 ? [...open.slice(0, at), ...open.slice(at + 1)] : open;
      } else if (!tag[3]) {
        next = [...open, name];
      }
    }
    if (out.length + token.length + ellipsis.length + closing(next).length > limit) break;
    out += token;
    open = next;
  }
  return `${out}${ellipsis}${closing(open)}`;
}

export function completedMessage(d: DownloadEventData): string {
  const lines = [
    `✅ <b>Downloaded:</b> ${escapeHtml(clip(d.title, 300))}`,
    `${formatBytes(d.size)} in ${formatDuration(d.duration_s)}`,
    d.relative_path ? `📁 <code>${escapeHtml(clip(d.relative_path, 500))}</code>` : '',
  ];
  return lines.filter(Boolean).join('\n');
}

export function failedMessage(d: DownloadEventData): string {
  return [`❌ <b>Download failed:</b> ${escapeHtml(clip(d.title, 300))}`, escapeHtml(clip(d.error ?? 'unknown error', 1500))].join('\n');
}

export function syncMessage(s: SyncSummary): string {
  const name = escapeHtml(clip(s.source.name, 200));
  if (s.error) return `⚠️ <b>Sync failed:</b> ${name}\n${escapeHtml(clip(s.error, 1500))}`;
  const lines = [`🔄 <b>${name}</b> synced: ${s.new_items} new, ${s.total_items} in total${s.queued ? `, ${s.queued} queued` : ''}`];
  const shown = s.new_titles.slice(0, 20);
  for (const title of shown) lines.push(`• ${escapeHtml(clip(title, 150))}`);
  if (s.new_items > shown.length && shown.length > 0) lines.push(`… and ${s.new_items - shown.length} more`);
  return lines.join('\n');
}

export function statusMessage(stats: JobStats, freeBytes: number | null): string {
  return [
    '<b>M3U Downloader</b>',
    `Active: ${stats.by_status.downloading + stats.by_status.merging + stats.by_status.transferring} · waiting: ${stats.queue_length} · paused: ${stats.by_status.paused}`,
    `Speed: ${formatBytes(stats.speed)}/s · today: ${formatBytes(stats.bytes_today)}`,
    `Failed: ${stats.by_status.failed} · completed: ${stats.by_status.completed}`,
    stats.queue_paused ? '⏸ The queue is paused.' : '',
    freeBytes !== null ? `Free space: ${formatBytes(freeBytes)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function queueMessage(active: Job[], waiting: Job[], waitingTotal: number): string {
  if (active.length === 0 && waiting.length === 0) return 'The queue is empty.';
  const lines: string[] = [];
  if (active.length > 0) {
    lines.push('<b>Running</b>');
    for (const job of active) {
      const speed = job.status === 'downloading' ? ` · ${formatBytes(job.speed)}/s` : '';
      lines.push(`▶️ ${escapeHtml(clip(displayTitle(job), 80))} — ${job.status} ${Math.floor(job.progress)}%${speed}`);
    }
  }
  if (waiting.length > 0) {
    lines.push(`<b>Waiting</b> (${waitingTotal})`);
    for (const job of waiting) lines.push(`• ${escapeHtml(clip(displayTitle(job), 80))}`);
    if (waitingTotal > waiting.length) lines.push(`… and ${waitingTotal - waiting.length} more`);
  }
  return lines.join('\n');
}

export function queuedMessage(job: Job): string {
  return `➕ Queued: ${escapeHtml(clip(displayTitle(job), 200))}\n<code>${escapeHtml(job.id)}</code>`;
}

export const HELP_MESSAGE = ['/status — queue and speed', '/queue — running and waiting downloads', '/add &lt;url&gt; [title] — download a URL'].join('\n');

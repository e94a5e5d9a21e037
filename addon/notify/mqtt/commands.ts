import { z } from 'zod';
import { AppError, badRequest } from '../../errors.js';
import { newDownloadSchema } from '../../jobs/new-download-schema.js';
import type { JobService } from '../../jobs/job-service.js';
import type { Job, NewJob } from '../../jobs/model.js';
import { recordCommandSchema, type RecordCommand } from '../../live/request.js';
import { jobView } from '../../jobs/view.js';
import type { Logger } from '../../platform/logger.js';
import { describeError } from '../errors.js';
import type { MqttLink, MqttMessage } from './client.js';
import { JOB_ACTIONS, type JobAction, type MqttTopics } from './topics.js';

/** The same limit as the REST API's JSON bodies. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Runs a sync of every source; filled by the sources module. Resolves with what it did. */
export type SyncAllHook = () => Promise<unknown>;
/** Starts a recording (addon/live/record-command.ts); absent: `record` answers not_available. */
export type RecordHook = (command: RecordCommand) => Promise<Job>;
/** The speed limit's manual part (speed/speed-service.ts); absent: the speed topics answer not_available. */
export interface SpeedHook {
  setManual(change: { enabled?: boolean; limit_kbps?: number }): Promise<unknown>;
}

export interface CommandDeps {
  link: MqttLink;
  topics: MqttTopics;
  jobs: JobService;
  /** Absent until playlist sources exist: "sync now" then answers not_available. */
  syncAll?: SyncAllHook | undefined;
  record?: RecordHook | undefined;
  speed?: SpeedHook | undefined;
  logger: Logger;
}

const requestId = z.union([z.string().max(200), z.number()]).optional();
const actionSchema = z.strictObject({ id: z.string({ error: 'must be a string' }).trim().min(1, 'is required').max(200), request_id: requestId });

/**
 * `<base>/download/add` takes what POST /api/downloads takes (validated by the same schema),
 * or a bare URL, plus an optional `request_id` echoed in the answer; the answer goes to
 * `<base>/download/added`. pause/resume/cancel/retry take an id (bare or `{"id": ...}`) and
 * answer on `<base>/download/result`. Nothing a client publishes can crash the app: every
 * failure becomes `{ok: false, error: {code, message}}` on the answer topic.
 */
export class MqttCommands {
  constructor(private readonly deps: CommandDeps) {}

  subscriptions(): string[] {
    const t = this.deps.topics;
    return [t.add, ...JOB_ACTIONS.map((a) => t.action(a)), t.syncRun, t.queuePauseSet, t.record, t.speedLimitSet, t.speedLimitKbpsSet];
  }

  start(): void {
    this.deps.link.onMessage((m) => this.handle(m));
    this.deps.link.subscribe(this.subscriptions());
  }

  /** Never throws. */
  async handle(m: MqttMessage): Promise<void> {
    const t = this.deps.topics;
    const answerTopic = this.answerTopic(m.topic);
    if (!answerTopic) return;
    const action =
      m.topic === t.add
        ? 'add'
        : m.topic === t.syncRun
          ? 'sync'
          : m.topic === t.queuePauseSet
            ? 'queue'
            : m.topic === t.record
              ? 'record'
              : m.topic === t.speedLimitSet || m.topic === t.speedLimitKbpsSet
                ? 'speed'
                : (m.topic.slice(m.topic.lastIndexOf('/') + 1) as JobAction);
    let request_id: string | number | undefined;
    try {
      if (m.retain) {
        throw new AppError('retained_command', 'ignored a retained command (it would run again on every reconnect); publish commands with retain: false', { httpStatus: 400 });
      }
      if (m.payload.length > MAX_PAYLOAD_BYTES) throw new AppError('too_large', `payload larger than ${MAX_PAYLOAD_BYTES} bytes`, { httpStatus: 413 });
      const text = m.payload.toString('utf8').trim();
      switch (action) {
        case 'add': {
          const parsed = parseAdd(text);
          request_id = parsed.request_id;
          const job = this.deps.jobs.create(parsed.input);
          this.deps.logger.info({ jobId: job.id }, 'download queued over MQTT');
          this.answer(answerTopic, { ok: true, ...(request_id !== undefined ? { request_id } : {}), job: jobView(job) });
          return;
        }
        case 'record': {
          request_id = peekRequestId(text); // echoed even when the rest is refused
          const command = parseRecord(text);
          if (!this.deps.record) throw new AppError('not_available', 'recording is not available in this setup', { httpStatus: 501 });
          const job = await this.deps.record(command);
          this.deps.logger.info({ jobId: job.id }, 'recording requested over MQTT');
          this.answer(answerTopic, { ok: true, ...(request_id !== undefined ? { request_id } : {}), job: jobView(job) });
          return;
        }
        case 'sync': {
          if (!this.deps.syncAll) throw new AppError('not_available', 'syncing sources is not available yet: no playlist sources are set up in this version', { httpStatus: 501 });
          const result = await this.deps.syncAll();
          this.answer(answerTopic, { ok: true, result: result ?? null });
          return;
        }
        case 'speed': {
          if (!this.deps.speed) throw new AppError('not_available', 'speed limits are not available in this setup', { httpStatus: 501 });
          const change = m.topic === t.speedLimitSet ? { enabled: parseSwitch(text) } : { limit_kbps: parseKbps(text) };
          await this.deps.speed.setManual(change);
          this.answer(answerTopic, { ok: true, ...change });
          return;
        }
        case 'queue': {
          const paused = parseSwitch(text);
          if (paused) await this.deps.jobs.pauseQueue();
          else await this.deps.jobs.resumeQueue();
          this.answer(answerTopic, { ok: true, paused: this.deps.jobs.isQueuePaused() });
          return;
        }
        default: {
          const parsed = parseAction(text);
          request_id = parsed.request_id;
          const job = await this.deps.jobs[action](this.resolveId(parsed.id));
          this.answer(answerTopic, { ok: true, action, ...(request_id !== undefined ? { request_id } : {}), job: jobView(job) });
        }
      }
    } catch (err) {
      const error = describeError(err);
      if (error.code === 'internal') this.deps.logger.error({ err, topic: m.topic }, 'mqtt command failed');
      else this.deps.logger.info({ topic: m.topic, code: error.code, error: error.message }, 'mqtt command rejected');
      this.answer(answerTopic, { ok: false, ...(action !== 'add' && action !== 'sync' && action !== 'queue' && action !== 'record' && action !== 'speed' ? { action } : {}), ...(request_id !== undefined ? { request_id } : {}), error });
    }
  }

  private answerTopic(topic: string): string | null {
    const t = this.deps.topics;
    if (topic === t.add) return t.added;
    if (topic === t.syncRun) return t.syncResult;
    if (topic === t.queuePauseSet) return t.queueResult;
    if (topic === t.record) return t.recordResult;
    if (topic === t.speedLimitSet || topic === t.speedLimitKbpsSet) return t.speedResult;
    if (JOB_ACTIONS.some((a) => t.action(a) === topic)) return t.result;
    return null;
  }

  /**
   * A full job id, or the short id its Home Assistant sensor shows ("3f2a9c1e": the UUID's
   * first hex digits) when exactly one job starts with it; otherwise the text as given (the
   * job service answers not_found).
   */
  private resolveId(id: string): string {
    if (!/^[0-9a-f]{8,31}$/i.test(id)) return id;
    const prefix = id.toLowerCase();
    const matches = this.deps.jobs
      .list({ limit: Number.MAX_SAFE_INTEGER, offset: 0 })
      .items.filter((job) => job.id.replace(/-/g, '').toLowerCase().startsWith(prefix));
    return matches.length === 1 ? matches[0]!.id : id;
  }

  private answer(topic: string, body: Record<string, unknown>): void {
    this.deps.link.publish(topic, JSON.stringify(body), { qos: 1, retain: false }).catch(() => undefined);
  }
}

/** A bare URL, a JSON string, or a JSON object as POST /api/downloads takes (plus request_id). */
export function parseAdd(text: string): { input: NewJob; request_id?: string | number } {
  if (text === '') throw badRequest('empty payload: send a URL, or JSON as POST /api/downloads takes ({"url": "...", "title": "..."})');
  if (text.startsWith('{') || text.startsWith('"') || text.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new AppError('invalid_request', `invalid JSON: ${(err as Error).message}`, { httpStatus: 400 });
    }
    if (typeof value === 'string') return { input: newDownloadSchema.parse({ url: value }) };
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('expected a JSON object or a URL');
    const { request_id, ...rest } = value as Record<string, unknown>;
    const id = requestId.safeParse(request_id);
    if (!id.success) throw badRequest('request_id: must be a string or a number', 'request_id');
    return { input: newDownloadSchema.parse(rest), ...(id.data !== undefined ? { request_id: id.data } : {}) };
  }
  return { input: newDownloadSchema.parse({ url: text }) };
}

/** The request_id of a JSON payload, if it has a usable one. */
function peekRequestId(text: string): string | number | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const id = (JSON.parse(text) as { request_id?: unknown }).request_id;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** JSON as the `record` command takes (recordCommandSchema), or a bare channel name. */
export function parseRecord(text: string): RecordCommand {
  if (text === '') throw badRequest('empty payload: send {"channel": "...", "duration_s": 3600} or {"url": "...", "until": "..."}');
  if (!text.startsWith('{')) return recordCommandSchema.parse({ channel: text });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError('invalid_request', `invalid JSON: ${(err as Error).message}`, { httpStatus: 400 });
  }
  return recordCommandSchema.parse(value);
}

export function parseAction(text: string): { id: string; request_id?: string | number } {
  if (text === '') throw badRequest('empty payload: send the download id, or {"id": "..."}');
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new AppError('invalid_request', `invalid JSON: ${(err as Error).message}`, { httpStatus: 400 });
    }
    const parsed = actionSchema.parse(value);
    return { id: parsed.id, ...(parsed.request_id !== undefined ? { request_id: parsed.request_id } : {}) };
  }
  if (text.length > 200 || /\s/.test(text)) throw badRequest('expected a download id');
  return { id: text };
}

const ON = new Set(['on', 'true', '1', 'pause', 'paused']);
const OFF = new Set(['off', 'false', '0', 'resume', 'resumed']);

export function parseSwitch(text: string): boolean {
  const word = text.toLowerCase();
  if (ON.has(word)) return true;
  if (OFF.has(word)) return false;
  throw badRequest('expected ON or OFF');
}

/** A speed limit in KiB/s as Home Assistant's number entity sends it ("2048" or "2048.0"). */
export function parseKbps(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 8 || n > 10_000_000) throw badRequest('the speed limit must be a number of KB/s from 8 to 10000000', 'limit_kbps');
  return Math.round(n);
}

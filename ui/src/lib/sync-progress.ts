/** A running sync's progress (the `sync.progress` event) in words, for the source card and Review. */
import type { SyncPhase, SyncProgress } from './types';

const PHASES: Record<SyncPhase, string> = {
  waiting: 'Waiting for another sync to finish',
  fetching: 'Fetching the list',
  parsing: 'Reading and classifying entries',
  diffing: 'Comparing with the catalogue and library',
  enriching: 'Looking up new titles',
  queueing: 'Queueing downloads',
  guide: 'Updating the programme guide',
};

/** The steps a progress bar shows (enriching counts as diffing, the guide as queueing). */
export const SYNC_STEPS: SyncPhase[] = ['fetching', 'parsing', 'diffing', 'queueing'];

/** "Reading and classifying entries · 1,000 entries read". */
export function progressText(p: SyncProgress): string {
  const parts = [PHASES[p.phase] ?? p.phase];
  if (p.entries > 0) parts.push(`${p.entries.toLocaleString()} entries read`);
  if (p.phase === 'queueing' && p.to_queue !== null) parts.push(`${p.queued} of ${p.to_queue} queued`);
  return parts.join(' · ');
}

/** Index of the current step in SYNC_STEPS (waiting is before the first: -1). */
export function stepOf(p: SyncProgress): number {
  if (p.phase === 'waiting') return -1;
  return SYNC_STEPS.indexOf(p.phase === 'enriching' ? 'diffing' : p.phase === 'guide' ? 'queueing' : p.phase);
}

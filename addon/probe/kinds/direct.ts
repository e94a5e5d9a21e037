import { sniff } from '../../download/sniff.js';
import { emptyResult, type Prober } from './types.js';

/** A plain media file: its size from the first ranged GET, its container from its first bytes. */
export const directProber: Prober = {
  kind: 'direct',
  describe(_ctx, first) {
    const sniffed = sniff(first.head).kind;
    return Promise.resolve({
      ...emptyResult('direct', first.finalUrl),
      estimated_bytes: first.size,
      container: sniffed === 'unknown' || sniffed === 'text' || sniffed === 'playlist' ? null : sniffed,
    });
  },
};

import { describeDashUrl } from '../../dash/describe-url.js';
import type { Prober } from './types.js';

/** DASH: the manifest described by the DASH module (addon/dash/probe.ts), as downloads read it. */
export const dashProber: Prober = {
  kind: 'dash',
  describe: (ctx, first) => describeDashUrl(ctx, first),
};

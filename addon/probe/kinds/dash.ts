import { describeDashUrl } from '../../dash/describe-url.js';
import { emptyResult, type Prober } from './types.js';

/** DASH: the manifest described by the DASH module (addon/dash/probe.ts), as downloads read it. */
export const dashProber: Prober = {
  kind: 'dash',
  describe: async (ctx, first) => ({ ...emptyResult('dash', first.finalUrl), ...(await describeDashUrl(ctx, first)) }),
};

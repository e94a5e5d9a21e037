import { AppError } from '../../errors.js';
import type { Prober } from './types.js';

/** DASH: recognised, not downloadable yet. The DASH work replaces this file with a real prober. */
export const dashProber: Prober = {
  kind: 'dash',
  describe() {
    return Promise.reject(
      new AppError('dash_not_supported', 'this is a DASH manifest (.mpd); DASH downloads are not supported yet', { httpStatus: 422 }),
    );
  },
};

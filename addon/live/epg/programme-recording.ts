import type { NewJob } from '../../jobs/model.js';
import type { Programme } from './xmltv.js';

/**
 * The job fields that record one programme of the guide: from `before` minutes ahead of its start
 * (or now, when it has begun) to `after` minutes past its end; titled and filed as the guide says,
 * as an episode (content type series, show = the programme's title) when it gives an episode
 * number, else as a recording of the channel. Pure.
 */
export function programmeRecording(
  channelName: string,
  programme: Pick<Programme, 'start' | 'stop' | 'title' | 'sub_title' | 'season' | 'episode'>,
  padding: { beforeMin: number; afterMin: number },
  now: number,
): Omit<NewJob, 'url'> {
  const start = Math.max(now, programme.start - padding.beforeMin * 60_000);
  const stop = (programme.stop ?? programme.start + 3600_000) + padding.afterMin * 60_000;
  const live = {
    ...(start > now ? { start_at: new Date(start).toISOString() } : {}),
    until: new Date(stop).toISOString(),
    channel: channelName,
  };
  if (programme.episode !== null) {
    return {
      title: programme.title,
      content_type: 'series',
      show: programme.title,
      season: programme.season ?? 1,
      episode: programme.episode,
      episode_title: programme.sub_title,
      live,
    };
  }
  return { title: programme.title, content_type: 'recording', show: channelName, live };
}

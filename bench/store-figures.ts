/**
 * Section store as Figure[], written against bench/store.ts's current output (measureStore's
 * StoreBenchResult). The architecture helper is making benchStore itself return Figure[]: when
 * that lands, run.ts calls it instead and this file goes (the lead reconciles at merge).
 */
import path from 'node:path';
import { absolute, compare, logFigures, type BenchContext } from './context.js';
import type { Figure } from './figure.js';
import { measureStore } from './store.js';

export async function benchStoreFigures(ctx: BenchContext): Promise<Figure[]> {
  const stored = Number(process.env.BENCH_STORE_STORED ?? (ctx.quick ? 2_000 : 10_000));
  const queued = Number(process.env.BENCH_STORE_JOBS ?? (ctx.quick ? 500 : 2_500));
  ctx.log(`a sync whose rules queue ${queued} downloads, ${stored} jobs already stored (queue paused); one round`);
  const r = await measureStore(path.join(ctx.work, 'store'), { stored, queued });
  const section = 'store';
  const figures: Figure[] = [
    absolute({ id: 'store.sync.seconds', section, unit: 's', label: `sync queueing ${r.queued} jobs over ${stored} stored`, values: [r.syncSeconds], limit: 3 }),
    compare({
      id: 'store.api.p95-during-sync', section, unit: 'ms',
      label: `GET /api/downloads p95 during that sync (${r.downloadsRequests} requests)`,
      values: [r.downloadsP95Ms], peerLabel: 'the same request idle (p95)', peerValues: [r.idleP95Ms],
      target: 'p95 < 20 ms',
      note: `p50 ${r.downloadsP50Ms.toFixed(1)} ms, max ${r.downloadsMaxMs.toFixed(1)} ms`,
    }),
    absolute({ id: 'store.writes.max-per-second', section, unit: 'writes/s', label: 'most db.json writes in any one second during the sync', values: [r.maxWritesPerSecond], limit: 1, target: '<= 1 writes/s', note: `${r.dbWrites} writes in all; db.json ${(r.dbBytes / 1_000_000).toFixed(1)} MB` }),
  ];
  figures[1]!.met = r.downloadsP95Ms < 20;
  // `absolute` reads a limit as "below"; at most one write a second is met at exactly 1.
  figures[2]!.met = r.maxWritesPerSecond <= 1;
  logFigures(ctx, figures);
  return figures;
}

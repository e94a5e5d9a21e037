import Router from '@koa/router';
import type { JobService } from '../../jobs/job-service.js';
import { jobView } from '../../jobs/view.js';
import { deleteQuerySchema, listQuerySchema, newDownloadSchema } from '../validation.js';

export function downloadRoutes(jobs: JobService): Router {
  const router = new Router({ prefix: '/api/downloads' });

  router.post('/', (ctx) => {
    const input = newDownloadSchema.parse(ctx.request.body ?? {});
    const job = jobs.create(input);
    ctx.status = 201;
    ctx.set('Location', `/api/downloads/${job.id}`);
    ctx.body = jobView(job);
  });

  router.get('/', (ctx) => {
    const query = listQuerySchema.parse(ctx.query);
    const page = jobs.list(query);
    ctx.body = { items: page.items.map(jobView), total: page.total };
  });

  router.get('/:id', (ctx) => {
    ctx.body = jobView(jobs.get(ctx.params.id!));
  });

  const action = (name: 'pause' | 'resume' | 'cancel' | 'retry'): void => {
    router.post(`/:id/${name}`, async (ctx) => {
      ctx.body = jobView(await jobs[name](ctx.params.id!));
    });
  };
  action('pause');
  action('resume');
  action('cancel');
  action('retry');

  router.delete('/:id', async (ctx) => {
    const { delete_file } = deleteQuerySchema.parse(ctx.query);
    await jobs.remove(ctx.params.id!, { deleteFile: delete_file });
    ctx.status = 204;
  });

  return router;
}

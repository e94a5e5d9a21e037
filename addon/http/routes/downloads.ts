import Router from '@koa/router';
import type { JobService } from '../../jobs/job-service.js';
import { jobEditSchema } from '../../jobs/job-edit.js';
import { jobView } from '../../jobs/view.js';
import { redactCredentials } from '../../redact.js';
import { allow } from '../access.js';
import { noteActivity } from '../audit.js';
import { deleteQuerySchema, listQuerySchema, newDownloadSchema } from '../validation.js';

export function downloadRoutes(jobs: JobService): Router {
  const router = new Router({ prefix: '/api/downloads' });

  router.post('/', allow('operator'), (ctx) => {
    const input = newDownloadSchema.parse(ctx.request.body ?? {});
    const job = jobs.create(input);
    noteActivity(ctx, { action: 'download.created', target: job.id, details: { url: redactCredentials(job.url), title: job.title } });
    ctx.status = 201;
    ctx.set('Location', `/api/downloads/${job.id}`);
    ctx.body = jobView(job);
  });

  router.get('/', allow('viewer'), (ctx) => {
    const query = listQuerySchema.parse(ctx.query);
    const page = jobs.list(query);
    ctx.body = { items: page.items.map(jobView), total: page.total };
  });

  router.get('/:id', allow('viewer'), (ctx) => {
    ctx.body = jobView(jobs.get(ctx.params.id!));
  });

  const action = (name: 'pause' | 'resume' | 'cancel' | 'retry'): void => {
    router.post(`/:id/${name}`, allow('operator'), async (ctx) => {
      const job = await jobs[name](ctx.params.id!);
      noteActivity(ctx, { action: `download.${name}`, target: job.id, details: { title: job.title } });
      ctx.body = jobView(job);
    });
  };
  action('pause');
  action('resume');
  action('cancel');
  action('retry');

  // A live recording ends now and files what it recorded (cancel discards it).
  router.post('/:id/stop', allow('operator'), async (ctx) => {
    const job = await jobs.stopRecording(ctx.params.id!);
    noteActivity(ctx, { action: 'download.stop', target: job.id, details: { title: job.title } });
    ctx.body = jobView(job);
  });

  router.patch('/:id', allow('operator'), async (ctx) => {
    const changes = jobEditSchema.parse(ctx.request.body ?? {});
    const { job, notApplied } = await jobs.edit(ctx.params.id!, changes);
    noteActivity(ctx, { action: 'download.edited', target: job.id, details: { title: job.title, fields: Object.keys(changes), ...(Object.keys(notApplied).length ? { not_applied: Object.keys(notApplied) } : {}) } });
    ctx.body = { ...jobView(job), ...(Object.keys(notApplied).length ? { not_applied: notApplied } : {}) };
  });

  router.delete('/:id', allow('operator'), async (ctx) => {
    const { delete_file } = deleteQuerySchema.parse(ctx.query);
    const { title } = jobs.get(ctx.params.id!);
    await jobs.remove(ctx.params.id!, { deleteFile: delete_file });
    noteActivity(ctx, { action: 'download.deleted', target: ctx.params.id!, details: { title, delete_file } });
    ctx.status = 204;
  });

  return router;
}

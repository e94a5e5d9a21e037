import { SvelteMap } from 'svelte/reactivity';
import { api, apiUrl, ApiError, getApiKey, itemsOf, messageOf } from './api';
import type { Job, JobProgress, JobStatus, SpeedChange } from './types';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

const PAGE = 200;
const MAX_PAGE = 500;

type Listener = (data: unknown) => void;

/**
 * The downloads the panel knows about, kept live by the server's event stream. After every
 * (re)connect the list is fetched again, so nothing missed while offline stays wrong.
 */
class Live {
  readonly jobs = new SvelteMap<string, Job>();
  /** Per-job message of the last action that failed (shown in that job's row). */
  readonly actionErrors = new SvelteMap<string, string>();
  /** Job ids with an action in flight (their buttons are disabled). */
  readonly busy = new SvelteMap<string, boolean>();
  total = $state(0);
  loaded = $state(false);
  loadError = $state<string | null>(null);
  loadingMore = $state(false);
  connection = $state<Connection>('connecting');
  /** The queue-level pause (null: this server has no queue control). */
  queuePaused = $state<boolean | null>(null);
  /** Automatic holds, e.g. the disk is nearly full: nothing starts while one is on. */
  holds = $state<Array<{ reason: string; detail: string | null; since: string }>>([]);
  /** db.json was damaged at start and restored from a copy: what was lost is everything after saved_at. */
  storeRestore = $state<{ from: string; saved_at: string | null } | null>(null);
  queueError = $state<string | null>(null);
  /** The download speed limit in force (null: not known, or a server without speed limits). */
  speed = $state<SpeedChange | null>(null);

  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Map<string, Set<Listener>>();
  private refreshing: Promise<void> | null = null;

  start(): void {
    this.connect();
    void this.refresh();
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Subscribe to any server event by name (other views use the sources and destinations ones). */
  on(event: string, listener: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
      this.source?.addEventListener(event, this.dispatch);
    }
    set.add(listener);
    return () => set!.delete(listener);
  }

  private dispatch = (e: MessageEvent): void => {
    let data: unknown;
    try {
      data = JSON.parse(e.data as string);
    } catch {
      return;
    }
    for (const l of this.listeners.get(e.type) ?? []) l(data);
  };

  private connect(): void {
    this.source?.close();
    const key = getApiKey();
    const es = new EventSource(apiUrl('events', key ? { token: key } : undefined), { withCredentials: true });
    this.source = es;
    es.addEventListener('open', () => {
      const wasOffline = this.connection !== 'live';
      this.connection = 'live';
      if (wasOffline && this.loaded) void this.refresh();
    });
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED) {
        // The server answered something other than an event stream (401, 404, 502): retry slowly.
        this.connection = 'reconnecting';
        this.retryTimer = setTimeout(() => this.connect(), 5000);
        void this.probeAuth();
      } else {
        this.connection = 'reconnecting';
      }
    });
    es.addEventListener('job.added', (e) => this.upsert(JSON.parse((e as MessageEvent).data as string) as Job, true));
    es.addEventListener('job.status', (e) => {
      const { previous: _previous, ...job } = JSON.parse((e as MessageEvent).data as string) as Job & { previous: JobStatus };
      this.upsert(job, false);
    });
    es.addEventListener('job.progress', (e) => {
      const p = JSON.parse((e as MessageEvent).data as string) as JobProgress;
      const job = this.jobs.get(p.id);
      if (job) this.jobs.set(p.id, { ...job, ...p });
    });
    es.addEventListener('queue.state', (e) => {
      this.queuePaused = (JSON.parse((e as MessageEvent).data as string) as { paused: boolean }).paused;
    });
    es.addEventListener('queue.held', (e) => {
      const h = JSON.parse((e as MessageEvent).data as string) as { reason: string; held: boolean; detail: string | null; since: string };
      this.holds = h.held ? [...this.holds.filter((x) => x.reason !== h.reason), { reason: h.reason, detail: h.detail, since: h.since }] : this.holds.filter((x) => x.reason !== h.reason);
    });
    es.addEventListener('speed.changed', (e) => {
      this.speed = JSON.parse((e as MessageEvent).data as string) as SpeedChange;
    });
    es.addEventListener('job.removed', (e) => {
      const { id } = JSON.parse((e as MessageEvent).data as string) as { id: string };
      if (this.jobs.delete(id)) this.total = Math.max(0, this.total - 1);
    });
    for (const event of this.listeners.keys()) es.addEventListener(event, this.dispatch);
  }

  private async probeAuth(): Promise<void> {
    try {
      await api.get('stats');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.connection = 'unauthorized';
    }
  }

  reconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.connection = 'connecting';
    this.connect();
    void this.refresh();
  }

  private upsert(job: Job, added: boolean): void {
    const had = this.jobs.has(job.id);
    const current = this.jobs.get(job.id);
    // A status event carries the stored numbers; keep the live progress if it is ahead.
    if (current && job.status === current.status && current.bytes_done > job.bytes_done) {
      this.jobs.set(job.id, { ...job, progress: current.progress, bytes_done: current.bytes_done, segments_done: current.segments_done, speed: current.speed, eta_s: current.eta_s });
    } else {
      this.jobs.set(job.id, job);
    }
    if (added && !had) this.total++;
  }

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const limit = Math.min(MAX_PAGE, Math.max(PAGE, this.jobs.size));
        void this.loadQueueState();
        const page = itemsOf<Job>(await api.get('downloads', { limit }));
        const fresh = new Set(page.items.map((j) => j.id));
        for (const id of [...this.jobs.keys()]) if (!fresh.has(id)) this.jobs.delete(id);
        for (const job of page.items) {
          const current = this.jobs.get(job.id);
          if (current && current.updated_at > job.updated_at) continue;
          this.jobs.set(job.id, job);
        }
        this.total = page.total;
        this.loadError = null;
        this.loaded = true;
      } catch (err) {
        this.loadError = messageOf(err);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  private async loadQueueState(): Promise<void> {
    try {
      const stats = await api.get<{ queue_paused?: boolean; queue_holds?: Live['holds']; store_restore?: Live['storeRestore'] }>('stats');
      this.queuePaused = typeof stats.queue_paused === 'boolean' ? stats.queue_paused : null;
      this.holds = stats.queue_holds ?? [];
      this.storeRestore = stats.store_restore ?? null;
    } catch {
      // the list shows the connection problem
    }
    try {
      const s = await api.get<{ enabled: boolean; limit_kbps: number; state: Omit<SpeedChange, 'enabled' | 'limit_kbps'> }>('speed-limit');
      this.speed = { ...s.state, enabled: s.enabled, limit_kbps: s.limit_kbps };
    } catch {
      this.speed = null; // an older server
    }
  }

  async setQueuePaused(paused: boolean): Promise<void> {
    this.queueError = null;
    try {
      const res = await api.post<{ paused: boolean }>(paused ? 'queue/pause' : 'queue/resume');
      this.queuePaused = res.paused;
    } catch (err) {
      this.queueError = `Could not ${paused ? 'pause' : 'resume'} the queue: ${messageOf(err)}`;
    }
  }

  /** Older downloads (history) beyond the first page. */
  async loadMore(): Promise<void> {
    if (this.loadingMore) return;
    this.loadingMore = true;
    try {
      const page = itemsOf<Job>(await api.get('downloads', { limit: PAGE, offset: this.jobs.size }));
      for (const job of page.items) if (!this.jobs.has(job.id)) this.jobs.set(job.id, job);
      this.total = page.total;
    } catch (err) {
      this.loadError = messageOf(err);
    } finally {
      this.loadingMore = false;
    }
  }

  async act(id: string, action: 'pause' | 'resume' | 'cancel' | 'retry' | 'stop'): Promise<void> {
    this.busy.set(id, true);
    this.actionErrors.delete(id);
    try {
      const job = await api.post<Job>(`downloads/${encodeURIComponent(id)}/${action}`);
      if (job && this.jobs.has(id)) this.upsert(job, false);
    } catch (err) {
      this.actionErrors.set(id, `Could not ${action}: ${messageOf(err)}`);
    } finally {
      this.busy.delete(id);
    }
  }

  async remove(id: string, deleteFile: boolean): Promise<void> {
    this.busy.set(id, true);
    this.actionErrors.delete(id);
    try {
      await api.del(`downloads/${encodeURIComponent(id)}`, deleteFile ? { delete_file: 'true' } : undefined);
      if (this.jobs.delete(id)) this.total = Math.max(0, this.total - 1);
    } catch (err) {
      this.actionErrors.set(id, `Could not delete: ${messageOf(err)}`);
    } finally {
      this.busy.delete(id);
    }
  }

  /** Adds a job the API just created (the event may arrive before or after the response). */
  added(job: Job): void {
    this.upsert(job, true);
  }
}

export const live = new Live();

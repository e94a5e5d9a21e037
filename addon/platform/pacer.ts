/**
 * Long synchronous work (a 200k-entry sync, thousands of jobs queued) shares the event loop with
 * the API: a Pacer says when the work has held it long enough and must let requests in.
 *
 * It yields on a time budget, not a fixed count (a count is too often on a fast machine and too
 * rarely on a loaded one), and reads the clock only every `checkEvery` calls so the check costs
 * nothing measurable in tight loops. Pure cores never await: they are generators that `yield` at
 * safe points (see `drive`), and the service side decides whether a point becomes a real turn.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Steps } from '../domain/steps.js';

export interface PacerOptions {
  /** Longest stretch of work between two turns of the event loop, in ms. Default 5 (what comes before the first check, e.g. the parser's chunk, adds to it). */
  budgetMs?: number;
  /** Calls of `due()` between two clock reads. Default 32. */
  checkEvery?: number;
  /** Injected in tests (a fake clock makes the yields deterministic). */
  clock?: () => number;
  /** Injected in tests to observe the turns given back. */
  turn?: () => Promise<void>;
}

export class Pacer {
  private readonly budgetMs: number;
  private readonly checkEvery: number;
  private readonly clock: () => number;
  private readonly turn: () => Promise<void>;
  private calls = 0;
  private since: number;
  /** Turns given back so far (for tests and figures). */
  yields = 0;

  constructor(options: PacerOptions = {}) {
    this.budgetMs = options.budgetMs ?? 5;
    this.checkEvery = Math.max(1, options.checkEvery ?? 32);
    this.clock = options.clock ?? ((): number => performance.now());
    this.turn = options.turn ?? ((): Promise<void> => nextTurn());
    this.since = this.clock();
  }

  /** True when the budget is spent: the caller should `await pacer.yield()` now. */
  due(): boolean {
    if (++this.calls < this.checkEvery) return false;
    this.calls = 0;
    return this.clock() - this.since >= this.budgetMs;
  }

  /** Lets the event loop run (timers, I/O, requests), then starts a new budget. */
  async yield(): Promise<void> {
    this.yields++;
    await this.turn();
    this.calls = 0;
    this.since = this.clock();
  }

  /** Reads the clock now (for coarse steps, each already worth many items). */
  overBudget(): boolean {
    this.calls = 0;
    return this.clock() - this.since >= this.budgetMs;
  }

  /** Yields only if the budget is spent (one call per unit of work). */
  async maybeYield(): Promise<void> {
    if (this.due()) await this.yield();
  }

  /** After an await that already let the loop run (I/O): the budget starts again. */
  reset(): void {
    this.calls = 0;
    this.since = this.clock();
  }
}

/**
 * Runs a generator-shaped pure computation (domain/steps.ts: it `yield`s every STEP_ITEMS items), giving
 * turns back when the pacer says so.
 */
export async function drive<T>(steps: Steps<T>, pacer: Pacer): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (pacer.overBudget()) await pacer.yield();
  }
}

import { describe, expect, it, vi } from 'vitest';
import { MemoryBudget } from '../../addon/download/fetch-to-file.js';
import { youngCollector } from '../../addon/platform/young-collection.js';

const MB = 1024 * 1024;

describe('MemoryBudget', () => {
  it('reuses an idle slab for a smaller body instead of allocating a new one (segment sizes vary)', () => {
    const budget = new MemoryBudget(32 * MB);
    const big = budget.acquire(Math.round(2.6 * MB))!;
    budget.release(big);
    // A body well under half the idle slab: before, the slab was dropped for a new one and
    // stayed in RSS as garbage until a full collection.
    const small = budget.acquire(Math.round(1.2 * MB))!;
    expect(small.buffer).toBe(big.buffer);
    expect(budget.inUse).toBe(big.length);
  });

  it('takes the best-fitting idle slab', () => {
    const budget = new MemoryBudget(32 * MB);
    const a = budget.acquire(3 * MB)!;
    const b = budget.acquire(2 * MB)!;
    budget.release(a);
    budget.release(b);
    expect(budget.acquire(Math.round(1.9 * MB))!.buffer).toBe(b.buffer);
    expect(budget.acquire(Math.round(1.9 * MB))!.buffer).toBe(a.buffer);
  });

  it('gives a much larger idle slab to a small body only when a new one would not fit', () => {
    const budget = new MemoryBudget(8 * MB);
    const video = budget.acquire(5 * MB)!;
    budget.release(video);
    const audio = budget.acquire(100_000)!;
    expect(audio.buffer).not.toBe(video.buffer);
    budget.release(audio);
    const held = budget.acquire(Math.round(1.2 * MB))!;
    expect(held.buffer).not.toBe(video.buffer);
    // 6.4 MB idle + 1.5 MB in use: a fresh 1.25 MB slab would pass the limit.
    expect(budget.acquire(1 * MB)!.buffer).toBe(video.buffer);
    budget.release(held);
  });

  it('never hands out more than its limit', () => {
    const budget = new MemoryBudget(8 * MB);
    const held: Buffer[] = [];
    for (;;) {
      const slab = budget.acquire(1.5 * MB);
      if (!slab) break;
      held.push(slab);
    }
    expect(held.reduce((n, b) => n + b.length, 0)).toBeLessThanOrEqual(8 * MB);
    expect(budget.acquire(9 * MB)).toBeNull();
    budget.release(held.pop()!);
    expect(budget.acquire(1.5 * MB)).not.toBeNull();
  });
});

describe('youngCollector', () => {
  it('collects the young generation once per interval of received bytes, and fully every n-th time', () => {
    const collect = vi.fn();
    const received = youngCollector(collect, MB, 4);
    for (let i = 0; i < 128; i++) received(64 * 1024);
    expect(collect).toHaveBeenCalledTimes(8);
    expect(collect.mock.calls.map(([o]) => (o as { type: string }).type)).toEqual(['minor', 'minor', 'minor', 'major', 'minor', 'minor', 'minor', 'major']);
    expect(collect).toHaveBeenCalledWith({ type: 'major', execution: 'async' });
  });

  it('the real collector works in this process (V8 accepts the call)', async () => {
    const { receivedBytes } = await import('../../addon/platform/young-collection.js');
    expect(() => {
      for (let i = 0; i < 40; i++) receivedBytes(MB);
    }).not.toThrow();
  });

  it('does nothing where no collector is available', () => {
    expect(() => youngCollector(null, 1)(10)).not.toThrow();
  });
});

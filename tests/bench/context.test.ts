import { describe, expect, it } from 'vitest';
import { absolute, alternate, compare } from '../../bench/context.js';

describe('bench rounds and figures', () => {
  it('rotates the order of tools every round so each runs first once per cycle', async () => {
    const order: string[] = [];
    const runs = await alternate(3, ['a', 'b', 'c'] as const, async (tool, round) => {
      order.push(tool);
      return `${tool}${round}`;
    });
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect(runs).toEqual({ a: ['a0', 'a1', 'a2'], b: ['b0', 'b1', 'b2'], c: ['c0', 'c1', 'c2'] });
  });

  it('compares medians, keeps min and max, and judges the target in the right direction', () => {
    const slower = compare({ id: 'x', section: 's', label: 'x', unit: 's', values: [5, 4, 9], peerLabel: 'cp', peerValues: [2, 2, 3], targetRatio: 1.5 });
    expect(slower.value).toBe(5);
    expect(slower.rounds).toEqual({ n: 3, min: 4, median: 5, max: 9 });
    expect(slower.peer).toEqual({ label: 'cp', value: 2, rounds: { n: 3, min: 2, median: 2, max: 3 } });
    expect(slower.ratio).toBe(2.5);
    expect(slower.target).toBe('<= 1.5x cp');
    expect(slower.met).toBe(false);

    const rate = compare({ id: 'y', section: 's', label: 'y', unit: 'MB/s', values: [95, 90], peerLabel: 'smbclient', peerValues: [100], targetRatio: 0.9, better: 'higher' });
    expect(rate.value).toBe(92.5);
    expect(rate.met).toBe(true);
    expect(rate.target).toBe('>= 0.9x smbclient');

    const none = compare({ id: 'z', section: 's', label: 'z', unit: 's', values: [1], peerLabel: 'p', peerValues: [2] });
    expect(none.ratio).toBe(0.5);
    expect(none.target).toBeUndefined();
    expect(none.met).toBeUndefined();
  });

  it('judges an absolute limit on the median', () => {
    expect(absolute({ id: 'r', section: 's', label: 'r', unit: 'MB', values: [140, 160, 149], limit: 150 }).met).toBe(true);
    expect(absolute({ id: 'r', section: 's', label: 'r', unit: 'MB', values: [151, 160, 149], limit: 150 })).toMatchObject({ value: 151, met: false, target: '< 150 MB' });
  });
});

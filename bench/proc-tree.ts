import { readFileSync, readdirSync } from 'node:fs';

/** Resident memory of a process and all its descendants, from /proc (Linux). */
export function treeRssBytes(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // the process ended between listing and reading
    }
  }
  return total;
}

/** Samples a process tree's RSS until stopped; the peak is the figure reported. */
export function rssSampler(pid: number, intervalMs = 50): { stop(): number } {
  let peak = treeRssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid));
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, treeRssBytes(pid));
      return peak;
    },
  };
}

export interface TreePeaks {
  /** The largest sum of VmRSS over the tree seen at one sample: what the tree held at once. */
  sampledPeakBytes: number;
  /** Each process's own high-water mark (VmHWM), the last value read while it was alive, by pid. */
  hwmByPid: Map<number, { name: string; hwmBytes: number }>;
}

function readStatus(pid: number): { name: string; rss: number; hwm: number; children: number[] } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    const children: number[] = [];
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list) children.push(...list.split(/\s+/).map(Number));
    }
    return { name: /Name:\s+(\S+)/.exec(status)?.[1] ?? '?', rss: kb('VmRSS'), hwm: kb('VmHWM'), children };
  } catch {
    return null; // the process ended between listing and reading
  }
}

/**
 * Samples a process tree until stopped: the concurrent peak (sum of VmRSS at one sample) and every
 * process's VmHWM, so a short-lived child (ffmpeg) is reported with the kernel's own peak even
 * when its spike falls between two samples. VmHWM disappears with the process: the last reading
 * before it exits is kept, so a child living less than one interval can be missed (say so).
 */
export function treeSampler(pid: number, intervalMs = 25): { stop(): TreePeaks } {
  const peaks: TreePeaks = { sampledPeakBytes: 0, hwmByPid: new Map() };
  const sample = (): void => {
    let sum = 0;
    const stack = [pid];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const s = readStatus(p);
      if (!s) continue;
      sum += s.rss;
      const known = peaks.hwmByPid.get(p);
      peaks.hwmByPid.set(p, { name: s.name, hwmBytes: Math.max(known?.hwmBytes ?? 0, s.hwm) });
      stack.push(...s.children);
    }
    peaks.sampledPeakBytes = Math.max(peaks.sampledPeakBytes, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

/** The process's own high-water mark (VmHWM), 0 once it has gone. */
export function vmHwmBytes(pid: number): number {
  return readStatus(pid)?.hwm ?? 0;
}

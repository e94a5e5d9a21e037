import { describe, expect, it } from 'vitest';
import { serialize, type DbSchema } from '../../addon/store/db.js';

const db = (jobs: unknown[]): DbSchema => ({ version: 1, jobs, traffic: { day: 'd', bytes: 1 }, queue: { paused: false }, users: [], api_keys: [], sessions: [], sources: [], syncs: [], destinations: [], settings: {}, media_servers: [], metadata_files: [], notifiers: [] }) as unknown as DbSchema;

describe('store serialize', () => {
  it('writes the same data as JSON.stringify, reusing the JSON of frozen rows and never of rows that can change', () => {
    const frozen = Object.freeze({ id: 'a', title: 'A', headers: Object.freeze({}) });
    const open = { id: 'b', title: 'B' };
    const data = db([frozen, open]);
    expect(JSON.parse(serialize(data))).toEqual(JSON.parse(JSON.stringify(data)));
    open.title = 'B changed';
    // A replaced row (what JobRepository does on every change) is a new object: new JSON.
    data.jobs[0] = Object.freeze({ id: 'a', title: 'A changed', headers: Object.freeze({}) }) as never;
    expect(JSON.parse(serialize(data)).jobs.map((j: { title: string }) => j.title)).toEqual(['A changed', 'B changed']);
    expect(JSON.parse(serialize(db([])))).toMatchObject({ jobs: [], version: 1 });
  });
});

/**
 * The dependency rules (.dependency-cruiser.cjs) catch what they are meant to: a small addon/ tree
 * with one violation of each kind is cruised with the project's own configuration (npm test runs
 * the same configuration on addon/ itself: `npm run check:deps`).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

async function cruise(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'addon', '--validate', '.dependency-cruiser.cjs'], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('dependency rules', () => {
  let dir: string;
  const files: Record<string, string> = {
    'addon/domain/words.ts': "import type { Job } from '../jobs/model.js';\nexport type J = Job;\n",
    'addon/jobs/model.ts': "export interface Job { id: string }\n",
    'addon/jobs/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
    'addon/jobs/b.ts': "import { a } from './a.js';\nexport const b = (): number => a();\n",
    'addon/hls/playlist.ts': "import { read } from './reader.js';\nexport const parse = (): string => read();\n",
    'addon/hls/reader.ts': "import { readFileSync } from 'node:fs';\nexport const read = (): string => readFileSync('x', 'utf8');\n",
    'addon/store/db.ts': 'export const data = {};\n',
    'addon/http/routes/things.ts': "import { data } from '../../store/db.js';\nexport const things = data;\n",
    'addon/http/validation.ts': 'export const schema = 1;\n',
    'addon/notify/telegram.ts': "import { schema } from '../http/validation.js';\nexport const t = schema;\n",
    'addon/library/naming.ts': "import type { Job } from '../jobs/model.js';\nexport type N = Job;\n",
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'depcruise-'));
    await copyFile(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reports a cycle, domain importing ours, I/O reached from the pure core, a route on the store, library on jobs', async () => {
    const { code, out } = await cruise(dir);
    expect(code).not.toBe(0);
    expect(out).toMatch(/error no-circular: addon\/jobs\/a\.ts/);
    expect(out).toMatch(/error domain-is-a-leaf: addon\/domain\/words\.ts → addon\/jobs\/model\.ts/);
    expect(out).toMatch(/error pure-core-does-no-io: addon\/hls\/playlist\.ts → (node:)?fs/);
    expect(out).toMatch(/error routes-use-services: addon\/http\/routes\/things\.ts → addon\/store\/db\.ts/);
    expect(out).toMatch(/error notify-does-not-depend-on-http: addon\/notify\/telegram\.ts → addon\/http\/validation\.ts/);
    expect(out).toMatch(/error library-does-not-depend-on-jobs: addon\/library\/naming\.ts → addon\/jobs\/model\.ts/);
  }, 60_000);
});

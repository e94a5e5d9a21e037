import path from 'node:path';
import { createInstance } from 'addons-linter';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_DIST, ensureExtensionBuilt } from './harness.js';

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}

describe('Firefox build', () => {
  beforeAll(() => ensureExtensionBuilt());

  it('passes addons-linter (what addons.mozilla.org runs) without errors or warnings', async () => {
    const linter = createInstance({
      config: { _: [path.join(EXTENSION_DIST, 'firefox')], logLevel: 'fatal', stack: false, pretty: false, warningsAsErrors: false, metadata: false, output: 'none', boring: true, selfHosted: false, maxManifestVersion: 3, minManifestVersion: 2 },
      runAsBinary: false,
    });
    const report = (await linter.run()) as { errors: LintMessage[]; warnings: LintMessage[] };
    const describe = (list: LintMessage[]) => list.map((m) => `${m.code}: ${m.message} (${m.file ?? ''})`);
    expect(describe(report.errors)).toEqual([]);
    expect(describe(report.warnings)).toEqual([]);
  });
});

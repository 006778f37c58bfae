// The code cache of the installed command's bundles: a bundle runs as CommonJS, its compiled code is written at exit,
// taken back on the next run, ignored when stale or turned off.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'code-cache-'));
  writeFileSync(join(dir, 'bundle.cjs'), "const path = require('node:path');\nexports.answer = (x) => path.basename(__filename) + ':' + (x * 6);\n");
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the bundle in a process of its own (the cache is written at exit); what it printed. */
function load(env: Record<string, string> = {}): { answer: string; fromCache: boolean } {
  const code = `import { loadBundle } from ${JSON.stringify(join(import.meta.dirname, 'code-cache.ts'))};
const b = loadBundle(${JSON.stringify(join(dir, 'bundle.cjs'))});
console.log(JSON.stringify({ answer: b.exports.answer(7), fromCache: b.fromCache }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { answer: string; fromCache: boolean };
}

describe('loadBundle', () => {
  it('runs a CommonJS bundle, writes its code at exit and takes it back next time', () => {
    assert.deepEqual(load(), { answer: 'bundle.cjs:42', fromCache: false });
    const cached = readdirSync(join(dir, 'cache', 'bpfship', 'v8', `${process.version}-${process.arch}`));
    assert.equal(cached.length, 1);
    assert.match(cached[0] as string, /^bundle\.cjs\.[0-9a-f]{16}\.cache$/);
    assert.deepEqual(load(), { answer: 'bundle.cjs:42', fromCache: true });
  });

  it('takes no cache for a changed bundle, and none when turned off', () => {
    writeFileSync(join(dir, 'bundle.cjs'), "exports.answer = (x) => 'changed:' + x;\n");
    assert.deepEqual(load(), { answer: 'changed:7', fromCache: false });
    assert.deepEqual(load({ BPFSHIP_CODE_CACHE: '0' }), { answer: 'changed:7', fromCache: false });
  });
});

// `bpfship conformance` and `bpfship conformance-plugin`, through main().
//
// Author: Claude.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SHARED } from '../../internal/test-files.ts';
import { decodeHexBytes, runPlugin } from './conformance.ts';
import { cli, type CliResult } from './_test-cli.ts';

const DIR = join(SHARED, 'conformance');

function run(args: string[], stdin = ''): Promise<CliResult> {
  return cli(args, undefined, { stdin });
}

/** The runner's encoding: two hex digits and two spaces per byte. */
const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0') + '  ').join('');

describe('bpfship conformance', () => {
  it('runs the whole suite in interpret mode: 313 passed, 0 failed', async (t) => {
    const files = readdirSync(DIR).filter((n) => n.endsWith('.data')).sort().map((n) => join(DIR, n));
    const r = await run(['conformance', '--mode', 'interpret', ...files]);
    t.diagnostic(r.out.trim().split('\n').pop() ?? '');
    assert.equal(r.out, '313 passed, 0 failed\n');
    assert.equal(r.code, 0);
  });

  it('prints each failure and exits 1; skips what the suite\'s runner skips', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conformance-cli-'));
    try {
      writeFileSync(join(dir, 'wrong.data'), '-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n');
      writeFileSync(join(dir, 'noresult.data'), '-- asm\nexit\n');
      writeFileSync(join(dir, 'right.data'), '-- asm\nmov %r0, 2\nexit\n-- result\n2\n');
      const r = await run(['conformance', join(dir, 'wrong.data'), join(dir, 'noresult.data'), join(dir, 'right.data')]);
      assert.match(r.out, /^FAIL .*wrong\.data: expected 0x2, got 0x1$/m);
      assert.match(r.out, /^SKIP .*noresult\.data: no '-- result' or '-- error' section$/m);
      assert.match(r.out, /1 skipped\n1 passed, 1 failed\n$/);
      assert.equal(r.code, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs in native and jit mode too', async () => {
    for (const mode of ['native', 'jit']) {
      const r = await run(['conformance', '--mode', mode, join(DIR, 'add.data'), join(DIR, 'call_local.data')]);
      assert.match(r.out, /^2 passed, 0 failed$/m, mode);
    }
    assert.match((await run(['conformance', '--mode', 'fast', join(DIR, 'add.data')])).err, /unknown mode 'fast' \(expected interpret, jit, native\)/);
  });
});

describe('bpfship conformance-plugin', () => {
  it('runs a program from stdin on the memory argument and prints r0 in hex', async () => {
    // mov r0, r2 ; exit  (r2 = the memory's length)
    const r = await run(['conformance-plugin', hex([0, 1, 2])], hex([0xbf, 0x20, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]) + '\n');
    assert.equal(r.out, '0x3\n');
    assert.equal(r.code, 0);
  });

  it('reports a refused program on stderr and exits 1', async () => {
    const r = await run(['conformance-plugin'], hex([0xbf, 0x20, 0, 0, 0, 0, 0, 0]) + '\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /the last instruction must be exit/);
    const bad = await run(['conformance-plugin'], 'zz\n');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /stdin: expected hex bytes/);
  });

  it('decodes the protocol\'s encoding', async () => {
    assert.deepEqual(decodeHexBytes('bf  20  00  \n', 'x'), Uint8Array.of(0xbf, 0x20, 0));
    assert.equal(await runPlugin(hex([0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x95, 0, 0, 0, 0, 0, 0, 0]), undefined, { mode: 'interpret', elf: false, xdp: false }), 0xffffffffffffffffn);
  });
});

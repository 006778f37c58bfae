// The native core library built from the shipped C sources into a per-user cache: built once, found after, keyed
// by the sources, safe when two processes build it at once, and a clear error without a C compiler.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_LIBRARY_NAME, coreLibraryKey, coreSourceDir, ensureCoreLibrary } from './core-build.ts';
import { CoreError } from './core-error.ts';

/** Runs `ensureCoreLibrary({ cacheRoot })` in a process of its own; resolves to its JSON result. */
function buildInChild(cacheRoot: string): Promise<{ path: string; built: boolean }> {
  const code = `import { ensureCoreLibrary } from ${JSON.stringify(join(import.meta.dirname, 'core-build.ts'))};
process.stdout.write(JSON.stringify(ensureCoreLibrary({ cacheRoot: ${JSON.stringify(cacheRoot)} })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(out) as { path: string; built: boolean }) : reject(new Error(`child exited ${status}: ${err}`))));
  });
}

describe('ensureCoreLibrary', () => {
  it('builds once into the cache, even when two processes start at once, and finds it after', async () => {
    const root = mkdtempSync(join(tmpdir(), 'core-cache-'));
    try {
      const [a, b] = await Promise.all([buildInChild(root), buildInChild(root)]);
      assert.equal(a.path, b.path);
      assert.ok(a.path.startsWith(root) && a.path.endsWith(`/${CORE_LIBRARY_NAME}`), a.path);
      assert.ok(existsSync(a.path));
      const key = coreLibraryKey();
      assert.equal(a.path, join(root, key, CORE_LIBRARY_NAME));
      // Nothing half-built is left beside it.
      assert.deepEqual(readdirSync(join(root, key)), [CORE_LIBRARY_NAME]);
      const again = ensureCoreLibrary({ cacheRoot: root });
      assert.deepEqual([again.path, again.built], [a.path, false]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keys the library by its sources', () => {
    const copy = mkdtempSync(join(tmpdir(), 'core-src-'));
    try {
      cpSync(coreSourceDir(), copy, { recursive: true });
      assert.equal(coreLibraryKey({ sourceDir: copy }), coreLibraryKey());
      appendFileSync(join(copy, 'core.c'), '\n/* changed */\n');
      assert.notEqual(coreLibraryKey({ sourceDir: copy }), coreLibraryKey());
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('says what to install when there is no C compiler', () => {
    const root = mkdtempSync(join(tmpdir(), 'core-cache-'));
    try {
      assert.throws(() => ensureCoreLibrary({ cacheRoot: root, cc: 'no-such-compiler' }), (e: unknown) => {
        assert.ok(e instanceof CoreError);
        assert.match(e.message, /native mode needs a C compiler to build the runtime core from its sources the first time: no C compiler found \(tried no-such-compiler.*\); install gcc or clang, or set CC \(Debian: apt-get install gcc; or point BPFSHIP_CORE_LIB at a built libbpfship_core\.so\)/);
        return true;
      });
      assert.deepEqual(readdirSync(root), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the directory when the sources are missing', () => {
    assert.throws(() => ensureCoreLibrary({ sourceDir: '/nonexistent/src/core' }), /the runtime core's C sources are missing \(\/nonexistent\/src\/core: .*\): the package is incomplete; reinstall bpfship/);
  });
});

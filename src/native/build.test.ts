// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { buildNative, cFileName, nativeBuildKey, compileC, CompileError, CompilerNotFoundError, findCompiler, optimizationFlags } from './index.ts';

const GOLDEN = join(import.meta.dirname, '..', 'bpf2c', 'testdata', 'golden');
const elf = (name: string): Uint8Array => new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name)));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('compiler discovery', () => {
  it('finds a compiler and names it exactly', () => {
    const cc = findCompiler();
    assert.match(cc.version, /gcc|clang/);
    assert.match(cc.target, /linux/);
  });

  it('refuses a CC that does not run', () => {
    assert.throws(() => findCompiler('/nonexistent/cc'), CompilerNotFoundError);
  });
});

describe('compiling generated C', () => {
  it('compiles every golden file with -Wall -Werror, with gcc and with clang-19', (t) => {
    const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.c'));
    for (const cc of ['gcc', 'clang-19']) {
      for (const f of files) compileC(readFileSync(join(GOLDEN, f), 'utf8'), { cc, fileName: f, extraFlags: ['-Werror'] });
    }
    t.diagnostic(`${files.length} golden files compiled warning-free by gcc and clang-19`);
  });

  it('unrolls loops at O2 and O3 only, and records the flags it used', () => {
    assert.deepEqual(optimizationFlags('O2'), ['-O2', '-funroll-loops']);
    assert.deepEqual(optimizationFlags('O3'), ['-O3', '-funroll-loops']);
    assert.deepEqual(optimizationFlags('O0'), ['-O0']);
    assert.deepEqual(optimizationFlags('Os'), ['-Os']);
    const built = compileC('int f(int n) { int s = 0; for (int i = 0; i < n; i++) s += i % 7; return s; }', { fileName: 'loop.c' });
    assert.ok(built.flags.includes('-funroll-loops'), built.flags.join(' '));
  });

  it('stops a compiler that runs past its time limit', () => {
    const cc = join(mkdtempSync(join(tmpdir(), 'bpfship-slow-cc-')), 'slow-cc');
    writeFileSync(cc, '#!/bin/sh\ncase "$1" in --version) echo "gcc (fake) 1.0";; -dumpmachine) echo x86_64-linux-gnu;; *) exec sleep 30;; esac\n', { mode: 0o755 });
    const t0 = performance.now();
    assert.throws(() => compileC('int x;', { cc, fileName: 'slow.c', timeoutMs: 300 }), (e: unknown) => e instanceof CompileError && /within 300 ms and was stopped/.test(e.message));
    assert.ok(performance.now() - t0 < 10_000);
    rmSync(dirname(cc), { recursive: true, force: true });
  });

  it('reports the compiler diagnostics of broken C', () => {
    assert.throws(() => compileC('int f( {', { fileName: 'broken.c' }), (e: unknown) => e instanceof CompileError && /broken\.c/.test(e.stderr));
  });
});

describe('reproducible builds', () => {
  for (const cc of ['gcc', 'clang-19']) {
    it(`gives the same bytes twice, in two directories, with ${cc}`, (t) => {
      let agree = 0;
      for (const f of ['xdp_firewall.o', 'tail_chain.o', 'events_ringbuf.o']) {
        const a = buildNative(elf(f), { sourceName: f, cc, cache: false });
        const b = buildNative(elf(f), { sourceName: f, cc, cache: false });
        assert.equal(a.soSha256, b.soSha256, f);
        assert.deepEqual(a.so, b.so);
        assert.ok(!a.flags.some((x) => x.includes(tmpdir())), 'no build directory in the recorded flags');
        agree++;
      }
      t.diagnostic(`${agree}/3 objects built twice to identical bytes with ${cc}`);
    });
  }

  it('keeps the build directory out of the image', () => {
    const r = buildNative(elf('xdp_firewall.o'), { sourceName: 'xdp_firewall.o', cache: false });
    assert.ok(!Buffer.from(r.so).includes(Buffer.from('bpfship-build-')), 'the temporary directory name leaked into the image');
  });
});

describe('build cache', () => {
  it('serves an unchanged ELF from the cache, and rebuilds a damaged entry', () => {
    const root = mkdtempSync(join(tmpdir(), 'bpfship-cache-test-'));
    try {
      const first = buildNative(elf('primes.o'), { sourceName: 'primes.o', cache: root });
      assert.equal(first.cached, false);
      const t0 = performance.now();
      const second = buildNative(elf('primes.o'), { sourceName: 'primes.o', cache: root });
      const ms = performance.now() - t0;
      assert.equal(second.cached, true);
      assert.ok(ms < 50, `a cached build took ${ms.toFixed(1)} ms`);
      assert.deepEqual(second.so, first.so);
      assert.equal(second.c, first.c);
      assert.deepEqual(second.metadata, first.metadata);
      // Another verifier identity is another key.
      assert.equal(buildNative(elf('primes.o'), { sourceName: 'primes.o', cache: root, verify: () => ({ ok: true, diagnostics: [] }), verifierId: 'v1' }).cached, false);
      // Damage the .so: the entry is dropped and rebuilt.
      const dir = join(root, 'native', first.cacheKey.slice(0, 2));
      writeFileSync(join(dir, `${first.cacheKey}.so`), 'garbage');
      const third = buildNative(elf('primes.o'), { sourceName: 'primes.o', cache: root });
      assert.equal(third.cached, false);
      assert.equal(sha(third.so), first.soSha256);
      assert.ok(existsSync(join(dir, `${first.cacheKey}.json`)));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keys a build of some programs apart from a build of all, and the same however the names are given', () => {
    const all = nativeBuildKey(elf('primes.o'), { sourceName: 'primes.o' }).key;
    const some = nativeBuildKey(elf('primes.o'), { sourceName: 'primes.o', programs: ['a', 'b'] }).key;
    assert.notEqual(some, all);
    assert.equal(nativeBuildKey(elf('primes.o'), { sourceName: 'primes.o', programs: ['b', 'a', 'b'] }).key, some);
  });

  it('names the C file after the ELF', () => {
    assert.equal(cFileName('/a/b/xdp_firewall.o'), 'xdp_firewall.bpf2c.c');
    assert.equal(cFileName('we ird.o'), 'we_ird.bpf2c.c');
  });
});

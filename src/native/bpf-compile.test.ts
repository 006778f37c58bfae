// Compiling eBPF C with clang as libbpf projects do: the object verifies and reads back, two builds from different
// directories give the same bytes, clang's diagnostics come back as clang printed them.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readObject } from '../spec/index.ts';
import { BpfCompileError, bpfCompileFlags, compileBpf, multiarchIncludeDir } from './bpf-compile.ts';

// <linux/if_ether.h> pulls in <asm/types.h>, which only the multiarch include directory has on Debian.
const SOURCE = `#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 1);
} packets SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
  __u32 key = 0;
  __u64 *n = bpf_map_lookup_elem(&packets, &key);
  if (n)
    __sync_fetch_and_add(n, 1);
  return ctx->data_end - ctx->data >= ETH_HLEN ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe('compileBpf', () => {
  it('compiles libbpf-style C into an object with BTF, the same bytes from any directory', () => {
    const a = mkdtempSync(join(tmpdir(), 'bpf-compile-a-'));
    const b = mkdtempSync(join(tmpdir(), 'bpf-compile-b-'));
    try {
      writeFileSync(join(a, 'count.c'), SOURCE);
      mkdirSync(join(b, 'deep', 'er'), { recursive: true });
      writeFileSync(join(b, 'deep', 'er', 'count.c'), SOURCE);
      const first = compileBpf('count.c', { cwd: a });
      const second = compileBpf('count.c', { cwd: join(b, 'deep', 'er') });
      assert.equal(Buffer.compare(first.object, second.object), 0, 'the object depends on the directory it was built in');
      const spec = readObject(first.object, { name: 'count.o' });
      assert.deepEqual(spec.programs.map((p) => [p.name, p.kind.programType]), [['count', 'xdp']]);
      assert.ok(spec.btf !== undefined && spec.btfExt !== undefined, 'compiled without -g');
      assert.ok(!new TextDecoder('latin1').decode(first.object).includes(a), 'the build directory is in the object');
      assert.ok(first.flags.includes('-target') && first.flags.includes('-O2') && first.flags.includes('-g'));
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('adds the multiarch include directory where the system has one', () => {
    const dir = multiarchIncludeDir();
    const flags = bpfCompileFlags('x.c', { cwd: '/tmp' });
    if (dir === undefined) assert.ok(!flags.some((f) => f.startsWith('-idirafter')));
    else assert.ok(flags.includes(`-idirafter${dir}`), flags.join(' '));
  });

  it("returns clang's diagnostics as clang printed them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpf-compile-bad-'));
    try {
      writeFileSync(join(dir, 'bad.c'), 'int f(void) { return undeclared; }\n');
      assert.throws(() => compileBpf('bad.c', { cwd: dir }), (e: unknown) => {
        assert.ok(e instanceof BpfCompileError);
        assert.equal(e.code, 'BPF_COMPILE_FAILED');
        assert.match(e.diagnostics, /^bad\.c:1:22: error: use of undeclared identifier 'undeclared'/m);
        assert.match(e.message, /^bad\.c: clang(-\d+)? failed \(exit status 1\)/);
        return true;
      });
      assert.throws(() => compileBpf('missing.c', { cwd: dir }), /missing\.c: no such file/);
      assert.throws(() => compileBpf('bad.c', { cwd: dir, clang: 'no-such-clang' }), /no clang found to compile eBPF C \(tried no-such-clang\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

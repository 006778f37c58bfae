// The verifier on bpf_get_local_storage and cgroup storage maps (kernel/bpf/verifier.c): the helper takes only the
// two cgroup storage types and they take only it (check_map_func_compatibility), flags must be 0, only the cgroup
// program types have it, a program uses at most one storage map of each type, and the pointer it returns is a map
// value of value_size bytes that is never NULL.
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testMap, testProgram } from './_test-program.ts';
import type { ProgramTypeName } from '../abi/index.ts';
import { verifyLinked } from './verify.ts';

const storage = testMap({ name: 'counts', type: 19, keySize: 16, valueSize: 16, maxEntries: 0 });
const percpu = testMap({ name: 'cpu_counts', type: 21, keySize: 16, valueSize: 8, maxEntries: 0 });
const array = testMap({ name: 'arr', type: 2, keySize: 4, valueSize: 16, maxEntries: 1 });

/** r0 = bpf_get_local_storage(map, flags), then `use` on r0; the first diagnostic's code and message, or 'pass'. */
function call(options: { map?: typeof storage; flags?: number; use?: string; programType?: ProgramTypeName } = {}): string {
  const use = options.use ?? 'r1 = 1\n*(u64 *)(r0 + 8) = r1';
  const text = `ld_pseudo r1, 5, 0\nr2 = ${options.flags ?? 0}\ncall 81\n${use}\nr0 = 1\nexit`;
  const r = verifyLinked(testProgram(text), [options.map ?? storage], { programType: options.programType ?? 'cgroup_skb', gpl: true });
  return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
}
const code = (r: string): string => r.split(':')[0] ?? r;

describe('verifier: bpf_get_local_storage', () => {
  it('returns a map value usable without a NULL check, from both storage types', () => {
    assert.equal(call(), 'pass');
    assert.equal(call({ map: percpu, use: 'r1 = *(u64 *)(r0 + 0)' }), 'pass');
  });

  it('bounds the pointer to value_size bytes', () => {
    assert.equal(code(call({ use: 'r1 = *(u64 *)(r0 + 16)' })), 'out-of-bounds');
    assert.equal(code(call({ map: percpu, use: 'r1 = *(u32 *)(r0 + 6)' })), 'out-of-bounds');
  });

  it('refuses a map of another type, with Linux reason text', () => {
    assert.match(call({ map: array }), /^invalid-helper-argument: bpf_get_local_storage cannot be used with map 'arr' of type array \(Linux: "cannot pass map_type 2 into func bpf_get_local_storage#81"\)/);
  });

  it('refuses a cgroup storage map to other map helpers', () => {
    const text = 'r2 = r10\nr2 += -16\nr1 = 0\n*(u64 *)(r10 - 16) = r1\n*(u64 *)(r10 - 8) = r1\nld_pseudo r1, 5, 0\ncall 1\nr0 = 1\nexit';
    const r = verifyLinked(testProgram(text), [storage], { programType: 'cgroup_skb', gpl: true });
    assert.match(r.diagnostics[0]?.message ?? 'pass', /map 'counts' of type cgroup_storage \(Linux: "cannot pass map_type 19 into func bpf_map_lookup_elem#1"\)/);
  });

  it('refuses non-zero flags, as Linux does', () => {
    assert.match(call({ flags: 1 }), /^invalid-helper-argument: .*\(r2\) must be 0.*get_local_storage\(\) doesn't support non-zero flags/);
    assert.match(call({ flags: 0, use: 'r1 = 1\n*(u64 *)(r0 + 8) = r1' }), /^pass$/);
  });

  it('allows one cgroup storage map of each type per program, as Linux does, counting every reference', () => {
    const other = testMap({ name: 'other', type: 19, keySize: 8, valueSize: 8, maxEntries: 0 });
    // the second map is only loaded, never passed to the helper: Linux counts every reference
    const text = (second: number) => `ld_pseudo r1, 5, 0\nr2 = 0\ncall 81\nld_pseudo r1, 5, ${second}\nr0 = 1\nexit`;
    const r = verifyLinked(testProgram(text(1)), [storage, other], { programType: 'cgroup_skb', gpl: true });
    assert.equal(r.verdict, 'fail');
    assert.match(`${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`, /^helper-not-allowed: map 'other' is a second cgroup_storage map .*only one cgroup storage of each type is allowed/);
    // one of each type, and the same map twice, are fine
    assert.equal(verifyLinked(testProgram(text(1)), [storage, percpu], { programType: 'cgroup_skb', gpl: true }).verdict, 'pass');
    assert.equal(verifyLinked(testProgram(text(0)), [storage], { programType: 'cgroup_skb', gpl: true }).verdict, 'pass');
  });

  it('is there for the cgroup program types only', () => {
    for (const t of ['cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'sock_ops', 'cgroup_device', 'cgroup_sysctl', 'cgroup_sockopt'] as const) {
      assert.equal(call({ programType: t }), 'pass', t);
    }
    for (const t of ['xdp', 'sched_cls', 'socket_filter', 'kprobe'] as const) {
      assert.match(call({ programType: t }), new RegExp(`^helper-not-allowed: bpf_get_local_storage cannot be called from ${t} programs`), t);
    }
  });
});

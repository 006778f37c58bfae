// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionHolds, helperTables, resolveHelper, type HelperTable, type HelperTableName } from './helper-tables.ts';
import { helperPrototype, helperPrototypes } from './helpers.ts';

function entries(table: HelperTable): { helper: string; proto: string }[] {
  return table.entries.map((e) => (typeof e === 'string' ? { helper: e, proto: `bpf_${e}_proto` } : e));
}

describe('get_func_proto tables', () => {
  it('name only prototypes that exist, for the right helper', () => {
    let count = 0;
    for (const [name, table] of Object.entries(helperTables) as [HelperTableName, HelperTable][]) {
      for (const e of entries(table)) {
        const p = helperPrototype(e.proto);
        assert.ok(p !== undefined, `${name}: ${e.proto} is not a known prototype`);
        assert.equal(p.name, e.helper, `${name}: ${e.proto} belongs to ${p.name}`);
        count++;
      }
    }
    console.log(`table entries naming a known prototype: ${count}/${count}`);
  });

  it('reach every prototype', () => {
    const used = new Set<string>();
    for (const table of Object.values(helperTables) as HelperTable[]) for (const e of entries(table)) used.add(e.proto);
    assert.deepEqual(helperPrototypes.filter((p) => !used.has(p.proto)).map((p) => p.proto), []);
  });

  it('answer like the kernel switch statements', () => {
    const xdp: HelperTableName[] = ['xdp_func_proto', 'bpf_sk_base_func_proto', 'bpf_base_func_proto'];
    assert.deepEqual(resolveHelper(xdp, 'perf_event_output'), { proto: 'bpf_xdp_event_output_proto', table: 'xdp_func_proto' });
    assert.deepEqual(resolveHelper(xdp, 'map_lookup_elem'), { proto: 'bpf_map_lookup_elem_proto', table: 'bpf_base_func_proto' });
    assert.equal(resolveHelper(xdp, 'skb_load_bytes'), undefined);
    // A refused case stops the chain...
    const sockAddr: HelperTableName[] = ['cgroup_common_func_proto', 'sock_addr_func_proto', 'bpf_sk_base_func_proto', 'bpf_base_func_proto'];
    assert.equal(resolveHelper(sockAddr, 'bind', { attachType: 'cgroup_inet4_bind' }), undefined);
    assert.equal(resolveHelper(sockAddr, 'bind', { attachType: 'cgroup_inet4_connect' })?.proto, 'bpf_bind_proto');
    // ...but cgroup_common_func_proto's refusals fall through to the type's own table.
    assert.equal(resolveHelper(sockAddr, 'get_retval', { attachType: 'cgroup_inet4_getpeername' }), undefined);
    assert.equal(resolveHelper(sockAddr, 'get_retval', { attachType: 'cgroup_inet4_connect' })?.proto, 'bpf_get_retval_proto');
    // Capability tiers of bpf_base_func_proto.
    assert.equal(resolveHelper(xdp, 'spin_lock', { capabilities: [] }), undefined);
    assert.equal(resolveHelper(xdp, 'spin_lock', { capabilities: ['CAP_BPF'] })?.proto, 'bpf_spin_lock_proto');
    assert.equal(resolveHelper(xdp, 'trace_printk', { capabilities: ['CAP_BPF'] }), undefined);
    assert.equal(resolveHelper(xdp, 'trace_printk')?.proto, 'bpf_trace_printk_proto');
    assert.equal(resolveHelper(xdp, 'probe_read_kernel', { lockdown: 'confidentiality' }), undefined);
    assert.equal(resolveHelper(xdp, 'probe_read_kernel', { lockdown: 'integrity' })?.proto, 'bpf_probe_read_kernel_proto');
    // Sleepable variants.
    const kprobe: HelperTableName[] = ['kprobe_prog_func_proto', 'bpf_tracing_func_proto', 'bpf_base_func_proto'];
    assert.equal(resolveHelper(kprobe, 'get_stack', { sleepable: true })?.proto, 'bpf_get_stack_sleepable_proto');
    assert.equal(resolveHelper(kprobe, 'get_stack')?.proto, 'bpf_get_stack_proto');
    assert.equal(resolveHelper(kprobe, 'get_func_ip', { attachType: 'trace_uprobe_multi' })?.proto, 'bpf_get_func_ip_proto_uprobe_multi');
    assert.equal(resolveHelper(kprobe, 'override_return'), undefined, 'CONFIG_BPF_KPROBE_OVERRIDE is off by default');
    assert.equal(resolveHelper(kprobe, 'override_return', { configOff: [] })?.proto, 'bpf_override_return_proto');
  });

  it('evaluate conditions', () => {
    assert.equal(conditionHolds({ attach: ['xdp'] }, {}), false);
    assert.equal(conditionHolds({ notAttach: ['xdp'] }, {}), true);
    assert.equal(conditionHolds({ trampoline: true }, { attachType: 'trace_fentry' }), true);
    assert.equal(conditionHolds({ trampoline: true }, { attachType: 'trace_iter' }), false);
    assert.equal(conditionHolds({ anyOf: [{ trampoline: true }, { attach: ['trace_raw_tp'] }] }, { attachType: 'trace_raw_tp' }), true);
    assert.equal(conditionHolds([{ capability: 'CAP_PERFMON' }, { sleepable: true }], { sleepable: true }), true);
  });
});

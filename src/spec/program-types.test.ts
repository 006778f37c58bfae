// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sectionKind } from './program-types.ts';

describe('sectionKind()', () => {
  it('gives every libbpf section family its program type and attach type', () => {
    const cases: [string, string, string | undefined, boolean][] = [
      ['raw_tp', 'raw_tracepoint', undefined, false],
      ['raw_tp/sys_enter', 'raw_tracepoint', undefined, false],
      ['raw_tracepoint.w/bpf_test_finish', 'raw_tracepoint_writable', undefined, false],
      ['tp_btf/task_newtask', 'tracing', 'trace_raw_tp', false],
      ['fentry/do_unlinkat', 'tracing', 'trace_fentry', false],
      ['fexit.s/bpf_fentry_test1', 'tracing', 'trace_fexit', true],
      ['fmod_ret/security_new_get_constant', 'tracing', 'modify_return', false],
      ['lsm.s/bprm_committed_creds', 'lsm', 'lsm_mac', true],
      ['iter/task', 'tracing', 'trace_iter', false],
      ['kprobe.multi/bpf_fentry_test*', 'kprobe', 'trace_kprobe_multi', false],
      ['uprobe.s//proc/self/exe:uprobe_target', 'kprobe', undefined, true],
      ['usdt/libc.so.6:libc:setjmp', 'kprobe', undefined, false],
      ['struct_ops/test_1', 'struct_ops', undefined, false],
      ['syscall', 'syscall', undefined, true],
      ['netfilter', 'netfilter', 'netfilter', false],
      ['tp/syscalls/sys_enter_nanosleep', 'tracepoint', undefined, false],
      ['perf_event', 'perf_event', undefined, false],
      ['sk_lookup', 'sk_lookup', 'sk_lookup', false],
      ['cgroup/getsockname_unix', 'cgroup_sock_addr', 'cgroup_unix_getsockname', false],
      ['sk_msg', 'sk_msg', 'sk_msg_verdict', false],
      ['lirc_mode2', 'lirc_mode2', 'lirc_mode2', false],
    ];
    for (const [section, type, attach, sleepable] of cases) {
      const k = sectionKind(section);
      assert.equal(k.programType, type, section);
      assert.equal(k.attachType, attach, section);
      assert.equal(k.sleepable, sleepable, section);
      assert.equal(k.source, 'libbpf', section);
    }
  });

  it('reads SEC("?name") as SEC("name") (libbpf drops the no-autoload mark before matching)', () => {
    assert.equal(sectionKind('?raw_tp').programType, 'raw_tracepoint');
    assert.equal(sectionKind('?tc').programType, 'sched_cls');
    assert.equal(sectionKind('?fentry/bpf_fentry_test1').attachType, 'trace_fentry');
    assert.equal(sectionKind('?').programType, 'unspec');
  });
});

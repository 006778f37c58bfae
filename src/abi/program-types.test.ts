// Author: Claude.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeArgType, type ArgBaseTypeName } from './arg-types.ts';
import { structLayouts, type StructLayout } from './context-layouts.ts';
import { helperByName } from './helpers.ts';
import { AttachType, ProgramType, type AttachTypeName, type ProgramTypeName } from './kernel-enums.ts';
import {
  checkContextAccess,
  helperPrototypeFor,
  helpersFor,
  helperVariants,
  programType,
  programTypes,
  returnRange,
} from './program-types.ts';

describe('program types', () => {
  it('cover enum bpf_prog_type but unspec, with their ids', () => {
    const names = Object.keys(ProgramType).filter((n) => n !== 'unspec');
    assert.deepEqual(programTypes.map((p) => p.name), names);
    for (const p of programTypes) assert.equal(p.id, ProgramType[p.name]);
    assert.equal(programType('unspec'), undefined);
  });

  it('describe access rules in terms of their context\'s members', () => {
    for (const p of programTypes) {
      for (const rule of p.access) {
        if (rule.offset !== undefined && rule.size !== undefined) continue;
        assert.ok(p.context !== null, `${p.name}: rule for ${rule.field} needs a window`);
        const fields = (structLayouts[p.context] as StructLayout).fields;
        assert.ok(fields.some((f) => f.name === rule.field), `${p.name}: ${p.context} has no member ${rule.field}`);
      }
    }
  });

  it('know the special pointers in contexts', () => {
    assert.deepEqual(checkContextAccess('xdp', 0, 4, 'read'), { allowed: true, field: 'data', yields: 'PTR_TO_PACKET' });
    assert.deepEqual(checkContextAccess('xdp', 4, 4, 'read'), { allowed: true, field: 'data_end', yields: 'PTR_TO_PACKET_END' });
    assert.deepEqual(checkContextAccess('xdp', 8, 4, 'read'), { allowed: true, field: 'data_meta', yields: 'PTR_TO_PACKET_META' });
    assert.equal(checkContextAccess('xdp', 0, 2, 'read').allowed, false);
    assert.equal(checkContextAccess('xdp', 0, 4, 'write').allowed, false);
    assert.equal(checkContextAccess('xdp', 20, 4, 'read').allowed, false, 'egress_ifindex is for devmap programs');
    assert.equal(checkContextAccess('xdp', 20, 4, 'read', { attachType: 'xdp_devmap' }).allowed, true);
    assert.deepEqual(checkContextAccess('sched_cls', 140, 4, 'read'), { allowed: true, field: 'data_meta', yields: 'PTR_TO_PACKET_META' });
    assert.deepEqual(checkContextAccess('flow_dissector', 144, 8, 'read'), { allowed: true, field: 'flow_keys', yields: 'PTR_TO_FLOW_KEYS' });
    assert.deepEqual(checkContextAccess('sched_cls', 168, 8, 'read'), { allowed: true, field: 'sk', yields: 'PTR_TO_SOCK_COMMON_OR_NULL' });
    assert.deepEqual(checkContextAccess('sk_msg', 0, 8, 'read'), { allowed: true, field: 'data', yields: 'PTR_TO_PACKET' });
    assert.deepEqual(checkContextAccess('sk_lookup', 0, 8, 'read'), { allowed: true, field: 'sk', yields: 'PTR_TO_SOCKET_OR_NULL' });
    assert.equal(checkContextAccess('socket_filter', 76, 4, 'read').allowed, false);
    assert.equal(checkContextAccess('cgroup_skb', 76, 4, 'read', { capabilities: [] }).allowed, false, 'cgroup_skb packet access needs CAP_BPF');
  });

  it('refuse sign-extending loads of packet pointers (Linux 6.11+), not of numbers', () => {
    const signed = { signExtend: true };
    for (const [type, off] of [['xdp', 0], ['xdp', 4], ['xdp', 8], ['sched_cls', 76], ['sched_cls', 80], ['sched_cls', 140], ['flow_dissector', 76], ['cgroup_skb', 80]] as const) {
      assert.equal(checkContextAccess(type, off, 4, 'read', {}, signed).allowed, false, `${type} ${off}`);
      assert.equal(checkContextAccess(type, off, 4, 'read').allowed, true, `${type} ${off}`);
    }
    assert.equal(checkContextAccess('xdp', 12, 4, 'read', {}, signed).allowed, true, 'ingress_ifindex is a number');
    assert.equal(checkContextAccess('sched_cls', 0, 4, 'read', {}, signed).allowed, true, 'len is a number');
  });

  it('know which members are writable', () => {
    for (const f of ['mark', 'priority', 'tc_index', 'tc_classid', 'queue_mapping'] as const) {
      const off = structLayouts.__sk_buff.fields.find((x) => x.name === f)!.offset;
      assert.equal(checkContextAccess('sched_cls', off, 4, 'write').allowed, true, f);
      assert.equal(checkContextAccess('socket_filter', off, 4, 'write').allowed, false, f);
    }
    assert.equal(checkContextAccess('socket_filter', 48, 8, 'write').allowed, true, 'cb[0..1] as one u64');
    assert.equal(checkContextAccess('sched_cls', 8, 1, 'read').allowed, true, 'narrow load of mark');
    assert.equal(checkContextAccess('sched_cls', 8, 1, 'write').allowed, false, 'narrow store of mark');
    assert.equal(checkContextAccess('cgroup_sock_addr', 4, 4, 'write', { attachType: 'cgroup_inet4_connect' }).allowed, true, 'user_ip4');
    assert.equal(checkContextAccess('cgroup_sock_addr', 4, 4, 'write', { attachType: 'cgroup_inet6_connect' }).allowed, false, 'user_ip4 in an IPv6 hook');
    assert.equal(checkContextAccess('cgroup_sock_addr', 24, 4, 'write', { attachType: 'cgroup_inet6_connect' }).allowed, true, 'user_port');
    assert.equal(checkContextAccess('sock_ops', 4, 4, 'write').allowed, true, 'reply');
    assert.throws(() => checkContextAccess('bogus' as ProgramTypeName, 0, 4, 'read'), RangeError);
    assert.equal(checkContextAccess('xdp', 3, 4, 'read').allowed, false, 'misaligned');
    assert.equal(checkContextAccess('xdp', -4, 4, 'read').allowed, false, 'negative');
    assert.equal(checkContextAccess('xdp', 0, 3, 'read').allowed, false, 'odd width');
  });

  it('know direct packet access and return ranges', () => {
    assert.deepEqual(programType('xdp')!.packet, { read: true, write: true, helperArgs: true });
    assert.deepEqual(programType('cgroup_skb')!.packet, { read: true, write: false, helperArgs: true });
    assert.deepEqual(programType('kprobe')!.packet, { read: false, write: false, helperArgs: false });
    assert.equal(returnRange('xdp'), 'any');
    assert.deepEqual(returnRange('cgroup_skb', 'cgroup_inet_ingress'), { min: 0, max: 1 });
    assert.deepEqual(returnRange('cgroup_skb', 'cgroup_inet_egress'), { min: 0, max: 3 });
    assert.deepEqual(returnRange('cgroup_sock_addr', 'cgroup_inet4_connect'), { min: 0, max: 1 });
    assert.deepEqual(returnRange('cgroup_sock_addr', 'cgroup_udp4_recvmsg'), { min: 1, max: 1 });
    assert.deepEqual(returnRange('cgroup_sock_addr', 'cgroup_inet6_bind'), { min: 0, max: 3 });
    assert.deepEqual(returnRange('sock_ops'), { min: 0, max: 1 });
    assert.deepEqual(returnRange('tracing', 'trace_fentry'), { min: 0, max: 0 });
    assert.equal(returnRange('kprobe'), 'any');
  });

  it('give each type the prototype its get_func_proto chooses', () => {
    assert.equal(helperPrototypeFor('xdp', 'perf_event_output')?.proto, 'bpf_xdp_event_output_proto');
    assert.equal(helperPrototypeFor('sched_cls', 'perf_event_output')?.proto, 'bpf_skb_event_output_proto');
    assert.equal(helperPrototypeFor('kprobe', 'perf_event_output')?.proto, 'bpf_perf_event_output_proto');
    assert.equal(helperPrototypeFor('tracepoint', 25)?.proto, 'bpf_perf_event_output_proto_tp');
    assert.equal(helperPrototypeFor('flow_dissector', 'skb_load_bytes')?.proto, 'bpf_flow_dissector_load_bytes_proto');
    assert.equal(helperPrototypeFor('sk_skb', 'skb_pull_data')?.proto, 'sk_skb_pull_data_proto');
    assert.equal(helperPrototypeFor('socket_filter', 'redirect'), undefined);
    assert.equal(helperPrototypeFor('xdp', 'redirect')?.proto, 'bpf_xdp_redirect_proto');
    assert.equal(helperPrototypeFor('xdp', 'no_such' as 'redirect'), undefined);
    const xdp = helpersFor('xdp').map((p) => p.name);
    for (const h of ['xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta', 'redirect_map', 'fib_lookup', 'ringbuf_output', 'tail_call']) assert.ok(xdp.includes(h as never), h);
    assert.ok(!xdp.includes('skb_store_bytes'));
    const variants = helperVariants('perf_event_output');
    assert.ok(variants.length >= 6);
    assert.ok(variants.find((v) => v.proto === 'bpf_xdp_event_output_proto')!.programTypes.includes('xdp'));
    assert.ok(helperByName('skb_load_bytes')!.variants.length >= 3);
  });
});

// ---- the running kernel as oracle -------------------------------------------------------------------------------

interface ProbeCase {
  readonly type: ProgramTypeName;
  readonly attach?: AttachTypeName;
  readonly sleepable?: boolean;
}

// The types the kernel lets us load without an attach target (tracing, lsm, struct_ops and ext need BTF targets;
// lirc_mode2 needs CONFIG_BPF_LIRC_MODE2).
const helperCases: readonly ProbeCase[] = [
  { type: 'socket_filter' }, { type: 'kprobe' }, { type: 'sched_cls' }, { type: 'sched_act' }, { type: 'tracepoint' },
  { type: 'xdp', attach: 'xdp' }, { type: 'perf_event' }, { type: 'cgroup_skb', attach: 'cgroup_inet_ingress' },
  { type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' }, { type: 'lwt_in' }, { type: 'lwt_out' }, { type: 'lwt_xmit' },
  { type: 'sock_ops', attach: 'cgroup_sock_ops' }, { type: 'sk_skb', attach: 'sk_skb_stream_verdict' },
  { type: 'cgroup_device', attach: 'cgroup_device' }, { type: 'sk_msg', attach: 'sk_msg_verdict' }, { type: 'raw_tracepoint' },
  { type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect' }, { type: 'cgroup_sock_addr', attach: 'cgroup_inet4_getpeername' },
  { type: 'lwt_seg6local' }, { type: 'sk_reuseport', attach: 'sk_reuseport_select' }, { type: 'flow_dissector', attach: 'flow_dissector' },
  { type: 'cgroup_sysctl', attach: 'cgroup_sysctl' }, { type: 'raw_tracepoint_writable' },
  { type: 'cgroup_sockopt', attach: 'cgroup_getsockopt' }, { type: 'cgroup_sockopt', attach: 'cgroup_setsockopt' },
  { type: 'sk_lookup', attach: 'sk_lookup' }, { type: 'syscall', sleepable: true }, { type: 'netfilter', attach: 'netfilter' },
];

const contextCases: readonly ProbeCase[] = [
  { type: 'socket_filter' }, { type: 'sched_cls' }, { type: 'xdp', attach: 'xdp' }, { type: 'xdp', attach: 'xdp_devmap' },
  { type: 'cgroup_skb', attach: 'cgroup_inet_ingress' }, { type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  { type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' }, { type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind' },
  { type: 'cgroup_sock', attach: 'cgroup_inet6_post_bind' }, { type: 'lwt_in' }, { type: 'lwt_xmit' },
  { type: 'sock_ops', attach: 'cgroup_sock_ops' }, { type: 'sk_skb', attach: 'sk_skb_stream_verdict' },
  { type: 'cgroup_device', attach: 'cgroup_device' }, { type: 'sk_msg', attach: 'sk_msg_verdict' }, { type: 'raw_tracepoint' },
  { type: 'raw_tracepoint_writable' }, { type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect' },
  { type: 'cgroup_sock_addr', attach: 'cgroup_inet6_connect' }, { type: 'cgroup_sock_addr', attach: 'cgroup_udp4_sendmsg' },
  { type: 'cgroup_sock_addr', attach: 'cgroup_udp6_sendmsg' }, { type: 'sk_reuseport', attach: 'sk_reuseport_select' },
  { type: 'flow_dissector', attach: 'flow_dissector' }, { type: 'cgroup_sysctl', attach: 'cgroup_sysctl' },
  { type: 'cgroup_sockopt', attach: 'cgroup_getsockopt' }, { type: 'cgroup_sockopt', attach: 'cgroup_setsockopt' },
  { type: 'sk_lookup', attach: 'sk_lookup' }, { type: 'kprobe' }, { type: 'tracepoint' }, { type: 'perf_event' },
  { type: 'netfilter', attach: 'netfilter' },
];

/** What the verifier's complaint about r1 ("expected=...") says the first argument's base type is. */
const firstArgComplaint: Readonly<Record<string, readonly ArgBaseTypeName[]>> = {
  map_ptr: ['ARG_CONST_MAP_PTR'],
  ctx: ['ARG_PTR_TO_CTX'],
  func: ['ARG_PTR_TO_FUNC'],
  ringbuf_mem: ['ARG_PTR_TO_RINGBUF_MEM'],
  'fp, dynptr_ptr': ['ARG_PTR_TO_DYNPTR'],
  'map_value, ptr_': ['ARG_PTR_TO_SPIN_LOCK', 'ARG_KPTR_XCHG_DEST'],
  map_value: ['ARG_PTR_TO_TIMER', 'ARG_PTR_TO_MAP_VALUE'],
  'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_': ['ARG_PTR_TO_MEM', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE'],
  'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_': ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'],
  'sock_common, sock, tcp_sock, xdp_sock': ['ARG_PTR_TO_SOCK_COMMON'],
  'ptr_, trusted_ptr_, rcu_ptr_': ['ARG_PTR_TO_BTF_ID'],
  'percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_': ['ARG_PTR_TO_PERCPU_BTF_ID'],
};

function buildProbe(): { exe: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'abi-probe-'));
  const exe = join(dir, 'kernel-probe');
  execFileSync('gcc', ['-O1', '-o', exe, join(import.meta.dirname, 'testdata', 'kernel-probe.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { exe, dir };
}

/**
 * The function names in the kernel's symbol table (/proc/kallsyms), or undefined when it cannot be read. A helper's
 * implementation is the function its proto points at (`bpf_xdp_adjust_meta` for `bpf_xdp_adjust_meta_proto`); a
 * kernel built without the helper's configuration option has no such symbol.
 */
function kernelSymbols(): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.split(' ')[2];
    if (name !== undefined) names.add(name.split('\t')[0]!);
  }
  return names.size > 0 ? names : undefined;
}

/** The machine's lockdown level, when securityfs shows it. */
function lockdownLevel(): 'none' | 'integrity' | 'confidentiality' | undefined {
  const path = '/sys/kernel/security/lockdown';
  if (!existsSync(path)) return undefined;
  const m = /\[(\w+)\]/.exec(readFileSync(path, 'utf8'));
  return m?.[1] === 'integrity' || m?.[1] === 'confidentiality' || m?.[1] === 'none' ? m[1] : undefined;
}

describe('agreement with the running kernel\'s verifier (kernel-probe.c; skipped where the kernel refuses loads)', () => {
  it('offers each program type the same helpers, with first arguments of the same kind', (t: TestContext) => {
    const { exe, dir } = buildProbe();
    try {
      const lockdown = lockdownLevel();
      let agreeSets = 0;
      let agreeHelpers = 0;
      let totalHelpers = 0;
      let argChecks = 0;
      const skipped: string[] = [];
      const problems: string[] = [];
      const offeredSomewhere = new Set<number>();
      const refusedHere: { id: number; label: string; proto: string }[] = [];
      for (const c of helperCases) {
        const label = c.type + (c.attach !== undefined ? `/${c.attach}` : '');
        const flags = c.sleepable === true ? 1 << 4 : 0;
        const out = execFileSync(exe, ['helpers', String(ProgramType[c.type]), String(c.attach !== undefined ? AttachType[c.attach] : 0), String(flags), '211'], { encoding: 'utf8' });
        const lines = out.trim().split('\n');
        if (lines.every((l) => l.split(' ')[1]!.startsWith('error:'))) {
          skipped.push(`${label} (${lines[0]!.split(' ')[1]})`);
          continue;
        }
        let same = true;
        for (const line of lines) {
          const [idText, verdict, ...rest] = line.split(' ');
          const id = Number(idText);
          // probe_write_user depends on lockdown, which the machine may not show: left out when unknown.
          if (id === 36 && lockdown === undefined) continue;
          const mine = helperPrototypeFor(c.type, id, {
            ...(c.attach !== undefined ? { attachType: c.attach } : {}),
            sleepable: c.sleepable ?? false,
            lockdown: lockdown ?? 'none',
          });
          const kernelAllows = verdict === 'allowed';
          if (kernelAllows) offeredSomewhere.add(id);
          totalHelpers++;
          if (kernelAllows !== (mine !== undefined)) {
            same = false;
            // A helper this kernel refuses while Linux 6.18 offers it may be configured out (lwt_seg6local's
            // helpers need CONFIG_IPV6_SEG6_BPF): settled once every program type has been asked.
            if (verdict === 'denied' && mine !== undefined) refusedHere.push({ id, label, proto: mine.proto });
            else problems.push(`${label}: helper ${id} kernel=${verdict} abi=${mine?.proto ?? 'refused'}`);
            continue;
          }
          agreeHelpers++;
          // A sleeping helper in a non-sleepable program, or one whose `allowed` callback says no, is refused before
          // its arguments are looked at.
          if (mine === undefined || (mine.mightSleep === true && c.sleepable !== true) || mine.allowed !== undefined) continue;
          const complaint = rest.join(' ');
          const first = mine.args[0] !== undefined ? decodeArgType(mine.args[0]) : undefined;
          const takesZero = first === undefined || first.flags.includes('PTR_MAYBE_NULL') ||
            ['ARG_ANYTHING', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_CONST_SIZE'].includes(first.base);
          const m = /^R1 type=scalar expected=(.*)$/.exec(complaint);
          if (m === null) {
            if (!takesZero) problems.push(`${label}: ${mine.proto} arg 1 is ${mine.args[0]} but the kernel took r1 = 0 (${complaint || 'no complaint'})`);
          } else {
            const bases = firstArgComplaint[m[1]!];
            if (takesZero || (bases !== undefined && !bases.includes(first!.base))) {
              problems.push(`${label}: ${mine.proto} arg 1 is ${mine.args[0] ?? 'none'} but the kernel expected ${m[1]}`);
            }
          }
          argChecks++;
        }
        if (same) agreeSets++;
      }
      // Absent from this kernel, not denied by the type's rules: a helper that no program type is offered. Either
      // it is configured out (lwt_seg6local's helpers need CONFIG_IPV6_SEG6_BPF; its function is then missing from
      // kallsyms too), or this kernel's build leaves it out of every type's set (seen: a 6.18.44 build whose
      // xdp_func_proto omits bpf_xdp_adjust_meta, though the function is there). The tables follow upstream Linux
      // 6.18; a helper offered to some type but refused to this one is a real disagreement.
      const symbols = kernelSymbols();
      const absent: string[] = [];
      for (const r of refusedHere) {
        const fn = r.proto.replace(/_proto$/, '');
        if (offeredSomewhere.has(r.id)) problems.push(`${r.label}: helper ${r.id} kernel=denied abi=${r.proto}`);
        else absent.push(`${r.id} ${fn} for ${r.label}${symbols === undefined ? '' : symbols.has(fn) ? ' (built in, offered to no type)' : ' (not built in)'}`);
      }
      if (absent.length > 0) t.diagnostic(`absent from this kernel, offered to no program type: ${absent.join('; ')}`);
      const loaded = helperCases.length - skipped.length;
      if (loaded === 0) {
        t.skip(`the kernel refused every load: ${skipped.join(', ')}`);
        return;
      }
      if (skipped.length > 0) t.diagnostic(`skipped (the kernel refused the load): ${skipped.join(', ')}`);
      if (lockdown === undefined) t.diagnostic('lockdown level unknown (no securityfs): probe_write_user left out');
      console.log(`helper sets agreeing with the running kernel: ${agreeSets}/${loaded} program types, ${agreeHelpers}/${totalHelpers} (type, helper) answers, ${argChecks} first-argument checks`);
      assert.deepEqual(problems, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('allows the same context loads and stores', (t: TestContext) => {
    const { exe, dir } = buildProbe();
    try {
      let agree = 0;
      let total = 0;
      const skipped: string[] = [];
      const problems: string[] = [];
      for (const c of contextCases) {
        const label = c.type + (c.attach !== undefined ? `/${c.attach}` : '');
        const info = programType(c.type)!;
        const size = info.context !== null ? (structLayouts[info.context] as StructLayout).size : 96;
        const limit = Math.min(size + 8, 256);
        const out = execFileSync(exe, ['context', String(ProgramType[c.type]), String(c.attach !== undefined ? AttachType[c.attach] : 0), String(limit)], { encoding: 'utf8' });
        const rows = out.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number, number, number]);
        if (rows.every(([, , r, w]) => r < 0 && w < 0)) {
          skipped.push(`${label} (errno ${-rows[0]![2]})`);
          continue;
        }
        for (const [off, width, load, store] of rows) {
          for (const [kind, verdict] of [['read', load], ['write', store]] as const) {
            if (verdict < 0) continue;
            total++;
            const mine = checkContextAccess(c.type, off, width, kind, c.attach !== undefined ? { attachType: c.attach } : {}).allowed;
            if (mine === (verdict === 1)) agree++;
            else problems.push(`${label}: ${kind} of ${width} at ${off}: kernel=${verdict === 1} abi=${mine}`);
          }
        }
      }
      if (total === 0) {
        t.skip(`the kernel refused every load: ${skipped.join(', ')}`);
        return;
      }
      if (skipped.length > 0) t.diagnostic(`skipped (the kernel refused the load): ${skipped.join(', ')}`);
      console.log(`context accesses agreeing with the running kernel: ${agree}/${total} (${contextCases.length - skipped.length} program types/attach points)`);
      assert.deepEqual(problems.slice(0, 20), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

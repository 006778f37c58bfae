/**
 * Program types and attach types from a program's section name, by libbpf's conventions (the `SEC("...")`
 * table in libbpf.c), with the prefix matching of libbpf before 1.0 as a fallback for older objects.
 *
 * Author: Claude.
 *
 * @module
 */

import { ProgramType, type ProgramTypeName } from '../abi/index.ts';

export { ProgramType, type ProgramTypeName };

/** How a program's type was found. */
export type ProgramTypeSource =
  /** The section name matches an entry of libbpf's table. */
  | 'libbpf'
  /** Only a plain prefix match (libbpf before 1.0, PREVAIL) recognises it, e.g. `socket1` or `xdp_prog`. */
  | 'legacy-prefix'
  /** Nothing recognises it. */
  | 'unknown';

/** What a section name says about its programs. */
export interface SectionKind {
  readonly programType: ProgramTypeName;
  /** The expected attach type (`enum bpf_attach_type` without `BPF_`, lower case), when the name implies one. */
  readonly attachType?: string;
  /** Sleepable programs (`.s` suffixes, `syscall`). */
  readonly sleepable: boolean;
  /** XDP programs that accept multi-buffer packets (`xdp.frags`). */
  readonly xdpFrags: boolean;
  readonly source: ProgramTypeSource;
}

interface SectionDef {
  /** As libbpf writes it: a trailing `+` allows `name` or `name/extra`; a trailing `/` requires `name/extra`. */
  readonly pattern: string;
  readonly type: ProgramTypeName;
  readonly attach?: string;
  readonly sleepable?: boolean;
  readonly frags?: boolean;
}

// libbpf's section table, in its order (the first match wins).
const defs: readonly SectionDef[] = [
  { pattern: 'socket', type: 'socket_filter' },
  { pattern: 'sk_reuseport/migrate', type: 'sk_reuseport', attach: 'sk_reuseport_select_or_migrate' },
  { pattern: 'sk_reuseport', type: 'sk_reuseport', attach: 'sk_reuseport_select' },
  { pattern: 'kprobe+', type: 'kprobe' },
  { pattern: 'uprobe+', type: 'kprobe' },
  { pattern: 'uprobe.s+', type: 'kprobe', sleepable: true },
  { pattern: 'kretprobe+', type: 'kprobe' },
  { pattern: 'uretprobe+', type: 'kprobe' },
  { pattern: 'uretprobe.s+', type: 'kprobe', sleepable: true },
  { pattern: 'kprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { pattern: 'kretprobe.multi+', type: 'kprobe', attach: 'trace_kprobe_multi' },
  { pattern: 'kprobe.session+', type: 'kprobe', attach: 'trace_kprobe_session' },
  { pattern: 'uprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { pattern: 'uretprobe.multi+', type: 'kprobe', attach: 'trace_uprobe_multi' },
  { pattern: 'uprobe.session+', type: 'kprobe', attach: 'trace_uprobe_session' },
  { pattern: 'uprobe.multi.s+', type: 'kprobe', attach: 'trace_uprobe_multi', sleepable: true },
  { pattern: 'uretprobe.multi.s+', type: 'kprobe', attach: 'trace_uprobe_multi', sleepable: true },
  { pattern: 'uprobe.session.s+', type: 'kprobe', attach: 'trace_uprobe_session', sleepable: true },
  { pattern: 'ksyscall+', type: 'kprobe' },
  { pattern: 'kretsyscall+', type: 'kprobe' },
  { pattern: 'usdt+', type: 'kprobe' },
  { pattern: 'usdt.s+', type: 'kprobe', sleepable: true },
  { pattern: 'tc/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { pattern: 'tc/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { pattern: 'tcx/ingress', type: 'sched_cls', attach: 'tcx_ingress' },
  { pattern: 'tcx/egress', type: 'sched_cls', attach: 'tcx_egress' },
  { pattern: 'tc', type: 'sched_cls' },
  { pattern: 'classifier', type: 'sched_cls' },
  { pattern: 'action', type: 'sched_act' },
  { pattern: 'netkit/primary', type: 'sched_cls', attach: 'netkit_primary' },
  { pattern: 'netkit/peer', type: 'sched_cls', attach: 'netkit_peer' },
  { pattern: 'tracepoint+', type: 'tracepoint' },
  { pattern: 'tp+', type: 'tracepoint' },
  { pattern: 'tracepoint.s+', type: 'tracepoint', sleepable: true },
  { pattern: 'tp.s+', type: 'tracepoint', sleepable: true },
  { pattern: 'raw_tracepoint+', type: 'raw_tracepoint' },
  { pattern: 'raw_tp+', type: 'raw_tracepoint' },
  { pattern: 'raw_tracepoint.s+', type: 'raw_tracepoint', sleepable: true },
  { pattern: 'raw_tp.s+', type: 'raw_tracepoint', sleepable: true },
  { pattern: 'raw_tracepoint.w+', type: 'raw_tracepoint_writable' },
  { pattern: 'raw_tp.w+', type: 'raw_tracepoint_writable' },
  { pattern: 'tp_btf+', type: 'tracing', attach: 'trace_raw_tp' },
  { pattern: 'tp_btf.s+', type: 'tracing', attach: 'trace_raw_tp', sleepable: true },
  { pattern: 'fentry+', type: 'tracing', attach: 'trace_fentry' },
  { pattern: 'fmod_ret+', type: 'tracing', attach: 'modify_return' },
  { pattern: 'fexit+', type: 'tracing', attach: 'trace_fexit' },
  { pattern: 'fentry.s+', type: 'tracing', attach: 'trace_fentry', sleepable: true },
  { pattern: 'fmod_ret.s+', type: 'tracing', attach: 'modify_return', sleepable: true },
  { pattern: 'fexit.s+', type: 'tracing', attach: 'trace_fexit', sleepable: true },
  { pattern: 'freplace+', type: 'ext' },
  { pattern: 'lsm+', type: 'lsm', attach: 'lsm_mac' },
  { pattern: 'lsm.s+', type: 'lsm', attach: 'lsm_mac', sleepable: true },
  { pattern: 'lsm_cgroup+', type: 'lsm', attach: 'lsm_cgroup' },
  { pattern: 'iter+', type: 'tracing', attach: 'trace_iter' },
  { pattern: 'iter.s+', type: 'tracing', attach: 'trace_iter', sleepable: true },
  { pattern: 'syscall', type: 'syscall', sleepable: true },
  { pattern: 'xdp.frags/devmap', type: 'xdp', attach: 'xdp_devmap', frags: true },
  { pattern: 'xdp/devmap', type: 'xdp', attach: 'xdp_devmap' },
  { pattern: 'xdp.frags/cpumap', type: 'xdp', attach: 'xdp_cpumap', frags: true },
  { pattern: 'xdp/cpumap', type: 'xdp', attach: 'xdp_cpumap' },
  { pattern: 'xdp.frags', type: 'xdp', attach: 'xdp', frags: true },
  { pattern: 'xdp', type: 'xdp', attach: 'xdp' },
  { pattern: 'perf_event', type: 'perf_event' },
  { pattern: 'lwt_in', type: 'lwt_in' },
  { pattern: 'lwt_out', type: 'lwt_out' },
  { pattern: 'lwt_xmit', type: 'lwt_xmit' },
  { pattern: 'lwt_seg6local', type: 'lwt_seg6local' },
  { pattern: 'sockops', type: 'sock_ops', attach: 'cgroup_sock_ops' },
  { pattern: 'sk_skb/stream_parser', type: 'sk_skb', attach: 'sk_skb_stream_parser' },
  { pattern: 'sk_skb/stream_verdict', type: 'sk_skb', attach: 'sk_skb_stream_verdict' },
  { pattern: 'sk_skb/verdict', type: 'sk_skb', attach: 'sk_skb_verdict' },
  { pattern: 'sk_skb', type: 'sk_skb' },
  { pattern: 'sk_msg', type: 'sk_msg', attach: 'sk_msg_verdict' },
  { pattern: 'lirc_mode2', type: 'lirc_mode2', attach: 'lirc_mode2' },
  { pattern: 'flow_dissector', type: 'flow_dissector', attach: 'flow_dissector' },
  { pattern: 'cgroup_skb/ingress', type: 'cgroup_skb', attach: 'cgroup_inet_ingress' },
  { pattern: 'cgroup_skb/egress', type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  { pattern: 'cgroup/skb', type: 'cgroup_skb' },
  { pattern: 'cgroup/sock_create', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' },
  { pattern: 'cgroup/sock_release', type: 'cgroup_sock', attach: 'cgroup_inet_sock_release' },
  { pattern: 'cgroup/sock', type: 'cgroup_sock', attach: 'cgroup_inet_sock_create' },
  { pattern: 'cgroup/post_bind4', type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind' },
  { pattern: 'cgroup/post_bind6', type: 'cgroup_sock', attach: 'cgroup_inet6_post_bind' },
  { pattern: 'cgroup/bind4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_bind' },
  { pattern: 'cgroup/bind6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_bind' },
  { pattern: 'cgroup/connect4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect' },
  { pattern: 'cgroup/connect6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_connect' },
  { pattern: 'cgroup/connect_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_connect' },
  { pattern: 'cgroup/sendmsg4', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_sendmsg' },
  { pattern: 'cgroup/sendmsg6', type: 'cgroup_sock_addr', attach: 'cgroup_udp6_sendmsg' },
  { pattern: 'cgroup/sendmsg_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_sendmsg' },
  { pattern: 'cgroup/recvmsg4', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_recvmsg' },
  { pattern: 'cgroup/recvmsg6', type: 'cgroup_sock_addr', attach: 'cgroup_udp6_recvmsg' },
  { pattern: 'cgroup/recvmsg_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_recvmsg' },
  { pattern: 'cgroup/getpeername4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_getpeername' },
  { pattern: 'cgroup/getpeername6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_getpeername' },
  { pattern: 'cgroup/getpeername_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_getpeername' },
  { pattern: 'cgroup/getsockname4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_getsockname' },
  { pattern: 'cgroup/getsockname6', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_getsockname' },
  { pattern: 'cgroup/getsockname_unix', type: 'cgroup_sock_addr', attach: 'cgroup_unix_getsockname' },
  { pattern: 'cgroup/sysctl', type: 'cgroup_sysctl', attach: 'cgroup_sysctl' },
  { pattern: 'cgroup/getsockopt', type: 'cgroup_sockopt', attach: 'cgroup_getsockopt' },
  { pattern: 'cgroup/setsockopt', type: 'cgroup_sockopt', attach: 'cgroup_setsockopt' },
  { pattern: 'cgroup/dev', type: 'cgroup_device', attach: 'cgroup_device' },
  { pattern: 'struct_ops+', type: 'struct_ops' },
  { pattern: 'struct_ops.s+', type: 'struct_ops', sleepable: true },
  { pattern: 'sk_lookup', type: 'sk_lookup', attach: 'sk_lookup' },
  { pattern: 'netfilter', type: 'netfilter', attach: 'netfilter' },
];

function matchesStrict(pattern: string, name: string): boolean {
  if (pattern.endsWith('/')) return name.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const stem = pattern.slice(0, -1);
    return name.startsWith(stem) && (name.length === stem.length || name[stem.length] === '/');
  }
  return name === pattern;
}

function kindOf(d: SectionDef, source: ProgramTypeSource): SectionKind {
  const k: { -readonly [K in keyof SectionKind]: SectionKind[K] } = {
    programType: d.type,
    sleepable: d.sleepable ?? false,
    xdpFrags: d.frags ?? false,
    source,
  };
  if (d.attach !== undefined) k.attachType = d.attach;
  return k;
}

/**
 * What a section name says about the programs in it.
 *
 * @example
 * ```ts
 * sectionKind('xdp').programType;            // 'xdp'
 * sectionKind('cgroup/bind4').attachType;    // 'cgroup_inet4_bind'
 * sectionKind('socket1').source;             // 'legacy-prefix'
 * sectionKind('?raw_tp').programType;        // 'raw_tracepoint' (not loaded by default)
 * ```
 */
export function sectionKind(sectionName: string): SectionKind {
  // `SEC("?raw_tp")` is `SEC("raw_tp")` with autoload off (libbpf drops the `?` before matching).
  if (sectionName.startsWith('?')) sectionName = sectionName.slice(1);
  for (const d of defs) if (matchesStrict(d.pattern, sectionName)) return kindOf(d, 'libbpf');
  // Before libbpf 1.0 a section name only had to start with the type's name (`socket1`, `xdp_prog`,
  // `kprobe/sys_write` matched then as now). The longest prefix wins, as `cgroup/sock_create` must beat `cgroup/sock`.
  let best: SectionDef | undefined;
  for (const d of defs) {
    const stem = d.pattern.replace(/[+/]$/, '');
    if (sectionName.startsWith(stem) && (best === undefined || stem.length > best.pattern.replace(/[+/]$/, '').length)) best = d;
  }
  if (best !== undefined) return kindOf(best, 'legacy-prefix');
  return { programType: 'unspec', sleepable: false, xdpFrags: false, source: 'unknown' };
}

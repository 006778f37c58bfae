/**
 * What each program type may do, as the Linux 6.18 verifier decides it: the context it gets and which loads and
 * stores into it are allowed (the `*_is_valid_access` functions of net/core/filter.c, kernel/bpf/cgroup.c,
 * kernel/trace/bpf_trace.c), which context fields hold special pointers (packet, socket, flow keys), whether it may
 * read and write packets directly (`may_access_direct_pkt_data`), which return values it may exit with
 * (`check_return_code`), and which helpers it may call (its `get_func_proto` chain, see helper-tables.ts).
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * checkContextAccess('xdp', 4, 4, 'read'); // { allowed: true, field: 'data_end', yields: 'PTR_TO_PACKET_END' }
 * checkContextAccess('sched_cls', 8, 4, 'write').allowed; // true: tc may set skb->mark
 * helperPrototypeFor('xdp', 'perf_event_output')?.proto; // 'bpf_xdp_event_output_proto'
 * returnRange('cgroup_skb', 'cgroup_inet_egress'); // { min: 0, max: 3 }
 * ```
 * @module
 */
import { structLayouts, type StructLayout, type StructName } from './context-layouts.ts';
import { resolveHelper, type Capability, type HelperChainLink, type ProgramContext } from './helper-tables.ts';
import { helperById, helperByName, helperNames, helperPrototype, type HelperName, type HelperPrototype } from './helpers.ts';
import { ProgramType, type AttachTypeName, type ProgramTypeName } from './kernel-enums.ts';

/** A load or store width in bytes (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type Width = 1 | 2 | 4 | 8;

/** The register type a load from a context field yields when it is not a plain scalar. */
export type ContextPointer =
  | 'PTR_TO_PACKET'
  | 'PTR_TO_PACKET_META'
  | 'PTR_TO_PACKET_END'
  | 'PTR_TO_SOCKET'
  | 'PTR_TO_SOCKET_OR_NULL'
  | 'PTR_TO_SOCK_COMMON_OR_NULL'
  | 'PTR_TO_FLOW_KEYS'
  | 'PTR_TO_TP_BUFFER'
  | 'PTR_TO_BTF_ID';

/**
 * One rule of a context's access table. An access of `width` bytes at `off` matches the rule when `off` lies in
 * the rule's window (the member, or `offset`/`size` when given), `off % width == 0` (every `*_is_valid_access`
 * demands it), `width` is listed for the access kind, the access ends inside the window, and the conditions hold.
 * A width larger than the window is allowed only at the window's start: the kernel's full-width load of a narrow
 * member (`bpf_sock.dst_port`, `bpf_sk_lookup.remote_port`).
 */
export interface ContextAccessRule {
  /** The context member (or a descriptive name for a window that is not one). */
  readonly field: string;
  /** Window start, when not the member's offset. */
  readonly offset?: number;
  /** Window size, when not the member's size. */
  readonly size?: number;
  /** Allowed load widths; absent: no loads. */
  readonly read?: readonly Width[];
  /** Allowed store widths; absent: no stores. */
  readonly write?: readonly Width[];
  /** What a full-width load yields, when not a scalar. */
  readonly yields?: ContextPointer;
  /** For `PTR_TO_BTF_ID`: the kernel struct pointed to. */
  readonly btfType?: string;
  /** Only at the window's first byte: the kernel matches the member's exact offset (`case offsetof(...)`). */
  readonly anchored?: true;
  /**
   * No sign-extending load (BPF_MEMSX) of it: the packet pointer members (`info->is_ldsx` in `*_is_valid_access`,
   * Linux 6.11+), whose rewritten load would sign-extend a kernel address.
   */
  readonly noSignExtension?: true;
  /** Only for programs with one of these expected attach types. */
  readonly attach?: readonly AttachTypeName[];
  /** Only when the loader holds this capability. */
  readonly capability?: Capability;
  /** What the rule does not capture. */
  readonly note?: string;
}

/** Which direct packet accesses a program type has (`may_access_direct_pkt_data` and the fields it can load). */
export interface PacketAccess {
  /** It can obtain packet pointers and load through them. */
  readonly read: boolean;
  /** It may store through packet pointers. */
  readonly write: boolean;
  /** It may pass packet pointers to helpers whose prototype has `pkt_access`. */
  readonly helperArgs: boolean;
  /** To any helper that takes memory, `pkt_access` or not (cgroup_sockopt: the option buffer is its "packet"). */
  readonly anyHelper?: true;
}

/** A return value range rule: the first rule whose attach types match (or that lists none) applies. */
export interface ReturnRule {
  readonly attach?: readonly AttachTypeName[];
  /** Inclusive range of R0 at exit (checked on the low 32 bits as a signed value for LSM); `any` = not checked. */
  readonly range: { readonly min: number; readonly max: number } | 'any';
  readonly note?: string;
}

/** Everything the verifier needs to know about one program type. */
export interface ProgramTypeInfo {
  readonly name: ProgramTypeName;
  readonly id: number;
  /** The context structure R1 points to, or null when it has no fixed layout. */
  readonly context: StructName | null;
  /** The kernel's `bpf_verifier_ops` for the type, and its access check (for citing). */
  readonly verifierOps: string;
  readonly validAccess: string;
  /** The loads and stores into the context the verifier allows; anything not matched is refused. */
  readonly access: readonly ContextAccessRule[];
  readonly packet: PacketAccess;
  readonly returns: readonly ReturnRule[];
  /** The `get_func_proto` tables asked in turn for a helper. */
  readonly helperChain: readonly HelperChainLink[];
  /** Expected attach types the type accepts at load time (empty: none needed). */
  readonly attachTypes: readonly AttachTypeName[];
  /** What R0 means, for types whose return is an action. */
  readonly returnMeaning?: Readonly<Record<number, string>>;
  readonly note?: string;
}

// ---- __sk_buff ------------------------------------------------------------------------------------------------
// bpf_skb_is_valid_access gives every __sk_buff member its widths; each program type's check first refuses some
// members and allows stores to a few, then defers to it.

const skbDefaultFields = [
  'len', 'pkt_type', 'mark', 'queue_mapping', 'protocol', 'vlan_present', 'vlan_tci', 'vlan_proto', 'priority',
  'ingress_ifindex', 'ifindex', 'tc_index', 'hash', 'tc_classid', 'napi_id', 'family', 'remote_port', 'local_port',
  'wire_len', 'gso_segs', 'gso_size',
] as const;
type SkbField = (typeof skbDefaultFields)[number] | 'cb' | 'data' | 'data_meta' | 'data_end' | 'remote_ip4' | 'local_ip4'
  | 'remote_ip6' | 'local_ip6' | 'tstamp' | 'hwtstamp' | 'sk' | 'tstamp_type' | 'flow_keys';

interface SkbPolicy {
  /** Members the type refuses outright. */
  readonly deny: readonly SkbField[];
  /** Members it may store to (with the width bpf_skb_is_valid_access allows). */
  readonly writable: readonly SkbField[];
  /** Register types of the packet members it may load. */
  readonly pointers: Readonly<Partial<Record<'data' | 'data_meta' | 'data_end', ContextPointer>>>;
  /** Per-member conditions. */
  readonly capability?: Readonly<Partial<Record<SkbField, Capability>>>;
  readonly writeCapability?: Readonly<Partial<Record<SkbField, Capability>>>;
  readonly tstampTypeReadable?: boolean;
}

function skbAccess(policy: SkbPolicy): ContextAccessRule[] {
  const rules: ContextAccessRule[] = [];
  const allowed = (f: SkbField): boolean => !policy.deny.includes(f);
  const add = (field: SkbField, read: readonly Width[] | undefined, write: readonly Width[] | undefined, extra: Partial<ContextAccessRule> = {}): void => {
    if (!allowed(field)) return;
    const cap = policy.capability?.[field];
    const wcap = policy.writeCapability?.[field];
    const canWrite = write !== undefined && policy.writable.includes(field);
    if (wcap !== undefined && canWrite) {
      rules.push({ field, ...(read ? { read } : {}), ...extra, ...(cap ? { capability: cap } : {}) });
      rules.push({ field, write, capability: wcap });
      return;
    }
    rules.push({ field, ...(read ? { read } : {}), ...(canWrite ? { write } : {}), ...extra, ...(cap ? { capability: cap } : {}) });
  };
  for (const f of skbDefaultFields) add(f, [1, 2, 4], [4]);
  add('cb', [1, 2, 4, 8], [1, 2, 4, 8]);
  for (const f of ['data', 'data_meta', 'data_end'] as const) {
    const yields = policy.pointers[f];
    if (yields !== undefined) add(f, [4], undefined, { yields, noSignExtension: true });
  }
  for (const f of ['remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6'] as const) add(f, [4], [4]);
  add('tstamp', [8], [8]);
  add('hwtstamp', [8], undefined);
  add('sk', [8], undefined, { yields: 'PTR_TO_SOCK_COMMON_OR_NULL' });
  if (policy.tstampTypeReadable === true) rules.push({ field: 'tstamp_type', read: [1] });
  // Sorted by offset, so tables read like the struct.
  const order = structLayouts.__sk_buff.fields.map((f) => f.name as string);
  return rules.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
}

const skbIpPort: readonly SkbField[] = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port'];

// sk_filter_is_valid_access
const socketFilterAccess = skbAccess({
  deny: ['tc_classid', 'data', 'data_meta', 'data_end', ...skbIpPort, 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['cb'],
  pointers: {},
});

// tc_cls_act_is_valid_access
const tcAccess = skbAccess({
  deny: skbIpPort,
  writable: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'],
  pointers: { data: 'PTR_TO_PACKET', data_meta: 'PTR_TO_PACKET_META', data_end: 'PTR_TO_PACKET_END' },
  tstampTypeReadable: true,
});

// cg_skb_is_valid_access: packet pointers and tstamp stores need CAP_BPF.
const cgroupSkbAccess = skbAccess({
  deny: ['tc_classid', 'data_meta', 'wire_len'],
  writable: ['mark', 'priority', 'cb', 'tstamp'],
  pointers: { data: 'PTR_TO_PACKET', data_end: 'PTR_TO_PACKET_END' },
  capability: { data: 'CAP_BPF', data_end: 'CAP_BPF' },
  writeCapability: { tstamp: 'CAP_BPF' },
});

// lwt_is_valid_access (lwt_in, lwt_out, lwt_xmit, lwt_seg6local)
const lwtAccess = skbAccess({
  deny: ['tc_classid', ...skbIpPort, 'data_meta', 'tstamp', 'wire_len', 'hwtstamp'],
  writable: ['mark', 'priority', 'cb'],
  pointers: { data: 'PTR_TO_PACKET', data_end: 'PTR_TO_PACKET_END' },
});

// sk_skb_is_valid_access: mark is refused too.
const skSkbAccess = skbAccess({
  deny: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'mark'],
  writable: ['tc_index', 'priority'],
  pointers: { data: 'PTR_TO_PACKET', data_end: 'PTR_TO_PACKET_END' },
});

// flow_dissector_is_valid_access: loads only, three members.
const flowDissectorAccess: readonly ContextAccessRule[] = [
  { field: 'data', read: [4], yields: 'PTR_TO_PACKET', noSignExtension: true },
  { field: 'data_end', read: [4], yields: 'PTR_TO_PACKET_END', noSignExtension: true },
  { field: 'flow_keys', read: [8], yields: 'PTR_TO_FLOW_KEYS' },
];

// ---- other networking contexts ---------------------------------------------------------------------------------

// xdp_is_valid_access: 4-byte loads only; egress_ifindex only in devmap programs. (Offloaded programs may also
// store rx_queue_index; not modelled.)
const xdpAccess: readonly ContextAccessRule[] = [
  { field: 'data', read: [4], yields: 'PTR_TO_PACKET', noSignExtension: true },
  { field: 'data_end', read: [4], yields: 'PTR_TO_PACKET_END', noSignExtension: true },
  { field: 'data_meta', read: [4], yields: 'PTR_TO_PACKET_META', noSignExtension: true },
  { field: 'ingress_ifindex', read: [4] },
  { field: 'rx_queue_index', read: [4] },
  { field: 'egress_ifindex', read: [4], attach: ['xdp_devmap'] },
];

const sockCreate: readonly AttachTypeName[] = ['cgroup_inet_sock_create', 'cgroup_inet_sock_release'];

// sock_filter_is_valid_access = bpf_sock_is_valid_access + __sock_filter_check_attach_type. Narrow loads of
// family, type, protocol, src_port, state and rx_queue_mapping are matched at the member's offset only.
const cgroupSockAccess: readonly ContextAccessRule[] = [
  { field: 'bound_dev_if', read: [4], write: [4], attach: sockCreate },
  { field: 'family', read: [1, 2, 4], anchored: true },
  { field: 'type', read: [1, 2, 4], anchored: true },
  { field: 'protocol', read: [1, 2, 4], anchored: true },
  { field: 'mark', read: [4], write: [4], attach: sockCreate },
  { field: 'priority', read: [4], write: [4], attach: sockCreate },
  { field: 'src_ip4', read: [1, 2, 4], attach: ['cgroup_inet4_post_bind'] },
  { field: 'src_ip6', read: [1, 2, 4], attach: ['cgroup_inet6_post_bind'] },
  { field: 'src_port', read: [1, 2, 4], anchored: true, attach: ['cgroup_inet4_post_bind', 'cgroup_inet6_post_bind'] },
  { field: 'dst_port', read: [1, 2, 4], note: 'a 4-byte load at its offset reads the port and the zero padding' },
  { field: 'dst_ip4', read: [1, 2, 4] },
  { field: 'dst_ip6', read: [1, 2, 4] },
  { field: 'state', read: [1, 2, 4], anchored: true },
  { field: 'rx_queue_mapping', read: [1, 2, 4], anchored: true },
];

const inet4Addr: readonly AttachTypeName[] = [
  'cgroup_inet4_bind', 'cgroup_inet4_connect', 'cgroup_inet4_getpeername', 'cgroup_inet4_getsockname', 'cgroup_udp4_sendmsg', 'cgroup_udp4_recvmsg',
];
const inet6Addr: readonly AttachTypeName[] = [
  'cgroup_inet6_bind', 'cgroup_inet6_connect', 'cgroup_inet6_getpeername', 'cgroup_inet6_getsockname', 'cgroup_udp6_sendmsg', 'cgroup_udp6_recvmsg',
];

// sock_addr_is_valid_access: each address member only for the attach types of its family; the IPv6 arrays also
// allow aligned 8-byte accesses (bpf_ctx_wide_access_ok).
const sockAddrAccess: readonly ContextAccessRule[] = [
  { field: 'user_family', read: [4] },
  { field: 'user_ip4', read: [1, 2, 4], write: [4], attach: inet4Addr },
  { field: 'user_ip6', read: [1, 2, 4, 8], write: [4, 8], attach: inet6Addr },
  { field: 'user_port', read: [1, 2, 4], write: [4] },
  { field: 'family', read: [4] },
  { field: 'type', read: [4] },
  { field: 'protocol', read: [4] },
  { field: 'msg_src_ip4', read: [1, 2, 4], write: [4], attach: ['cgroup_udp4_sendmsg'] },
  { field: 'msg_src_ip6', read: [1, 2, 4, 8], write: [4, 8], attach: ['cgroup_udp6_sendmsg'] },
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET' },
];

// sock_ops_is_valid_access: stores only to reply and sk_txhash; every other u32 member is 4-byte loads.
const sockOpsU32 = [
  'op', 'args', 'replylong', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port',
  'is_fullsock', 'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state', 'rtt_min', 'snd_ssthresh', 'rcv_nxt',
  'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out',
  'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out', 'sacked_out', 'skb_len',
] as const;
const sockOpsAccess: readonly ContextAccessRule[] = [
  ...sockOpsU32.map((field): ContextAccessRule => ({ field, read: [4] })),
  { field: 'reply', write: [4] },
  { field: 'sk_txhash', read: [4], write: [4] },
  { field: 'bytes_received', read: [8] },
  { field: 'bytes_acked', read: [8] },
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET_OR_NULL' },
  { field: 'skb_data', read: [8], yields: 'PTR_TO_PACKET' },
  { field: 'skb_data_end', read: [8], yields: 'PTR_TO_PACKET_END' },
  { field: 'skb_tcp_flags', read: [1, 2, 4], anchored: true },
  { field: 'skb_hwtstamp', read: [8] },
];

// sk_msg_is_valid_access: loads only.
const skMsgAccess: readonly ContextAccessRule[] = [
  { field: 'data', read: [8], yields: 'PTR_TO_PACKET' },
  { field: 'data_end', read: [8], yields: 'PTR_TO_PACKET_END' },
  ...(['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port', 'size'] as const).map(
    (field): ContextAccessRule => ({ field, read: [4] }),
  ),
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET' },
];

// sk_reuseport_is_valid_access: loads only; eth_protocol at least 2 bytes wide.
const skReuseportAccess: readonly ContextAccessRule[] = [
  { field: 'data', read: [8], yields: 'PTR_TO_PACKET' },
  { field: 'data_end', read: [8], yields: 'PTR_TO_PACKET_END' },
  { field: 'len', read: [1, 2, 4] },
  { field: 'eth_protocol', read: [2, 4] },
  { field: 'ip_protocol', read: [1, 2, 4] },
  { field: 'bind_inany', read: [1, 2, 4] },
  { field: 'hash', read: [4] },
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET' },
  { field: 'migrating_sk', read: [8], yields: 'PTR_TO_SOCK_COMMON_OR_NULL' },
];

// sk_lookup_is_valid_access: loads only; remote_port's zero padding stays readable for old programs.
const skLookupAccess: readonly ContextAccessRule[] = [
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET_OR_NULL' },
  { field: 'family', read: [1, 2, 4] },
  { field: 'protocol', read: [1, 2, 4] },
  { field: 'remote_ip4', read: [1, 2, 4] },
  { field: 'remote_ip6', read: [1, 2, 4] },
  { field: 'remote_port', read: [1, 2, 4], note: 'a 4-byte load at its offset reads the port and the zero padding' },
  { field: 'remote_port padding', offset: 38, size: 2, read: [1, 2] },
  { field: 'local_ip4', read: [1, 2, 4] },
  { field: 'local_ip6', read: [1, 2, 4] },
  { field: 'local_port', read: [1, 2, 4] },
  { field: 'ingress_ifindex', read: [1, 2, 4] },
];

// cgroup_dev_is_valid_access
const cgroupDeviceAccess: readonly ContextAccessRule[] = [
  { field: 'access_type', read: [1, 2, 4] },
  { field: 'major', read: [4] },
  { field: 'minor', read: [4] },
];

// sysctl_is_valid_access
const cgroupSysctlAccess: readonly ContextAccessRule[] = [
  { field: 'write', read: [1, 2, 4] },
  { field: 'file_pos', read: [1, 2, 4], write: [4] },
];

// cg_sockopt_is_valid_access: retval is for getsockopt programs; level and optname are writable by setsockopt ones.
const cgroupSockoptAccess: readonly ContextAccessRule[] = [
  { field: 'sk', read: [8], yields: 'PTR_TO_SOCKET' },
  { field: 'optval', read: [8], yields: 'PTR_TO_PACKET' },
  { field: 'optval_end', read: [8], yields: 'PTR_TO_PACKET_END' },
  { field: 'level', read: [4] },
  { field: 'level', write: [4], attach: ['cgroup_setsockopt'] },
  { field: 'optname', read: [4] },
  { field: 'optname', write: [4], attach: ['cgroup_setsockopt'] },
  { field: 'optlen', read: [4], write: [4] },
  { field: 'retval', read: [4], write: [4], attach: ['cgroup_getsockopt'] },
];

// ---- tracing contexts ----------------------------------------------------------------------------------------

const ptRegsNames = structLayouts.pt_regs.fields.map((f) => f.name);

// kprobe_prog_is_valid_access: any aligned load inside pt_regs, whatever the member.
const kprobeAccess: readonly ContextAccessRule[] = [{ field: 'pt_regs', offset: 0, size: structLayouts.pt_regs.size, read: [1, 2, 4, 8] }];

// pe_prog_is_valid_access: registers as whole longs, sample_period and addr narrowable.
const perfEventAccess: readonly ContextAccessRule[] = [
  ...ptRegsNames.map((name): ContextAccessRule => {
    const f = structLayouts.pt_regs.fields.find((x) => x.name === name)!;
    return { field: `regs.${name}`, offset: f.offset, size: 8, read: [8] };
  }),
  { field: 'sample_period', read: [1, 2, 4, 8] },
  { field: 'addr', read: [1, 2, 4, 8] },
];

// tp_prog_is_valid_access: the first 8 bytes (the hidden pt_regs pointer) are off limits; PERF_MAX_TRACE_SIZE is 2048.
const tracepointAccess: readonly ContextAccessRule[] = [
  { field: 'tracepoint fields', offset: 8, size: 2040, read: [1, 2, 4, 8], note: 'the layout is the event\'s format file' },
];

// raw_tp_prog_is_valid_access = bpf_tracing_ctx_access: up to 12 u64 arguments, loads only.
const rawTracepointAccess: readonly ContextAccessRule[] = [{ field: 'args', offset: 0, size: 96, read: [1, 2, 4, 8] }];

// raw_tp_writable_prog_is_valid_access: args[0] is the writable tracepoint buffer.
const rawTracepointWritableAccess: readonly ContextAccessRule[] = [
  { field: 'args', offset: 0, size: 8, read: [8], yields: 'PTR_TO_TP_BUFFER' },
  { field: 'args', offset: 1, size: 7, read: [1, 2, 4] },
  { field: 'args', offset: 8, size: 88, read: [1, 2, 4, 8] },
];

// bpf_tracing_btf_ctx_access: the attach target's arguments, typed by its BTF (btf_ctx_access decides more).
const btfArgsAccess: readonly ContextAccessRule[] = [
  { field: 'args', offset: 0, size: 96, read: [8], note: 'each argument is checked against the target function\'s BTF (btf_ctx_access)' },
];

// nf_is_valid_access
const netfilterAccess: readonly ContextAccessRule[] = [
  { field: 'state', read: [8], yields: 'PTR_TO_BTF_ID', btfType: 'nf_hook_state' },
  { field: 'skb', read: [8], yields: 'PTR_TO_BTF_ID', btfType: 'sk_buff' },
];

// lirc_mode2_is_valid_access: one u32 sample.
const lircAccess: readonly ContextAccessRule[] = [{ field: 'sample', offset: 0, size: 4, read: [4] }];

// ---- helper chains -------------------------------------------------------------------------------------------

const tracingTail: readonly HelperChainLink[] = ['bpf_tracing_func_proto', 'bpf_base_func_proto', 'bpf_tracing_func_proto_admin'];
const tracingProgChain: readonly HelperChainLink[] = [
  'tracing_prog_func_proto',
  'raw_tp_prog_func_proto',
  ...tracingTail,
  { table: 'bpf_iter_tcp_get_func_proto', when: { attach: ['trace_iter'] } },
];
const skBase: readonly HelperChainLink[] = ['bpf_sk_base_func_proto', 'bpf_base_func_proto'];

// ---- return values -------------------------------------------------------------------------------------------

const any: readonly ReturnRule[] = [{ range: 'any' }];
const zeroOne: readonly ReturnRule[] = [{ range: { min: 0, max: 1 } }];

const noPacket: PacketAccess = { read: false, write: false, helperArgs: false };
const packetReadWrite: PacketAccess = { read: true, write: true, helperArgs: true };
const packetRead: PacketAccess = { read: true, write: false, helperArgs: true };

const xdpActions = { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS', 3: 'XDP_TX', 4: 'XDP_REDIRECT' } as const;
const tcActions = {
  [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN',
  5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT', 8: 'TC_ACT_TRAP',
} as const;
const skVerdicts = { 0: 'SK_DROP', 1: 'SK_PASS' } as const;

const sockAddrAttach: readonly AttachTypeName[] = [
  'cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_unix_connect',
  'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'cgroup_unix_sendmsg', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg',
  'cgroup_unix_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_unix_getpeername',
  'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname',
];

type ProgramTypeRow = Omit<ProgramTypeInfo, 'id'>;

// One entry per program type, in `enum bpf_prog_type` order.
const rows: readonly ProgramTypeRow[] = [
  {
    name: 'socket_filter', context: '__sk_buff', verifierOps: 'sk_filter_verifier_ops', validAccess: 'sk_filter_is_valid_access',
    access: socketFilterAccess, packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['sk_filter_func_proto', ...skBase],
    note: 'R0 is the number of bytes of the packet to keep (0 drops it)',
  },
  {
    name: 'kprobe', context: 'pt_regs', verifierOps: 'kprobe_verifier_ops', validAccess: 'kprobe_prog_is_valid_access',
    access: kprobeAccess, packet: noPacket,
    returns: [{ attach: ['trace_kprobe_session', 'trace_uprobe_session'], range: { min: 0, max: 1 } }, { range: 'any' }],
    attachTypes: ['trace_kprobe_multi', 'trace_uprobe_multi', 'trace_kprobe_session', 'trace_uprobe_session'],
    helperChain: ['kprobe_prog_func_proto', ...tracingTail],
  },
  {
    name: 'sched_cls', context: '__sk_buff', verifierOps: 'tc_cls_act_verifier_ops', validAccess: 'tc_cls_act_is_valid_access',
    access: tcAccess, packet: packetReadWrite, returns: any, attachTypes: ['tcx_ingress', 'tcx_egress', 'netkit_primary', 'netkit_peer'],
    helperChain: ['tc_cls_act_func_proto', ...skBase], returnMeaning: tcActions,
  },
  {
    name: 'sched_act', context: '__sk_buff', verifierOps: 'tc_cls_act_verifier_ops', validAccess: 'tc_cls_act_is_valid_access',
    access: tcAccess, packet: packetReadWrite, returns: any, attachTypes: [],
    helperChain: ['tc_cls_act_func_proto', ...skBase], returnMeaning: tcActions,
  },
  {
    name: 'tracepoint', context: null, verifierOps: 'tracepoint_verifier_ops', validAccess: 'tp_prog_is_valid_access',
    access: tracepointAccess, packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['tp_prog_func_proto', ...tracingTail],
  },
  {
    name: 'xdp', context: 'xdp_md', verifierOps: 'xdp_verifier_ops', validAccess: 'xdp_is_valid_access',
    access: xdpAccess, packet: packetReadWrite, returns: any, attachTypes: ['xdp', 'xdp_devmap', 'xdp_cpumap'],
    helperChain: ['xdp_func_proto', ...skBase], returnMeaning: xdpActions,
  },
  {
    name: 'perf_event', context: 'bpf_perf_event_data', verifierOps: 'perf_event_verifier_ops', validAccess: 'pe_prog_is_valid_access',
    access: perfEventAccess, packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['pe_prog_func_proto', ...tracingTail],
  },
  {
    name: 'cgroup_skb', context: '__sk_buff', verifierOps: 'cg_skb_verifier_ops', validAccess: 'cg_skb_is_valid_access',
    access: cgroupSkbAccess, packet: packetRead,
    returns: [
      { attach: ['cgroup_inet_egress'], range: { min: 0, max: 3 }, note: 'bit 1 set means congestion notification (needs expected attach type cgroup_inet_egress)' },
      { range: { min: 0, max: 1 } },
    ],
    attachTypes: ['cgroup_inet_ingress', 'cgroup_inet_egress'],
    helperChain: ['cgroup_common_func_proto', 'cg_skb_func_proto', 'sk_filter_func_proto', ...skBase],
    returnMeaning: { 0: 'drop', 1: 'allow', 2: 'drop, notify congestion', 3: 'allow, notify congestion' },
  },
  {
    name: 'cgroup_sock', context: 'bpf_sock', verifierOps: 'cg_sock_verifier_ops', validAccess: 'sock_filter_is_valid_access',
    access: cgroupSockAccess, packet: noPacket, returns: zeroOne,
    attachTypes: ['cgroup_inet_sock_create', 'cgroup_inet_sock_release', 'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind'],
    helperChain: ['cgroup_common_func_proto', 'sock_filter_func_proto', 'bpf_base_func_proto'],
    returnMeaning: { 0: 'reject', 1: 'allow' },
  },
  {
    name: 'lwt_in', context: '__sk_buff', verifierOps: 'lwt_in_verifier_ops', validAccess: 'lwt_is_valid_access',
    access: lwtAccess, packet: packetRead, returns: any, attachTypes: [],
    helperChain: ['lwt_in_func_proto', 'lwt_out_func_proto', ...skBase],
  },
  {
    name: 'lwt_out', context: '__sk_buff', verifierOps: 'lwt_out_verifier_ops', validAccess: 'lwt_is_valid_access',
    access: lwtAccess, packet: packetRead, returns: any, attachTypes: [],
    helperChain: ['lwt_out_func_proto', ...skBase],
  },
  {
    name: 'lwt_xmit', context: '__sk_buff', verifierOps: 'lwt_xmit_verifier_ops', validAccess: 'lwt_is_valid_access',
    access: lwtAccess, packet: packetReadWrite, returns: any, attachTypes: [],
    helperChain: ['lwt_xmit_func_proto', 'lwt_out_func_proto', ...skBase],
  },
  {
    name: 'sock_ops', context: 'bpf_sock_ops', verifierOps: 'sock_ops_verifier_ops', validAccess: 'sock_ops_is_valid_access',
    access: sockOpsAccess, packet: { read: true, write: false, helperArgs: false }, returns: zeroOne, attachTypes: ['cgroup_sock_ops'],
    helperChain: ['cgroup_common_func_proto', 'sock_ops_func_proto', ...skBase],
    note: 'packet reads go through skb_data/skb_data_end; may_access_direct_pkt_data refuses the rest',
  },
  {
    name: 'sk_skb', context: '__sk_buff', verifierOps: 'sk_skb_verifier_ops', validAccess: 'sk_skb_is_valid_access',
    access: skSkbAccess, packet: packetReadWrite, returns: any,
    attachTypes: ['sk_skb_stream_parser', 'sk_skb_stream_verdict', 'sk_skb_verdict'],
    helperChain: ['sk_skb_func_proto', ...skBase], returnMeaning: skVerdicts,
  },
  {
    name: 'cgroup_device', context: 'bpf_cgroup_dev_ctx', verifierOps: 'cg_dev_verifier_ops', validAccess: 'cgroup_dev_is_valid_access',
    access: cgroupDeviceAccess, packet: noPacket, returns: zeroOne, attachTypes: ['cgroup_device'],
    helperChain: ['cgroup_common_func_proto', 'cgroup_dev_func_proto', 'bpf_base_func_proto'],
    returnMeaning: { 0: 'deny', 1: 'allow' },
  },
  {
    name: 'sk_msg', context: 'sk_msg_md', verifierOps: 'sk_msg_verifier_ops', validAccess: 'sk_msg_is_valid_access',
    access: skMsgAccess, packet: packetReadWrite, returns: any, attachTypes: ['sk_msg_verdict'],
    helperChain: ['sk_msg_func_proto', ...skBase], returnMeaning: skVerdicts,
  },
  {
    name: 'raw_tracepoint', context: 'bpf_raw_tracepoint_args', verifierOps: 'raw_tracepoint_verifier_ops', validAccess: 'raw_tp_prog_is_valid_access',
    access: rawTracepointAccess, packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['raw_tp_prog_func_proto', ...tracingTail],
    note: 'with a BTF attach target (attach_btf_id) R0 must be 0',
  },
  {
    name: 'cgroup_sock_addr', context: 'bpf_sock_addr', verifierOps: 'cg_sock_addr_verifier_ops', validAccess: 'sock_addr_is_valid_access',
    access: sockAddrAccess, packet: noPacket,
    returns: [
      {
        attach: [
          'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_unix_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername',
          'cgroup_unix_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname',
        ],
        range: { min: 1, max: 1 },
      },
      { attach: ['cgroup_inet4_bind', 'cgroup_inet6_bind'], range: { min: 0, max: 3 }, note: 'bit 1 asks to skip the port capability check' },
      { range: { min: 0, max: 1 } },
    ],
    attachTypes: sockAddrAttach,
    helperChain: ['cgroup_common_func_proto', 'sock_addr_func_proto', ...skBase],
    returnMeaning: { 0: 'reject', 1: 'allow' },
  },
  {
    name: 'lwt_seg6local', context: '__sk_buff', verifierOps: 'lwt_seg6local_verifier_ops', validAccess: 'lwt_is_valid_access',
    access: lwtAccess, packet: packetRead, returns: any, attachTypes: [],
    helperChain: ['lwt_seg6local_func_proto', 'lwt_out_func_proto', ...skBase],
  },
  {
    name: 'lirc_mode2', context: null, verifierOps: 'lirc_mode2_verifier_ops', validAccess: 'lirc_mode2_is_valid_access',
    access: lircAccess, packet: noPacket, returns: any, attachTypes: ['lirc_mode2'],
    helperChain: ['lirc_mode2_func_proto'],
  },
  {
    name: 'sk_reuseport', context: 'sk_reuseport_md', verifierOps: 'sk_reuseport_verifier_ops', validAccess: 'sk_reuseport_is_valid_access',
    access: skReuseportAccess, packet: packetRead, returns: any,
    attachTypes: ['sk_reuseport_select', 'sk_reuseport_select_or_migrate'],
    helperChain: ['sk_reuseport_func_proto', 'bpf_base_func_proto'], returnMeaning: skVerdicts,
  },
  {
    name: 'flow_dissector', context: '__sk_buff', verifierOps: 'flow_dissector_verifier_ops', validAccess: 'flow_dissector_is_valid_access',
    access: flowDissectorAccess, packet: packetRead, returns: any, attachTypes: ['flow_dissector'],
    helperChain: ['flow_dissector_func_proto', ...skBase],
    returnMeaning: { 0: 'BPF_OK', [-1]: 'BPF_DROP', 129: 'BPF_FLOW_DISSECTOR_CONTINUE' },
  },
  {
    name: 'cgroup_sysctl', context: 'bpf_sysctl', verifierOps: 'cg_sysctl_verifier_ops', validAccess: 'sysctl_is_valid_access',
    access: cgroupSysctlAccess, packet: noPacket, returns: zeroOne, attachTypes: ['cgroup_sysctl'],
    helperChain: ['cgroup_common_func_proto', 'sysctl_func_proto', 'bpf_base_func_proto'],
    returnMeaning: { 0: 'reject', 1: 'allow' },
  },
  {
    name: 'raw_tracepoint_writable', context: 'bpf_raw_tracepoint_args', verifierOps: 'raw_tracepoint_writable_verifier_ops',
    validAccess: 'raw_tp_writable_prog_is_valid_access',
    access: rawTracepointWritableAccess, packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['raw_tp_prog_func_proto', ...tracingTail],
  },
  {
    name: 'cgroup_sockopt', context: 'bpf_sockopt', verifierOps: 'cg_sockopt_verifier_ops', validAccess: 'cg_sockopt_is_valid_access',
    access: cgroupSockoptAccess, packet: { read: true, write: true, helperArgs: true, anyHelper: true }, returns: zeroOne,
    attachTypes: ['cgroup_getsockopt', 'cgroup_setsockopt'],
    helperChain: ['cgroup_common_func_proto', 'cg_sockopt_func_proto', 'bpf_base_func_proto'],
    note: 'the "packet" is the option buffer [optval, optval_end)',
  },
  {
    name: 'tracing', context: null, verifierOps: 'tracing_verifier_ops', validAccess: 'tracing_prog_is_valid_access',
    access: btfArgsAccess, packet: noPacket,
    returns: [
      { attach: ['trace_fentry', 'trace_fexit'], range: { min: 0, max: 0 } },
      { attach: ['trace_iter'], range: { min: 0, max: 1 } },
      { range: 'any', note: 'trace_raw_tp and modify_return are not checked' },
    ],
    attachTypes: ['trace_raw_tp', 'trace_fentry', 'trace_fexit', 'modify_return', 'trace_iter'],
    helperChain: tracingProgChain,
    note: 'bpf_iter targets add helpers of their own (tcp and unix iterators: setsockopt, getsockopt)',
  },
  {
    name: 'struct_ops', context: null, verifierOps: 'bpf_struct_ops_verifier_ops', validAccess: 'bpf_struct_ops_is_valid_access',
    access: btfArgsAccess, packet: noPacket, returns: [{ range: 'any', note: 'the member\'s BTF return type decides (0 for pointer returns)' }],
    attachTypes: ['struct_ops'],
    helperChain: ['bpf_tcp_ca_get_func_proto', 'bpf_base_func_proto'],
    note: 'each struct_ops type has its own get_func_proto; the chain given is tcp_congestion_ops\'s',
  },
  {
    name: 'ext', context: null, verifierOps: '(the target program type\'s)', validAccess: '(the target\'s)',
    access: [], packet: noPacket, returns: any, attachTypes: [], helperChain: [],
    note: 'freplace programs are verified as the program type they replace',
  },
  {
    name: 'lsm', context: null, verifierOps: 'lsm_verifier_ops', validAccess: 'bpf_lsm_is_valid_access',
    access: btfArgsAccess, packet: noPacket,
    returns: [{ attach: ['lsm_cgroup'], range: { min: 0, max: 1 } }, { range: 'any', note: 'the hook\'s return range when it has one (e.g. -MAX_ERRNO..0)' }],
    attachTypes: ['lsm_mac', 'lsm_cgroup'],
    helperChain: [{ table: 'cgroup_common_func_proto', when: { attach: ['lsm_cgroup'] } }, 'bpf_lsm_func_proto', ...tracingProgChain],
  },
  {
    name: 'sk_lookup', context: 'bpf_sk_lookup', verifierOps: 'sk_lookup_verifier_ops', validAccess: 'sk_lookup_is_valid_access',
    access: skLookupAccess, packet: noPacket, returns: [{ range: { min: 0, max: 1 } }], attachTypes: ['sk_lookup'],
    helperChain: ['sk_lookup_func_proto', ...skBase], returnMeaning: skVerdicts,
  },
  {
    name: 'syscall', context: null, verifierOps: 'bpf_syscall_verifier_ops', validAccess: 'syscall_prog_is_valid_access',
    access: [{ field: 'ctx', offset: 0, size: 65536, read: [1, 2, 4, 8], write: [1, 2, 4, 8], note: 'user memory of ctx_size_in bytes (at most U16_MAX)' }],
    packet: noPacket, returns: any, attachTypes: [],
    helperChain: ['syscall_prog_func_proto', ...tracingProgChain],
    note: 'always sleepable',
  },
  {
    name: 'netfilter', context: 'bpf_nf_ctx', verifierOps: 'netfilter_verifier_ops', validAccess: 'nf_is_valid_access',
    access: netfilterAccess, packet: noPacket, returns: [{ range: { min: 0, max: 1 } }], attachTypes: ['netfilter'],
    helperChain: ['bpf_base_func_proto'], returnMeaning: { 0: 'NF_DROP', 1: 'NF_ACCEPT' },
  },
];

const byName = new Map<string, ProgramTypeInfo>(rows.map((r) => [r.name, { id: ProgramType[r.name], ...r }]));

/** Every program type with a row here (all of `enum bpf_prog_type` but `unspec`), in id order. */
export const programTypes: readonly ProgramTypeInfo[] = [...byName.values()];

/** The facts about program type `name`, or undefined (`unspec`, unknown names). */
export function programType(name: ProgramTypeName | string): ProgramTypeInfo | undefined {
  return byName.get(name);
}

function requireType(name: ProgramTypeName | string): ProgramTypeInfo {
  const info = byName.get(name);
  if (info === undefined) throw new RangeError(`Expected a program type name such as 'xdp', got '${name}'`);
  return info;
}

/** The answer of {@link checkContextAccess}. */
export type ContextAccessResult =
  | { readonly allowed: true; readonly field: string; readonly yields?: ContextPointer; readonly btfType?: string }
  | { readonly allowed: false; readonly reason: string };

function windowOf(info: ProgramTypeInfo, rule: ContextAccessRule): { start: number; size: number } | undefined {
  if (rule.offset !== undefined && rule.size !== undefined) return { start: rule.offset, size: rule.size };
  if (info.context === null) return undefined;
  const f = (structLayouts[info.context] as StructLayout).fields.find((x) => x.name === rule.field);
  return f === undefined ? undefined : { start: f.offset, size: f.size };
}

/**
 * Whether a program of type `type` may load (`read`) or store (`write`) `width` bytes at offset `off` of its
 * context, as the type's `*_is_valid_access` decides; on success, the member and the register type a load yields.
 * `load.signExtend` asks about a sign-extending load (BPF_MEMSX), which the packet pointer members refuse.
 *
 * @example
 * ```ts
 * checkContextAccess('socket_filter', 76, 4, 'read'); // { allowed: false, ... }: no direct packet access
 * checkContextAccess('cgroup_sock_addr', 4, 4, 'write', { attachType: 'cgroup_inet4_connect' }).allowed; // true
 * ```
 */
export function checkContextAccess(
  type: ProgramTypeName,
  off: number,
  width: number,
  kind: 'read' | 'write',
  program: ProgramContext = {},
  load: { readonly signExtend?: boolean } = {},
): ContextAccessResult {
  const info = requireType(type);
  if (!Number.isInteger(off) || off < 0) return { allowed: false, reason: `offset ${off} is negative or not an integer` };
  if (width !== 1 && width !== 2 && width !== 4 && width !== 8) return { allowed: false, reason: `width ${width} is not 1, 2, 4 or 8` };
  if (off % width !== 0) return { allowed: false, reason: `offset ${off} is not a multiple of the access width ${width}` };
  let sawField = false;
  let refusedSignExtension: string | undefined;
  for (const rule of info.access) {
    const w = windowOf(info, rule);
    if (w === undefined || off < w.start || off >= w.start + w.size) continue;
    sawField = true;
    const widths = kind === 'read' ? rule.read : rule.write;
    if (widths === undefined || !widths.includes(width as Width)) continue;
    const fits = rule.anchored === true ? off === w.start : width <= w.size ? off + width <= w.start + w.size : off === w.start;
    if (!fits) continue;
    if (kind === 'read' && load.signExtend === true && rule.noSignExtension === true) {
      refusedSignExtension = rule.field;
      continue;
    }
    if (rule.attach !== undefined && (program.attachType === undefined || !rule.attach.includes(program.attachType))) continue;
    if (rule.capability !== undefined && !(program.capabilities ?? ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN']).includes(rule.capability)) continue;
    return {
      allowed: true,
      field: rule.field,
      ...(rule.yields !== undefined && kind === 'read' ? { yields: rule.yields } : {}),
      ...(rule.btfType !== undefined && kind === 'read' ? { btfType: rule.btfType } : {}),
    };
  }
  if (refusedSignExtension !== undefined) {
    return { allowed: false, reason: `${refusedSignExtension} is a packet pointer, which a sign-extending load would corrupt` };
  }
  return {
    allowed: false,
    reason: sawField
      ? `${type} programs may not ${kind === 'read' ? 'load' : 'store'} ${width} bytes at context offset ${off}`
      : `${type} programs have no accessible context field at offset ${off}`,
  };
}

/**
 * The prototype a program of type `type` gets for a helper, or undefined when it may not call it.
 *
 * @example
 * ```ts
 * helperPrototypeFor('sched_cls', 'skb_load_bytes')?.proto; // 'bpf_skb_load_bytes_proto'
 * helperPrototypeFor('flow_dissector', 'skb_load_bytes')?.proto; // 'bpf_flow_dissector_load_bytes_proto'
 * helperPrototypeFor('socket_filter', 'redirect'); // undefined
 * ```
 */
export function helperPrototypeFor(type: ProgramTypeName, helper: HelperName | number, program: ProgramContext = {}): HelperPrototype | undefined {
  const def = typeof helper === 'number' ? helperById(helper) : helperByName(helper);
  if (def === undefined) return undefined;
  const info = requireType(type);
  const resolved = resolveHelper(info.helperChain, def.name, { ...program, ...(type === 'syscall' ? { sleepable: true } : {}) });
  return resolved === undefined ? undefined : helperPrototype(resolved.proto);
}

/** Every helper a program of type `type` may call, with the prototype it gets, in id order. */
export function helpersFor(type: ProgramTypeName, program: ProgramContext = {}): HelperPrototype[] {
  const out: HelperPrototype[] = [];
  for (const name of helperNames) {
    const p = helperPrototypeFor(type, name, program);
    if (p !== undefined) out.push(p);
  }
  return out;
}

/**
 * The prototypes of `helper` with the program types that get each one, trying each type's expected attach types
 * (and none), sleepable or not, with every capability.
 *
 * @example
 * ```ts
 * helperVariants('skb_load_bytes');
 * // [{ proto: 'bpf_skb_load_bytes_proto', programTypes: ['socket_filter', 'sched_cls', ...] },
 * //  { proto: 'sk_reuseport_load_bytes_proto', programTypes: ['sk_reuseport'] }, ...]
 * ```
 */
export function helperVariants(helper: HelperName): { proto: string; programTypes: ProgramTypeName[] }[] {
  const users = new Map<string, Set<ProgramTypeName>>();
  for (const info of programTypes) {
    const contexts: ProgramContext[] = [];
    for (const attachType of [undefined, ...info.attachTypes]) {
      for (const sleepable of [false, true]) contexts.push({ ...(attachType !== undefined ? { attachType } : {}), sleepable });
    }
    for (const c of contexts) {
      const p = helperPrototypeFor(info.name, helper, c);
      if (p === undefined) continue;
      const set = users.get(p.proto) ?? new Set<ProgramTypeName>();
      set.add(info.name);
      users.set(p.proto, set);
    }
  }
  return [...users].map(([proto, set]) => ({ proto, programTypes: [...set] }));
}

/**
 * The range R0 must lie in when a program of type `type` exits (`check_return_code`), or `any`.
 *
 * @example
 * ```ts
 * returnRange('cgroup_sock_addr', 'cgroup_inet4_getpeername'); // { min: 1, max: 1 }
 * returnRange('xdp'); // 'any'
 * ```
 */
export function returnRange(type: ProgramTypeName, attachType?: AttachTypeName): ReturnRule['range'] {
  const info = requireType(type);
  for (const rule of info.returns) {
    if (rule.attach === undefined || (attachType !== undefined && rule.attach.includes(attachType))) return rule.range;
  }
  return 'any';
}

/**
 * The C layouts of the structures eBPF programs see: program contexts (`struct __sk_buff`, `struct xdp_md`, ...)
 * and the socket structures context fields point to. Offsets and sizes are those of include/uapi/linux/bpf.h in
 * Linux 6.18 on a 64-bit machine (the `__bpf_md_ptr` fields are 8 bytes everywhere), checked against the C
 * compiler by the tests. Union members share an offset (`__sk_buff.flow_keys`; `bpf_sock_ops.args`, `reply` and
 * `replylong`; `bpf_sk_lookup.sk` and `cookie`; `bpf_flow_keys.ipv4_src` and `ipv6_src`).
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * contextField('xdp_md', 'data_end'); // { name: 'data_end', offset: 4, size: 4, type: '__u32' }
 * ```
 * @module
 */

/** One member of a structure. Arrays are one entry with `count` elements of `size / count` bytes. */
export interface StructField {
  readonly name: string;
  readonly offset: number;
  /** Bytes, all elements together. */
  readonly size: number;
  /** The C type of the member (of one element, for arrays), as the header spells it. */
  readonly type: string;
  /** The element count of an array member. */
  readonly count?: number;
}

/** A structure: its size and members in declaration order. */
export interface StructLayout {
  readonly size: number;
  readonly fields: readonly StructField[];
}

/** The layouts, by C struct name (without `struct`). */
export const structLayouts = {
  __sk_buff: {
    size: 192,
    fields: [
      { name: 'len', offset: 0, size: 4, type: '__u32' },
      { name: 'pkt_type', offset: 4, size: 4, type: '__u32' },
      { name: 'mark', offset: 8, size: 4, type: '__u32' },
      { name: 'queue_mapping', offset: 12, size: 4, type: '__u32' },
      { name: 'protocol', offset: 16, size: 4, type: '__u32' },
      { name: 'vlan_present', offset: 20, size: 4, type: '__u32' },
      { name: 'vlan_tci', offset: 24, size: 4, type: '__u32' },
      { name: 'vlan_proto', offset: 28, size: 4, type: '__u32' },
      { name: 'priority', offset: 32, size: 4, type: '__u32' },
      { name: 'ingress_ifindex', offset: 36, size: 4, type: '__u32' },
      { name: 'ifindex', offset: 40, size: 4, type: '__u32' },
      { name: 'tc_index', offset: 44, size: 4, type: '__u32' },
      { name: 'cb', offset: 48, size: 20, type: '__u32', count: 5 },
      { name: 'hash', offset: 68, size: 4, type: '__u32' },
      { name: 'tc_classid', offset: 72, size: 4, type: '__u32' },
      { name: 'data', offset: 76, size: 4, type: '__u32' },
      { name: 'data_end', offset: 80, size: 4, type: '__u32' },
      { name: 'napi_id', offset: 84, size: 4, type: '__u32' },
      { name: 'family', offset: 88, size: 4, type: '__u32' },
      { name: 'remote_ip4', offset: 92, size: 4, type: '__u32' },
      { name: 'local_ip4', offset: 96, size: 4, type: '__u32' },
      { name: 'remote_ip6', offset: 100, size: 16, type: '__u32', count: 4 },
      { name: 'local_ip6', offset: 116, size: 16, type: '__u32', count: 4 },
      { name: 'remote_port', offset: 132, size: 4, type: '__u32' },
      { name: 'local_port', offset: 136, size: 4, type: '__u32' },
      { name: 'data_meta', offset: 140, size: 4, type: '__u32' },
      { name: 'flow_keys', offset: 144, size: 8, type: 'struct bpf_flow_keys *' },
      { name: 'tstamp', offset: 152, size: 8, type: '__u64' },
      { name: 'wire_len', offset: 160, size: 4, type: '__u32' },
      { name: 'gso_segs', offset: 164, size: 4, type: '__u32' },
      { name: 'sk', offset: 168, size: 8, type: 'struct bpf_sock *' },
      { name: 'gso_size', offset: 176, size: 4, type: '__u32' },
      { name: 'tstamp_type', offset: 180, size: 1, type: '__u8' },
      { name: 'hwtstamp', offset: 184, size: 8, type: '__u64' },
    ],
  },
  xdp_md: {
    size: 24,
    fields: [
      { name: 'data', offset: 0, size: 4, type: '__u32' },
      { name: 'data_end', offset: 4, size: 4, type: '__u32' },
      { name: 'data_meta', offset: 8, size: 4, type: '__u32' },
      { name: 'ingress_ifindex', offset: 12, size: 4, type: '__u32' },
      { name: 'rx_queue_index', offset: 16, size: 4, type: '__u32' },
      { name: 'egress_ifindex', offset: 20, size: 4, type: '__u32' },
    ],
  },
  bpf_sock: {
    // What sk fields and socket helpers point to (PTR_TO_SOCKET, PTR_TO_SOCK_COMMON), and cgroup_sock's context.
    size: 80,
    fields: [
      { name: 'bound_dev_if', offset: 0, size: 4, type: '__u32' },
      { name: 'family', offset: 4, size: 4, type: '__u32' },
      { name: 'type', offset: 8, size: 4, type: '__u32' },
      { name: 'protocol', offset: 12, size: 4, type: '__u32' },
      { name: 'mark', offset: 16, size: 4, type: '__u32' },
      { name: 'priority', offset: 20, size: 4, type: '__u32' },
      { name: 'src_ip4', offset: 24, size: 4, type: '__u32' },
      { name: 'src_ip6', offset: 28, size: 16, type: '__u32', count: 4 },
      { name: 'src_port', offset: 44, size: 4, type: '__u32' },
      { name: 'dst_port', offset: 48, size: 2, type: '__be16' },
      { name: 'dst_ip4', offset: 52, size: 4, type: '__u32' },
      { name: 'dst_ip6', offset: 56, size: 16, type: '__u32', count: 4 },
      { name: 'state', offset: 72, size: 4, type: '__u32' },
      { name: 'rx_queue_mapping', offset: 76, size: 4, type: '__s32' },
    ],
  },
  bpf_sock_addr: {
    size: 72,
    fields: [
      { name: 'user_family', offset: 0, size: 4, type: '__u32' },
      { name: 'user_ip4', offset: 4, size: 4, type: '__u32' },
      { name: 'user_ip6', offset: 8, size: 16, type: '__u32', count: 4 },
      { name: 'user_port', offset: 24, size: 4, type: '__u32' },
      { name: 'family', offset: 28, size: 4, type: '__u32' },
      { name: 'type', offset: 32, size: 4, type: '__u32' },
      { name: 'protocol', offset: 36, size: 4, type: '__u32' },
      { name: 'msg_src_ip4', offset: 40, size: 4, type: '__u32' },
      { name: 'msg_src_ip6', offset: 44, size: 16, type: '__u32', count: 4 },
      { name: 'sk', offset: 64, size: 8, type: 'struct bpf_sock *' },
    ],
  },
  bpf_sock_ops: {
    size: 224,
    fields: [
      { name: 'op', offset: 0, size: 4, type: '__u32' },
      { name: 'args', offset: 4, size: 16, type: '__u32', count: 4 },
      { name: 'reply', offset: 4, size: 4, type: '__u32' },
      { name: 'replylong', offset: 4, size: 16, type: '__u32', count: 4 },
      { name: 'family', offset: 20, size: 4, type: '__u32' },
      { name: 'remote_ip4', offset: 24, size: 4, type: '__u32' },
      { name: 'local_ip4', offset: 28, size: 4, type: '__u32' },
      { name: 'remote_ip6', offset: 32, size: 16, type: '__u32', count: 4 },
      { name: 'local_ip6', offset: 48, size: 16, type: '__u32', count: 4 },
      { name: 'remote_port', offset: 64, size: 4, type: '__u32' },
      { name: 'local_port', offset: 68, size: 4, type: '__u32' },
      { name: 'is_fullsock', offset: 72, size: 4, type: '__u32' },
      { name: 'snd_cwnd', offset: 76, size: 4, type: '__u32' },
      { name: 'srtt_us', offset: 80, size: 4, type: '__u32' },
      { name: 'bpf_sock_ops_cb_flags', offset: 84, size: 4, type: '__u32' },
      { name: 'state', offset: 88, size: 4, type: '__u32' },
      { name: 'rtt_min', offset: 92, size: 4, type: '__u32' },
      { name: 'snd_ssthresh', offset: 96, size: 4, type: '__u32' },
      { name: 'rcv_nxt', offset: 100, size: 4, type: '__u32' },
      { name: 'snd_nxt', offset: 104, size: 4, type: '__u32' },
      { name: 'snd_una', offset: 108, size: 4, type: '__u32' },
      { name: 'mss_cache', offset: 112, size: 4, type: '__u32' },
      { name: 'ecn_flags', offset: 116, size: 4, type: '__u32' },
      { name: 'rate_delivered', offset: 120, size: 4, type: '__u32' },
      { name: 'rate_interval_us', offset: 124, size: 4, type: '__u32' },
      { name: 'packets_out', offset: 128, size: 4, type: '__u32' },
      { name: 'retrans_out', offset: 132, size: 4, type: '__u32' },
      { name: 'total_retrans', offset: 136, size: 4, type: '__u32' },
      { name: 'segs_in', offset: 140, size: 4, type: '__u32' },
      { name: 'data_segs_in', offset: 144, size: 4, type: '__u32' },
      { name: 'segs_out', offset: 148, size: 4, type: '__u32' },
      { name: 'data_segs_out', offset: 152, size: 4, type: '__u32' },
      { name: 'lost_out', offset: 156, size: 4, type: '__u32' },
      { name: 'sacked_out', offset: 160, size: 4, type: '__u32' },
      { name: 'sk_txhash', offset: 164, size: 4, type: '__u32' },
      { name: 'bytes_received', offset: 168, size: 8, type: '__u64' },
      { name: 'bytes_acked', offset: 176, size: 8, type: '__u64' },
      { name: 'sk', offset: 184, size: 8, type: 'struct bpf_sock *' },
      { name: 'skb_data', offset: 192, size: 8, type: 'void *' },
      { name: 'skb_data_end', offset: 200, size: 8, type: 'void *' },
      { name: 'skb_len', offset: 208, size: 4, type: '__u32' },
      { name: 'skb_tcp_flags', offset: 212, size: 4, type: '__u32' },
      { name: 'skb_hwtstamp', offset: 216, size: 8, type: '__u64' },
    ],
  },
  sk_msg_md: {
    size: 80,
    fields: [
      { name: 'data', offset: 0, size: 8, type: 'void *' },
      { name: 'data_end', offset: 8, size: 8, type: 'void *' },
      { name: 'family', offset: 16, size: 4, type: '__u32' },
      { name: 'remote_ip4', offset: 20, size: 4, type: '__u32' },
      { name: 'local_ip4', offset: 24, size: 4, type: '__u32' },
      { name: 'remote_ip6', offset: 28, size: 16, type: '__u32', count: 4 },
      { name: 'local_ip6', offset: 44, size: 16, type: '__u32', count: 4 },
      { name: 'remote_port', offset: 60, size: 4, type: '__u32' },
      { name: 'local_port', offset: 64, size: 4, type: '__u32' },
      { name: 'size', offset: 68, size: 4, type: '__u32' },
      { name: 'sk', offset: 72, size: 8, type: 'struct bpf_sock *' },
    ],
  },
  sk_reuseport_md: {
    size: 56,
    fields: [
      { name: 'data', offset: 0, size: 8, type: 'void *' },
      { name: 'data_end', offset: 8, size: 8, type: 'void *' },
      { name: 'len', offset: 16, size: 4, type: '__u32' },
      { name: 'eth_protocol', offset: 20, size: 4, type: '__u32' },
      { name: 'ip_protocol', offset: 24, size: 4, type: '__u32' },
      { name: 'bind_inany', offset: 28, size: 4, type: '__u32' },
      { name: 'hash', offset: 32, size: 4, type: '__u32' },
      { name: 'sk', offset: 40, size: 8, type: 'struct bpf_sock *' },
      { name: 'migrating_sk', offset: 48, size: 8, type: 'struct bpf_sock *' },
    ],
  },
  bpf_sk_lookup: {
    size: 72,
    fields: [
      { name: 'sk', offset: 0, size: 8, type: 'struct bpf_sock *' },
      { name: 'cookie', offset: 0, size: 8, type: '__u64' },
      { name: 'family', offset: 8, size: 4, type: '__u32' },
      { name: 'protocol', offset: 12, size: 4, type: '__u32' },
      { name: 'remote_ip4', offset: 16, size: 4, type: '__u32' },
      { name: 'remote_ip6', offset: 20, size: 16, type: '__u32', count: 4 },
      { name: 'remote_port', offset: 36, size: 2, type: '__be16' },
      { name: 'local_ip4', offset: 40, size: 4, type: '__u32' },
      { name: 'local_ip6', offset: 44, size: 16, type: '__u32', count: 4 },
      { name: 'local_port', offset: 60, size: 4, type: '__u32' },
      { name: 'ingress_ifindex', offset: 64, size: 4, type: '__u32' },
    ],
  },
  bpf_sysctl: {
    size: 8,
    fields: [
      { name: 'write', offset: 0, size: 4, type: '__u32' },
      { name: 'file_pos', offset: 4, size: 4, type: '__u32' },
    ],
  },
  bpf_sockopt: {
    size: 40,
    fields: [
      { name: 'sk', offset: 0, size: 8, type: 'struct bpf_sock *' },
      { name: 'optval', offset: 8, size: 8, type: 'void *' },
      { name: 'optval_end', offset: 16, size: 8, type: 'void *' },
      { name: 'level', offset: 24, size: 4, type: '__s32' },
      { name: 'optname', offset: 28, size: 4, type: '__s32' },
      { name: 'optlen', offset: 32, size: 4, type: '__s32' },
      { name: 'retval', offset: 36, size: 4, type: '__s32' },
    ],
  },
  bpf_cgroup_dev_ctx: {
    size: 12,
    fields: [
      { name: 'access_type', offset: 0, size: 4, type: '__u32' },
      { name: 'major', offset: 4, size: 4, type: '__u32' },
      { name: 'minor', offset: 8, size: 4, type: '__u32' },
    ],
  },
  bpf_flow_keys: {
    // Reached through __sk_buff.flow_keys in flow_dissector programs (PTR_TO_FLOW_KEYS).
    size: 56,
    fields: [
      { name: 'nhoff', offset: 0, size: 2, type: '__u16' },
      { name: 'thoff', offset: 2, size: 2, type: '__u16' },
      { name: 'addr_proto', offset: 4, size: 2, type: '__u16' },
      { name: 'is_frag', offset: 6, size: 1, type: '__u8' },
      { name: 'is_first_frag', offset: 7, size: 1, type: '__u8' },
      { name: 'is_encap', offset: 8, size: 1, type: '__u8' },
      { name: 'ip_proto', offset: 9, size: 1, type: '__u8' },
      { name: 'n_proto', offset: 10, size: 2, type: '__be16' },
      { name: 'sport', offset: 12, size: 2, type: '__be16' },
      { name: 'dport', offset: 14, size: 2, type: '__be16' },
      { name: 'ipv4_src', offset: 16, size: 4, type: '__be32' },
      { name: 'ipv4_dst', offset: 20, size: 4, type: '__be32' },
      { name: 'ipv6_src', offset: 16, size: 16, type: '__u32', count: 4 },
      { name: 'ipv6_dst', offset: 32, size: 16, type: '__u32', count: 4 },
      { name: 'flags', offset: 48, size: 4, type: '__u32' },
      { name: 'flow_label', offset: 52, size: 4, type: '__be32' },
    ],
  },
  bpf_perf_event_data: {
    // regs is the architecture's pt_regs (bpf_user_pt_regs_t), as on x86_64.
    size: 184,
    fields: [
      { name: 'regs', offset: 0, size: 168, type: 'bpf_user_pt_regs_t' },
      { name: 'sample_period', offset: 168, size: 8, type: '__u64' },
      { name: 'addr', offset: 176, size: 8, type: '__u64' },
    ],
  },
  pt_regs: {
    // x86_64's layout (arch/x86/include/asm/ptrace.h); other architectures differ.
    size: 168,
    fields: [
      { name: 'r15', offset: 0, size: 8, type: 'long unsigned int' },
      { name: 'r14', offset: 8, size: 8, type: 'long unsigned int' },
      { name: 'r13', offset: 16, size: 8, type: 'long unsigned int' },
      { name: 'r12', offset: 24, size: 8, type: 'long unsigned int' },
      { name: 'bp', offset: 32, size: 8, type: 'long unsigned int' },
      { name: 'bx', offset: 40, size: 8, type: 'long unsigned int' },
      { name: 'r11', offset: 48, size: 8, type: 'long unsigned int' },
      { name: 'r10', offset: 56, size: 8, type: 'long unsigned int' },
      { name: 'r9', offset: 64, size: 8, type: 'long unsigned int' },
      { name: 'r8', offset: 72, size: 8, type: 'long unsigned int' },
      { name: 'ax', offset: 80, size: 8, type: 'long unsigned int' },
      { name: 'cx', offset: 88, size: 8, type: 'long unsigned int' },
      { name: 'dx', offset: 96, size: 8, type: 'long unsigned int' },
      { name: 'si', offset: 104, size: 8, type: 'long unsigned int' },
      { name: 'di', offset: 112, size: 8, type: 'long unsigned int' },
      { name: 'orig_ax', offset: 120, size: 8, type: 'long unsigned int' },
      { name: 'ip', offset: 128, size: 8, type: 'long unsigned int' },
      { name: 'cs', offset: 136, size: 2, type: 'u16' },
      { name: 'flags', offset: 144, size: 8, type: 'long unsigned int' },
      { name: 'sp', offset: 152, size: 8, type: 'long unsigned int' },
      { name: 'ss', offset: 160, size: 2, type: 'u16' },
    ],
  },
  bpf_tcp_sock: {
    // Not a context: what a PTR_TO_TCP_SOCK points to (bpf_tcp_sock() helper).
    size: 112,
    fields: [
      { name: 'snd_cwnd', offset: 0, size: 4, type: '__u32' },
      { name: 'srtt_us', offset: 4, size: 4, type: '__u32' },
      { name: 'rtt_min', offset: 8, size: 4, type: '__u32' },
      { name: 'snd_ssthresh', offset: 12, size: 4, type: '__u32' },
      { name: 'rcv_nxt', offset: 16, size: 4, type: '__u32' },
      { name: 'snd_nxt', offset: 20, size: 4, type: '__u32' },
      { name: 'snd_una', offset: 24, size: 4, type: '__u32' },
      { name: 'mss_cache', offset: 28, size: 4, type: '__u32' },
      { name: 'ecn_flags', offset: 32, size: 4, type: '__u32' },
      { name: 'rate_delivered', offset: 36, size: 4, type: '__u32' },
      { name: 'rate_interval_us', offset: 40, size: 4, type: '__u32' },
      { name: 'packets_out', offset: 44, size: 4, type: '__u32' },
      { name: 'retrans_out', offset: 48, size: 4, type: '__u32' },
      { name: 'total_retrans', offset: 52, size: 4, type: '__u32' },
      { name: 'segs_in', offset: 56, size: 4, type: '__u32' },
      { name: 'data_segs_in', offset: 60, size: 4, type: '__u32' },
      { name: 'segs_out', offset: 64, size: 4, type: '__u32' },
      { name: 'data_segs_out', offset: 68, size: 4, type: '__u32' },
      { name: 'lost_out', offset: 72, size: 4, type: '__u32' },
      { name: 'sacked_out', offset: 76, size: 4, type: '__u32' },
      { name: 'bytes_received', offset: 80, size: 8, type: '__u64' },
      { name: 'bytes_acked', offset: 88, size: 8, type: '__u64' },
      { name: 'dsack_dups', offset: 96, size: 4, type: '__u32' },
      { name: 'delivered', offset: 100, size: 4, type: '__u32' },
      { name: 'delivered_ce', offset: 104, size: 4, type: '__u32' },
      { name: 'icsk_retransmits', offset: 108, size: 4, type: '__u32' },
    ],
  },
  bpf_xdp_sock: {
    // Not a context: what a PTR_TO_XDP_SOCK points to (an xskmap lookup).
    size: 4,
    fields: [
      { name: 'queue_id', offset: 0, size: 4, type: '__u32' },
    ],
  },
  bpf_raw_tracepoint_args: {
    // A flexible array: the tracepoint's arguments as u64s, up to 12 (MAX_BPF_FUNC_ARGS).
    size: 0,
    fields: [
      { name: 'args', offset: 0, size: 0, type: '__u64', count: 0 },
    ],
  },
  bpf_nf_ctx: {
    // Not uapi: include/net/netfilter/nf_bpf_link.h; both fields are BTF pointers.
    size: 16,
    fields: [
      { name: 'state', offset: 0, size: 8, type: 'struct nf_hook_state *' },
      { name: 'skb', offset: 8, size: 8, type: 'struct sk_buff *' },
    ],
  },
} as const satisfies Record<string, StructLayout>;
/** A structure with a layout here (`__sk_buff`, `xdp_md`, `bpf_sock`, ...). */
export type StructName = keyof typeof structLayouts;

/** The member `field` of `struct`, or undefined. */
export function contextField(struct: StructName, field: string): StructField | undefined {
  return (structLayouts[struct] as StructLayout).fields.find((f) => f.name === field);
}

/**
 * The members of `struct` that cover byte `offset`: several for a union. An array member covers all its elements.
 *
 * @example
 * ```ts
 * fieldsAt('__sk_buff', 56).map((f) => f.name); // ['cb']
 * ```
 */
export function fieldsAt(struct: StructName, offset: number): StructField[] {
  return (structLayouts[struct] as StructLayout).fields.filter((f) => offset >= f.offset && offset < f.offset + f.size);
}

/**
 * Linux's eBPF helper functions as data: every helper id of `___BPF_FUNC_MAPPER` (include/uapi/linux/bpf.h) with
 * its name, and for each the prototypes (`struct bpf_func_proto`) the kernel hands the verifier. One helper id can
 * have several prototypes: the program type's `get_func_proto` decides which one a program gets
 * (`bpf_skb_event_output_proto` for tc, `bpf_perf_event_output_proto` for kprobes); program-types.ts says which.
 *
 * Facts are from Linux 6.18 and the development tree that followed it (kernel/bpf/helpers.c, net/core/filter.c,
 * kernel/trace/bpf_trace.c, kernel/bpf/{ringbuf,stackmap,cgroup,bpf_lsm,...}.c); each prototype names the kernel
 * variable it mirrors, so `grep -rn bpf_skb_load_bytes_proto` in a kernel tree finds it.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * const h = helperByName('ringbuf_reserve')!;
 * h.id; // 131
 * h.variants[0]!.ret; // 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
 * describeArgs(h.variants[0]!)[1]!.allocSize; // true: r2 is the size of the memory returned
 * ```
 * @module
 */
import { decodeArgType, decodeRetType, type ArgBaseTypeName, type ArgType, type RetType, type TypeFlagName } from './arg-types.ts';

/**
 * Helper names by id, in the order of `___BPF_FUNC_MAPPER`: `helperNames[id]`. The C function is `bpf_` + name
 * (`bpf_map_lookup_elem`); id 0 (`unspec`) is no helper.
 */
export const helperNames = [
  'unspec', // 0
  'map_lookup_elem', // 1
  'map_update_elem', // 2
  'map_delete_elem', // 3
  'probe_read', // 4
  'ktime_get_ns', // 5
  'trace_printk', // 6
  'get_prandom_u32', // 7
  'get_smp_processor_id', // 8
  'skb_store_bytes', // 9
  'l3_csum_replace', // 10
  'l4_csum_replace', // 11
  'tail_call', // 12
  'clone_redirect', // 13
  'get_current_pid_tgid', // 14
  'get_current_uid_gid', // 15
  'get_current_comm', // 16
  'get_cgroup_classid', // 17
  'skb_vlan_push', // 18
  'skb_vlan_pop', // 19
  'skb_get_tunnel_key', // 20
  'skb_set_tunnel_key', // 21
  'perf_event_read', // 22
  'redirect', // 23
  'get_route_realm', // 24
  'perf_event_output', // 25
  'skb_load_bytes', // 26
  'get_stackid', // 27
  'csum_diff', // 28
  'skb_get_tunnel_opt', // 29
  'skb_set_tunnel_opt', // 30
  'skb_change_proto', // 31
  'skb_change_type', // 32
  'skb_under_cgroup', // 33
  'get_hash_recalc', // 34
  'get_current_task', // 35
  'probe_write_user', // 36
  'current_task_under_cgroup', // 37
  'skb_change_tail', // 38
  'skb_pull_data', // 39
  'csum_update', // 40
  'set_hash_invalid', // 41
  'get_numa_node_id', // 42
  'skb_change_head', // 43
  'xdp_adjust_head', // 44
  'probe_read_str', // 45
  'get_socket_cookie', // 46
  'get_socket_uid', // 47
  'set_hash', // 48
  'setsockopt', // 49
  'skb_adjust_room', // 50
  'redirect_map', // 51
  'sk_redirect_map', // 52
  'sock_map_update', // 53
  'xdp_adjust_meta', // 54
  'perf_event_read_value', // 55
  'perf_prog_read_value', // 56
  'getsockopt', // 57
  'override_return', // 58
  'sock_ops_cb_flags_set', // 59
  'msg_redirect_map', // 60
  'msg_apply_bytes', // 61
  'msg_cork_bytes', // 62
  'msg_pull_data', // 63
  'bind', // 64
  'xdp_adjust_tail', // 65
  'skb_get_xfrm_state', // 66
  'get_stack', // 67
  'skb_load_bytes_relative', // 68
  'fib_lookup', // 69
  'sock_hash_update', // 70
  'msg_redirect_hash', // 71
  'sk_redirect_hash', // 72
  'lwt_push_encap', // 73
  'lwt_seg6_store_bytes', // 74
  'lwt_seg6_adjust_srh', // 75
  'lwt_seg6_action', // 76
  'rc_repeat', // 77
  'rc_keydown', // 78
  'skb_cgroup_id', // 79
  'get_current_cgroup_id', // 80
  'get_local_storage', // 81
  'sk_select_reuseport', // 82
  'skb_ancestor_cgroup_id', // 83
  'sk_lookup_tcp', // 84
  'sk_lookup_udp', // 85
  'sk_release', // 86
  'map_push_elem', // 87
  'map_pop_elem', // 88
  'map_peek_elem', // 89
  'msg_push_data', // 90
  'msg_pop_data', // 91
  'rc_pointer_rel', // 92
  'spin_lock', // 93
  'spin_unlock', // 94
  'sk_fullsock', // 95
  'tcp_sock', // 96
  'skb_ecn_set_ce', // 97
  'get_listener_sock', // 98
  'skc_lookup_tcp', // 99
  'tcp_check_syncookie', // 100
  'sysctl_get_name', // 101
  'sysctl_get_current_value', // 102
  'sysctl_get_new_value', // 103
  'sysctl_set_new_value', // 104
  'strtol', // 105
  'strtoul', // 106
  'sk_storage_get', // 107
  'sk_storage_delete', // 108
  'send_signal', // 109
  'tcp_gen_syncookie', // 110
  'skb_output', // 111
  'probe_read_user', // 112
  'probe_read_kernel', // 113
  'probe_read_user_str', // 114
  'probe_read_kernel_str', // 115
  'tcp_send_ack', // 116
  'send_signal_thread', // 117
  'jiffies64', // 118
  'read_branch_records', // 119
  'get_ns_current_pid_tgid', // 120
  'xdp_output', // 121
  'get_netns_cookie', // 122
  'get_current_ancestor_cgroup_id', // 123
  'sk_assign', // 124
  'ktime_get_boot_ns', // 125
  'seq_printf', // 126
  'seq_write', // 127
  'sk_cgroup_id', // 128
  'sk_ancestor_cgroup_id', // 129
  'ringbuf_output', // 130
  'ringbuf_reserve', // 131
  'ringbuf_submit', // 132
  'ringbuf_discard', // 133
  'ringbuf_query', // 134
  'csum_level', // 135
  'skc_to_tcp6_sock', // 136
  'skc_to_tcp_sock', // 137
  'skc_to_tcp_timewait_sock', // 138
  'skc_to_tcp_request_sock', // 139
  'skc_to_udp6_sock', // 140
  'get_task_stack', // 141
  'load_hdr_opt', // 142
  'store_hdr_opt', // 143
  'reserve_hdr_opt', // 144
  'inode_storage_get', // 145
  'inode_storage_delete', // 146
  'd_path', // 147
  'copy_from_user', // 148
  'snprintf_btf', // 149
  'seq_printf_btf', // 150
  'skb_cgroup_classid', // 151
  'redirect_neigh', // 152
  'per_cpu_ptr', // 153
  'this_cpu_ptr', // 154
  'redirect_peer', // 155
  'task_storage_get', // 156
  'task_storage_delete', // 157
  'get_current_task_btf', // 158
  'bprm_opts_set', // 159
  'ktime_get_coarse_ns', // 160
  'ima_inode_hash', // 161
  'sock_from_file', // 162
  'check_mtu', // 163
  'for_each_map_elem', // 164
  'snprintf', // 165
  'sys_bpf', // 166
  'btf_find_by_name_kind', // 167
  'sys_close', // 168
  'timer_init', // 169
  'timer_set_callback', // 170
  'timer_start', // 171
  'timer_cancel', // 172
  'get_func_ip', // 173
  'get_attach_cookie', // 174
  'task_pt_regs', // 175
  'get_branch_snapshot', // 176
  'trace_vprintk', // 177
  'skc_to_unix_sock', // 178
  'kallsyms_lookup_name', // 179
  'find_vma', // 180
  'loop', // 181
  'strncmp', // 182
  'get_func_arg', // 183
  'get_func_ret', // 184
  'get_func_arg_cnt', // 185
  'get_retval', // 186
  'set_retval', // 187
  'xdp_get_buff_len', // 188
  'xdp_load_bytes', // 189
  'xdp_store_bytes', // 190
  'copy_from_user_task', // 191
  'skb_set_tstamp', // 192
  'ima_file_hash', // 193
  'kptr_xchg', // 194
  'map_lookup_percpu_elem', // 195
  'skc_to_mptcp_sock', // 196
  'dynptr_from_mem', // 197
  'ringbuf_reserve_dynptr', // 198
  'ringbuf_submit_dynptr', // 199
  'ringbuf_discard_dynptr', // 200
  'dynptr_read', // 201
  'dynptr_write', // 202
  'dynptr_data', // 203
  'tcp_raw_gen_syncookie_ipv4', // 204
  'tcp_raw_gen_syncookie_ipv6', // 205
  'tcp_raw_check_syncookie_ipv4', // 206
  'tcp_raw_check_syncookie_ipv6', // 207
  'ktime_get_tai_ns', // 208
  'user_ringbuf_drain', // 209
  'cgrp_storage_get', // 210
  'cgrp_storage_delete', // 211
] as const;
/** A helper's name, without the `bpf_` prefix. */
export type HelperName = (typeof helperNames)[number];

/** The file of the kernel tree a prototype is defined in (its last path component). */
export type KernelSource =
  | 'helpers.c'
  | 'filter.c'
  | 'bpf_trace.c'
  | 'core.c'
  | 'ringbuf.c'
  | 'stackmap.c'
  | 'cgroup.c'
  | 'bpf_lsm.c'
  | 'bpf_iter.c'
  | 'task_iter.c'
  | 'syscall.c'
  | 'btf.c'
  | 'bpf_inode_storage.c'
  | 'bpf_task_storage.c'
  | 'bpf_cgrp_storage.c'
  | 'bpf_sk_storage.c'
  | 'sock_map.c'
  | 'bpf_tcp_ca.c'
  | 'bpf-lirc.c';

/**
 * One `struct bpf_func_proto`: what the verifier checks a call against.
 *
 * `args[i]` is the type of register `r(i+1)`; a prototype lists no more arguments than it declares (missing ones
 * are ARG_DONTCARE: the verifier does not look at them).
 */
export interface HelperPrototype {
  /** The helper id (`imm` of the call instruction). */
  readonly id: number;
  /** The helper's name, without `bpf_`. */
  readonly name: HelperName;
  /** The kernel's variable (`bpf_map_lookup_elem_proto`), unique across prototypes. */
  readonly proto: string;
  /** What r0 holds after the call. */
  readonly ret: RetType;
  /** Argument types of r1..r5, in order. */
  readonly args: readonly ArgType[];
  /** Only GPL-compatible programs may call it (`gpl_only`). */
  readonly gplOnly?: true;
  /** It accepts pointers into the packet where its arguments take memory (`pkt_access`). */
  readonly pktAccess?: true;
  /** It may sleep: only sleepable programs may call it (`might_sleep`). */
  readonly mightSleep?: true;
  /** The verifier may keep caller-saved registers live across it (`allow_fastcall`). */
  readonly allowFastcall?: true;
  /** BTF struct names for ARG_PTR_TO_BTF_ID arguments, by argument number (1-based); `(dynamic)` when the map or kptr decides. */
  readonly argBtf?: Readonly<Partial<Record<1 | 2 | 3 | 4 | 5, string>>>;
  /** Sizes in bytes of MEM_FIXED_SIZE arguments, by argument number (1-based): `argN_size`. */
  readonly argSize?: Readonly<Partial<Record<1 | 2 | 3 | 4 | 5, number>>>;
  /** The BTF struct a RET_PTR_TO_BTF_ID* return points to; `(dynamic)` when the argument decides. */
  readonly retBtf?: string;
  /** The kernel's `allowed` callback, which refuses the helper to some attach points (e.g. `bpf_d_path_allowed`). */
  readonly allowed?: string;
  /** The kernel file that defines the prototype. */
  readonly source: KernelSource;
}

type PrototypeRow = Omit<HelperPrototype, 'id'>;

// One row per `struct bpf_func_proto`, grouped by helper id; the first row of a helper is its usual prototype.
// Rows are copied field by field from the kernel's initializers (absent fields are the zero value: false, ARG_DONTCARE).
const prototypeRows: readonly PrototypeRow[] = [
  { name: 'map_lookup_elem', proto: 'bpf_map_lookup_elem_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], pktAccess: true, source: 'helpers.c' },
  { name: 'map_update_elem', proto: 'bpf_map_update_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'], pktAccess: true, source: 'helpers.c' },
  { name: 'map_delete_elem', proto: 'bpf_map_delete_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY'], pktAccess: true, source: 'helpers.c' },
  { name: 'probe_read', proto: 'bpf_probe_read_compat_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'ktime_get_ns', proto: 'bpf_ktime_get_ns_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'trace_printk', proto: 'bpf_trace_printk_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_prandom_u32', proto: 'bpf_get_prandom_u32_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'get_smp_processor_id', proto: 'bpf_get_smp_processor_id_proto', ret: 'RET_INTEGER', args: [], allowFastcall: true, source: 'helpers.c' },
  { name: 'get_smp_processor_id', proto: 'bpf_get_raw_smp_processor_id_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'skb_store_bytes', proto: 'bpf_skb_store_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'l3_csum_replace', proto: 'bpf_l3_csum_replace_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'l4_csum_replace', proto: 'bpf_l4_csum_replace_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'tail_call', proto: 'bpf_tail_call_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'core.c' },
  { name: 'clone_redirect', proto: 'bpf_clone_redirect_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'get_current_pid_tgid', proto: 'bpf_get_current_pid_tgid_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'get_current_uid_gid', proto: 'bpf_get_current_uid_gid_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'get_current_comm', proto: 'bpf_get_current_comm_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'helpers.c' },
  { name: 'get_cgroup_classid', proto: 'bpf_get_cgroup_classid_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_cgroup_classid', proto: 'bpf_get_cgroup_classid_curr_proto', ret: 'RET_INTEGER', args: [], source: 'filter.c' },
  { name: 'skb_vlan_push', proto: 'bpf_skb_vlan_push_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_vlan_pop', proto: 'bpf_skb_vlan_pop_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'skb_get_tunnel_key', proto: 'bpf_skb_get_tunnel_key_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_set_tunnel_key', proto: 'bpf_skb_set_tunnel_key_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'perf_event_read', proto: 'bpf_perf_event_read_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'redirect', proto: 'bpf_redirect_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'redirect', proto: 'bpf_xdp_redirect_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'get_route_realm', proto: 'bpf_get_route_realm_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'perf_event_output', proto: 'bpf_perf_event_output_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'perf_event_output', proto: 'bpf_event_output_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'helpers.c' },
  { name: 'perf_event_output', proto: 'bpf_perf_event_output_proto_raw_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'perf_event_output', proto: 'bpf_perf_event_output_proto_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'perf_event_output', proto: 'bpf_skb_event_output_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'filter.c' },
  { name: 'perf_event_output', proto: 'bpf_xdp_event_output_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'filter.c' },
  { name: 'skb_load_bytes', proto: 'bpf_skb_load_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'skb_load_bytes', proto: 'bpf_flow_dissector_load_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'skb_load_bytes', proto: 'sk_reuseport_load_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'get_stackid', proto: 'bpf_get_stackid_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], gplOnly: true, source: 'stackmap.c' },
  { name: 'get_stackid', proto: 'bpf_get_stackid_proto_pe', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'stackmap.c' },
  { name: 'get_stackid', proto: 'bpf_get_stackid_proto_raw_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_stackid', proto: 'bpf_get_stackid_proto_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'csum_diff', proto: 'bpf_csum_diff_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'skb_get_tunnel_opt', proto: 'bpf_skb_get_tunnel_opt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'skb_set_tunnel_opt', proto: 'bpf_skb_set_tunnel_opt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'skb_change_proto', proto: 'bpf_skb_change_proto_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_change_type', proto: 'bpf_skb_change_type_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_under_cgroup', proto: 'bpf_skb_under_cgroup_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'get_hash_recalc', proto: 'bpf_get_hash_recalc_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_current_task', proto: 'bpf_get_current_task_proto', ret: 'RET_INTEGER', args: [], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'probe_write_user', proto: 'bpf_probe_write_user_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'current_task_under_cgroup', proto: 'bpf_current_task_under_cgroup_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'helpers.c' },
  { name: 'skb_change_tail', proto: 'bpf_skb_change_tail_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_change_tail', proto: 'sk_skb_change_tail_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_pull_data', proto: 'bpf_skb_pull_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_pull_data', proto: 'sk_skb_pull_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'csum_update', proto: 'bpf_csum_update_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'set_hash_invalid', proto: 'bpf_set_hash_invalid_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_numa_node_id', proto: 'bpf_get_numa_node_id_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'skb_change_head', proto: 'bpf_skb_change_head_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_change_head', proto: 'sk_skb_change_head_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'xdp_adjust_head', proto: 'bpf_xdp_adjust_head_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'probe_read_str', proto: 'bpf_probe_read_compat_str_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_addr_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_ops_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_socket_cookie', proto: 'bpf_get_socket_ptr_cookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON | PTR_MAYBE_NULL'], source: 'filter.c' },
  { name: 'get_socket_uid', proto: 'bpf_get_socket_uid_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'set_hash', proto: 'bpf_set_hash_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'setsockopt', proto: 'bpf_sk_setsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'setsockopt', proto: 'bpf_sock_addr_setsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'setsockopt', proto: 'bpf_sock_ops_setsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'setsockopt', proto: 'bpf_unlocked_sk_setsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'skb_adjust_room', proto: 'bpf_skb_adjust_room_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_adjust_room', proto: 'sk_skb_adjust_room_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'redirect_map', proto: 'bpf_xdp_redirect_map_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'sk_redirect_map', proto: 'bpf_sk_redirect_map_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'sock_map.c' },
  { name: 'sock_map_update', proto: 'bpf_sock_map_update_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], pktAccess: true, source: 'sock_map.c' },
  { name: 'xdp_adjust_meta', proto: 'bpf_xdp_adjust_meta_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'perf_event_read_value', proto: 'bpf_perf_event_read_value_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'perf_prog_read_value', proto: 'bpf_perf_prog_read_value_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'getsockopt', proto: 'bpf_sk_getsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'getsockopt', proto: 'bpf_sock_addr_getsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'getsockopt', proto: 'bpf_sock_ops_getsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'getsockopt', proto: 'bpf_unlocked_sk_getsockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'override_return', proto: 'bpf_override_return_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'sock_ops_cb_flags_set', proto: 'bpf_sock_ops_cb_flags_set_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'msg_redirect_map', proto: 'bpf_msg_redirect_map_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'sock_map.c' },
  { name: 'msg_apply_bytes', proto: 'bpf_msg_apply_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'msg_cork_bytes', proto: 'bpf_msg_cork_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'msg_pull_data', proto: 'bpf_msg_pull_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'bind', proto: 'bpf_bind_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'xdp_adjust_tail', proto: 'bpf_xdp_adjust_tail_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_get_xfrm_state', proto: 'bpf_skb_get_xfrm_state_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'get_stack', proto: 'bpf_get_stack_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'stackmap.c' },
  { name: 'get_stack', proto: 'bpf_get_stack_proto_pe', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'stackmap.c' },
  { name: 'get_stack', proto: 'bpf_get_stack_proto_raw_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_stack', proto: 'bpf_get_stack_proto_tp', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_stack', proto: 'bpf_get_stack_sleepable_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'stackmap.c' },
  { name: 'skb_load_bytes_relative', proto: 'bpf_skb_load_bytes_relative_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_load_bytes_relative', proto: 'sk_reuseport_load_bytes_relative_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'fib_lookup', proto: 'bpf_skb_fib_lookup_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], gplOnly: true, source: 'filter.c' },
  { name: 'fib_lookup', proto: 'bpf_xdp_fib_lookup_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], gplOnly: true, source: 'filter.c' },
  { name: 'sock_hash_update', proto: 'bpf_sock_hash_update_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], pktAccess: true, source: 'sock_map.c' },
  { name: 'msg_redirect_hash', proto: 'bpf_msg_redirect_hash_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], source: 'sock_map.c' },
  { name: 'sk_redirect_hash', proto: 'bpf_sk_redirect_hash_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], source: 'sock_map.c' },
  { name: 'lwt_push_encap', proto: 'bpf_lwt_in_push_encap_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'lwt_push_encap', proto: 'bpf_lwt_xmit_push_encap_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'lwt_seg6_store_bytes', proto: 'bpf_lwt_seg6_store_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'lwt_seg6_adjust_srh', proto: 'bpf_lwt_seg6_adjust_srh_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'lwt_seg6_action', proto: 'bpf_lwt_seg6_action_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'rc_repeat', proto: 'rc_repeat_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], gplOnly: true, source: 'bpf-lirc.c' },
  { name: 'rc_keydown', proto: 'rc_keydown_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf-lirc.c' },
  { name: 'skb_cgroup_id', proto: 'bpf_skb_cgroup_id_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_current_cgroup_id', proto: 'bpf_get_current_cgroup_id_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'get_local_storage', proto: 'bpf_get_local_storage_proto', ret: 'RET_PTR_TO_MAP_VALUE', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'cgroup.c' },
  { name: 'sk_select_reuseport', proto: 'sk_select_reuseport_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skb_ancestor_cgroup_id', proto: 'bpf_skb_ancestor_cgroup_id_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'sk_lookup_tcp', proto: 'bpf_sk_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_lookup_tcp', proto: 'bpf_sock_addr_sk_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'sk_lookup_tcp', proto: 'bpf_tc_sk_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_lookup_tcp', proto: 'bpf_xdp_sk_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_lookup_udp', proto: 'bpf_sk_lookup_udp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_lookup_udp', proto: 'bpf_sock_addr_sk_lookup_udp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'sk_lookup_udp', proto: 'bpf_tc_sk_lookup_udp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_lookup_udp', proto: 'bpf_xdp_sk_lookup_udp_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'sk_release', proto: 'bpf_sk_release_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE'], source: 'filter.c' },
  { name: 'map_push_elem', proto: 'bpf_map_push_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE', 'ARG_ANYTHING'], pktAccess: true, source: 'helpers.c' },
  { name: 'map_pop_elem', proto: 'bpf_map_pop_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'], source: 'helpers.c' },
  { name: 'map_peek_elem', proto: 'bpf_map_peek_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE'], source: 'helpers.c' },
  { name: 'msg_push_data', proto: 'bpf_msg_push_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'msg_pop_data', proto: 'bpf_msg_pop_data_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'rc_pointer_rel', proto: 'rc_pointer_rel_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf-lirc.c' },
  { name: 'spin_lock', proto: 'bpf_spin_lock_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'], argBtf: { 1: '(dynamic)' }, source: 'helpers.c' },
  { name: 'spin_unlock', proto: 'bpf_spin_unlock_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_SPIN_LOCK'], argBtf: { 1: '(dynamic)' }, source: 'helpers.c' },
  { name: 'sk_fullsock', proto: 'bpf_sk_fullsock_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_SOCK_COMMON'], source: 'filter.c' },
  { name: 'tcp_sock', proto: 'bpf_tcp_sock_proto', ret: 'RET_PTR_TO_TCP_SOCK_OR_NULL', args: ['ARG_PTR_TO_SOCK_COMMON'], source: 'filter.c' },
  { name: 'skb_ecn_set_ce', proto: 'bpf_skb_ecn_set_ce_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'get_listener_sock', proto: 'bpf_get_listener_sock_proto', ret: 'RET_PTR_TO_SOCKET_OR_NULL', args: ['ARG_PTR_TO_SOCK_COMMON'], source: 'filter.c' },
  { name: 'skc_lookup_tcp', proto: 'bpf_skc_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'skc_lookup_tcp', proto: 'bpf_sock_addr_skc_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skc_lookup_tcp', proto: 'bpf_tc_skc_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'skc_lookup_tcp', proto: 'bpf_xdp_skc_lookup_tcp_proto', ret: 'RET_PTR_TO_SOCK_COMMON_OR_NULL', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_ANYTHING'], pktAccess: true, source: 'filter.c' },
  { name: 'tcp_check_syncookie', proto: 'bpf_tcp_check_syncookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], gplOnly: true, pktAccess: true, source: 'filter.c' },
  { name: 'sysctl_get_name', proto: 'bpf_sysctl_get_name_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'cgroup.c' },
  { name: 'sysctl_get_current_value', proto: 'bpf_sysctl_get_current_value_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'cgroup.c' },
  { name: 'sysctl_get_new_value', proto: 'bpf_sysctl_get_new_value_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'cgroup.c' },
  { name: 'sysctl_set_new_value', proto: 'bpf_sysctl_set_new_value_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'cgroup.c' },
  { name: 'strtol', proto: 'bpf_strtol_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'], argSize: { 4: 8 }, source: 'helpers.c' },
  { name: 'strtoul', proto: 'bpf_strtoul_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'], argSize: { 4: 8 }, source: 'helpers.c' },
  { name: 'sk_storage_get', proto: 'bpf_sk_storage_get_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], source: 'bpf_sk_storage.c' },
  { name: 'sk_storage_get', proto: 'bpf_sk_storage_get_cg_sock_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_CTX', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], source: 'bpf_sk_storage.c' },
  { name: 'sk_storage_get', proto: 'bpf_sk_storage_get_tracing_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], argBtf: { 2: 'sock_common' }, allowed: 'bpf_sk_storage_tracing_allowed', source: 'bpf_sk_storage.c' },
  { name: 'sk_storage_delete', proto: 'bpf_sk_storage_delete_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'], source: 'bpf_sk_storage.c' },
  { name: 'sk_storage_delete', proto: 'bpf_sk_storage_delete_tracing_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL'], argBtf: { 2: 'sock_common' }, allowed: 'bpf_sk_storage_tracing_allowed', source: 'bpf_sk_storage.c' },
  { name: 'send_signal', proto: 'bpf_send_signal_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING'], source: 'bpf_trace.c' },
  { name: 'tcp_gen_syncookie', proto: 'bpf_tcp_gen_syncookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], gplOnly: true, pktAccess: true, source: 'filter.c' },
  { name: 'skb_output', proto: 'bpf_skb_output_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, argBtf: { 1: 'sk_buff' }, source: 'filter.c' },
  { name: 'probe_read_user', proto: 'bpf_probe_read_user_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'probe_read_kernel', proto: 'bpf_probe_read_kernel_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'probe_read_user_str', proto: 'bpf_probe_read_user_str_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'probe_read_kernel_str', proto: 'bpf_probe_read_kernel_str_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'tcp_send_ack', proto: 'bpf_tcp_send_ack_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING'], argBtf: { 1: 'tcp_sock' }, source: 'bpf_tcp_ca.c' },
  { name: 'send_signal_thread', proto: 'bpf_send_signal_thread_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING'], source: 'bpf_trace.c' },
  { name: 'jiffies64', proto: 'bpf_jiffies64_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'read_branch_records', proto: 'bpf_read_branch_records_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_ns_current_pid_tgid', proto: 'bpf_get_ns_current_pid_tgid_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'helpers.c' },
  { name: 'xdp_output', proto: 'bpf_xdp_output_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, argBtf: { 1: 'xdp_buff' }, source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sk_msg_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_addr_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_ops_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'filter.c' },
  { name: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sockopt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX_OR_NULL'], source: 'cgroup.c' },
  { name: 'get_current_ancestor_cgroup_id', proto: 'bpf_get_current_ancestor_cgroup_id_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING'], source: 'helpers.c' },
  { name: 'sk_assign', proto: 'bpf_sk_assign_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'sk_assign', proto: 'bpf_sk_lookup_assign_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_SOCKET_OR_NULL', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'ktime_get_boot_ns', proto: 'bpf_ktime_get_boot_ns_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'seq_printf', proto: 'bpf_seq_printf_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, argBtf: { 1: 'seq_file' }, source: 'bpf_trace.c' },
  { name: 'seq_write', proto: 'bpf_seq_write_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, argBtf: { 1: 'seq_file' }, source: 'bpf_trace.c' },
  { name: 'sk_cgroup_id', proto: 'bpf_sk_cgroup_id_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], source: 'filter.c' },
  { name: 'sk_ancestor_cgroup_id', proto: 'bpf_sk_ancestor_cgroup_id_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'ringbuf_output', proto: 'bpf_ringbuf_output_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'ringbuf_reserve', proto: 'bpf_ringbuf_reserve_proto', ret: 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_CONST_ALLOC_SIZE_OR_ZERO', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'ringbuf_submit', proto: 'bpf_ringbuf_submit_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'ringbuf_discard', proto: 'bpf_ringbuf_discard_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'ringbuf_query', proto: 'bpf_ringbuf_query_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'csum_level', proto: 'bpf_csum_level_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'skc_to_tcp6_sock', proto: 'bpf_skc_to_tcp6_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'tcp6_sock', source: 'filter.c' },
  { name: 'skc_to_tcp_sock', proto: 'bpf_skc_to_tcp_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'tcp_sock', source: 'filter.c' },
  { name: 'skc_to_tcp_timewait_sock', proto: 'bpf_skc_to_tcp_timewait_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'tcp_timewait_sock', source: 'filter.c' },
  { name: 'skc_to_tcp_request_sock', proto: 'bpf_skc_to_tcp_request_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'tcp_request_sock', source: 'filter.c' },
  { name: 'skc_to_udp6_sock', proto: 'bpf_skc_to_udp6_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'udp6_sock', source: 'filter.c' },
  { name: 'get_task_stack', proto: 'bpf_get_task_stack_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], argBtf: { 1: 'task_struct' }, source: 'stackmap.c' },
  { name: 'get_task_stack', proto: 'bpf_get_task_stack_sleepable_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], argBtf: { 1: 'task_struct' }, source: 'stackmap.c' },
  { name: 'load_hdr_opt', proto: 'bpf_sock_ops_load_hdr_opt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'store_hdr_opt', proto: 'bpf_sock_ops_store_hdr_opt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'reserve_hdr_opt', proto: 'bpf_sock_ops_reserve_hdr_opt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'inode_storage_get', proto: 'bpf_inode_storage_get_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], argBtf: { 2: 'inode' }, source: 'bpf_inode_storage.c' },
  { name: 'inode_storage_delete', proto: 'bpf_inode_storage_delete_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL'], argBtf: { 2: 'inode' }, source: 'bpf_inode_storage.c' },
  { name: 'd_path', proto: 'bpf_d_path_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE_OR_ZERO'], argBtf: { 1: 'path' }, allowed: 'bpf_d_path_allowed', source: 'bpf_trace.c' },
  { name: 'copy_from_user', proto: 'bpf_copy_from_user_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], mightSleep: true, source: 'helpers.c' },
  { name: 'snprintf_btf', proto: 'bpf_snprintf_btf_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_WRITE', 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING'], source: 'bpf_trace.c' },
  { name: 'seq_printf_btf', proto: 'bpf_seq_printf_btf_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], gplOnly: true, argBtf: { 1: 'seq_file' }, source: 'bpf_trace.c' },
  { name: 'skb_cgroup_classid', proto: 'bpf_skb_cgroup_classid_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'redirect_neigh', proto: 'bpf_redirect_neigh_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'per_cpu_ptr', proto: 'bpf_per_cpu_ptr_proto', ret: 'RET_PTR_TO_MEM_OR_BTF_ID | PTR_MAYBE_NULL | MEM_RDONLY', args: ['ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_ANYTHING'], source: 'helpers.c' },
  { name: 'this_cpu_ptr', proto: 'bpf_this_cpu_ptr_proto', ret: 'RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY', args: ['ARG_PTR_TO_PERCPU_BTF_ID'], source: 'helpers.c' },
  { name: 'redirect_peer', proto: 'bpf_redirect_peer_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'task_storage_get', proto: 'bpf_task_storage_get_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], argBtf: { 2: 'task_struct' }, source: 'bpf_task_storage.c' },
  { name: 'task_storage_delete', proto: 'bpf_task_storage_delete_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL'], argBtf: { 2: 'task_struct' }, source: 'bpf_task_storage.c' },
  { name: 'get_current_task_btf', proto: 'bpf_get_current_task_btf_proto', ret: 'RET_PTR_TO_BTF_ID_TRUSTED', args: [], gplOnly: true, retBtf: 'task_struct', source: 'bpf_trace.c' },
  { name: 'bprm_opts_set', proto: 'bpf_bprm_opts_set_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING'], argBtf: { 1: 'linux_binprm' }, source: 'bpf_lsm.c' },
  { name: 'ktime_get_coarse_ns', proto: 'bpf_ktime_get_coarse_ns_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'ima_inode_hash', proto: 'bpf_ima_inode_hash_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], mightSleep: true, argBtf: { 1: 'inode' }, allowed: 'bpf_ima_inode_hash_allowed', source: 'bpf_lsm.c' },
  { name: 'sock_from_file', proto: 'bpf_sock_from_file_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID'], argBtf: { 1: 'file' }, retBtf: 'socket', source: 'filter.c' },
  { name: 'check_mtu', proto: 'bpf_skb_check_mtu_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true, argSize: { 3: 4 }, source: 'filter.c' },
  { name: 'check_mtu', proto: 'bpf_xdp_check_mtu_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true, argSize: { 3: 4 }, source: 'filter.c' },
  { name: 'for_each_map_elem', proto: 'bpf_for_each_map_elem_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], source: 'bpf_iter.c' },
  { name: 'snprintf', proto: 'bpf_snprintf_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_CONST_STR', 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'helpers.c' },
  { name: 'sys_bpf', proto: 'bpf_sys_bpf_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'syscall.c' },
  { name: 'btf_find_by_name_kind', proto: 'bpf_btf_find_by_name_kind_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'btf.c' },
  { name: 'sys_close', proto: 'bpf_sys_close_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING'], source: 'syscall.c' },
  { name: 'timer_init', proto: 'bpf_timer_init_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_TIMER', 'ARG_CONST_MAP_PTR', 'ARG_ANYTHING'], gplOnly: true, source: 'helpers.c' },
  { name: 'timer_set_callback', proto: 'bpf_timer_set_callback_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_TIMER', 'ARG_PTR_TO_FUNC'], gplOnly: true, source: 'helpers.c' },
  { name: 'timer_start', proto: 'bpf_timer_start_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_TIMER', 'ARG_ANYTHING', 'ARG_ANYTHING'], gplOnly: true, source: 'helpers.c' },
  { name: 'timer_cancel', proto: 'bpf_timer_cancel_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_TIMER'], gplOnly: true, source: 'helpers.c' },
  { name: 'get_func_ip', proto: 'bpf_get_func_ip_proto_kprobe', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_func_ip', proto: 'bpf_get_func_ip_proto_kprobe_multi', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_func_ip', proto: 'bpf_get_func_ip_proto_tracing', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'get_func_ip', proto: 'bpf_get_func_ip_proto_uprobe_multi', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_lsm.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_kmulti', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_pe', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_trace', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_tracing', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_umulti', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'task_pt_regs', proto: 'bpf_task_pt_regs_proto', ret: 'RET_PTR_TO_BTF_ID', args: ['ARG_PTR_TO_BTF_ID'], gplOnly: true, argBtf: { 1: 'task_struct' }, retBtf: 'pt_regs', source: 'bpf_trace.c' },
  { name: 'get_branch_snapshot', proto: 'bpf_get_branch_snapshot_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'trace_vprintk', proto: 'bpf_trace_vprintk_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, source: 'bpf_trace.c' },
  { name: 'skc_to_unix_sock', proto: 'bpf_skc_to_unix_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_BTF_ID_SOCK_COMMON'], retBtf: 'unix_sock', source: 'filter.c' },
  { name: 'kallsyms_lookup_name', proto: 'bpf_kallsyms_lookup_name_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'], argSize: { 4: 8 }, source: 'syscall.c' },
  { name: 'find_vma', proto: 'bpf_find_vma_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], argBtf: { 1: 'task_struct' }, source: 'task_iter.c' },
  { name: 'loop', proto: 'bpf_loop_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], source: 'bpf_iter.c' },
  { name: 'strncmp', proto: 'bpf_strncmp_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE', 'ARG_PTR_TO_CONST_STR'], source: 'helpers.c' },
  { name: 'get_func_arg', proto: 'bpf_get_func_arg_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'], argSize: { 3: 8 }, source: 'bpf_trace.c' },
  { name: 'get_func_ret', proto: 'bpf_get_func_ret_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED'], argSize: { 2: 8 }, source: 'bpf_trace.c' },
  { name: 'get_func_arg_cnt', proto: 'bpf_get_func_arg_cnt_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'bpf_trace.c' },
  { name: 'get_retval', proto: 'bpf_get_retval_proto', ret: 'RET_INTEGER', args: [], source: 'cgroup.c' },
  { name: 'set_retval', proto: 'bpf_set_retval_proto', ret: 'RET_INTEGER', args: ['ARG_ANYTHING'], source: 'cgroup.c' },
  { name: 'xdp_get_buff_len', proto: 'bpf_xdp_get_buff_len_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX'], source: 'filter.c' },
  { name: 'xdp_get_buff_len', proto: 'bpf_xdp_get_buff_len_trace_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID'], argBtf: { 1: 'xdp_buff' }, source: 'filter.c' },
  { name: 'xdp_load_bytes', proto: 'bpf_xdp_load_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'xdp_store_bytes', proto: 'bpf_xdp_store_bytes_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE'], source: 'filter.c' },
  { name: 'copy_from_user_task', proto: 'bpf_copy_from_user_task_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_PTR_TO_BTF_ID', 'ARG_ANYTHING'], gplOnly: true, mightSleep: true, argBtf: { 4: 'task_struct' }, source: 'helpers.c' },
  { name: 'skb_set_tstamp', proto: 'bpf_skb_set_tstamp_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_CTX', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'filter.c' },
  { name: 'ima_file_hash', proto: 'bpf_ima_file_hash_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE'], mightSleep: true, argBtf: { 1: 'file' }, allowed: 'bpf_ima_inode_hash_allowed', source: 'bpf_lsm.c' },
  { name: 'kptr_xchg', proto: 'bpf_kptr_xchg_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE'], argBtf: { 2: '(dynamic)' }, retBtf: '(dynamic)', source: 'helpers.c' },
  { name: 'map_lookup_percpu_elem', proto: 'bpf_map_lookup_percpu_elem_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY', 'ARG_ANYTHING'], pktAccess: true, source: 'helpers.c' },
  { name: 'skc_to_mptcp_sock', proto: 'bpf_skc_to_mptcp_sock_proto', ret: 'RET_PTR_TO_BTF_ID_OR_NULL', args: ['ARG_PTR_TO_SOCK_COMMON'], retBtf: 'mptcp_sock', source: 'filter.c' },
  { name: 'dynptr_from_mem', proto: 'bpf_dynptr_from_mem_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING', 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_LOCAL | MEM_UNINIT | MEM_WRITE'], source: 'helpers.c' },
  { name: 'ringbuf_reserve_dynptr', proto: 'bpf_ringbuf_reserve_dynptr_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_ANYTHING', 'ARG_ANYTHING', 'ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | MEM_UNINIT | MEM_WRITE'], source: 'ringbuf.c' },
  { name: 'ringbuf_submit_dynptr', proto: 'bpf_ringbuf_submit_dynptr_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'ringbuf_discard_dynptr', proto: 'bpf_ringbuf_discard_dynptr_proto', ret: 'RET_VOID', args: ['ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'dynptr_read', proto: 'bpf_dynptr_read_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_UNINIT_MEM', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_PTR_TO_DYNPTR | MEM_RDONLY', 'ARG_ANYTHING', 'ARG_ANYTHING'], source: 'helpers.c' },
  { name: 'dynptr_write', proto: 'bpf_dynptr_write_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_DYNPTR | MEM_RDONLY', 'ARG_ANYTHING', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO', 'ARG_ANYTHING'], source: 'helpers.c' },
  { name: 'dynptr_data', proto: 'bpf_dynptr_data_proto', ret: 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', args: ['ARG_PTR_TO_DYNPTR | MEM_RDONLY', 'ARG_ANYTHING', 'ARG_CONST_ALLOC_SIZE_OR_ZERO'], source: 'helpers.c' },
  { name: 'tcp_raw_gen_syncookie_ipv4', proto: 'bpf_tcp_raw_gen_syncookie_ipv4_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, pktAccess: true, argSize: { 1: 20 }, source: 'filter.c' },
  { name: 'tcp_raw_gen_syncookie_ipv6', proto: 'bpf_tcp_raw_gen_syncookie_ipv6_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY', 'ARG_PTR_TO_MEM | MEM_RDONLY', 'ARG_CONST_SIZE_OR_ZERO'], gplOnly: true, pktAccess: true, argSize: { 1: 40 }, source: 'filter.c' },
  { name: 'tcp_raw_check_syncookie_ipv4', proto: 'bpf_tcp_raw_check_syncookie_ipv4_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY'], gplOnly: true, pktAccess: true, argSize: { 1: 20, 2: 20 }, source: 'filter.c' },
  { name: 'tcp_raw_check_syncookie_ipv6', proto: 'bpf_tcp_raw_check_syncookie_ipv6_proto', ret: 'RET_INTEGER', args: ['ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY', 'ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY'], gplOnly: true, pktAccess: true, argSize: { 1: 40, 2: 20 }, source: 'filter.c' },
  { name: 'ktime_get_tai_ns', proto: 'bpf_ktime_get_tai_ns_proto', ret: 'RET_INTEGER', args: [], source: 'helpers.c' },
  { name: 'user_ringbuf_drain', proto: 'bpf_user_ringbuf_drain_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_FUNC', 'ARG_PTR_TO_STACK_OR_NULL', 'ARG_ANYTHING'], source: 'ringbuf.c' },
  { name: 'cgrp_storage_get', proto: 'bpf_cgrp_storage_get_proto', ret: 'RET_PTR_TO_MAP_VALUE_OR_NULL', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL', 'ARG_PTR_TO_MAP_VALUE_OR_NULL', 'ARG_ANYTHING'], argBtf: { 2: 'cgroup' }, source: 'bpf_cgrp_storage.c' },
  { name: 'cgrp_storage_delete', proto: 'bpf_cgrp_storage_delete_proto', ret: 'RET_INTEGER', args: ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_BTF_ID_OR_NULL'], argBtf: { 2: 'cgroup' }, source: 'bpf_cgrp_storage.c' },
];

/**
 * Helpers whose result holds a reference the program must release (the verifier's `is_acquire_function`):
 * a socket from a lookup, ring buffer memory, a kptr. `map_lookup_elem` acquires only on sockmap/sockhash.
 */
export const acquiringHelpers: readonly HelperName[] = ['sk_lookup_tcp', 'sk_lookup_udp', 'skc_lookup_tcp', 'ringbuf_reserve', 'kptr_xchg'];

/** Helpers that return a new view of the socket they are given (the verifier's `is_ptr_cast_function`). */
export const pointerCastHelpers: readonly HelperName[] = [
  'tcp_sock',
  'sk_fullsock',
  'skc_to_tcp_sock',
  'skc_to_tcp6_sock',
  'skc_to_udp6_sock',
  'skc_to_mptcp_sock',
  'skc_to_tcp_timewait_sock',
  'skc_to_tcp_request_sock',
];

/**
 * Helpers after which every packet pointer is invalid: they may move or resize the packet
 * (net/core/filter.c `bpf_helper_changes_pkt_data`). A tail call counts, since the callee could call any of them.
 */
export const packetChangingHelpers: readonly HelperName[] = [
  'clone_redirect',
  'l3_csum_replace',
  'l4_csum_replace',
  'lwt_push_encap',
  'lwt_seg6_action',
  'lwt_seg6_adjust_srh',
  'lwt_seg6_store_bytes',
  'msg_pop_data',
  'msg_pull_data',
  'msg_push_data',
  'skb_adjust_room',
  'skb_change_head',
  'skb_change_proto',
  'skb_change_tail',
  'skb_pull_data',
  'skb_store_bytes',
  'skb_vlan_pop',
  'skb_vlan_push',
  'store_hdr_opt',
  'xdp_adjust_head',
  'xdp_adjust_meta',
  'xdp_adjust_tail',
  'tail_call',
];

/**
 * Helpers that call a BPF function given as ARG_PTR_TO_FUNC: synchronously before they return
 * (`is_sync_callback_calling_function`) or later from a timer (`is_async_callback_calling_function`).
 */
export const callbackHelpers: Readonly<Partial<Record<HelperName, 'sync' | 'async'>>> = {
  for_each_map_elem: 'sync',
  find_vma: 'sync',
  loop: 'sync',
  user_ringbuf_drain: 'sync',
  timer_set_callback: 'async',
};

/** Helpers returning a pointer into local storage they may create (`is_storage_get_function`). */
export const storageGetHelpers: readonly HelperName[] = ['sk_storage_get', 'inode_storage_get', 'task_storage_get', 'cgrp_storage_get'];

/** Everything known about one helper id. */
export interface HelperDefinition {
  readonly id: number;
  readonly name: HelperName;
  /** Its prototypes, the usual one first; empty for id 0 (`unspec`). */
  readonly variants: readonly HelperPrototype[];
  /** Its result holds a reference to release (see {@link acquiringHelpers}). */
  readonly acquiresReference: boolean;
  /** Some prototype releases a reference it is given (an OBJ_RELEASE argument). */
  readonly releasesReference: boolean;
  /** It invalidates packet pointers (see {@link packetChangingHelpers}). */
  readonly changesPacketData: boolean;
  /** It calls back into the program (see {@link callbackHelpers}). */
  readonly callback?: 'sync' | 'async';
  /** It returns another view of the socket it is given (see {@link pointerCastHelpers}). */
  readonly castsPointer: boolean;
}

const byProto = new Map<string, HelperPrototype>();
const definitions: HelperDefinition[] = [];
{
  const variants = new Map<string, HelperPrototype[]>();
  for (const row of prototypeRows) {
    const id = helperNames.indexOf(row.name);
    const proto: HelperPrototype = { id, ...row };
    byProto.set(row.proto, proto);
    const list = variants.get(row.name) ?? [];
    list.push(proto);
    variants.set(row.name, list);
  }
  helperNames.forEach((name, id) => {
    const vs = variants.get(name) ?? [];
    const callback = callbackHelpers[name];
    definitions.push({
      id,
      name,
      variants: vs,
      acquiresReference: acquiringHelpers.includes(name),
      releasesReference: vs.some((v) => v.args.some((a) => decodeArgType(a).flags.includes('OBJ_RELEASE'))),
      changesPacketData: packetChangingHelpers.includes(name),
      ...(callback !== undefined ? { callback } : {}),
      castsPointer: pointerCastHelpers.includes(name),
    });
  });
}
const byName = new Map<string, HelperDefinition>(definitions.map((d) => [d.name, d]));

/** Every helper id, in id order (index = id). */
export const helpers: readonly HelperDefinition[] = definitions;

/** Every prototype, in table order. */
export const helperPrototypes: readonly HelperPrototype[] = [...byProto.values()];

/**
 * The helper with id `id`, or undefined for an id Linux does not define (past 211, negative, not an integer).
 *
 * @example
 * ```ts
 * helperById(1)?.name; // 'map_lookup_elem'
 * ```
 */
export function helperById(id: number): HelperDefinition | undefined {
  return Number.isInteger(id) ? definitions[id] : undefined;
}

/**
 * The helper called `name`, with or without the `bpf_` prefix, or undefined.
 *
 * @example
 * ```ts
 * helperByName('bpf_ktime_get_ns')?.id; // 5
 * ```
 */
export function helperByName(name: string): HelperDefinition | undefined {
  return byName.get(name) ?? (name.startsWith('bpf_') ? byName.get(name.slice(4)) : undefined);
}

/** The prototype the kernel names `proto` (`bpf_xdp_event_output_proto`), or undefined. */
export function helperPrototype(proto: string): HelperPrototype | undefined {
  return byProto.get(proto);
}

/** What the verifier does with one argument register, derived from its type and its neighbours. */
export interface ArgumentInfo {
  /** Argument number, 1..5 (the register r1..r5). */
  readonly arg: number;
  readonly type: ArgType;
  readonly base: ArgBaseTypeName;
  readonly flags: readonly TypeFlagName[];
  /** NULL (a scalar 0) is accepted (PTR_MAYBE_NULL). */
  readonly nullable: boolean;
  /** For memory arguments: the helper reads it (initialized memory required) or writes it (uninitialized allowed). */
  readonly access?: 'read' | 'write';
  /** For a memory argument whose size is the next argument: that argument's number. */
  readonly sizeArg?: number;
  /** For a size argument: the number of the memory argument it measures. */
  readonly sizeOf?: number;
  /** A size argument may be 0 (ARG_CONST_SIZE_OR_ZERO, ARG_CONST_ALLOC_SIZE_OR_ZERO). */
  readonly zeroSizeAllowed?: boolean;
  /** For a memory argument of fixed size (MEM_FIXED_SIZE): its size in bytes. */
  readonly fixedSize?: number;
  /** A size argument that sizes the memory the helper returns (ARG_CONST_ALLOC_SIZE_OR_ZERO, ringbuf_reserve's r2). */
  readonly allocSize?: boolean;
  /** The helper releases the reference held in this register (OBJ_RELEASE). */
  readonly releases: boolean;
  /** BTF struct name for ARG_PTR_TO_BTF_ID arguments. */
  readonly btfType?: string;
}

const memoryBases: readonly ArgBaseTypeName[] = ['ARG_PTR_TO_MEM'];
const sizeBases: readonly ArgBaseTypeName[] = ['ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO'];

/**
 * The arguments of a prototype with what the verifier infers from them: which argument is the size of which
 * buffer (an ARG_PTR_TO_MEM followed by ARG_CONST_SIZE[_OR_ZERO], as `check_func_arg` pairs them), fixed sizes,
 * nullability, read or write access, reference release.
 *
 * @example
 * ```ts
 * describeArgs(helperPrototype('bpf_probe_read_kernel_proto')!)[0];
 * // { arg: 1, base: 'ARG_PTR_TO_MEM', access: 'write', sizeArg: 2, ... }
 * ```
 */
export function describeArgs(proto: HelperPrototype): readonly ArgumentInfo[] {
  const decoded = proto.args.map((a) => decodeArgType(a));
  return proto.args.map((type, i) => {
    const d = decoded[i]!;
    const arg = i + 1;
    const next = decoded[i + 1];
    const prev = decoded[i - 1];
    const isMem = memoryBases.includes(d.base);
    const fixed = d.flags.includes('MEM_FIXED_SIZE') ? proto.argSize?.[arg as 1] : undefined;
    const btf = proto.argBtf?.[arg as 1];
    const info: ArgumentInfo = {
      arg,
      type,
      base: d.base,
      flags: d.flags,
      nullable: d.flags.includes('PTR_MAYBE_NULL'),
      releases: d.flags.includes('OBJ_RELEASE'),
      ...(isMem || d.base === 'ARG_PTR_TO_MAP_VALUE'
        ? { access: d.flags.includes('MEM_UNINIT') || (d.flags.includes('MEM_WRITE') && !d.flags.includes('MEM_RDONLY')) ? 'write' as const : 'read' as const }
        : {}),
      ...(isMem && fixed === undefined && next !== undefined && sizeBases.includes(next.base) ? { sizeArg: arg + 1 } : {}),
      ...(sizeBases.includes(d.base) && prev !== undefined && memoryBases.includes(prev.base) ? { sizeOf: arg - 1 } : {}),
      ...(d.base === 'ARG_CONST_SIZE_OR_ZERO' || d.base === 'ARG_CONST_ALLOC_SIZE_OR_ZERO' ? { zeroSizeAllowed: true } : {}),
      ...(fixed !== undefined ? { fixedSize: fixed } : {}),
      ...(d.base === 'ARG_CONST_ALLOC_SIZE_OR_ZERO' ? { allocSize: true } : {}),
      ...(btf !== undefined ? { btfType: btf } : {}),
    };
    return info;
  });
}

/** The return type of a prototype taken apart (see `decodeRetType`). */
export function describeReturn(proto: HelperPrototype): ReturnType<typeof decodeRetType> {
  return decodeRetType(proto.ret);
}

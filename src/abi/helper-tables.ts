/**
 * The kernel's `get_func_proto` functions as data: for each, which helper ids it answers and with which prototype,
 * under which condition. A program type asks a chain of these tables in turn (xdp: `xdp_func_proto`, then
 * `bpf_sk_base_func_proto`, then `bpf_base_func_proto`), as the kernel's functions fall through to one another in
 * their `default:` case; program-types.ts gives each type its chain.
 *
 * Rules of a table, as in the C switch statements they mirror: the first entry for a helper whose condition holds
 * gives the prototype; when entries for the helper exist but none holds, the helper is refused (the function
 * returns NULL) and the chain stops, unless the table is marked `refusalFallsThrough` (cgroup_common_func_proto,
 * which its callers try before their own switch); a table with no entry for the helper passes it to the next one.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * resolveHelper(['xdp_func_proto', 'bpf_sk_base_func_proto', 'bpf_base_func_proto'], 'perf_event_output');
 * // { proto: 'bpf_xdp_event_output_proto', table: 'xdp_func_proto' }
 * ```
 * @module
 */
import type { HelperName } from './helpers.ts';
import type { AttachTypeName } from './kernel-enums.ts';

/** A capability the kernel checks with `bpf_token_capable` / `perfmon_capable` before offering a helper. */
export type Capability = 'CAP_BPF' | 'CAP_PERFMON' | 'CAP_SYS_ADMIN';

/** When a table entry applies. A list means all of them. */
export type HelperCondition =
  /** The program's expected attach type is one of these. */
  | { readonly attach: readonly AttachTypeName[] }
  /** The program's expected attach type is none of these. */
  | { readonly notAttach: readonly AttachTypeName[] }
  /** The loader holds this capability. */
  | { readonly capability: Capability }
  /** The program is (or is not) sleepable (BPF_F_SLEEPABLE). */
  | { readonly sleepable: boolean }
  /** The program runs from a BPF trampoline (fentry, fexit, fmod_ret, LSM: `bpf_prog_has_trampoline`). */
  | { readonly trampoline: true }
  /**
   * Refused when kernel lockdown is at this level or stricter (`security_locked_down`): LOCKDOWN_BPF_WRITE_USER
   * is an integrity reason, LOCKDOWN_BPF_READ_KERNEL a confidentiality one.
   */
  | { readonly lockdown: 'integrity' | 'confidentiality' }
  /** The kernel was built with this option. */
  | { readonly config: string }
  /** The LSM hook is in the kernel's locked or unlocked sockopt hook set (`bpf_lsm_{locked,unlocked}_sockopt_hooks`). */
  | { readonly lsmHook: 'locked-sockopt' | 'unlocked-sockopt' }
  /** Depends on which struct_ops member the program implements. */
  | { readonly structOpsMember: string }
  /** Any one of these holds. */
  | { readonly anyOf: readonly HelperCondition[] };

/** One case of a `get_func_proto` switch; a bare name means prototype `bpf_<name>_proto`, unconditionally. */
export type HelperTableEntry =
  | HelperName
  | { readonly helper: HelperName; readonly proto: string; readonly when?: HelperCondition | readonly HelperCondition[] };

/** One `get_func_proto` function. */
export interface HelperTable {
  /** The kernel file it lives in. */
  readonly source: string;
  /** A refused entry lets the next table of the chain answer (see the module doc). */
  readonly refusalFallsThrough?: true;
  readonly entries: readonly HelperTableEntry[];
}

/** The `get_func_proto` tables of Linux 6.18, by the name of the kernel function. */
export const helperTables = {
  bpf_base_func_proto: {
    // The helpers every program type falls back to. The second group needs CAP_BPF (bpf_token_capable), the third CAP_PERFMON; probe_read_kernel[_str] are also refused under confidentiality lockdown.
    source: 'kernel/bpf/helpers.c',
    entries: [
      'map_lookup_elem',
      'map_update_elem',
      'map_delete_elem',
      'map_push_elem',
      'map_pop_elem',
      'map_peek_elem',
      'map_lookup_percpu_elem',
      'get_prandom_u32',
      { helper: 'get_smp_processor_id', proto: 'bpf_get_raw_smp_processor_id_proto' },
      'get_numa_node_id',
      'tail_call',
      'ktime_get_ns',
      'ktime_get_boot_ns',
      'ktime_get_tai_ns',
      'ringbuf_output',
      'ringbuf_reserve',
      'ringbuf_submit',
      'ringbuf_discard',
      'ringbuf_query',
      'strncmp',
      'strtol',
      'strtoul',
      'get_current_pid_tgid',
      'get_ns_current_pid_tgid',
      'get_current_uid_gid',
      { helper: 'spin_lock', proto: 'bpf_spin_lock_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'spin_unlock', proto: 'bpf_spin_unlock_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'jiffies64', proto: 'bpf_jiffies64_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'per_cpu_ptr', proto: 'bpf_per_cpu_ptr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'this_cpu_ptr', proto: 'bpf_this_cpu_ptr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'timer_init', proto: 'bpf_timer_init_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'timer_set_callback', proto: 'bpf_timer_set_callback_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'timer_start', proto: 'bpf_timer_start_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'timer_cancel', proto: 'bpf_timer_cancel_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'kptr_xchg', proto: 'bpf_kptr_xchg_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'for_each_map_elem', proto: 'bpf_for_each_map_elem_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'loop', proto: 'bpf_loop_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'user_ringbuf_drain', proto: 'bpf_user_ringbuf_drain_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'ringbuf_reserve_dynptr', proto: 'bpf_ringbuf_reserve_dynptr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'ringbuf_submit_dynptr', proto: 'bpf_ringbuf_submit_dynptr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'ringbuf_discard_dynptr', proto: 'bpf_ringbuf_discard_dynptr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'dynptr_from_mem', proto: 'bpf_dynptr_from_mem_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'dynptr_read', proto: 'bpf_dynptr_read_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'dynptr_write', proto: 'bpf_dynptr_write_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'dynptr_data', proto: 'bpf_dynptr_data_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'cgrp_storage_get', proto: 'bpf_cgrp_storage_get_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'cgrp_storage_delete', proto: 'bpf_cgrp_storage_delete_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'get_current_cgroup_id', proto: 'bpf_get_current_cgroup_id_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'get_current_ancestor_cgroup_id', proto: 'bpf_get_current_ancestor_cgroup_id_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'current_task_under_cgroup', proto: 'bpf_current_task_under_cgroup_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'get_cgroup_classid', proto: 'bpf_get_cgroup_classid_curr_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'task_storage_get', proto: 'bpf_task_storage_get_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'task_storage_delete', proto: 'bpf_task_storage_delete_proto', when: { capability: 'CAP_BPF' } },
      { helper: 'trace_printk', proto: 'bpf_trace_printk_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'get_current_task', proto: 'bpf_get_current_task_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'get_current_task_btf', proto: 'bpf_get_current_task_btf_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'get_current_comm', proto: 'bpf_get_current_comm_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'probe_read_user', proto: 'bpf_probe_read_user_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'probe_read_kernel', proto: 'bpf_probe_read_kernel_proto', when: [{ capability: 'CAP_PERFMON' }, { lockdown: 'confidentiality' }] },
      { helper: 'probe_read_user_str', proto: 'bpf_probe_read_user_str_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'probe_read_kernel_str', proto: 'bpf_probe_read_kernel_str_proto', when: [{ capability: 'CAP_PERFMON' }, { lockdown: 'confidentiality' }] },
      { helper: 'copy_from_user', proto: 'bpf_copy_from_user_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'copy_from_user_task', proto: 'bpf_copy_from_user_task_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'snprintf_btf', proto: 'bpf_snprintf_btf_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'snprintf', proto: 'bpf_snprintf_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'task_pt_regs', proto: 'bpf_task_pt_regs_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'trace_vprintk', proto: 'bpf_trace_vprintk_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'perf_event_read_value', proto: 'bpf_perf_event_read_value_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'perf_event_read', proto: 'bpf_perf_event_read_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'send_signal', proto: 'bpf_send_signal_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'send_signal_thread', proto: 'bpf_send_signal_thread_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'get_task_stack', proto: 'bpf_get_task_stack_sleepable_proto', when: [{ capability: 'CAP_PERFMON' }, { sleepable: true }] },
      { helper: 'get_task_stack', proto: 'bpf_get_task_stack_proto', when: [{ capability: 'CAP_PERFMON' }, { sleepable: false }] },
      { helper: 'get_branch_snapshot', proto: 'bpf_get_branch_snapshot_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'find_vma', proto: 'bpf_find_vma_proto', when: { capability: 'CAP_PERFMON' } },
    ],
  },
  bpf_sk_base_func_proto: {
    // The networking programs' fallback: socket casts (CAP_PERFMON) and ktime_get_coarse_ns, then bpf_base_func_proto.
    source: 'net/core/filter.c',
    entries: [
      { helper: 'skc_to_tcp6_sock', proto: 'bpf_skc_to_tcp6_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_tcp_sock', proto: 'bpf_skc_to_tcp_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_tcp_timewait_sock', proto: 'bpf_skc_to_tcp_timewait_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_tcp_request_sock', proto: 'bpf_skc_to_tcp_request_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_udp6_sock', proto: 'bpf_skc_to_udp6_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_unix_sock', proto: 'bpf_skc_to_unix_sock_proto', when: { capability: 'CAP_PERFMON' } },
      { helper: 'skc_to_mptcp_sock', proto: 'bpf_skc_to_mptcp_sock_proto', when: { capability: 'CAP_PERFMON' } },
      'ktime_get_coarse_ns',
    ],
  },
  cgroup_common_func_proto: {
    // Tried first by cgroup program types; a refused entry falls through to the type's own table.
    source: 'kernel/bpf/cgroup.c',
    refusalFallsThrough: true,
    entries: [
      'get_local_storage',
      { helper: 'get_retval', proto: 'bpf_get_retval_proto', when: { notAttach: ['cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_sock_ops', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_unix_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_unix_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname'] } },
      { helper: 'set_retval', proto: 'bpf_set_retval_proto', when: { notAttach: ['cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_sock_ops', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_unix_recvmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_unix_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname'] } },
    ],
  },
  sk_filter_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'skb_load_bytes',
      'skb_load_bytes_relative',
      'get_socket_cookie',
      'get_netns_cookie',
      'get_socket_uid',
      { helper: 'perf_event_output', proto: 'bpf_skb_event_output_proto' },
    ],
  },
  tc_cls_act_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'skb_store_bytes',
      'skb_load_bytes',
      'skb_load_bytes_relative',
      'skb_pull_data',
      'csum_diff',
      'csum_update',
      'csum_level',
      'l3_csum_replace',
      'l4_csum_replace',
      'clone_redirect',
      'get_cgroup_classid',
      'skb_vlan_push',
      'skb_vlan_pop',
      'skb_change_proto',
      'skb_change_type',
      'skb_adjust_room',
      'skb_change_tail',
      'skb_change_head',
      'skb_get_tunnel_key',
      'skb_set_tunnel_key',
      'skb_get_tunnel_opt',
      'skb_set_tunnel_opt',
      'redirect',
      'redirect_neigh',
      'redirect_peer',
      'get_route_realm',
      'get_hash_recalc',
      'set_hash_invalid',
      'set_hash',
      { helper: 'perf_event_output', proto: 'bpf_skb_event_output_proto' },
      'get_smp_processor_id',
      'skb_under_cgroup',
      'get_socket_cookie',
      'get_netns_cookie',
      'get_socket_uid',
      { helper: 'fib_lookup', proto: 'bpf_skb_fib_lookup_proto' },
      { helper: 'check_mtu', proto: 'bpf_skb_check_mtu_proto' },
      'sk_fullsock',
      'sk_storage_get',
      'sk_storage_delete',
      'skb_get_xfrm_state',
      'skb_cgroup_classid',
      'skb_cgroup_id',
      'skb_ancestor_cgroup_id',
      { helper: 'sk_lookup_tcp', proto: 'bpf_tc_sk_lookup_tcp_proto' },
      { helper: 'sk_lookup_udp', proto: 'bpf_tc_sk_lookup_udp_proto' },
      'sk_release',
      'tcp_sock',
      'get_listener_sock',
      { helper: 'skc_lookup_tcp', proto: 'bpf_tc_skc_lookup_tcp_proto' },
      'tcp_check_syncookie',
      'skb_ecn_set_ce',
      'tcp_gen_syncookie',
      'sk_assign',
      'skb_set_tstamp',
      'tcp_raw_gen_syncookie_ipv4',
      'tcp_raw_gen_syncookie_ipv6',
      'tcp_raw_check_syncookie_ipv4',
      'tcp_raw_check_syncookie_ipv6',
    ],
  },
  xdp_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_xdp_event_output_proto' },
      'get_smp_processor_id',
      'csum_diff',
      'xdp_adjust_head',
      'xdp_adjust_meta',
      { helper: 'redirect', proto: 'bpf_xdp_redirect_proto' },
      { helper: 'redirect_map', proto: 'bpf_xdp_redirect_map_proto' },
      'xdp_adjust_tail',
      'xdp_get_buff_len',
      'xdp_load_bytes',
      'xdp_store_bytes',
      { helper: 'fib_lookup', proto: 'bpf_xdp_fib_lookup_proto' },
      { helper: 'check_mtu', proto: 'bpf_xdp_check_mtu_proto' },
      { helper: 'sk_lookup_udp', proto: 'bpf_xdp_sk_lookup_udp_proto' },
      { helper: 'sk_lookup_tcp', proto: 'bpf_xdp_sk_lookup_tcp_proto' },
      'sk_release',
      { helper: 'skc_lookup_tcp', proto: 'bpf_xdp_skc_lookup_tcp_proto' },
      'tcp_check_syncookie',
      'tcp_gen_syncookie',
      'tcp_raw_gen_syncookie_ipv4',
      'tcp_raw_gen_syncookie_ipv6',
      'tcp_raw_check_syncookie_ipv4',
      'tcp_raw_check_syncookie_ipv6',
    ],
  },
  cg_skb_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'sk_fullsock',
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'perf_event_output', proto: 'bpf_skb_event_output_proto' },
      'skb_cgroup_id',
      'skb_ancestor_cgroup_id',
      'sk_cgroup_id',
      'sk_ancestor_cgroup_id',
      'sk_lookup_tcp',
      'sk_lookup_udp',
      'sk_release',
      'skc_lookup_tcp',
      'tcp_sock',
      'get_listener_sock',
      'skb_ecn_set_ce',
    ],
  },
  sock_filter_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_proto' },
      { helper: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_proto' },
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
      { helper: 'sk_storage_get', proto: 'bpf_sk_storage_get_cg_sock_proto' },
      'ktime_get_coarse_ns',
      // Kernels after 6.18 add setsockopt/getsockopt for cgroup_inet_sock_create (bpf_sock_create_{set,get}sockopt_proto).
    ],
  },
  sock_addr_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'bind', proto: 'bpf_bind_proto', when: { attach: ['cgroup_inet4_connect', 'cgroup_inet6_connect'] } },
      { helper: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_addr_proto' },
      { helper: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_addr_proto' },
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
      { helper: 'sk_lookup_tcp', proto: 'bpf_sock_addr_sk_lookup_tcp_proto' },
      { helper: 'sk_lookup_udp', proto: 'bpf_sock_addr_sk_lookup_udp_proto' },
      'sk_release',
      { helper: 'skc_lookup_tcp', proto: 'bpf_sock_addr_skc_lookup_tcp_proto' },
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'setsockopt', proto: 'bpf_sock_addr_setsockopt_proto', when: { attach: ['cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_unix_connect', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_unix_recvmsg', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'cgroup_unix_sendmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_unix_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname'] } },
      { helper: 'getsockopt', proto: 'bpf_sock_addr_getsockopt_proto', when: { attach: ['cgroup_inet4_bind', 'cgroup_inet6_bind', 'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_unix_connect', 'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_unix_recvmsg', 'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'cgroup_unix_sendmsg', 'cgroup_inet4_getpeername', 'cgroup_inet6_getpeername', 'cgroup_unix_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'cgroup_unix_getsockname'] } },
    ],
  },
  sock_ops_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'setsockopt', proto: 'bpf_sock_ops_setsockopt_proto' },
      { helper: 'getsockopt', proto: 'bpf_sock_ops_getsockopt_proto' },
      'sock_ops_cb_flags_set',
      'sock_map_update',
      'sock_hash_update',
      { helper: 'get_socket_cookie', proto: 'bpf_get_socket_cookie_sock_ops_proto' },
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sock_ops_proto' },
      { helper: 'load_hdr_opt', proto: 'bpf_sock_ops_load_hdr_opt_proto' },
      { helper: 'store_hdr_opt', proto: 'bpf_sock_ops_store_hdr_opt_proto' },
      { helper: 'reserve_hdr_opt', proto: 'bpf_sock_ops_reserve_hdr_opt_proto' },
      'tcp_sock',
    ],
  },
  sk_skb_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'skb_store_bytes',
      'skb_load_bytes',
      { helper: 'skb_pull_data', proto: 'sk_skb_pull_data_proto' },
      { helper: 'skb_change_tail', proto: 'sk_skb_change_tail_proto' },
      { helper: 'skb_change_head', proto: 'sk_skb_change_head_proto' },
      { helper: 'skb_adjust_room', proto: 'sk_skb_adjust_room_proto' },
      'get_socket_cookie',
      'get_socket_uid',
      'sk_redirect_map',
      'sk_redirect_hash',
      { helper: 'perf_event_output', proto: 'bpf_skb_event_output_proto' },
      'sk_lookup_tcp',
      'sk_lookup_udp',
      'sk_release',
      'skc_lookup_tcp',
    ],
  },
  sk_msg_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'msg_redirect_map',
      'msg_redirect_hash',
      'msg_apply_bytes',
      'msg_cork_bytes',
      'msg_pull_data',
      'msg_push_data',
      'msg_pop_data',
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sk_msg_proto' },
    ],
  },
  flow_dissector_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'skb_load_bytes', proto: 'bpf_flow_dissector_load_bytes_proto' },
    ],
  },
  lwt_out_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'skb_load_bytes',
      'skb_pull_data',
      'csum_diff',
      'get_cgroup_classid',
      'get_route_realm',
      'get_hash_recalc',
      { helper: 'perf_event_output', proto: 'bpf_skb_event_output_proto' },
      'get_smp_processor_id',
      'skb_under_cgroup',
    ],
  },
  lwt_in_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'lwt_push_encap', proto: 'bpf_lwt_in_push_encap_proto' },
    ],
  },
  lwt_xmit_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'skb_get_tunnel_key',
      'skb_set_tunnel_key',
      'skb_get_tunnel_opt',
      'skb_set_tunnel_opt',
      'redirect',
      'clone_redirect',
      'skb_change_tail',
      'skb_change_head',
      'skb_store_bytes',
      'csum_update',
      'csum_level',
      'l3_csum_replace',
      'l4_csum_replace',
      'set_hash_invalid',
      { helper: 'lwt_push_encap', proto: 'bpf_lwt_xmit_push_encap_proto' },
    ],
  },
  lwt_seg6local_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      'lwt_seg6_store_bytes',
      'lwt_seg6_action',
      'lwt_seg6_adjust_srh',
    ],
  },
  sk_reuseport_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'sk_select_reuseport', proto: 'sk_select_reuseport_proto' },
      { helper: 'skb_load_bytes', proto: 'sk_reuseport_load_bytes_proto' },
      { helper: 'skb_load_bytes_relative', proto: 'sk_reuseport_load_bytes_relative_proto' },
      { helper: 'get_socket_cookie', proto: 'bpf_get_socket_ptr_cookie_proto' },
      'ktime_get_coarse_ns',
    ],
  },
  sk_lookup_func_proto: {
    source: 'net/core/filter.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
      { helper: 'sk_assign', proto: 'bpf_sk_lookup_assign_proto' },
      'sk_release',
    ],
  },
  cgroup_dev_func_proto: {
    source: 'kernel/bpf/cgroup.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
    ],
  },
  sysctl_func_proto: {
    source: 'kernel/bpf/cgroup.c',
    entries: [
      'sysctl_get_name',
      'sysctl_get_current_value',
      'sysctl_get_new_value',
      'sysctl_set_new_value',
      'ktime_get_coarse_ns',
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
    ],
  },
  cg_sockopt_func_proto: {
    source: 'kernel/bpf/cgroup.c',
    entries: [
      { helper: 'get_netns_cookie', proto: 'bpf_get_netns_cookie_sockopt_proto' },
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'setsockopt', proto: 'bpf_sk_setsockopt_proto', when: { attach: ['cgroup_setsockopt'] } },
      { helper: 'getsockopt', proto: 'bpf_sk_getsockopt_proto', when: { attach: ['cgroup_setsockopt'] } },
      'tcp_sock',
      { helper: 'perf_event_output', proto: 'bpf_event_output_data_proto' },
    ],
  },
  kprobe_prog_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      'perf_event_output',
      'get_stackid',
      { helper: 'get_stack', proto: 'bpf_get_stack_proto', when: { sleepable: false } },
      { helper: 'get_stack', proto: 'bpf_get_stack_sleepable_proto', when: { sleepable: true } },
      { helper: 'override_return', proto: 'bpf_override_return_proto', when: { config: 'CONFIG_BPF_KPROBE_OVERRIDE' } },
      { helper: 'get_func_ip', proto: 'bpf_get_func_ip_proto_kprobe_multi', when: { attach: ['trace_kprobe_multi', 'trace_kprobe_session'] } },
      { helper: 'get_func_ip', proto: 'bpf_get_func_ip_proto_uprobe_multi', when: { attach: ['trace_uprobe_multi', 'trace_uprobe_session'] } },
      { helper: 'get_func_ip', proto: 'bpf_get_func_ip_proto_kprobe' },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_kmulti', when: { attach: ['trace_kprobe_multi', 'trace_kprobe_session'] } },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_umulti', when: { attach: ['trace_uprobe_multi', 'trace_uprobe_session'] } },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_trace' },
    ],
  },
  tp_prog_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_perf_event_output_proto_tp' },
      { helper: 'get_stackid', proto: 'bpf_get_stackid_proto_tp' },
      { helper: 'get_stack', proto: 'bpf_get_stack_proto_tp' },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_trace' },
    ],
  },
  pe_prog_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_perf_event_output_proto_tp' },
      { helper: 'get_stackid', proto: 'bpf_get_stackid_proto_pe' },
      { helper: 'get_stack', proto: 'bpf_get_stack_proto_pe' },
      'perf_prog_read_value',
      'read_branch_records',
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_pe' },
    ],
  },
  raw_tp_prog_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      { helper: 'perf_event_output', proto: 'bpf_perf_event_output_proto_raw_tp' },
      { helper: 'get_stackid', proto: 'bpf_get_stackid_proto_raw_tp' },
      { helper: 'get_stack', proto: 'bpf_get_stack_proto_raw_tp' },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_tracing' },
    ],
  },
  tracing_prog_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      'skb_output',
      'xdp_output',
      'skc_to_tcp6_sock',
      'skc_to_tcp_sock',
      'skc_to_tcp_timewait_sock',
      'skc_to_tcp_request_sock',
      'skc_to_udp6_sock',
      'skc_to_unix_sock',
      'skc_to_mptcp_sock',
      { helper: 'sk_storage_get', proto: 'bpf_sk_storage_get_tracing_proto' },
      { helper: 'sk_storage_delete', proto: 'bpf_sk_storage_delete_tracing_proto' },
      'sock_from_file',
      { helper: 'get_socket_cookie', proto: 'bpf_get_socket_ptr_cookie_proto' },
      { helper: 'xdp_get_buff_len', proto: 'bpf_xdp_get_buff_len_trace_proto' },
      { helper: 'seq_printf', proto: 'bpf_seq_printf_proto', when: { attach: ['trace_iter'] } },
      { helper: 'seq_write', proto: 'bpf_seq_write_proto', when: { attach: ['trace_iter'] } },
      { helper: 'seq_printf_btf', proto: 'bpf_seq_printf_btf_proto', when: { attach: ['trace_iter'] } },
      'd_path',
      { helper: 'get_func_arg', proto: 'bpf_get_func_arg_proto', when: { anyOf: [{ trampoline: true }, { attach: ['trace_raw_tp'] }] } },
      { helper: 'get_func_ret', proto: 'bpf_get_func_ret_proto', when: { trampoline: true } },
      { helper: 'get_func_arg_cnt', proto: 'bpf_get_func_arg_cnt_proto', when: { anyOf: [{ trampoline: true }, { attach: ['trace_raw_tp'] }] } },
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto_tracing', when: { anyOf: [{ trampoline: true }, { attach: ['trace_raw_tp'] }] } },
    ],
  },
  bpf_tracing_func_proto: {
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      'get_smp_processor_id',
      { helper: 'probe_read', proto: 'bpf_probe_read_compat_proto', when: [{ config: 'CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE' }, { lockdown: 'confidentiality' }] },
      { helper: 'probe_read_str', proto: 'bpf_probe_read_compat_str_proto', when: [{ config: 'CONFIG_ARCH_HAS_NON_OVERLAPPING_ADDRESS_SPACE' }, { lockdown: 'confidentiality' }] },
      { helper: 'get_func_ip', proto: 'bpf_get_func_ip_proto_tracing' },
    ],
  },
  bpf_tracing_func_proto_admin: {
    // The tail of bpf_tracing_func_proto, after bpf_base_func_proto: needs CAP_SYS_ADMIN (and no lockdown).
    source: 'kernel/trace/bpf_trace.c',
    entries: [
      { helper: 'probe_write_user', proto: 'bpf_probe_write_user_proto', when: [{ capability: 'CAP_SYS_ADMIN' }, { lockdown: 'integrity' }] },
    ],
  },
  bpf_lsm_func_proto: {
    source: 'kernel/bpf/bpf_lsm.c',
    entries: [
      'inode_storage_get',
      'inode_storage_delete',
      'sk_storage_get',
      'sk_storage_delete',
      'spin_lock',
      'spin_unlock',
      'bprm_opts_set',
      'ima_inode_hash',
      'ima_file_hash',
      { helper: 'get_attach_cookie', proto: 'bpf_get_attach_cookie_proto', when: { trampoline: true } },
      { helper: 'setsockopt', proto: 'bpf_sk_setsockopt_proto', when: [{ attach: ['lsm_cgroup'] }, { lsmHook: 'locked-sockopt' }] },
      { helper: 'setsockopt', proto: 'bpf_unlocked_sk_setsockopt_proto', when: [{ attach: ['lsm_cgroup'] }, { lsmHook: 'unlocked-sockopt' }] },
      { helper: 'getsockopt', proto: 'bpf_sk_getsockopt_proto', when: [{ attach: ['lsm_cgroup'] }, { lsmHook: 'locked-sockopt' }] },
      { helper: 'getsockopt', proto: 'bpf_unlocked_sk_getsockopt_proto', when: [{ attach: ['lsm_cgroup'] }, { lsmHook: 'unlocked-sockopt' }] },
    ],
  },
  syscall_prog_func_proto: {
    source: 'kernel/bpf/syscall.c',
    entries: [
      { helper: 'sys_bpf', proto: 'bpf_sys_bpf_proto', when: { capability: 'CAP_PERFMON' } },
      'btf_find_by_name_kind',
      'sys_close',
      'kallsyms_lookup_name',
    ],
  },
  bpf_tcp_ca_get_func_proto: {
    source: 'net/ipv4/bpf_tcp_ca.c',
    entries: [
      'tcp_send_ack',
      'sk_storage_get',
      'sk_storage_delete',
      { helper: 'setsockopt', proto: 'bpf_sk_setsockopt_proto', when: { structOpsMember: 'not release' } },
      { helper: 'getsockopt', proto: 'bpf_sk_getsockopt_proto', when: { structOpsMember: 'not release' } },
      'ktime_get_coarse_ns',
    ],
  },
  bpf_iter_tcp_get_func_proto: {
    source: 'net/ipv4/tcp_ipv4.c',
    entries: [
      { helper: 'setsockopt', proto: 'bpf_sk_setsockopt_proto' },
      { helper: 'getsockopt', proto: 'bpf_sk_getsockopt_proto' },
    ],
  },
  lirc_mode2_func_proto: {
    // drivers/media/rc/bpf-lirc.c: a closed list, no fallback.
    source: 'drivers/media/rc/bpf-lirc.c',
    entries: [
      { helper: 'rc_repeat', proto: 'rc_repeat_proto' },
      { helper: 'rc_keydown', proto: 'rc_keydown_proto' },
      { helper: 'rc_pointer_rel', proto: 'rc_pointer_rel_proto' },
      'map_lookup_elem',
      'map_update_elem',
      'map_delete_elem',
      'map_push_elem',
      'map_pop_elem',
      'map_peek_elem',
      'ktime_get_ns',
      'ktime_get_boot_ns',
      'tail_call',
      'get_prandom_u32',
      { helper: 'trace_printk', proto: 'bpf_trace_printk_proto', when: { capability: 'CAP_PERFMON' } },
    ],
  },
} as const satisfies Record<string, HelperTable>;
/** The name of a table (`xdp_func_proto`). */
export type HelperTableName = keyof typeof helperTables;

/** The program a call is checked for; every field left out counts as the permissive answer, noted per field. */
export interface ProgramContext {
  /** The expected attach type; unset fails `attach` conditions and passes `notAttach` ones. */
  readonly attachType?: AttachTypeName;
  /** BPF_F_SLEEPABLE (default false). */
  readonly sleepable?: boolean;
  /** The capabilities of the loader (default: all, as for root). */
  readonly capabilities?: readonly Capability[];
  /** Whether the program runs from a trampoline (default: derived from the attach type). */
  readonly trampoline?: boolean;
  /** Kernel options known to be off (default: `CONFIG_BPF_KPROBE_OVERRIDE`, off on common distribution kernels). */
  readonly configOff?: readonly string[];
  /** The kernel's lockdown level (default `none`). */
  readonly lockdown?: 'none' | 'integrity' | 'confidentiality';
  /** The LSM hook's sockopt set, for LSM programs (default: none). */
  readonly lsmHook?: 'locked-sockopt' | 'unlocked-sockopt';
}

const trampolineAttach: readonly AttachTypeName[] = ['trace_fentry', 'trace_fexit', 'modify_return', 'lsm_mac', 'lsm_cgroup'];
const defaultConfigOff: readonly string[] = ['CONFIG_BPF_KPROBE_OVERRIDE'];

/** Whether `condition` holds for `program`. */
export function conditionHolds(condition: HelperCondition | readonly HelperCondition[], program: ProgramContext): boolean {
  if (Array.isArray(condition)) return condition.every((c: HelperCondition) => conditionHolds(c, program));
  const c = condition as HelperCondition;
  if ('attach' in c) return program.attachType !== undefined && c.attach.includes(program.attachType);
  if ('notAttach' in c) return program.attachType === undefined || !c.notAttach.includes(program.attachType);
  if ('capability' in c) return (program.capabilities ?? ['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN']).includes(c.capability);
  if ('sleepable' in c) return (program.sleepable ?? false) === c.sleepable;
  if ('trampoline' in c) return program.trampoline ?? (program.attachType !== undefined && trampolineAttach.includes(program.attachType));
  if ('lockdown' in c) {
    const level = program.lockdown ?? 'none';
    return c.lockdown === 'integrity' ? level === 'none' : level !== 'confidentiality';
  }
  if ('config' in c) return !(program.configOff ?? defaultConfigOff).includes(c.config);
  if ('lsmHook' in c) return program.lsmHook === c.lsmHook;
  if ('structOpsMember' in c) return true;
  return c.anyOf.some((x) => conditionHolds(x, program));
}

/** One link of a program type's chain: a table, asked only when its condition holds (LSM asks cgroup_common only for lsm_cgroup). */
export type HelperChainLink = HelperTableName | { readonly table: HelperTableName; readonly when: HelperCondition };

/** The answer of a chain of tables for one helper. */
export interface ResolvedHelper {
  /** The prototype's kernel name. */
  readonly proto: string;
  /** The table that answered. */
  readonly table: HelperTableName;
}

/**
 * Asks `chain` for `helper` as the kernel's `get_func_proto` would: undefined when the program may not call it.
 *
 * @example
 * ```ts
 * resolveHelper(['sock_addr_func_proto', 'bpf_sk_base_func_proto', 'bpf_base_func_proto'], 'bind', { attachType: 'cgroup_inet4_bind' });
 * // undefined: bind is for connect hooks only
 * ```
 */
export function resolveHelper(chain: readonly HelperChainLink[], helper: HelperName, program: ProgramContext = {}): ResolvedHelper | undefined {
  for (const link of chain) {
    if (typeof link !== 'string' && !conditionHolds(link.when, program)) continue;
    const name = typeof link === 'string' ? link : link.table;
    const table: HelperTable = helperTables[name];
    let listed = false;
    for (const entry of table.entries) {
      const e = typeof entry === 'string' ? { helper: entry, proto: `bpf_${entry}_proto` } : entry;
      if (e.helper !== helper) continue;
      listed = true;
      if (!('when' in e) || e.when === undefined || conditionHolds(e.when, program)) return { proto: e.proto, table: name };
    }
    if (listed && table.refusalFallsThrough !== true) return undefined;
  }
  return undefined;
}

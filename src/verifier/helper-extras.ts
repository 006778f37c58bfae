/**
 * Facts about Linux's helpers and sockets the verifier needs beyond the abi layer's tables: which plain
 * (ARG_ANYTHING) arguments are addresses the helper dereferences rather than values it keeps, the ranges of helpers
 * that return 32-bit values, and the fields of `struct bpf_sock` a socket pointer may read.
 *
 * Author: Claude.
 *
 * @module
 */

import type { CtxAccess } from './platform.ts';

/**
 * ARG_ANYTHING arguments (by index) that may hold pointers without leaking them: the source of the probe reads
 * and the destination of `bpf_probe_write_user` are dereferenced by the helper, not stored or printed.
 */
export const ADDRESS_ARGUMENTS: Readonly<Record<string, readonly number[]>> = {
  probe_read: [2],
  probe_read_str: [2],
  probe_read_user: [2],
  probe_read_kernel: [2],
  probe_read_user_str: [2],
  probe_read_kernel_str: [2],
  probe_write_user: [0],
};

/**
 * Helpers whose result is a 32-bit value, zero-extended (their kernel implementations return u32): the runtime's
 * implementations must keep it so.
 */
export const RESULT_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  get_prandom_u32: [0n, 0xffffffffn],
  get_smp_processor_id: [0n, 0xffffffffn],
  get_cgroup_classid: [0n, 0xffffffffn],
  get_route_realm: [0n, 0xffffffffn],
  get_hash_recalc: [0n, 0xffffffffn],
  get_socket_uid: [0n, 0xffffffffn],
};

/**
 * Helpers whose integer result is at most their size argument, or a negative errno (Linux's
 * `do_refine_retval_range`: smax and s32max = the size's umax, smin and s32min = -MAX_ERRNO). A runtime that
 * implements one of them must keep to it: the verifier lets the result index the buffer.
 */
export const SIZE_BOUNDED_RESULTS: ReadonlySet<string> = new Set([
  'get_stack', 'get_task_stack', 'probe_read_str', 'probe_read_kernel_str', 'probe_read_user_str',
]);

/**
 * Helpers whose calls Linux 6.18 inlines on x86-64 under the bpf_fastcall contract (`allow_fastcall` and
 * `verifier_inlines_helper_call`): only `bpf_get_smp_processor_id`.
 */
export const FASTCALL_HELPERS: ReadonlySet<string> = new Set(['get_smp_processor_id']);

/** The kernel's MAX_ERRNO: errors are returned as -1 to -4095. */
export const MAX_ERRNO = 4095n;

const deny = (reason: string): CtxAccess => ({ ok: false, reason });
const SCALAR: CtxAccess = { ok: true, kind: 'scalar' };

/** A narrow read of a field of `fieldSize` bytes: a power-of-two size no larger than the field. */
function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize && (size & (size - 1)) === 0;
}

/** Offsets inside [lo, hi] of a 32-bit field array. */
const within = (off: number, lo: number, hi: number): boolean => off >= lo && off <= hi;

/** `bpf_sock_is_valid_access`: struct bpf_sock (80 bytes), as read through socket pointers and cgroup_sock. */
export function bpfSockAccess(off: number, size: number): CtxAccess {
  if (off < 0 || off >= 80) return deny(`offset ${off} is outside struct bpf_sock (80 bytes)`);
  if (off % size !== 0) return deny(`a ${size}-byte access at offset ${off} is misaligned`);
  // state, family, type, protocol, src_port, rx_queue_mapping, src_ip4, src_ip6, dst_ip4, dst_ip6: narrow reads.
  if ([72, 4, 8, 12, 44, 76].includes(off) || within(off, 24, 43) || within(off, 52, 71)) {
    return narrowOk(size, 4) ? SCALAR : deny(`a ${size}-byte read of a 4-byte field`);
  }
  if (within(off, 48, 49)) return narrowOk(size, size === 4 ? 4 : 2) ? SCALAR : deny('dst_port is 2 bytes wide');
  if (within(off, 50, 51)) return deny('the access falls in padding');
  return size === 4 ? SCALAR : deny('fields of struct bpf_sock are read as 4 bytes');
}


/**
 * `bpf_tcp_sock_is_valid_access`: struct bpf_tcp_sock (112 bytes, up to icsk_retransmits), read through a
 * PTR_TO_TCP_SOCK. Whole fields only: 8 bytes at bytes_received (80) and bytes_acked (88), 4 bytes anywhere else.
 */
export function bpfTcpSockAccess(off: number, size: number): CtxAccess {
  if (off < 0 || off >= 112) return deny(`offset ${off} is outside struct bpf_tcp_sock (112 bytes)`);
  if (off % size !== 0) return deny(`a ${size}-byte access at offset ${off} is misaligned`);
  const wide = off === 80 || off === 88;
  if (size !== (wide ? 8 : 4)) return deny(`the field at offset ${off} of struct bpf_tcp_sock is read as ${wide ? 8 : 4} bytes`);
  return SCALAR;
}

/** `bpf_xdp_sock_is_valid_access`: struct bpf_xdp_sock has one member, the 4-byte queue_id. */
export function bpfXdpSockAccess(off: number, size: number): CtxAccess {
  if (off !== 0 || size !== 4) return deny('struct bpf_xdp_sock has one member, queue_id, read as 4 bytes at offset 0');
  return SCALAR;
}

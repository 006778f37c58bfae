/**
 * Calls and exits: helper calls checked against their prototypes (argument types, the memory each pointer argument
 * must cover, map types, references taken and released, packet pointers invalidated), BPF-to-BPF calls (frames,
 * depth, recursion), and the program's exit (the return value, references left unreleased).
 *
 * Author: Claude.
 *
 * @module
 */

import {
  type Instruction,
} from '../asm/index.ts';
import {
  MapType,
  mapTypeName,
} from '../spec/index.ts';
import {
  type CallbackEntry,
  checkCallbackExit,
  enterCallback,
  inCallback,
  leaveCallbackCall,
} from './callbacks.ts';
import type { Env } from './env.ts';
import { refuseKernelObject } from './kfuncs.ts';
import {
  mapHelperCompatible,
} from './linux-platform.ts';
import { MAX_ERRNO } from './helper-extras.ts';
import {
  MAX_VAR_OFF,
  checkArgAligned,
  checkMemAccess,
  checkRegion,
  specialFieldAccess,
} from './memory.ts';
import {
  ArgKind,
  type HelperArg,
  type HelperPrototype,
  RetKind,
} from './platform.ts';
import {
  type Origin,
  type Reg,
  REG_NOT_INIT,
  RegType,
  constReg,
  describeType,
  formatReg,
  isNullScalar,
  isPacketPointer,
  isPointer,
  makeReg,
  scalarReg,
} from './reg.ts';
import {
  type Scalar,
  S32_MAX,
  SCALAR_UNKNOWN,
  SCALAR_ZERO,
  finish,
  formatScalar,
  isConst,
  mutableScalar,
  scalarIn,
  scalarUnsignedRange,
  scalarSignedRange,
} from './scalar.ts';
import {
  stackBounds,
  stackCheckInitialized,
  stackHelperWrite,
} from './stack.ts';
import {
  MAX_CALL_FRAMES,
  type Frame,
  type Reference,
  newFrame,
  stackSlot,
} from './state.ts';


/** The helper's name as C code spells it. */
export function helperName(p: HelperPrototype | undefined, id: number): string {
  return p === undefined ? `helper #${id}` : `bpf_${p.name}`;
}

/**
 * Checks that register `regno` points to `size` bytes the helper may read (initialized) or write, in any region a
 * helper may be given (the kernel's `check_helper_mem_access`). A write marks stack bytes initialized.
 */
function helperMem(env: Env, regno: number, reg: Reg, minSize: bigint, maxSize: bigint, write: boolean, what: string): void {
  if (maxSize === 0n) return;
  const size = Number(maxSize);
  if (reg.maybeNull) env.fail('null-dereference', `${what} (r${regno}) may be NULL${env.originText(reg)}: compare it with 0 first`, [regno]);
  switch (reg.type) {
    case RegType.STACK: {
      const frame = env.cur.frames[reg.frame] as Frame;
      const v = reg.value;
      if (!isConst(v) && (v.smax - v.smin >= BigInt(MAX_VAR_OFF) || v.smin < -BigInt(MAX_VAR_OFF))) {
        env.fail('unbounded-access', `${what} (r${regno}) is a stack pointer with an unbounded variable offset (${formatScalar(v)})`, [regno]);
      }
      const lo = reg.off + Number(v.smin);
      const hi = reg.off + Number(v.smax) + size;
      stackBounds(env, frame, lo, hi, regno, what);
      if (write && isConst(v)) {
        // The helper writes at least minSize bytes, and at most size.
        stackHelperWrite(env, frame, lo, Number(minSize), size);
      } else {
        stackCheckInitialized(env, frame, lo, hi, regno, what);
        // A write at a variable offset may land anywhere in the range: spills there do not survive.
        if (write) stackHelperWrite(env, frame, lo, 0, hi - lo);
      }
      return;
    }
    case RegType.MAP_VALUE: {
      const map = env.maps[reg.map];
      if (map === undefined) env.fail('invalid-pointer', `r${regno} points into an unknown map`, [regno]);
      if (write && map.readOnly) env.fail('read-only', `${what} (r${regno}) points into '${map.name}', which is read-only`, [regno]);
      checkRegion(env, regno, reg, 0, size, map.valueSize, `the value of map '${map.name}'`, what);
      specialFieldAccess(env, regno, reg, 0, size, write, undefined, 'helper');
      return;
    }
    case RegType.MAP_KEY: {
      const map = env.maps[reg.map];
      if (write || map === undefined) env.fail('read-only', `${what} (r${regno}) points to a map key, which is read-only`, [regno]);
      checkRegion(env, regno, reg, 0, size, map.keySize, `a key of map '${map.name}'`, what);
      return;
    }
    case RegType.MEM:
      if (write && reg.readOnly) env.fail('read-only', `${what} (r${regno}) points to read-only memory`, [regno]);
      checkRegion(env, regno, reg, 0, size, reg.memSize, `the ${reg.memSize}-byte memory it points to`, what);
      return;
    case RegType.PACKET:
    case RegType.PACKET_META:
      if (write && !env.ptype.packetWrite) env.fail('read-only', `${what} (r${regno}) points into the packet, which ${env.ptype.name} programs cannot write`, [regno]);
      checkMemAccess(env, regno, 0, size, false, undefined);
      return;
    default:
      return env.fail('invalid-helper-argument', `${what} (r${regno}) must point to memory (the stack, a map value, the packet or a ring buffer record), but it holds ${describeType(reg)}${env.originText(reg)}`, [regno]);
  }
}

/** Checks a size argument: a bounded, non-negative number (at least 1 unless zero is allowed). */
function sizeArg(env: Env, regno: number, reg: Reg, zeroOk: boolean, name: string): Scalar {
  if (reg.type !== RegType.SCALAR) env.fail('invalid-helper-argument', `the size argument of ${name} (r${regno}) must be a number, but it holds ${describeType(reg)}`, [regno]);
  const v = reg.value;
  if (v.smin < 0n) env.fail('invalid-helper-argument', `the size argument of ${name} (r${regno}, ${formatScalar(v)}) may be negative: bound it with an unsigned comparison or a mask`, [regno]);
  if (v.umin === 0n && !zeroOk) env.fail('invalid-helper-argument', `the size argument of ${name} (r${regno}, ${formatScalar(v)}) may be 0, which it does not accept`, [regno]);
  if (v.umax >= BigInt(MAX_VAR_OFF)) env.fail('unbounded-access', `the size argument of ${name} (r${regno}, ${formatScalar(v)}) is unbounded: compare it with a constant or mask it`, [regno]);
  return v;
}

/**
 * Replaces, in every frame, the registers that `match` selects by NOT_INIT with an origin saying why (the linux rule
 * set, as Linux's `mark_reg_invalid` for a privileged program: by an unknown number, the address it was).
 */
function invalidate(env: Env, match: (r: Reg) => boolean, origin: Origin): void {
  const gone: Reg = env.allowPointerLeaks ? scalarReg(SCALAR_UNKNOWN, origin) : { ...REG_NOT_INIT, origin };
  for (const f of env.cur.frames) {
    for (let i = 0; i < f.regs.length; i++) if (match(f.regs[i] as Reg)) f.regs[i] = gone;
    for (let k = 0; k < f.stack.length; k++) {
      const s = f.stack[k];
      if (s?.spill !== undefined && match(s.spill)) f.stack[k] = stackSlot(s.bytes.replaceAll('r', 'm'), undefined);
    }
  }
}

/**
 * Helpers that return the socket they are given, seen as another type (Linux's `is_ptr_cast_function`): the
 * result shares the argument's reference, so releasing either releases both, and a NULL result releases nothing.
 * Other helpers that return a socket (`bpf_get_listener_sock`, `bpf_skc_to_unix_sock`, ...) return one no
 * reference holds.
 */
const PTR_CAST_HELPERS: ReadonlySet<string> = new Set([
  'tcp_sock', 'sk_fullsock', 'skc_to_tcp_sock', 'skc_to_tcp6_sock', 'skc_to_udp6_sock', 'skc_to_mptcp_sock',
  'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock',
]);

/** bpf_get_local_storage: flags must be 0, and the storage it returns is never NULL. */
const GET_LOCAL_STORAGE = 81;

/**
 * Checks a call to a helper function and sets r0. For a helper that calls back into the program, returns the state
 * entering the callback (a path to explore besides this one, on which the helper has returned).
 */
export function checkHelperCall(env: Env, ins: Instruction): CallbackEntry | undefined {
  const id = ins.imm;
  const proto = env.ptype.helper?.(id) ?? env.platform.helper(id);
  const name = helperName(proto, id);
  if (proto === undefined) env.fail('unknown-helper', `call to unknown helper function #${id}`, []);
  if (!env.ptype.helperAllowed(id)) env.fail('helper-not-allowed', `${name} cannot be called from ${env.ptype.name} programs`, []);
  // While a spin lock is held, only its release may be called (the kernel's rule).
  if (env.cur.lockId !== 0 && proto.name !== 'spin_unlock') {
    env.fail('unreleased-reference', `${name} is called while the spin lock taken at ${env.where(env.cur.lockSlot)} is held; release it first`, []);
  }
  if (proto.gplOnly === true && !env.gpl) env.fail('helper-not-allowed', `${name} is restricted to GPL-compatible programs, and this program's license is not one`, []);

  let mapIndex = -1;
  let mem: { regno: number; reg: Reg; write: boolean; clobber: boolean; what: string } | undefined;
  let allocSize = 0;
  let releaseRef = 0;
  let castRef = 0;
  // The largest value of the (last) size argument, for helpers whose result is bounded by it.
  let sizeMax = -1n;
  let callback: { regno: number; reg: Reg } | undefined;
  // Whether packet pointers may be memory arguments: the kernel's may_access_direct_pkt_data with the helper's meta.
  const pktMode = env.ptype.packetHelperArgs;
  const packetOk = pktMode === undefined || pktMode === 'any' || (pktMode === 'pkt_access' && proto.pktAccess === true);
  for (let i = 0; i < proto.args.length; i++) {
    const arg = proto.args[i] as HelperArg;
    const regno = i + 1;
    const r = env.readReg(regno);
    const what = `argument ${regno} of ${name}`;
    if (r.tainted && !env.allowPointerLeaks) env.fail('pointer-leak', `${what} (r${regno}) is a number derived from an address${env.originText(r)}: passing it would leak the address`, [regno]);
    const nullOk = arg.nullable === true && isNullScalar(r);
    if (arg.kind !== ArgKind.ANYTHING && isPacketPointer(r) && !packetOk) {
      env.fail('invalid-helper-argument', `${what} (r${regno}) points into the packet, which ${name} may not be given in ${env.ptype.name} programs (Linux: "helper access to the packet is not allowed"): copy the bytes to the stack first`, [regno]);
    }
    switch (arg.kind) {
      case ArgKind.ANYTHING:
        if (isPointer(r) && arg.pointerOk !== true && !env.allowPointerLeaks) env.fail('pointer-leak', `${what} (r${regno}) holds ${describeType(r)}${env.originText(r)}: passing it would leak an address`, [regno]);
        // bpf_get_local_storage cannot return an error, so Linux pins its flags to 0 (check_helper_call).
        if (id === GET_LOCAL_STORAGE && regno === 2 && !(r.type === RegType.SCALAR && isConst(r.value) && r.value.varOff.value === 0n)) {
          env.fail('invalid-helper-argument', `${what} (r2) must be 0, but it holds ${describeType(r)}${env.originText(r)} (Linux: "get_local_storage() doesn't support non-zero flags")`, [regno]);
        }
        break;
      case ArgKind.CONST_MAP_PTR: {
        if (r.type !== RegType.CONST_MAP || r.maybeNull) {
          if (r.type === RegType.CONST_MAP) env.fail('null-dereference', `${what} (r${regno}) may be NULL${env.originText(r)}: compare it with 0 first`, [regno]);
          env.fail('invalid-helper-argument', `${what} (r${regno}) must be a map, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        }
        mapIndex = r.map;
        const m = env.maps[mapIndex];
        // The program type's own rules first (Linux's may_update_sockmap depends on it), then the platform's.
        const compatible = env.ptype.mapCompatible ?? env.platform.mapCompatible ?? mapHelperCompatible;
        if (m !== undefined && !compatible(id, m.type)) {
          env.fail('invalid-helper-argument', `${name} cannot be used with map '${m.name}' of type ${mapTypeName(m.type)} (Linux: "cannot pass map_type ${m.type} into func bpf_${name.replace(/^bpf_/, '')}#${id}")`, [regno]);
        }
        break;
      }
      case ArgKind.MAP_KEY:
      case ArgKind.MAP_VALUE:
      case ArgKind.UNINIT_MAP_VALUE: {
        if (nullOk) break;
        const m = env.maps[mapIndex];
        if (m === undefined) env.fail('invalid-helper-argument', `${what} needs a map argument before it`, [regno]);
        const isKey = arg.kind === ArgKind.MAP_KEY;
        if (!isKey && (m.type === MapType.sockmap || m.type === MapType.sockhash)) {
          // A sockmap's values are sockets: the value argument is a socket pointer (Linux's resolve_map_arg_type
          // turns ARG_PTR_TO_MAP_VALUE into ARG_PTR_TO_BTF_ID_SOCK_COMMON; any other value argument is refused).
          if (arg.kind !== ArgKind.MAP_VALUE) env.fail('invalid-helper-argument', `${what} cannot be used with map '${m.name}' of type ${mapTypeName(m.type)} (Linux: "invalid arg_type for sockmap/sockhash")`, [regno]);
          const sock = r.type === RegType.SOCKET || r.type === RegType.SOCK_COMMON || r.type === RegType.TCP_SOCK || r.type === RegType.XDP_SOCK;
          if (!sock) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a socket pointer (the value of map '${m.name}', a ${mapTypeName(m.type)}, is a socket), but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
          if (r.maybeNull) env.fail('null-dereference', `${what} (r${regno}) may be NULL${env.originText(r)}: compare it with 0 first`, [regno]);
          break;
        }
        const n = BigInt(isKey ? m.keySize : m.valueSize);
        const valueWhat = `the ${isKey ? 'key' : 'value'} of map '${m.name}' passed to ${name}`;
        // bpf_map_peek_elem declares its value uninitialized (a queue or stack writes it), but a bloom filter reads
        // it: the value to test. Linux checks only the write; checking the read too refuses, under strict rules,
        // a test of never-written stack bytes, and changes nothing under Linux's (allow_uninit_stack).
        if (arg.kind === ArgKind.UNINIT_MAP_VALUE && m.type === MapType.bloom_filter) helperMem(env, regno, r, n, n, false, valueWhat);
        helperMem(env, regno, r, n, n, arg.kind === ArgKind.UNINIT_MAP_VALUE, valueWhat);
        break;
      }
      case ArgKind.MEM:
      case ArgKind.UNINIT_MEM: {
        const uninit = arg.kind === ArgKind.UNINIT_MEM;
        if (arg.fixedSize !== undefined) {
          if (nullOk) break;
          const n = BigInt(arg.fixedSize);
          if (arg.aligned === true && isPointer(r)) checkArgAligned(env, regno, r, arg.fixedSize, `buffer passed to ${name}`);
          if (!uninit) helperMem(env, regno, r, n, n, false, `the buffer passed to ${name}`);
          if (uninit || arg.write === true) helperMem(env, regno, r, n, n, true, `the buffer passed to ${name}`);
          break;
        }
        if (nullOk) {
          mem = { regno, reg: r, write: false, clobber: false, what };
          break;
        }
        mem = { regno, reg: r, write: uninit, clobber: arg.write === true && !uninit, what: `the buffer passed to ${name}` };
        if (r.type === RegType.SCALAR || r.type === RegType.NOT_INIT) helperMem(env, regno, r, 1n, 1n, false, mem.what);
        break;
      }
      case ArgKind.CONST_SIZE:
      case ArgKind.CONST_SIZE_OR_ZERO: {
        const v = sizeArg(env, regno, r, arg.kind === ArgKind.CONST_SIZE_OR_ZERO, name);
        env.markPrecise([regno]);
        sizeMax = v.umax;
        if (mem === undefined) break;
        if (isNullScalar(mem.reg)) {
          if (v.umax !== 0n) env.fail('invalid-helper-argument', `${mem.what} is NULL, so its size (r${regno}) must be 0`, [mem.regno, regno]);
          break;
        }
        helperMem(env, mem.regno, mem.reg, v.umin, v.umax, mem.write, mem.what);
        // A buffer the helper reads and then writes: its bytes are numbers afterwards (no spills survive).
        if (mem.clobber) helperMem(env, mem.regno, mem.reg, v.umin, v.umax, true, mem.what);
        mem = undefined;
        break;
      }
      case ArgKind.CTX:
        if (nullOk) break;
        if (r.type !== RegType.CTX) env.fail('invalid-helper-argument', `${what} (r${regno}) must be the context pointer, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        if (r.off !== 0 || !isConst(r.value) || r.value.varOff.value !== 0n) env.fail('invalid-helper-argument', `${what} (r${regno}) must be the context pointer as the program received it, not moved by an offset`, [regno]);
        break;
      case ArgKind.SOCKET:
      case ArgKind.SOCK_COMMON: {
        if (nullOk) break;
        const ok = arg.kind === ArgKind.SOCKET
          ? r.type === RegType.SOCKET
          : r.type === RegType.SOCKET || r.type === RegType.SOCK_COMMON || r.type === RegType.TCP_SOCK || r.type === RegType.BTF_ID;
        if (!ok) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a socket pointer, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        refuseKernelObject(env, regno, r, what);
        if (r.maybeNull) env.fail('null-dereference', `${what} (r${regno}) may be NULL${env.originText(r)}: compare it with 0 first`, [regno]);
        if (proto.releases === i) {
          if (r.refId === 0) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a socket the program acquired (from bpf_sk_lookup_*), not ${describeType(r)}${env.originText(r)}`, [regno]);
          releaseRef = r.refId;
        } else if (r.refId !== 0 && PTR_CAST_HELPERS.has(proto.name)) {
          castRef = r.refId;
        }
        break;
      }
      case ArgKind.ALLOC_MEM:
        if (r.type !== RegType.MEM || r.refId === 0) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a record from bpf_ringbuf_reserve, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        if (r.maybeNull) env.fail('null-dereference', `${what} (r${regno}) may be NULL${env.originText(r)}: compare it with 0 first`, [regno]);
        if (r.off !== 0 || !isConst(r.value) || r.value.varOff.value !== 0n) env.fail('invalid-helper-argument', `${what} (r${regno}) must be the pointer bpf_ringbuf_reserve returned, unmoved`, [regno]);
        releaseRef = r.refId;
        break;
      case ArgKind.CONST_ALLOC_SIZE_OR_ZERO:
        if (r.type !== RegType.SCALAR || !isConst(r.value)) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a constant size`, [regno]);
        if (r.value.varOff.value >= BigInt(MAX_VAR_OFF)) env.fail('invalid-helper-argument', `${what} (r${regno}) is too large`, [regno]);
        allocSize = Number(r.value.varOff.value);
        env.markPrecise([regno]);
        break;
      case ArgKind.LONG:
      case ArgKind.INT:
        if (isPointer(r)) checkArgAligned(env, regno, r, arg.kind === ArgKind.LONG ? 8 : 4, `result buffer of ${name}`);
        helperMem(env, regno, r, arg.kind === ArgKind.LONG ? 8n : 4n, arg.kind === ArgKind.LONG ? 8n : 4n, true, `the result buffer of ${name}`);
        break;
      case ArgKind.STACK:
        if (nullOk) break;
        if (r.type !== RegType.STACK) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a stack pointer or NULL, but it holds ${describeType(r)}`, [regno]);
        break;
      case ArgKind.CONST_STR: {
        const m = env.maps[r.map];
        if (r.type !== RegType.MAP_VALUE || m === undefined || m.frozen === undefined || !isConst(r.value)) {
          env.fail('invalid-helper-argument', `${what} (r${regno}) must be a constant string in read-only global data`, [regno]);
        }
        const at = r.off + Number(r.value.varOff.value);
        const nul = m.frozen.indexOf(0, at);
        if (at < 0 || at >= m.frozen.length || nul < 0) env.fail('invalid-helper-argument', `${what} (r${regno}) is not a NUL-terminated string inside '${m.name}'`, [regno]);
        break;
      }
      case ArgKind.BTF_ID:
        if (r.type !== RegType.BTF_ID || r.maybeNull) env.fail('invalid-helper-argument', `${what} (r${regno}) must be a kernel object pointer, but it holds ${describeType(r)}`, [regno]);
        refuseKernelObject(env, regno, r, what);
        break;
      case ArgKind.SPIN_LOCK: {
        // The bpf_spin_lock of a map value (its place known from the value's BTF), identified by the value (its id,
        // or for global data its map and offset) so that the unlock must name the same lock (process_spin_lock).
        if (r.type !== RegType.MAP_VALUE || r.maybeNull) {
          env.fail('invalid-helper-argument', `${what} (r${regno}) must point to a bpf_spin_lock inside a map value, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        }
        if (!isConst(r.value)) env.fail('invalid-helper-argument', `${what} (r${regno}) has a variable offset (${formatScalar(r.value)}): the bpf_spin_lock must be at a constant offset`, [regno]);
        const lockMap = env.maps[r.map];
        const lockField = lockMap?.fields?.find((f) => f.kind === 'spin_lock');
        if (lockMap === undefined || lockField === undefined) {
          env.fail('invalid-helper-argument', `${what} (r${regno}) points into map '${lockMap?.name ?? r.map}', whose value has no struct bpf_spin_lock in its BTF (Linux needs the map's BTF to find the lock)`, [regno]);
        }
        const lockAt = r.off + Number(r.value.varOff.value);
        if (lockAt !== lockField.offset) {
          env.fail('invalid-helper-argument', `${what} (r${regno}) points to offset ${lockAt} of the value of map '${lockMap.name}', but its struct bpf_spin_lock is at offset ${lockField.offset}`, [regno]);
        }
        const lock = r.id !== 0 ? r.id : 1_000_000 + r.map * 65_536 + r.off + Number(r.value.varOff.value);
        if (proto.name === 'spin_lock') {
          if (env.cur.lockId !== 0) env.fail('unreleased-reference', `bpf_spin_lock while the lock taken at ${env.where(env.cur.lockSlot)} is still held`, [regno]);
          env.cur.lockId = lock;
          env.cur.lockSlot = env.slot;
        } else {
          if (env.cur.lockId === 0) env.fail('invalid-helper-argument', 'bpf_spin_unlock without a lock held', [regno]);
          if (env.cur.lockId !== lock) env.fail('invalid-helper-argument', `bpf_spin_unlock of a different lock than the one taken at ${env.where(env.cur.lockSlot)}`, [regno]);
          env.cur.lockId = 0;
          env.cur.lockSlot = -1;
        }
        break;
      }
      case ArgKind.FUNC:
        // Checked with the other arguments in hand (the map, the context, the flags), below.
        callback = { regno, reg: r };
        break;
      case ArgKind.UNSUPPORTED:
        env.fail('unsupported', `${name} takes an argument of a kind, which this verifier does not support yet`, [regno]);
    }
  }

  // Program-wide rules for particular helpers.
  if (id === 12) {
    const cb = inCallback(env.cur);
    if (cb !== undefined) env.fail('helper-not-allowed', `bpf_tail_call cannot be used in a callback (this one is called by ${cb.callback?.helper ?? 'a helper'} at ${env.where(cb.callsite)})`, []);
    if (env.cur.refs.length > 0) env.fail('unreleased-reference', `bpf_tail_call would leave the reference acquired ${refText(env, env.cur.refs[0] as Reference)} unreleased`, []);
    if (env.cur.lockId !== 0) env.fail('unreleased-reference', 'bpf_tail_call while holding a spin lock', []);
  }

  // The callback's path starts from the state before the helper's effects on its caller's registers.
  const entry = callback !== undefined ? enterCallback(env, proto.name, name, callback.regno, callback.reg, mapIndex) : undefined;
  const origin: Origin = { slot: env.slot, what: `returned by ${name}` };
  if (releaseRef !== 0) {
    const ref = env.cur.refs.find((x) => x.id === releaseRef);
    if (ref === undefined) env.fail('invalid-helper-argument', `${name} releases a reference that is no longer held`, []);
    env.cur.refs = env.cur.refs.filter((x) => x.id !== releaseRef);
    invalidate(env, (r) => r.refId === releaseRef, { slot: env.slot, what: `released by ${name}` });
  }
  if (proto.changesPacketData === true) {
    invalidate(env, (r) => r.type === RegType.PACKET || r.type === RegType.PACKET_META || r.type === RegType.PACKET_END,
      { slot: env.slot, what: `a packet pointer invalidated by ${name} (the packet may have moved)` });
  }
  const frame = env.frame();
  const clobber: Origin = { slot: env.slot, what: `clobbered by the call to ${name}` };
  for (let r = 1; r <= 5; r++) frame.regs[r] = { ...REG_NOT_INIT, origin: clobber };
  frame.regs[0] = helperResult(env, proto, mapIndex, allocSize, castRef, sizeMax, origin);
  if (callback !== undefined) leaveCallbackCall(env);
  return entry;
}

/** For the kfunc checks (`kfuncs.ts`): the same reference and invalidation rules as helpers. */
export { acquire as acquireReference, invalidate as invalidateRegs };

function refText(env: Env, ref: Reference): string {
  return `by ${ref.what} at ${env.where(ref.slot)}`;
}

function acquire(env: Env, what: string): number {
  const id = env.newId();
  env.cur.refs = [...env.cur.refs, { id, slot: env.slot, what }];
  return id;
}

function helperResult(env: Env, proto: HelperPrototype, mapIndex: number, allocSize: number, castRef: number, sizeMax: bigint, origin: Origin): Reg {
  const name = helperName(proto, proto.id);
  switch (proto.ret) {
    case RetKind.VOID:
      return { ...REG_NOT_INIT, origin: { slot: env.slot, what: `not set by ${name}, which returns nothing` } };
    case RetKind.INTEGER: {
      if (proto.retAtMostSize === true && sizeMax >= 0n && sizeMax <= S32_MAX) {
        // Bytes written (at most the size) or -errno, in both the 64- and the 32-bit views.
        const m = mutableScalar(SCALAR_UNKNOWN);
        m.smin = -MAX_ERRNO;
        m.smax = sizeMax;
        m.s32min = -MAX_ERRNO;
        m.s32max = sizeMax;
        return scalarReg(finish(m), origin);
      }
      const value = proto.retRange !== undefined ? scalarUnsignedRange(proto.retRange[0], proto.retRange[1]) : SCALAR_UNKNOWN;
      return scalarReg(value, origin);
    }
    case RetKind.MAP_VALUE:
    case RetKind.MAP_VALUE_OR_NULL: {
      const m = env.maps[mapIndex];
      const id = env.newId();
      if (m !== undefined && (m.type === MapType.array_of_maps || m.type === MapType.hash_of_maps) && m.inner !== undefined) {
        return makeReg({ type: RegType.CONST_MAP, maybeNull: true, map: m.inner, id, value: SCALAR_ZERO, origin });
      }
      if (m !== undefined && (m.type === MapType.sockmap || m.type === MapType.sockhash)) {
        const ref = acquire(env, name);
        return makeReg({ type: RegType.SOCKET, maybeNull: true, id: ref, refId: ref, value: SCALAR_ZERO, origin });
      }
      const notNull = proto.ret === RetKind.MAP_VALUE || proto.id === GET_LOCAL_STORAGE; // never returns NULL
      return makeReg({ type: RegType.MAP_VALUE, maybeNull: !notNull, map: mapIndex, id: notNull ? 0 : id, value: SCALAR_ZERO, origin });
    }
    case RetKind.SOCKET_OR_NULL:
    case RetKind.TCP_SOCK_OR_NULL:
    case RetKind.SOCK_COMMON_OR_NULL: {
      const type = proto.ret === RetKind.SOCKET_OR_NULL ? RegType.SOCKET : proto.ret === RetKind.TCP_SOCK_OR_NULL ? RegType.TCP_SOCK : RegType.SOCK_COMMON;
      if (proto.acquires === true) {
        const ref = acquire(env, name);
        return makeReg({ type, maybeNull: true, id: ref, refId: ref, value: SCALAR_ZERO, origin });
      }
      return makeReg({ type, maybeNull: true, id: env.newId(), refId: castRef, value: SCALAR_ZERO, origin });
    }
    case RetKind.ALLOC_MEM_OR_NULL: {
      const ref = acquire(env, name);
      return makeReg({ type: RegType.MEM, maybeNull: true, id: ref, refId: ref, memSize: allocSize, value: SCALAR_ZERO, origin });
    }
    case RetKind.BTF_ID_OR_NULL:
      return makeReg({ type: RegType.BTF_ID, maybeNull: true, id: env.newId(), refId: castRef, value: SCALAR_ZERO, origin });
    case RetKind.BTF_ID:
      return makeReg({ type: RegType.BTF_ID, value: SCALAR_ZERO, origin });
  }
}

/** The compiler's memory intrinsics, when clang emits them as calls (old clang, large sizes): checked like helpers. */
const BUILTINS: Record<string, { dst: boolean; src: boolean }> = {
  memset: { dst: true, src: false },
  memcpy: { dst: true, src: true },
  memmove: { dst: true, src: true },
  memcmp: { dst: false, src: true },
};

/**
 * A call to an external function the object leaves undefined: `memset`, `memcpy`, `memmove` and `memcmp` are
 * checked as builtins (r1 and r2 buffers of r3 bytes; the runtime provides them), and a function named after a
 * helper (`bpf_map_lookup_elem`) is that helper. Anything else is not supported.
 */
export function checkExternCall(env: Env, name: string): void {
  const b = BUILTINS[name];
  if (b === undefined) {
    const helper = name.startsWith('bpf_') ? findHelper(env, name.slice(4)) : undefined;
    if (helper === undefined) env.fail('unsupported', `call to the external function '${name}', which is neither a helper, a kfunc this verifier knows (src/abi/kfuncs.ts), nor a compiler builtin (memset, memcpy, memmove, memcmp)`, []);
    checkHelperCall(env, { opcode: 0x85, dst: 0, src: 0, offset: 0, imm: helper, size: 1, slot: env.slot, valid: true });
    return;
  }
  for (let r = 1; r <= 3; r++) {
    const reg = env.readReg(r);
    if (reg.tainted && !env.allowPointerLeaks) env.fail('pointer-leak', `argument ${r} of ${name} is a number derived from an address${env.originText(reg)}`, [r]);
  }
  const r3 = env.readReg(3);
  const n = sizeArg(env, 3, r3, true, name);
  env.markPrecise([3]);
  const r1 = env.readReg(1);
  const r2 = env.readReg(2);
  if (name === 'memset') {
    if (r2.type !== RegType.SCALAR && !env.allowPointerLeaks) env.fail('pointer-leak', `the fill byte of memset (r2) holds ${describeType(r2)}`, [2]);
    helperMem(env, 1, r1, n.umin, n.umax, true, 'the destination of memset');
  } else {
    if (b.src) helperMem(env, 2, r2, n.umax, n.umax, false, `the source of ${name}`);
    if (b.dst) helperMem(env, 1, r1, n.umin, n.umax, true, `the destination of ${name}`);
    else helperMem(env, 1, r1, n.umax, n.umax, false, `the first buffer of ${name}`);
  }
  const frame = env.frame();
  const clobber: Origin = { slot: env.slot, what: `clobbered by the call to ${name}` };
  for (let r = 1; r <= 5; r++) frame.regs[r] = { ...REG_NOT_INIT, origin: clobber };
  frame.regs[0] = name === 'memcmp' ? scalarReg(SCALAR_UNKNOWN, { slot: env.slot, what: 'returned by memcmp' }) : { ...REG_NOT_INIT, origin: { slot: env.slot, what: `the result of ${name}, which the verifier does not let programs use` } };
}

function findHelper(env: Env, name: string): number | undefined {
  for (let id = 1; id < 256; id++) if (env.platform.helper(id)?.name === name) return id;
  return undefined;
}

/**
 * Prepares the hidden exit of a subprogram after an instruction that can leave it without `exit`: r0 is 0 after a
 * legacy packet load outside the packet (bpf_gen_ld_abs), or the tail-called program's value after a successful
 * bpf_tail_call, which may have moved the packet (every packet pointer is invalidated, as Linux does).
 */
export function prepareHiddenExit(env: Env, kind: 'LD_ABS' | 'tail_call'): void {
  const frame = env.frame();
  if (kind === 'LD_ABS') {
    frame.regs[0] = constReg(0n, { slot: env.slot, what: '0, returned by the function when the legacy packet load fell outside the packet' });
    return;
  }
  invalidate(env, (r) => r.type === RegType.PACKET || r.type === RegType.PACKET_META || r.type === RegType.PACKET_END,
    { slot: env.slot, what: 'a packet pointer invalidated by a tail call (the other program may have moved the packet)' });
  frame.regs[0] = scalarReg(SCALAR_UNKNOWN, { slot: env.slot, what: 'the value of the program bpf_tail_call ran' });
}

/** Enters a BPF-to-BPF call: a new frame with r1-r5 passed; returns the callee's first slot. */
export function enterLocalCall(env: Env, ins: Instruction): number {
  const target = env.slot + 1 + ins.imm;
  const fname = env.cfg.functions[env.cfg.funcOf[target] as number]?.name ?? `instruction ${target}`;
  if (env.cur.frames.length >= MAX_CALL_FRAMES) {
    env.fail('call-depth', `the call to ${fname} would make the call chain ${env.cur.frames.length + 1} frames deep; at most ${MAX_CALL_FRAMES} are allowed`, []);
  }
  if (env.cur.frames.some((f) => f.funcStart === target)) env.fail('call-depth', `recursive call to ${fname}: recursion is not allowed`, []);
  if (env.cur.lockId !== 0) env.fail('unreleased-reference', `call to ${fname} while holding a spin lock`, []);
  const caller = env.frame();
  const callee = newFrame(env.slot, target, env.cur.frames.length);
  for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r] as Reg;
  callee.regs[10] = makeReg({ type: RegType.STACK, frame: callee.frameNo, value: SCALAR_ZERO });
  const clobber: Origin = { slot: env.slot, what: `clobbered by the call to ${fname}` };
  for (let r = 0; r <= 5; r++) caller.regs[r] = { ...REG_NOT_INIT, origin: clobber };
  env.cur.frames.push(callee);
  return target;
}

/**
 * The result of an exit: the program ends, or a subprogram returns to `slot` (for a callback, the helper call that
 * called it).
 */
export type ExitResult = { readonly done: true } | { readonly done: false; readonly slot: number; readonly callback: boolean };

/** Checks `exit`. */
export function checkExit(env: Env): ExitResult {
  const frame = env.frame();
  const r0 = frame.regs[0] as Reg;
  if (frame.callback !== undefined) return { done: false, slot: checkCallbackExit(env), callback: true };
  if (env.cur.frames.length > 1) {
    // A subprogram may return nothing (Linux leaves the caller's r0 uninitialized then), but not its own stack.
    if (r0.type === RegType.STACK && r0.frame === frame.frameNo) env.fail('invalid-pointer', 'the function returns a pointer into its own stack frame, which is gone after it returns', [0]);
    env.cur.frames.pop();
    const caller = env.frame();
    caller.regs[0] = r0;
    return { done: false, slot: frame.callsite + 1, callback: false };
  }
  if (env.lenientExits.has(env.slot)) return { done: true };
  const ref = env.cur.refs[0];
  if (env.voidReturn || (env.leakOnlyReturn && r0.type === RegType.NOT_INIT)) {
    if (ref !== undefined) env.fail('unreleased-reference', `the reference acquired ${refText(env, ref)} is not released on this path`, []);
    if (env.voidReturn) return { done: true };
  }
  if (r0.type === RegType.NOT_INIT) {
    env.fail('invalid-return', `r0 is not set at the program's exit${r0.origin !== undefined ? ` (${r0.origin.what} at ${env.where(r0.origin.slot)})` : ''}`, [0]);
  }
  if (r0.type !== RegType.SCALAR || r0.tainted) {
    // Linux lets a privileged program return an address where the program type does not restrict the value.
    if (env.ptype.retRange !== undefined) {
      env.fail('invalid-return', `${env.ptype.name} programs must return a number in [${env.ptype.retRange[0]}, ${env.ptype.retRange[1]}], but r0 holds ${describeType(r0)}${env.originText(r0)}`, [0]);
    }
    if (!env.allowPointerLeaks) env.fail('pointer-leak', `the program returns r0, which holds ${describeType(r0)}${env.originText(r0)}: returning it would leak an address`, [0]);
  }
  if (ref !== undefined) env.fail('unreleased-reference', `the reference acquired ${refText(env, ref)} is not released on this path`, []);
  if (env.cur.lockId !== 0) env.fail('unreleased-reference', `the spin lock taken at ${env.where(env.cur.lockSlot)} is not released on this path`, []);
  const rr = env.ptype.retRange;
  if (rr !== undefined) env.markPrecise([0]);
  if (rr !== undefined && !scalarIn(scalarSignedRange(rr[0], rr[1]), r0.value)) {
    env.fail('invalid-return', `${env.ptype.name} programs must return a value in [${rr[0]}, ${rr[1]}], but r0 is ${formatReg(r0)}${env.originText(r0)}`, [0]);
  }
  return { done: true };
}

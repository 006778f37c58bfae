/**
 * Loads, stores and atomic operations: the region a pointer points into decides what is allowed (the kernel's
 * `check_mem_access`). Every access must lie inside its region on every value the pointer can have: the stack
 * frame, the context fields the program type exposes, the packet up to what a comparison with `data_end` proved,
 * a map value, a ring buffer record.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AtomicOp,
  InstructionClass,
  Mode,
  type Instruction,
  sizeInBytes,
} from '../asm/index.ts';
import type { Env } from './env.ts';
import {
  bpfSockAccess,
  bpfTcpSockAccess,
  bpfXdpSockAccess,
} from './helper-extras.ts';
import { kernelObjectLoad } from './kfuncs.ts';
import type { CtxAccess } from './platform.ts';
import {
  type Reg,
  REG_NOT_INIT,
  REG_UNKNOWN,
  RegType,
  constReg,
  describeType,
  isNullScalar,
  makeReg,
  scalarReg,
} from './reg.ts';
import {
  fieldsOverlapping,
} from './map-fields.ts';
import {
  type Scalar,
  S64_MIN,
  SCALAR_UNKNOWN,
  formatScalar,
  isConst,
} from './scalar.ts';
import {
  scalarSignExtend,
  scalarTruncate,
} from './scalar-alu.ts';
import {
  tnumAdd,
  tnumConst,
  tnumIsAligned,
} from './tnum.ts';
import {
  fpText,
  stackBounds,
  stackCheckInitialized,
  stackReadFixed,
  stackWriteFixed,
  stackWriteRange,
} from './stack.ts';
import type { Frame } from './state.ts';


/** Variable offsets beyond this are treated as unbounded (the kernel's BPF_MAX_VAR_OFF). */
export const MAX_VAR_OFF = 1 << 29;

/** An unknown number of `size` bytes, zero- or sign-extended. */
export function loadedScalar(size: number, signed: boolean): Scalar {
  if (size >= 8) return SCALAR_UNKNOWN;
  return signed ? scalarSignExtend(SCALAR_UNKNOWN, (size * 8) as 8 | 16 | 32) : scalarTruncate(SCALAR_UNKNOWN, size);
}

/** The signed value of a constant scalar. */
function constOff(s: Scalar): number {
  return Number(BigInt.asIntN(64, s.varOff.value));
}

/** Describes a byte range relative to a pointer: `bytes 8 to 11`. */
function byteRange(lo: number | bigint, hi: number | bigint): string {
  return lo === hi ? `byte ${lo}` : `bytes ${lo} to ${hi}`;
}

/**
 * Checks an access of `size` bytes at `reg + off` in a region of `regionSize` bytes (map values, memory, keys),
 * where the pointer has a fixed offset and a variable part (the kernel's `check_mem_region_access`).
 */
export function checkRegion(env: Env, regno: number, reg: Reg, off: number, size: number, regionSize: number, what: string, verb: string): void {
  const base = reg.off + off;
  const v = reg.value;
  if (v.smin < 0n && (v.smin === S64_MIN || BigInt(base) + v.smin < 0n)) {
    env.fail('out-of-bounds', `${verb} through r${regno} (${what}) may be at a negative offset: the variable part of the pointer has minimum ${formatScalar(v).includes('smin') ? v.smin : formatScalar(v)}; bound it with an unsigned comparison or a check against 0`, [regno]);
  }
  if (v.umax >= BigInt(MAX_VAR_OFF)) {
    env.fail('unbounded-access', `${verb} through r${regno} (${what}) is unbounded: the pointer's variable offset (${formatScalar(v)}) has no upper bound; compare the index with the size first`, [regno]);
  }
  const lo = BigInt(base) + (v.smin > 0n ? v.smin : 0n);
  const hi = BigInt(base) + v.umax + BigInt(size);
  if (lo < 0n || hi > BigInt(regionSize)) {
    const where = isConst(v) ? `offset ${base + constOff(v)}` : `offsets ${lo} to ${hi - BigInt(size)}`;
    env.fail('out-of-bounds', `${verb} of ${size} bytes at ${where} through r${regno} is outside ${what} (${regionSize} bytes): it would touch ${byteRange(lo, hi - 1n)}`, [regno]);
  }
}

/**
 * Refuses a direct access (a load or store) or a helper's access that touches a special field of a map value (a
 * spin lock, a timer, a list head...: the kernel's check_map_access over the value's btf_record). A `__kptr` field
 * may be loaded (an untrusted, maybe-NULL kernel object pointer) or cleared by a direct 8-byte access at its exact
 * offset; the rest is for bpf_kptr_xchg. Returns the register a kptr load gives, undefined otherwise.
 */
export function specialFieldAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, value: StoreValue | undefined, how: 'direct' | 'helper'): Reg | undefined {
  const map = env.maps[reg.map];
  const fields = map?.fields ?? [];
  if (map === undefined || fields.length === 0) return undefined;
  const lo = BigInt(reg.off + off) + reg.value.smin;
  const hi = BigInt(reg.off + off) + reg.value.umax + BigInt(size);
  const hit = fieldsOverlapping(fields, lo, hi)[0];
  if (hit === undefined) return undefined;
  const where = `the ${hit.typeName} at offset ${hit.offset} of the value of map '${map.name}'`;
  if (hit.kind !== 'kptr' || how === 'helper') {
    const kernel = hit.kind === 'kptr' ? 'kptr cannot be accessed indirectly by helper' : `${hit.typeName.replace(/^struct /, '')} cannot be accessed directly by load/store`;
    env.fail('invalid-pointer', `${how === 'helper' ? 'the helper\'s memory argument' : write ? 'a store' : 'a load'} through r${regno} touches ${where}, which only its own helpers may use (Linux: "${kernel}")`, [regno]);
  }
  if (!isConst(reg.value) || BigInt(hit.offset) !== BigInt(reg.off + off) + reg.value.varOff.value || size !== 8) {
    env.fail('invalid-pointer', `an access through r${regno} to ${where} must read or write all 8 bytes at a constant offset`, [regno]);
  }
  if (write) {
    if (value === undefined || !isNullScalar(value.reg)) env.fail('invalid-pointer', `only NULL may be stored directly into ${where}; bpf_kptr_xchg exchanges a kernel object pointer`, [regno]);
    return REG_NOT_INIT;
  }
  return makeReg({ type: RegType.BTF_ID, maybeNull: true, id: env.newId(), value: constReg(0n).value, origin: { slot: env.slot, what: `loaded from ${where}` } });
}

/**
 * Alignment (the kernel's `check_generic_ptr_alignment`): every value `reg + off` can take must be a multiple of
 * `size`. The fixed and variable parts are added as tnums, as Linux does, so that a variable part that makes up
 * for an odd fixed offset still counts as aligned.
 */
function checkAligned(env: Env, regno: number, reg: Reg, off: number, size: number, what: string): void {
  if (size === 1) return;
  const fixed = reg.off + off;
  if (!tnumIsAligned(tnumAdd(reg.value.varOff, tnumConst(BigInt(fixed))), size)) {
    env.fail('misaligned-access', `misaligned ${what}: ${size} bytes at ${isConst(reg.value) ? `offset ${fixed + constOff(reg.value)}` : `offset ${fixed} plus ${formatScalar(reg.value)}`} through r${regno} (must be a multiple of ${size})`, [regno]);
  }
}

/**
 * Strict alignment of a pointer argument to `size` (the kernel's `check_ptr_alignment(..., strict = true)` for a
 * MEM_ALIGNED helper argument): packet pointers are checked as the kernel does, with NET_IP_ALIGN (2) added.
 */
export function checkArgAligned(env: Env, regno: number, reg: Reg, size: number, what: string): void {
  const ipAlign = reg.type === RegType.PACKET || reg.type === RegType.PACKET_META ? 2 : 0;
  checkAligned(env, regno, reg, ipAlign, size, what);
}

/** What the kernel's alignment messages call an access through each pointer type. */
function alignmentWhat(t: RegType): string {
  switch (t) {
    case RegType.PACKET: case RegType.PACKET_META: return 'packet access (offsets count NET_IP_ALIGN, 2)';
    case RegType.FLOW_KEYS: return 'flow keys access';
    case RegType.MAP_KEY: return 'map key access';
    case RegType.MAP_VALUE: return 'map value access';
    case RegType.CTX: return 'context access';
    case RegType.SOCKET: case RegType.SOCK_COMMON: case RegType.TCP_SOCK: case RegType.XDP_SOCK: return 'socket access';
    default: return 'access';
  }
}

/**
 * Under strict alignment (VerifyOptions.strictAlignment, the kernel's BPF_F_STRICT_ALIGNMENT), every load and
 * store through any pointer must be naturally aligned (`check_ptr_alignment` with `env->strict_alignment`); packet
 * offsets have NET_IP_ALIGN (2) added, the alignment the IP header gets on machines that need it. Stack accesses
 * are checked in any case (`stackAccess`).
 */
function checkStrictAlignment(env: Env, regno: number, reg: Reg, off: number, size: number): void {
  if (!env.strictAlignment || reg.type === RegType.STACK) return;
  const ipAlign = reg.type === RegType.PACKET || reg.type === RegType.PACKET_META ? 2 : 0;
  checkAligned(env, regno, reg, off + ipAlign, size, `${alignmentWhat(reg.type)} under strict alignment`);
}

/** What a store writes: a register (STX), an immediate (ST), or an unknown number (atomics). */
export interface StoreValue {
  readonly reg: Reg;
  /** The source register number, -1 for immediates. */
  readonly regno: number;
}

/** The frame a stack pointer points into. */
function stackFrame(env: Env, reg: Reg): Frame {
  return env.cur.frames[reg.frame] as Frame;
}

/**
 * Checks one access through register `regno` (`reg + off`, `size` bytes) and, for loads, returns the value loaded.
 * For stores, `value` is what is written.
 */
export function checkMemAccess(
  env: Env,
  regno: number,
  off: number,
  size: number,
  write: boolean,
  value: StoreValue | undefined,
  signed = false,
  dst = -1,
): Reg {
  const reg = env.readReg(regno);
  const verb = write ? 'a store' : 'a load';
  if (reg.type === RegType.SCALAR) {
    if (isConst(reg.value) && reg.value.varOff.value === 0n) {
      env.fail('null-dereference', `${verb} through r${regno}, which is NULL here${env.originText(reg)}`, [regno]);
    }
    env.fail('invalid-pointer', `${verb} through r${regno}, which holds a number, not a pointer${env.originText(reg)}`, [regno]);
  }
  if (reg.maybeNull) {
    env.fail('null-dereference', `possible NULL dereference of r${regno}${env.originText(reg)}: compare it with 0 first`, [regno]);
  }
  // Addresses stored outside the stack: allowed by the linux rule set (Linux's allow_ptr_leaks), not by strict.
  if (write && value !== undefined && value.reg.tainted && reg.type !== RegType.STACK && !env.allowPointerLeaks) {
    env.fail('pointer-leak', `r${value.regno} holds a number derived from an address${env.originText(value.reg)}; storing it outside the stack would leak the address`, [value.regno, regno]);
  }
  if (write && value !== undefined && value.reg.type !== RegType.SCALAR && reg.type !== RegType.STACK && !env.allowPointerLeaks) {
    env.fail('pointer-leak', `r${value.regno} holds ${describeType(value.reg)}; storing it into ${describeType(reg).replace(/^an? /, 'the memory of a ')} would leak an address`, [value.regno, regno]);
  }
  checkStrictAlignment(env, regno, reg, off, size);
  switch (reg.type) {
    case RegType.STACK:
      return stackAccess(env, regno, reg, off, size, write, value, signed, dst);
    case RegType.CTX:
      return ctxAccess(env, regno, reg, off, size, write, signed);
    case RegType.MAP_VALUE: {
      const map = env.maps[reg.map];
      if (map === undefined) env.fail('invalid-pointer', `r${regno} points into an unknown map`, [regno]);
      const what = `the value of map '${map.name}'`;
      if (write && map.readOnly) env.fail('read-only', `${verb} into ${what} through r${regno}, which is read-only`, [regno]);
      checkRegion(env, regno, reg, off, size, map.valueSize, what, verb);
      const field = specialFieldAccess(env, regno, reg, off, size, write, value, 'direct');
      if (field !== undefined) return field;
      if (!write && map.frozen !== undefined && isConst(reg.value)) {
        const at = reg.off + off + constOff(reg.value);
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(map.frozen[at + i] ?? 0);
        if (signed && size < 8) v = BigInt.asIntN(size * 8, v);
        return constReg(v, { slot: env.slot, what: `read from ${map.name}` });
      }
      return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: `loaded from ${what}` });
    }
    case RegType.MAP_KEY: {
      const map = env.maps[reg.map];
      if (map === undefined) env.fail('invalid-pointer', `r${regno} points into an unknown map`, [regno]);
      if (write) env.fail('read-only', `${verb} into a map key through r${regno}: keys are read-only`, [regno]);
      checkRegion(env, regno, reg, off, size, map.keySize, `a key of map '${map.name}'`, verb);
      return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'loaded from a map key' });
    }
    case RegType.MEM: {
      if (write && reg.readOnly) env.fail('read-only', `${verb} through r${regno}, which points to read-only memory`, [regno]);
      checkRegion(env, regno, reg, off, size, reg.memSize, `the ${reg.memSize}-byte memory it points to${env.originText(reg)}`, verb);
      return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'loaded from memory' });
    }
    case RegType.PACKET:
    case RegType.PACKET_META:
      return packetAccess(env, regno, reg, off, size, write, signed);
    case RegType.PACKET_END:
      return env.fail('invalid-pointer', `${verb} through r${regno}, the packet end pointer: it marks the end of the packet and cannot be dereferenced`, [regno]);
    case RegType.SOCKET:
    case RegType.SOCK_COMMON:
    case RegType.TCP_SOCK:
    case RegType.XDP_SOCK:
      return sockAccess(env, regno, reg, off, size, write, signed);
    case RegType.FLOW_KEYS:
      checkRegion(env, regno, reg, off, size, 56, 'the flow keys', verb);
      return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'loaded from the flow keys' });
    case RegType.BTF_ID:
      if (write) env.fail('read-only', `${verb} through r${regno}, a kernel object pointer: kernel memory is read-only to programs`, [regno]);
      // A kernel object a kfunc returned: its struct is known, the load is checked against it (kfuncs.ts).
      if (reg.memSize !== 0) return kernelObjectLoad(env, regno, reg, off, size, signed);
      return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'read from kernel memory' });
    default:
      return env.fail('invalid-pointer', `${verb} through r${regno}, which is ${describeType(reg)}: it cannot be dereferenced`, [regno]);
  }
}

function stackAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, value: StoreValue | undefined, signed: boolean, dst: number): Reg {
  const frame = stackFrame(env, reg);
  checkAligned(env, regno, reg, off, size, 'stack access');
  const verb = write ? 'a store' : 'a load';
  if (isConst(reg.value)) {
    const at = reg.off + off + constOff(reg.value);
    stackBounds(env, frame, at, at + size, regno, verb);
    if (write) {
      stackWriteFixed(env, frame, at, size, (value as StoreValue).reg, (value as StoreValue).regno, regno);
      return REG_NOT_INIT;
    }
    return stackReadFixed(env, frame, at, size, signed, regno, dst);
  }
  const v = reg.value;
  if (v.smin === S64_MIN || v.smax - v.smin >= BigInt(MAX_VAR_OFF)) {
    env.fail('unbounded-access', `${verb} through r${regno}, a stack pointer with an unbounded variable offset (${formatScalar(v)})`, [regno]);
  }
  const lo = reg.off + off + Number(v.smin);
  const hi = reg.off + off + Number(v.smax) + size;
  stackBounds(env, frame, lo, hi, regno, verb);
  if (write) {
    const zero = value !== undefined && value.reg.type === RegType.SCALAR && isConst(value.reg.value) && value.reg.value.varOff.value === 0n;
    stackWriteRange(env, frame, lo, hi, zero, regno, value?.reg.tainted === true);
    return REG_NOT_INIT;
  }
  stackCheckInitialized(env, frame, lo, hi, regno, `${verb} at a variable stack offset`);
  return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: `loaded from the stack at ${fpText(frame, lo)}..${fpText(frame, hi - 1)}` });
}

function ctxAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, signed: boolean): Reg {
  if (reg.off !== 0 || !isConst(reg.value) || reg.value.varOff.value !== 0n) {
    env.fail('invalid-context-access', `${write ? 'a store' : 'a load'} through r${regno}, a context pointer moved by ${isConst(reg.value) ? reg.off + constOff(reg.value) : formatScalar(reg.value)} bytes: the context may only be accessed through its original pointer with a constant offset in the instruction`, [regno]);
  }
  const r: CtxAccess = env.ptype.ctxAccess(off, size, write, signed);
  if (!r.ok) {
    env.fail('invalid-context-access', `invalid ${write ? 'write to' : signed ? 'sign-extending read from' : 'read from'} the ${env.ptype.name} context: ${size} bytes at offset ${off}: ${r.reason}`, [regno]);
  }
  const origin = { slot: env.slot, what: `read from the context at offset ${off}` };
  switch (r.kind) {
    case 'scalar':
      return scalarReg(loadedScalar(size, signed), origin);
    case 'packet':
      return makeReg({ type: RegType.PACKET, value: constReg(0n).value, origin: { slot: env.slot, what: 'the packet start (data)' } });
    case 'packet_end':
      return makeReg({ type: RegType.PACKET_END, value: constReg(0n).value, origin: { slot: env.slot, what: 'the packet end (data_end)' } });
    case 'packet_meta':
      return makeReg({ type: RegType.PACKET_META, value: constReg(0n).value, origin: { slot: env.slot, what: 'the packet metadata (data_meta)' } });
    case 'socket':
      return makeReg({ type: RegType.SOCKET, value: constReg(0n).value, origin });
    case 'socket_or_null':
      return makeReg({ type: RegType.SOCKET, maybeNull: true, id: env.newId(), value: constReg(0n).value, origin });
    case 'sock_common_or_null':
      return makeReg({ type: RegType.SOCK_COMMON, maybeNull: true, id: env.newId(), value: constReg(0n).value, origin });
    case 'flow_keys':
      return makeReg({ type: RegType.FLOW_KEYS, value: constReg(0n).value, origin });
  }
}

function packetAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, signed: boolean): Reg {
  const verb = write ? 'a store' : 'a load';
  if (write && !env.ptype.packetWrite) env.fail('read-only', `${verb} into the packet through r${regno}: ${env.ptype.name} programs cannot write packet data directly`, [regno]);
  if (reg.value.smin < 0n) {
    env.fail('out-of-bounds', `${verb} through r${regno}, a packet pointer whose variable offset may be negative (${formatScalar(reg.value)}): use an unsigned offset`, [regno]);
  }
  const at = reg.off + off;
  if (at < 0 || at + size > reg.range) {
    const meta = reg.type === RegType.PACKET_META;
    const proven = reg.range > 0 ? `only ${reg.range} byte${reg.range === 1 ? '' : 's'} from the ${meta ? 'metadata' : 'packet'} pointer${reg.off !== 0 ? ` (r${regno} is at +${reg.off})` : ''} are proven to lie before ${meta ? 'data' : 'data_end'}` : `no comparison with ${meta ? 'data' : 'data_end'} covers it`;
    env.fail('out-of-bounds', `${verb} of ${size} bytes at ${meta ? 'metadata' : 'packet'} offset ${at}${isConst(reg.value) ? '' : ` plus ${formatScalar(reg.value)}`} through r${regno} may run past the end of the ${meta ? 'metadata' : 'packet'}: ${proven}; compare the pointer with ${meta ? 'data' : 'data_end'} first`, [regno]);
  }
  return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'loaded from the packet' });
}

function sockAccess(env: Env, regno: number, reg: Reg, off: number, size: number, write: boolean, signed: boolean): Reg {
  if (write) env.fail('read-only', `a store through r${regno}, ${describeType(reg)}: sockets are read-only`, [regno]);
  if (!isConst(reg.value) || reg.value.varOff.value !== 0n) {
    env.fail('invalid-pointer', `a load through r${regno}, a socket pointer with a variable offset`, [regno]);
  }
  const at = reg.off + off;
  let r: CtxAccess;
  if (reg.type === RegType.TCP_SOCK) {
    r = bpfTcpSockAccess(at, size);
  } else if (reg.type === RegType.XDP_SOCK) {
    r = bpfXdpSockAccess(at, size);
  } else if (reg.type === RegType.SOCK_COMMON && at >= 8 && at < 24) {
    r = { ok: false, reason: 'type, protocol, mark and priority need a full socket (bpf_sk_fullsock)' };
  } else {
    r = bpfSockAccess(at, size);
  }
  if (!r.ok) env.fail('invalid-context-access', `invalid read of ${size} bytes at offset ${at} of ${describeType(reg)} r${regno}: ${r.reason}`, [regno]);
  return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: 'read from a socket' });
}

/** Pointer types whose accesses Linux rewrites per type (`reg_type_mismatch_ok` is false for them). */
function rewrittenAccess(t: number): boolean {
  return t === RegType.CTX || t === RegType.SOCKET || t === RegType.SOCK_COMMON || t === RegType.TCP_SOCK ||
    t === RegType.XDP_SOCK || t === RegType.BTF_ID;
}

/**
 * Records the type of the pointer this instruction accessed memory through, and refuses an instruction that
 * accesses the context (or a socket, a kernel object) on one path and other memory on another: Linux rewrites such
 * accesses per pointer type, so one instruction cannot serve both (`save_aux_ptr_type`).
 */
function notePointerType(env: Env, regno: number): void {
  const t = env.reg(regno).type;
  const prev = env.accessPointerType[env.slot] as number;
  if (prev === -1) {
    env.accessPointerType[env.slot] = t;
    return;
  }
  if (prev !== t && (rewrittenAccess(prev) || rewrittenAccess(t))) {
    env.fail('invalid-pointer', `this instruction accesses memory through r${regno}, ${describeType(env.reg(regno))}, but on another path through ${describeType(makeReg({ type: prev as RegType }))}: one instruction may not access the context or a socket on one path and other memory on another (Linux: "same insn cannot be used with different pointers")`, [regno]);
  }
}

/** LDX: `dst = *(size *)(src + off)`, zero- or sign-extended. */
export function checkLoad(env: Env, ins: Instruction): void {
  const size = sizeInBytes(ins.opcode & 0x18);
  const signed = (ins.opcode & 0xe0) === Mode.MEMSX;
  const v = checkMemAccess(env, ins.src, ins.offset, size, false, undefined, signed, ins.dst);
  notePointerType(env, ins.src);
  env.setReg(ins.dst, v);
}

/** ST and STX (MEM mode): `*(size *)(dst + off) = src or imm`. */
export function checkStore(env: Env, ins: Instruction): void {
  const size = sizeInBytes(ins.opcode & 0x18);
  if ((ins.opcode & 0x07) === InstructionClass.ST) {
    const v = BigInt(ins.imm);
    checkMemAccess(env, ins.dst, ins.offset, size, true, { reg: constReg(v), regno: -1 });
    notePointerType(env, ins.dst);
    return;
  }
  const src = env.readReg(ins.src);
  checkMemAccess(env, ins.dst, ins.offset, size, true, { reg: src, regno: ins.src });
  notePointerType(env, ins.dst);
}

/** Atomic read-modify-write operations (`lock *(u64 *)(r1 + 0) += r2`, fetch variants, xchg, cmpxchg). */
export function checkAtomic(env: Env, ins: Instruction): void {
  const size = sizeInBytes(ins.opcode & 0x18);
  const src = env.readReg(ins.src);
  const dstReg = env.readReg(ins.dst);
  if ((src.type !== RegType.SCALAR || src.tainted) && !env.allowPointerLeaks) {
    env.fail('pointer-leak', `the atomic operation stores r${ins.src}, which holds ${describeType(src)}: it would leak an address`, [ins.src]);
  }
  if (ins.imm === AtomicOp.CMPXCHG) {
    const r0 = env.readReg(0);
    if (r0.type !== RegType.SCALAR && !env.allowPointerLeaks) env.fail('pointer-leak', `cmpxchg compares with r0, which holds ${describeType(r0)}`, [0]);
  }
  if (dstReg.type !== RegType.STACK && dstReg.type !== RegType.MAP_VALUE && dstReg.type !== RegType.MEM) {
    if (dstReg.type === RegType.SCALAR || dstReg.maybeNull) checkMemAccess(env, ins.dst, ins.offset, size, true, { reg: src, regno: ins.src });
    env.fail('invalid-pointer', `atomic operations are allowed on the stack and on map values, not on r${ins.dst}, ${describeType(dstReg)}`, [ins.dst]);
  }
  checkAligned(env, ins.dst, dstReg, ins.offset, size, 'atomic access');
  // Read, then write an unknown number.
  checkMemAccess(env, ins.dst, ins.offset, size, false, undefined, false, -1);
  checkMemAccess(env, ins.dst, ins.offset, size, true, { reg: REG_UNKNOWN, regno: ins.src });
  const fetched = scalarReg(loadedScalar(size, false), { slot: env.slot, what: 'the old value fetched by an atomic operation' });
  if (ins.imm === AtomicOp.CMPXCHG) env.setReg(0, fetched);
  else if ((ins.imm & AtomicOp.FETCH) !== 0) env.setReg(ins.src, fetched);
}

/** LD_ABS and LD_IND: `r0 = ntoh(*(size *)(skb->data + imm [+ src]))`, with r6 the context. */
export function checkLegacyPacketLoad(env: Env, ins: Instruction): void {
  if (!env.ptype.legacyPacketLoads) env.fail('invalid-context-access', `legacy packet loads (LD_ABS, LD_IND) are not allowed in ${env.ptype.name} programs`, []);
  const r6 = env.readReg(6);
  if (r6.type !== RegType.CTX || r6.off !== 0 || !isConst(r6.value) || r6.value.varOff.value !== 0n) {
    env.fail('invalid-pointer', `a legacy packet load needs the context in r6, as the program received it, but r6 holds ${describeType(r6)}${r6.type === RegType.CTX ? ' moved by an offset' : ''}`, [6]);
  }
  // Outside the packet the load ends the function: nothing may be held then (Linux's check_resource_leak).
  if (env.cur.refs.length > 0) env.fail('unreleased-reference', 'legacy packet loads cannot be used while a reference is held', []);
  if (env.cur.lockId !== 0) env.fail('unreleased-reference', `legacy packet loads cannot be used while the spin lock taken at ${env.where(env.cur.lockSlot)} is held`, []);
  if ((ins.opcode & 0xe0) === Mode.IND) {
    const idx = env.readReg(ins.src);
    if (idx.type !== RegType.SCALAR || idx.tainted) env.fail('pointer-leak', `the offset register r${ins.src} of a legacy packet load holds ${describeType(idx)}`, [ins.src]);
  }
  const size = sizeInBytes(ins.opcode & 0x18);
  const frame = env.frame();
  const origin = { slot: env.slot, what: 'clobbered by a legacy packet load' };
  for (let r = 1; r <= 5; r++) frame.regs[r] = { ...REG_NOT_INIT, origin };
  frame.regs[0] = scalarReg(loadedScalar(size, false), { slot: env.slot, what: 'loaded from the packet' });
}

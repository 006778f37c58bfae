/**
 * Calls to kernel functions (kfuncs): `extern ... __ksym` functions, which clang emits as `call` instructions with
 * `src_reg` BPF_PSEUDO_KFUNC_CALL (2) relocated against an undefined symbol of `.ksyms`, and the kernel resolves by
 * name in its BTF. The verifier checks them as Linux's `check_kfunc_call` does, for the kfuncs of the abi table
 * (`src/abi/kfuncs.ts`):
 *
 * 1. The kfunc must be in the table, and its set registered for the program's type ("calling kernel function
 *    bpf_task_from_pid is not allowed"); with a kernel BTF, the kernel must have it too.
 * 2. The prototype: the kernel's BTF when one is given, else the object's own extern declaration (its `FUNC` with
 *    linkage extern and `FUNC_PROTO`); its parameter count and kinds (number or pointer) must match the table's.
 * 3. Arguments: numbers, constants (`__k`), the context, and pointers to kernel objects that must be trusted (a
 *    reference the program holds, or a pointer a trusted source handed over), NULL-checked, unmoved, and of the
 *    struct the kfunc takes (or one embedding it at offset 0). Untrusted pointers (`bpf_rdonly_cast`'s) and kernel
 *    objects whose type the verifier cannot tell (helper results, kptrs) are refused.
 * 4. References: a KF_ACQUIRE result is a reference the program must release on every path (found at the exit, as
 *    for sockets and ring buffer records); KF_RELEASE releases the one its argument holds, and every copy of the
 *    pointer becomes unusable. A KF_RET_NULL result must be compared with 0 before use; on the NULL branch the
 *    reference is gone.
 * 5. Kernel object pointers a kfunc returns are typed (their struct's name); loads through them are allowed at
 *    constant offsets inside the struct, whose size comes from the BTF at hand, and give numbers. Where the struct's
 *    size is unknown the load is refused as unsupported; stores are refused (kernel memory is read-only here).
 *
 * Open-coded iterators (`bpf_iter_num_new`, `_next`, `_destroy`) live in an 8-byte stack slot whose bytes are `i`
 * (StackByte has no code for them: loads read them as never-written bytes, any store ends the iterator, and its
 * reference then leaks). The slot's "spill" is an ITER register. With constant bounds it holds the number of values
 * the iterator still yields (COUNTED): `bpf_iter_num_new` gives the kernel's exact count (0 when it fails), `next`
 * yields a read-only pointer to the current int while the count lasts and NULL after, so a loop over it is explored
 * iteration by iteration, as a bounded loop is. With bounds known only at run time it holds Linux's iterator state
 * (ACTIVE, DRAINED) and depth: `next` on an ACTIVE iterator forks (Linux's `process_iter_next_call`: this path gets
 * NULL and the iterator DRAINED, a queued one the next value and the iterator one level deeper), on a DRAINED one it
 * returns NULL; `verify.ts` makes the loop converge at the `next` call. `destroy` releases the reference `new` took.
 * See DESIGN.md, "Kfuncs".
 *
 * Author: Claude.
 *
 * @module
 */

import {
  KERNEL_CONTEXT_TYPES,
  KFUNC_EMBEDDED_FIRST,
  KfuncFlag,
  type KfuncArg,
  type KfuncInfo,
  kfuncAllowed,
  kfuncByName,
  kfuncs,
} from '../abi/index.ts';
import type { Btf, BtfType } from '../btf/index.ts';
import { acquireReference, invalidateRegs } from './calls.ts';
import type { Env } from './env.ts';
import { checkRegion, loadedScalar } from './memory.ts';
import { noteDepth } from './stack.ts';
import { type Frame, MAX_STACK, SLOT_INVALID, type StackSlot, type VerifierState, cloneState, stackSlot } from './state.ts';
import {
  type Origin,
  type Reg,
  REG_NOT_INIT,
  RegType,
  constReg,
  describeType,
  makeReg,
  scalarReg,
} from './reg.ts';
import {
  SCALAR_UNKNOWN,
  SCALAR_ZERO,
  formatScalar,
  isConst,
  scalarConst,
} from './scalar.ts';

/**
 * Kernel object types by name, interned: a kernel object pointer a kfunc returned carries its struct as a small
 * number in `Reg.memSize` (0: a kernel object of unknown type, as helpers return). The numbers are stable for the
 * life of the process, so states compare by them.
 */
const typeNames: string[] = [''];
const typeIds = new Map<string, number>();

/** The number standing for struct `name` in a kernel object pointer's `memSize`. */
export function kernelTypeId(name: string): number {
  let id = typeIds.get(name);
  if (id === undefined) {
    id = typeNames.length;
    typeNames.push(name);
    typeIds.set(name, id);
  }
  return id;
}

/** The struct a typed kernel object pointer points to, or '' for an untyped one. */
export function kernelTypeName(reg: Reg): string {
  return reg.type === RegType.BTF_ID ? (typeNames[reg.memSize] ?? '') : '';
}

/** Whether `name` is a kfunc of the table (a call to it is checked by {@link checkKfuncCall}). */
export function isKnownKfunc(name: string): boolean {
  return kfuncByName(name) !== undefined;
}

/** The BTF kfunc prototypes and kernel struct layouts are read from: the kernel's when given, else the object's. */
function typesBtf(env: Env): Btf | undefined {
  return env.kernelBtf ?? env.objectBtf;
}

/** The STRUCT or UNION named `name` in `btf` (a definition, not a forward declaration). */
function structByName(btf: Btf | undefined, name: string): Extract<BtfType, { kind: 'STRUCT' | 'UNION' }> | undefined {
  if (btf === undefined || name === '') return undefined;
  for (const t of btf.typesByName(name)) if (t.kind === 'STRUCT' || t.kind === 'UNION') return t;
  return undefined;
}

/** The size of struct `name`: from the kernel's BTF, else the object's; undefined when neither defines it. */
function structSize(env: Env, name: string): number | undefined {
  return (structByName(env.kernelBtf, name) ?? structByName(env.objectBtf, name))?.size;
}

/**
 * Whether a pointer to struct `have` may be passed where struct `want` is expected: the same struct, or `want` is
 * the first member (offset 0) of `have`, recursively (the kernel's `btf_struct_ids_match`, not strict).
 */
function structMatches(env: Env, have: string, want: string): boolean {
  for (let depth = 0, cur = have; depth < 8 && cur !== ''; depth++) {
    if (cur === want) return true;
    const s = structByName(env.kernelBtf, cur) ?? structByName(env.objectBtf, cur);
    const btf = structByName(env.kernelBtf, cur) !== undefined ? env.kernelBtf : env.objectBtf;
    const first = s?.members[0];
    if (s !== undefined && btf !== undefined && first !== undefined && first.bitOffset === 0) {
      const t = btf.resolve(first.type);
      cur = t.kind === 'STRUCT' || t.kind === 'UNION' ? t.name : '';
    } else {
      cur = KFUNC_EMBEDDED_FIRST[cur] ?? '';
    }
  }
  return false;
}

/**
 * Checks the kfunc's prototype in the BTF at hand against the table: with a kernel BTF the kernel must have the
 * function; the object's extern declaration, when present, must agree in arity and in which parameters are pointers.
 */
function checkPrototype(env: Env, k: KfuncInfo): void {
  const btf = typesBtf(env);
  const fn = btf?.funcByName(k.name);
  if (fn === undefined) {
    if (env.kernelBtf !== undefined) env.fail('unknown-helper', `call to the kernel function '${k.name}', which the kernel's BTF does not have`, []);
    return;
  }
  const proto = btf?.typeById(fn.type);
  if (btf === undefined || proto === undefined || proto.kind !== 'FUNC_PROTO') return;
  const where = env.kernelBtf !== undefined ? 'the kernel\'s BTF' : 'the program\'s declaration';
  if (proto.params.length !== k.args.length) {
    env.fail('invalid-helper-argument', `${k.name} takes ${k.args.length} argument${k.args.length === 1 ? '' : 's'} (${k.proto}), but ${where} gives it ${proto.params.length}`, []);
  }
  proto.params.forEach((p, i) => {
    const arg = k.args[i] as KfuncArg;
    const t = btf.resolve(p.type);
    const isPtr = t.kind === 'PTR';
    const wantPtr = arg.kind === 'object' || arg.kind === 'iter' || arg.kind === 'ctx';
    if (arg.kind !== 'ignored' && isPtr !== wantPtr) {
      env.fail('invalid-helper-argument', `argument ${i + 1} of ${k.name} is ${wantPtr ? 'a pointer' : 'a number'} (${k.proto}), but ${where} declares it as ${isPtr ? 'a pointer' : 'a number'}`, []);
    }
  });
}

/** Checks a pointer-to-kernel-object argument; returns the reference it holds (0 if none). */
function objectArg(env: Env, k: KfuncInfo, regno: number, r: Reg, want: string): number {
  const what = `argument ${regno} of ${k.name} (r${regno})`;
  if (r.type !== RegType.BTF_ID) {
    env.fail('invalid-helper-argument', `${what} must point to a struct ${want} (${k.proto}), but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
  }
  if (r.maybeNull) env.fail('null-dereference', `${what} may be NULL${env.originText(r)}: compare it with 0 first`, [regno]);
  if (r.memSize === 0) {
    env.fail('unsupported', `${what} is a kernel object pointer whose type the verifier cannot tell${env.originText(r)}; only pointers kfuncs return (typed by the kfunc table) can be passed to ${k.name}`, [regno]);
  }
  if (r.readOnly) {
    env.fail('invalid-helper-argument', `${what} is an untrusted pointer${env.originText(r)} (from bpf_rdonly_cast): ${k.name} needs a trusted one (Linux: "must be referenced or trusted")`, [regno]);
  }
  if (r.off !== 0 || !isConst(r.value) || r.value.varOff.value !== 0n) {
    env.fail('invalid-helper-argument', `${what} is moved by ${isConst(r.value) ? r.off + Number(r.value.varOff.value) : `${r.off} plus ${formatScalar(r.value)}`} bytes from the object it points to: ${k.name} needs the pointer unmoved`, [regno]);
  }
  const have = kernelTypeName(r);
  if (!structMatches(env, have, want)) {
    env.fail('invalid-helper-argument', `${what} points to a struct ${have}${env.originText(r)}, but ${k.name} takes a struct ${want} (${k.proto})`, [regno]);
  }
  return r.refId;
}

/**
 * Checks a call to the kfunc `name` (its call instruction is the current one) and sets r0 (for an iterator kfunc,
 * also the iterator's stack slot). Kfuncs the table does not have are refused as unsupported.
 */
export function checkKfuncCall(env: Env, name: string): void {
  const k = kfuncByName(name);
  if (k === undefined) {
    env.fail('unsupported', `call to the kernel function '${name}', which this verifier does not know (it checks ${kfuncs.length} kfuncs: task, cgroup and cpumask references, bpf_cast_to_kern_ctx, bpf_rdonly_cast, bpf_iter_num_*)`, []);
  }
  if (!kfuncAllowed(k, env.ptype.name)) {
    env.fail('helper-not-allowed', `calling kernel function ${name} is not allowed in ${env.ptype.name} programs (its kfunc set, '${k.set}', is not registered for them)`, []);
  }
  if ((k.flags & KfuncFlag.SLEEPABLE) !== 0 && !env.sleepable) {
    env.fail('helper-not-allowed', `${name} may sleep, and this program is not sleepable (Linux: "program must be sleepable to call sleepable kfunc ${name}"); use a sleepable section such as lsm.s/`, []);
  }
  if (env.cur.lockId !== 0) env.fail('unreleased-reference', `${name} is called while the spin lock taken at ${env.where(env.cur.lockSlot)} is held; release it first`, []);
  checkPrototype(env, k);

  let release = 0;
  let castType = '';
  for (let i = 0; i < k.args.length; i++) {
    const arg = k.args[i] as KfuncArg;
    const regno = i + 1;
    if (arg.kind === 'ignored') continue;
    const r = env.readReg(regno);
    const what = `argument ${regno} of ${name} (r${regno})`;
    switch (arg.kind) {
      case 'scalar':
      case 'const':
        if (r.type !== RegType.SCALAR) env.fail('invalid-helper-argument', `${what} must be a number (${k.proto}), but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        if (r.tainted && !env.allowPointerLeaks) env.fail('pointer-leak', `${what} is a number derived from an address${env.originText(r)}: passing it would leak the address`, [regno]);
        if (arg.kind === 'const') {
          if (!isConst(r.value)) env.fail('invalid-helper-argument', `${what} must be a constant known when the program is verified, but it is ${formatScalar(r.value)}`, [regno]);
          env.markPrecise([regno]);
        }
        break;
      case 'ctx':
        if (r.type !== RegType.CTX) env.fail('invalid-helper-argument', `${what} must be the context pointer, but it holds ${describeType(r)}${env.originText(r)}`, [regno]);
        if (r.off !== 0 || !isConst(r.value) || r.value.varOff.value !== 0n) env.fail('invalid-helper-argument', `${what} must be the context pointer as the program received it, not moved by an offset`, [regno]);
        break;
      case 'object': {
        const ref = objectArg(env, k, regno, r, arg.type);
        if ((k.flags & KfuncFlag.RELEASE) !== 0) {
          if (ref === 0) env.fail('invalid-helper-argument', `${what} must be a reference the program acquired (from a KF_ACQUIRE kfunc such as bpf_task_acquire), not ${describeType(r)}${env.originText(r)}`, [regno]);
          release = ref;
        }
        break;
      }
      case 'iter':
        // The iterator kfuncs take nothing else before the iterator: it is checked with the whole call, below.
        return iteratorCall(env, k, arg.type, r);
    }
  }
  if ((k.ret.kind === 'rdonly_cast')) castType = rdonlyCastType(env, k);

  const origin: Origin = { slot: env.slot, what: `returned by ${name}` };
  if (release !== 0) {
    if (!env.cur.refs.some((x) => x.id === release)) env.fail('invalid-helper-argument', `${name} releases a reference that is no longer held`, []);
    env.cur.refs = env.cur.refs.filter((x) => x.id !== release);
    invalidateRegs(env, (r) => r.refId === release, { slot: env.slot, what: `released by ${name}` });
  }
  const frame = env.frame();
  const clobber: Origin = { slot: env.slot, what: `clobbered by the call to ${name}` };
  for (let r = 1; r <= 5; r++) frame.regs[r] = { ...REG_NOT_INIT, origin: clobber };
  frame.regs[0] = kfuncResult(env, k, castType, origin);
}

/** The struct bpf_rdonly_cast's constant second argument names (a type id of the object's BTF, relocated by CO-RE). */
function rdonlyCastType(env: Env, k: KfuncInfo): string {
  const id = Number(env.reg(2).value.varOff.value);
  const btf = env.objectBtf;
  let t: BtfType | undefined;
  try {
    t = btf?.resolve(id);
  } catch {
    t = undefined;
  }
  if (t === undefined || (t.kind !== 'STRUCT' && t.kind !== 'UNION') || t.name === '') {
    env.fail('unsupported', `${k.name} casts to BTF type ${id}${btf === undefined ? ', but the object has no BTF' : t === undefined ? ', which the object\'s BTF does not have' : ` (${btf.describe(id)})`}: only casts to named structs and unions are supported`, [2]);
  }
  return t.name;
}

function kfuncResult(env: Env, k: KfuncInfo, castType: string, origin: Origin): Reg {
  const ret = k.ret;
  switch (ret.kind) {
    case 'void':
      return { ...REG_NOT_INIT, origin: { slot: env.slot, what: `not set by ${k.name}, which returns nothing` } };
    case 'scalar':
      return scalarReg(SCALAR_UNKNOWN, origin);
    case 'object': {
      const maybeNull = (k.flags & KfuncFlag.RET_NULL) !== 0;
      const ref = (k.flags & KfuncFlag.ACQUIRE) !== 0 ? acquireReference(env, k.name) : 0;
      const id = maybeNull ? (ref !== 0 ? ref : env.newId()) : ref;
      return makeReg({ type: RegType.BTF_ID, maybeNull, id, refId: ref, memSize: kernelTypeId(ret.type), value: SCALAR_ZERO, origin });
    }
    case 'rdonly_cast':
      // Linux: PTR_TO_BTF_ID | PTR_UNTRUSTED | MEM_RDONLY, never NULL (the cast itself cannot fail).
      return makeReg({ type: RegType.BTF_ID, readOnly: true, memSize: kernelTypeId(castType), value: SCALAR_ZERO, origin });
    case 'kern_ctx': {
      const name = KERNEL_CONTEXT_TYPES[env.ptype.name];
      if (name === undefined) env.fail('unsupported', `${k.name} in ${env.ptype.name} programs: the verifier does not know the kernel's context type for them`, []);
      return makeReg({ type: RegType.BTF_ID, memSize: kernelTypeId(name), value: SCALAR_ZERO, origin });
    }
    case 'int_ptr':
      return env.fail('unsupported', `${k.name} returns a pointer only as an iterator's next value`, []);
  }
}

/**
 * Refuses a kernel object a kfunc returned (typed: a struct name in `memSize`) as a helper's kernel object or socket
 * argument: helper prototypes here do not say which struct they take (Linux checks `arg_btf_id`), so a task could
 * otherwise be released by bpf_sk_release.
 */
export function refuseKernelObject(env: Env, regno: number, r: Reg, what: string): void {
  if (r.type !== RegType.BTF_ID || r.memSize === 0) return;
  env.fail('unsupported', `${what} (r${regno}) is a struct ${kernelTypeName(r)}${env.originText(r)}: kernel objects from kfuncs cannot be passed to helpers yet (the verifier does not know which struct each helper takes)`, [regno]);
}

/**
 * A load through a typed kernel object pointer (one a kfunc returned): at a constant offset inside the struct, whose
 * size the BTF at hand gives; the bytes are a number. Called by `memory.ts` for BTF_ID pointers with a type.
 */
export function kernelObjectLoad(env: Env, regno: number, reg: Reg, off: number, size: number, signed: boolean): Reg {
  const name = kernelTypeName(reg);
  const total = structSize(env, name);
  const what = `struct ${name}${env.originText(reg)}`;
  if (total === undefined) {
    env.fail('unsupported', `a load through r${regno}, a pointer to ${what}: neither the kernel's nor the object's BTF defines struct ${name}, so the load cannot be checked`, [regno]);
  }
  if (!isConst(reg.value)) {
    env.fail('unsupported', `a load through r${regno}, a pointer to ${what} moved by a variable offset (${formatScalar(reg.value)}): only constant offsets into kernel objects are checked`, [regno]);
  }
  checkRegion(env, regno, reg, off, size, total, `struct ${name}`, 'a load');
  return scalarReg(loadedScalar(size, signed), { slot: env.slot, what: `read from struct ${name}` });
}

/** The bytes of a stack slot holding an open-coded iterator. */
const ITER_BYTES = 'iiiiiiii';

/**
 * What an iterator's slot knows, in its ITER register's `off`. COUNTED: created from constant bounds, its `value` is
 * the number of values it still yields (explored iteration by iteration). ACTIVE and DRAINED are Linux's
 * BPF_ITER_STATE_*: bounds not known when the program is verified; ACTIVE may yield another value or end, DRAINED
 * has ended (`next` returns NULL for good). The register's `range` holds the depth: how many values it has yielded
 * on this path (compared only by the infinite-loop check, see `regSafe`).
 */
export const IterState = { COUNTED: 0, ACTIVE: 1, DRAINED: 2 } as const;

/** Whether the kfunc `name` is an iterator's `next` (its call sites are where iterator loops converge). */
export function isIterNextKfunc(name: string): boolean {
  const k = kfuncByName(name);
  return k !== undefined && (k.flags & KfuncFlag.ITER_NEXT) !== 0;
}

/**
 * Whether, in `state`, r1 of the current frame points to an ACTIVE iterator (one whose end is not known): the
 * condition of Linux's convergence rule at a `next` call ("iter_next at the same depth with an equivalent state").
 */
export function iteratorActiveAtCall(state: VerifierState): boolean {
  const top = state.frames[state.frames.length - 1] as Frame;
  const it = top.regs[1] as Reg;
  if (it.type !== RegType.STACK || !isConst(it.value)) return false;
  const at = it.off + Number(it.value.varOff.value);
  if (at % 8 !== 0 || at < -MAX_STACK || at + 8 > 0) return false;
  const slot = state.frames[it.frame]?.stack[(-at - 1) >> 3];
  return slot !== undefined && isIterSlot(slot) && slot.spill?.off === IterState.ACTIVE;
}
/** The kernel's BPF_MAX_LOOPS: bpf_iter_num_new refuses more iterations (-E2BIG). */
const BPF_MAX_LOOPS = 8n * 1024n * 1024n;

function isIterSlot(slot: StackSlot): boolean {
  return slot.bytes === ITER_BYTES && slot.spill?.type === RegType.ITER;
}

function setStackSlot(frame: Frame, k: number, slot: StackSlot): void {
  while (frame.stack.length < k) frame.stack.push(SLOT_INVALID);
  frame.stack[k] = slot;
}

/**
 * Checks a call of an iterator kfunc (`bpf_iter_num_new`, `_next`, `_destroy`; `it` is r1) and sets the iterator's
 * slot and r0.
 */
function iteratorCall(env: Env, k: KfuncInfo, type: string, it: Reg): void {
  const what = `argument 1 of ${k.name} (r1)`;
  if (it.type !== RegType.STACK) env.fail('invalid-helper-argument', `${what} must point to a struct ${type} on the stack, but it holds ${describeType(it)}${env.originText(it)}`, [1]);
  if (!isConst(it.value)) env.fail('invalid-helper-argument', `${what} points to a variable place in the stack (${formatScalar(it.value)}): an iterator must be at a constant offset`, [1]);
  const at = it.off + Number(it.value.varOff.value);
  if (at % 8 !== 0 || at < -MAX_STACK || at + 8 > 0) env.fail('invalid-helper-argument', `${what} points to fp${at}: an iterator takes an aligned 8-byte slot of the stack frame`, [1]);
  const frame = env.cur.frames[it.frame] as Frame;
  const index = (-at - 1) >> 3;
  env.noteStackRead(frame.frameNo, index);
  const slot = frame.stack[index] ?? SLOT_INVALID;
  const state = isIterSlot(slot) ? slot.spill as Reg : undefined;
  const origin: Origin = { slot: env.slot, what: `returned by ${k.name}` };
  let r0: Reg;
  if ((k.flags & KfuncFlag.ITER_NEW) !== 0) {
    if (state !== undefined) env.fail('invalid-helper-argument', `${what} points to an iterator already created${env.originText(state)} and not destroyed (Linux: "expected uninitialized iter_num as arg #1")`, [1]);
    const bounds = [env.readReg(2), env.readReg(3)];
    for (const [i, b] of bounds.entries()) {
      if (b.type !== RegType.SCALAR) env.fail('invalid-helper-argument', `argument ${i + 2} of ${k.name} (r${i + 2}) must be a number (${k.proto}), but it holds ${describeType(b)}`, [i + 2]);
      if (b.tainted && !env.allowPointerLeaks) env.fail('pointer-leak', `argument ${i + 2} of ${k.name} (r${i + 2}) is a number derived from an address${env.originText(b)}: passing it would leak the address`, [i + 2]);
    }
    if (!isConst((bounds[0] as Reg).value) || !isConst((bounds[1] as Reg).value)) {
      // Bounds known only at run time: Linux's way. The iterator is ACTIVE whatever `new` returns (a failed `new`
      // leaves an iterator whose `next` returns NULL at once, which ACTIVE covers), and loops over it converge at
      // the `next` call (verify.ts).
      const ref = acquireReference(env, `${k.name} (an open-coded iterator, which bpf_iter_num_destroy must destroy)`);
      noteDepth(env, frame, at);
      setStackSlot(frame, index, stackSlot(
        ITER_BYTES,
        makeReg({ type: RegType.ITER, off: IterState.ACTIVE, range: 0, value: SCALAR_ZERO, id: ref, refId: ref, memSize: kernelTypeId(type), origin: { slot: env.slot, what: `created by ${k.name}` } }),
      ));
      env.noteStackWrite(frame.frameNo, index);
      // 0, -EINVAL or -E2BIG (kernel/bpf/bpf_iter.c); Linux calls it an unknown int.
      r0 = scalarReg(SCALAR_UNKNOWN, origin);
      setCallResult(env.frame(), env.slot, k, r0);
      return;
    }
    env.markPrecise([2, 3]);
    const start = BigInt.asIntN(32, (bounds[0] as Reg).value.varOff.value);
    const end = BigInt.asIntN(32, (bounds[1] as Reg).value.varOff.value);
    // bpf_iter_num_new: start > end is -EINVAL, more than BPF_MAX_LOOPS values -E2BIG; either way no values.
    const [count, ret] = start > end ? [0n, -22n] : end - start > BPF_MAX_LOOPS ? [0n, -7n] : [end - start, 0n];
    const ref = acquireReference(env, `${k.name} (an open-coded iterator, which bpf_iter_num_destroy must destroy)`);
    noteDepth(env, frame, at);
    setStackSlot(frame, index, stackSlot(
      ITER_BYTES,
      makeReg({ type: RegType.ITER, value: scalarConst(count), id: ref, refId: ref, memSize: kernelTypeId(type), origin: { slot: env.slot, what: `created by ${k.name}` } }),
    ));
    env.noteStackWrite(frame.frameNo, index);
    r0 = constReg(ret, origin);
  } else {
    if (state === undefined || typeNames[state.memSize] !== type) {
      env.fail('invalid-helper-argument', `${what} must point to a struct ${type} that bpf_iter_num_new created and that is not destroyed, but fp${at} holds none (Linux: "expected an initialized iter_num as arg #1")`, [1]);
    }
    if ((k.flags & KfuncFlag.ITER_NEXT) !== 0 && state.off !== IterState.COUNTED) {
      // Linux's process_iter_next_call: an ACTIVE iterator forks. The current path takes the end (NULL, the
      // iterator DRAINED, its depth kept); the queued one gets another value (the iterator still ACTIVE, one level
      // deeper), to be widened against the previous iteration by the exploration.
      const drained: Origin = { slot: env.slot, what: `NULL from ${k.name}: the iterator is drained` };
      if (state.off === IterState.ACTIVE) {
        const fork = cloneState(env.cur);
        const forkFrame = fork.frames[it.frame] as Frame;
        setStackSlot(forkFrame, index, stackSlot(ITER_BYTES, { ...state, range: state.range + 1 }));
        env.iterFork = fork;
        const value = makeReg({ type: RegType.MEM, readOnly: true, memSize: 4, value: SCALAR_ZERO, origin: { slot: env.slot, what: `the iterator's current value, from ${k.name}` } });
        setCallResult(fork.frames[fork.frames.length - 1] as Frame, env.slot, k, value);
        setStackSlot(frame, index, stackSlot(ITER_BYTES, { ...state, off: IterState.DRAINED }));
      }
      r0 = constReg(0n, drained);
    } else if ((k.flags & KfuncFlag.ITER_NEXT) !== 0) {
      const left = state.value.varOff.value;
      if (left > 0n) {
        setStackSlot(frame, index, stackSlot(ITER_BYTES, { ...state, value: scalarConst(left - 1n) }));
        // Read-only: a write would change the iterator's position, which the count here follows.
        r0 = makeReg({ type: RegType.MEM, readOnly: true, memSize: 4, value: SCALAR_ZERO, origin: { slot: env.slot, what: `the iterator's current value, from ${k.name}` } });
      } else {
        r0 = constReg(0n, { slot: env.slot, what: `NULL from ${k.name}: the iterator is drained` });
      }
    } else {
      const ref = state.refId;
      env.cur.refs = env.cur.refs.filter((x) => x.id !== ref);
      setStackSlot(frame, index, SLOT_INVALID);
      env.noteStackWrite(frame.frameNo, index);
      r0 = { ...REG_NOT_INIT, origin: { slot: env.slot, what: `not set by ${k.name}, which returns nothing` } };
    }
  }
  setCallResult(env.frame(), env.slot, k, r0);
}

/** After an iterator kfunc called at `slot`: r1-r5 of `frame` clobbered, r0 its result. */
function setCallResult(frame: Frame, slot: number, k: KfuncInfo, r0: Reg): void {
  const clobber: Origin = { slot, what: `clobbered by the call to ${k.name}` };
  for (let r = 1; r <= 5; r++) frame.regs[r] = { ...REG_NOT_INIT, origin: clobber };
  frame.regs[0] = r0;
}


/**
 * A small bounds-checking executor for the soundness check (`soundness.ts`): runs a generated XDP program on a
 * concrete input, with every memory access checked against the regions that exist (the context, the packet, the
 * stack, map values handed out by lookups) and, under the `strict` rule set, every stack read checked against the
 * bytes written (in its frame's lifetime: a new frame starts with nothing written; under `linux` such a read gives
 * whatever the bytes hold). It implements exactly what the generator emits (bpf_loop and its callbacks, `may_goto`
 * with a budget per function call, as Linux's prologue stores one per frame, and the bpf_iter_num kfuncs as
 * kernel/bpf/bpf_iter.c has them) plus the common instructions; the project's interpreter is the other executor.
 *
 * Iterators are checked as the verifier promises to use them: `new` on a slot holding no live iterator, `next` and
 * `destroy` on a live one, every iterator destroyed by the program's exit; anything else is a fault too. So are
 * references from `bpf_task_from_pid` (a read-only task object, or NULL when the input says no such task): each
 * released once by `bpf_task_release` before the exit.
 *
 * Addresses are below 2^32 so that `ctx->data` (a 32-bit field) holds the packet address as the kernel's rewrite
 * of context loads would give it.
 *
 * Author: Claude.
 *
 * @module
 */

import { AtomicOp, CallSource, InstructionClass, JumpOp, LoadImm64Source, Mode, Opcode, sizeInBytes, type Instruction } from '../asm/index.ts';
import { evalAlu, evalCondition } from './concrete.ts';
import type { GeneratedProgram } from './generator.ts';
import type { RuleSet } from './rules.ts';
import { type ConcreteInput, type ExecutionOutcome, faultsOnUninitializedStack, type SoundnessExecutor } from './soundness.ts';

interface Region {
  readonly name: string;
  readonly base: number;
  readonly bytes: Uint8Array;
  /** For the stack: which bytes were written. */
  readonly init: Uint8Array | undefined;
  readonly readOnly: boolean;
}

const CTX_BASE = 0x1000;
const PACKET_BASE = 0x10000;
const STACK_BASE = 0x20000;
const STACK_FRAME = 512;
const MAP_PTR_BASE = 0x7000;
const VALUE_BASE = 0x100000;

/** Function addresses (`lddw rX, func`) are this plus the function's slot. */
const FUNC_BASE = 0x8000;
/** Frames at most, the program's own included (as the verifier allows). */
const MAX_FRAMES = 8;
/** Linux's BPF_MAX_LOOPS. */
const MAX_LOOPS = 1 << 23;
const EINVAL = 22n;
/** The `map` argument of `ConcreteInput.present` that says whether bpf_task_from_pid finds a task. */
const TASK_LOOKUP = 100;
/** Bytes of a task object (loads through it need its BTF, which generated programs lack). */
const TASK_SIZE = 64;
const E2BIG = 7n;

/** Runs a program once; see the module comment. */
function execute(p: GeneratedProgram, input: ConcreteInput, rules: RuleSet, maxSteps: number): ExecutionOutcome {
  const checkInit = faultsOnUninitializedStack(rules);
  const regions: Region[] = [];
  const packet = new Uint8Array(input.packet);
  regions.push({ name: 'packet', base: PACKET_BASE, bytes: packet, init: undefined, readOnly: false });
  const ctx = new Uint8Array(24);
  const dv = new DataView(ctx.buffer);
  dv.setUint32(0, PACKET_BASE, true);
  dv.setUint32(4, PACKET_BASE + packet.length, true);
  dv.setUint32(8, PACKET_BASE, true);
  regions.push({ name: 'ctx', base: CTX_BASE, bytes: ctx, init: undefined, readOnly: true });
  const stack = new Uint8Array(STACK_FRAME * MAX_FRAMES);
  const stackInit = new Uint8Array(STACK_FRAME * MAX_FRAMES);
  regions.push({ name: 'stack', base: STACK_BASE, bytes: stack, init: stackInit, readOnly: false });
  const values = new Map<string, number>();
  let nextValue = VALUE_BASE;
  const kfuncAt = new Map(p.kfuncs.map((k) => [k.slot, k.name]));
  /** Live bpf_iter_num iterators, by address (struct bpf_iter_num_kern: s32 cur, s32 end, in the stack). */
  const iterators = new Set<number>();
  /** Task objects bpf_task_from_pid handed out and not yet released, by address. */
  const tasks = new Set<number>();

  const bySlot = new Map<number, Instruction>();
  for (const ins of p.instructions) bySlot.set(ins.slot, ins);
  let steps = 0;
  let calls = 0;
  /** Where the last fault happened (a callback's fault is reported at its own instruction). */
  let pc = 0;

  const find = (addr: bigint, size: number): Region | undefined => {
    for (const r of regions) {
      const a = Number(addr) - r.base;
      if (addr >= BigInt(r.base) && a + size <= r.bytes.length) return r;
    }
    return undefined;
  };
  const fault = (message: string): ExecutionOutcome => ({ kind: 'fault', slot: pc, message });
  /** A new frame's stack holds nothing written yet (whatever an earlier frame left there). */
  const freshFrame = (top: bigint): void => {
    const lo = Number(top) - STACK_FRAME - STACK_BASE;
    stackInit.fill(0, lo, lo + STACK_FRAME);
  };

  const initial: bigint[] = new Array<bigint>(11).fill(0n);
  initial[1] = BigInt(CTX_BASE);
  initial[10] = BigInt(STACK_BASE + STACK_FRAME * MAX_FRAMES);
  return run(0, initial, 1);

  /** Runs the function at `entry` with `regs` until it returns; `depth` counts the frames below and its own. */
  function run(entry: number, regs: bigint[], depth: number): ExecutionOutcome {
    const frames: { ret: number; saved: bigint[]; mayGoto: number }[] = [];
    /** This call's may_goto budget (each call starts with a full one; the caller's is restored on return). */
    let mayGoto = input.mayGotoBudget;
    pc = entry;
    while (steps++ < maxSteps) {
      const ins = bySlot.get(pc);
      if (ins === undefined) return fault(`no instruction at slot ${pc}`);
      const cls = ins.opcode & 0x07;
      switch (cls) {
        case InstructionClass.ALU:
        case InstructionClass.ALU64: {
          const is64 = cls === InstructionClass.ALU64;
          const op = ins.opcode & 0xf0;
          const x = (ins.opcode & 0x08) !== 0;
          let src: bigint;
          let offset = ins.offset;
          if (op === 0xd0) {
            src = BigInt(ins.imm);
            offset = is64 || x ? 1 : 0;
          } else {
            src = x ? (regs[ins.src] as bigint) : BigInt.asUintN(64, BigInt(ins.imm));
          }
          regs[ins.dst] = evalAlu(op, is64, offset, regs[ins.dst] as bigint, src);
          pc += 1;
          break;
        }
        case InstructionClass.LD: {
          if (ins.opcode !== Opcode.LDDW) return { kind: 'unsupported', message: 'legacy packet loads' };
          const imm64 = ins.imm64 ?? BigInt(ins.imm);
          if (ins.src === LoadImm64Source.IMM64) regs[ins.dst] = BigInt.asUintN(64, imm64);
          else if (ins.src === LoadImm64Source.MAP_IDX) regs[ins.dst] = BigInt(MAP_PTR_BASE + ins.imm);
          else if (ins.src === LoadImm64Source.CODE_ADDR) regs[ins.dst] = BigInt(FUNC_BASE + pc + 1 + ins.imm);
          else return { kind: 'unsupported', message: `lddw src ${ins.src}` };
          pc += 2;
          break;
        }
        case InstructionClass.LDX:
        case InstructionClass.ST:
        case InstructionClass.STX: {
          const size = sizeInBytes(ins.opcode & 0x18);
          const load = cls === InstructionClass.LDX;
          const base = load ? ins.src : ins.dst;
          const addr = BigInt.asUintN(64, (regs[base] as bigint) + BigInt(ins.offset));
          const region = find(addr, size);
          if (region === undefined) return fault(`${load ? 'load' : 'store'} of ${size} bytes at 0x${addr.toString(16)} (r${base}${ins.offset >= 0 ? '+' : ''}${ins.offset}) is outside every region`);
          const at = Number(addr) - region.base;
          if (load) {
            if (region.init !== undefined && checkInit) for (let i = 0; i < size; i++) if (region.init[at + i] === 0) return fault(`read of stack byte ${at + i - region.bytes.length} never written`);
            let v = 0n;
            for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(region.bytes[at + i] as number);
            if ((ins.opcode & 0xe0) === Mode.MEMSX) v = BigInt.asUintN(64, BigInt.asIntN(size * 8, v));
            regs[ins.dst] = v;
          } else {
            if (region.readOnly) return fault(`store into read-only ${region.name}`);
            const isAtomic = cls === InstructionClass.STX && (ins.opcode & 0xe0) === Mode.ATOMIC;
            let old = 0n;
            for (let i = size - 1; i >= 0; i--) old = (old << 8n) | BigInt(region.bytes[at + i] as number);
            let v = cls === InstructionClass.ST ? BigInt.asUintN(64, BigInt(ins.imm)) : (regs[ins.src] as bigint);
            if (isAtomic) {
              const aop = ins.imm & 0xf0;
              if (ins.imm === AtomicOp.XCHG) regs[ins.src] = old;
              else if (ins.imm === AtomicOp.CMPXCHG) {
                v = old === BigInt.asUintN(size * 8, regs[0] as bigint) ? v : old;
                regs[0] = old;
              } else {
                v = evalAlu(aop === 0 ? 0x00 : aop, true, 0, old, v);
                if ((ins.imm & AtomicOp.FETCH) !== 0) regs[ins.src] = old;
              }
            }
            for (let i = 0; i < size; i++) {
              region.bytes[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
              if (region.init !== undefined) region.init[at + i] = 1;
            }
          }
          pc += 1;
          break;
        }
        default: {
          const op = ins.opcode & 0xf0;
          if (ins.opcode === Opcode.JA) {
            pc += 1 + ins.offset;
            break;
          }
          if (ins.opcode === Opcode.MAY_GOTO) {
            // Falls through while the call's budget lasts, then jumps.
            if (mayGoto > 0) {
              mayGoto--;
              pc += 1;
            } else {
              pc += 1 + ins.offset;
            }
            break;
          }
          if (op === JumpOp.EXIT) {
            const f = frames.pop();
            if (f === undefined) {
              if (depth === 1 && iterators.size > 0) return fault(`the iterator at 0x${[...iterators][0]?.toString(16)} was never destroyed`);
              if (depth === 1 && tasks.size > 0) return fault(`the task reference 0x${[...tasks][0]?.toString(16)} was never released`);
              return { kind: 'ok', r0: regs[0] as bigint };
            }
            for (let r = 6; r <= 10; r++) regs[r] = f.saved[r] as bigint;
            mayGoto = f.mayGoto;
            pc = f.ret;
            break;
          }
          if (op === JumpOp.CALL) {
            if (ins.src === CallSource.LOCAL) {
              if (depth + frames.length >= MAX_FRAMES) return fault('call stack too deep');
              frames.push({ ret: pc + 1, saved: regs.slice(), mayGoto });
              mayGoto = input.mayGotoBudget;
              regs[10] = (regs[10] as bigint) - BigInt(STACK_FRAME);
              freshFrame(regs[10] as bigint);
              pc += 1 + ins.imm;
              break;
            }
            calls++;
            const here = pc;
            const r = ins.src === CallSource.KFUNC ? kfunc(kfuncAt.get(pc) ?? '?', regs) : helper(ins.imm, regs, depth + frames.length);
            pc = here;
            if (typeof r === 'string') return fault(r);
            if (r === undefined) return { kind: 'unsupported', message: ins.src === CallSource.KFUNC ? `kfunc ${kfuncAt.get(here) ?? '?'}` : `helper ${ins.imm}` };
            if (typeof r !== 'bigint') return r;
            regs[0] = r;
            pc += 1;
            break;
          }
          const is32 = cls === InstructionClass.JMP32;
          const x = (ins.opcode & 0x08) !== 0;
          const b = x ? (regs[ins.src] as bigint) : BigInt.asUintN(64, BigInt(ins.imm));
          pc += evalCondition(op, is32, regs[ins.dst] as bigint, b) ? 1 + ins.offset : 1;
        }
      }
    }
    return { kind: 'limit' };
  }

  /** The 8 bytes of an iterator at `addr`, or a fault message when they are not in the stack. */
  function iteratorBytes(name: string, addr: bigint): DataView | string {
    const region = find(addr, 8);
    if (region?.init === undefined) return `${name}'s iterator 0x${addr.toString(16)} is not in the stack`;
    return new DataView(region.bytes.buffer, region.bytes.byteOffset + Number(addr) - region.base, 8);
  }

  /** Marks the 8 bytes at `addr` (in the stack) written. */
  function written(addr: bigint): void {
    stackInit.fill(1, Number(addr) - STACK_BASE, Number(addr) - STACK_BASE + 8);
  }

  /** A kfunc's result (`bpf_iter_num_*`, as kernel/bpf/bpf_iter.c), a fault message, or undefined when not implemented. */
  function kfunc(name: string, regs: readonly bigint[]): bigint | string | undefined {
    const it = regs[1] as bigint;
    if (name === 'bpf_task_from_pid') {
      const pid = BigInt.asUintN(32, regs[1] as bigint);
      if (!input.present(TASK_LOOKUP, pid)) return 0n;
      const addr = nextValue;
      nextValue += 0x1000;
      regions.push({ name: `task ${pid}`, base: addr, bytes: new Uint8Array(TASK_SIZE), init: undefined, readOnly: true });
      tasks.add(addr);
      return BigInt(addr);
    }
    if (name === 'bpf_task_release') {
      if (!tasks.delete(Number(it))) return `bpf_task_release of 0x${it.toString(16)}, which is no task reference held`;
      return 0n;
    }
    if (!name.startsWith('bpf_iter_num_')) return undefined;
    const s = iteratorBytes(name, it);
    if (typeof s === 'string') return s;
    const live = iterators.has(Number(it));
    const set = (cur: number, end: number): void => {
      s.setInt32(0, cur, true);
      s.setInt32(4, end, true);
      written(it);
    };
    switch (name) {
      case 'bpf_iter_num_new': {
        if (live) return `bpf_iter_num_new on the live iterator at 0x${it.toString(16)}`;
        const start = Number(BigInt.asIntN(32, regs[2] as bigint));
        const end = Number(BigInt.asIntN(32, regs[3] as bigint));
        iterators.add(Number(it));
        if (start > end) {
          set(0, 0);
          return BigInt.asUintN(64, -EINVAL);
        }
        if (end - start > MAX_LOOPS) {
          set(0, 0);
          return BigInt.asUintN(64, -E2BIG);
        }
        set(start - 1, end);
        return 0n;
      }
      case 'bpf_iter_num_next': {
        if (!live) return `bpf_iter_num_next on 0x${it.toString(16)}, which holds no live iterator`;
        // The kernel computes cur + 1 in an int (wrapping: start - 1 wraps too when start is INT_MIN).
        const cur = s.getInt32(0, true);
        if (((cur + 1) | 0) >= s.getInt32(4, true)) {
          set(0, 0);
          return 0n;
        }
        set(cur + 1, s.getInt32(4, true));
        return it;
      }
      case 'bpf_iter_num_destroy':
        if (!live) return `bpf_iter_num_destroy on 0x${it.toString(16)}, which holds no live iterator`;
        iterators.delete(Number(it));
        set(0, 0);
        return 0n;
      default:
        return undefined;
    }
  }

  /** A helper's result, a fault message, undefined when not implemented, or a callback's own outcome. */
  function helper(id: number, regs: readonly bigint[], depth: number): bigint | string | undefined | ExecutionOutcome {
    switch (id) {
      case 1: {
        const m = Number(regs[1] as bigint) - MAP_PTR_BASE;
        const map = p.maps[m];
        if (map === undefined) return `bpf_map_lookup_elem on 0x${(regs[1] as bigint).toString(16)}, not a map`;
        const keyAddr = regs[2] as bigint;
        const region = find(keyAddr, map.keySize);
        if (region === undefined) return 'the key is outside every region';
        const at = Number(keyAddr) - region.base;
        if (region.init !== undefined && checkInit) for (let i = 0; i < map.keySize; i++) if (region.init[at + i] === 0) return 'the key includes stack bytes never written';
        let key = 0n;
        for (let i = map.keySize - 1; i >= 0; i--) key = (key << 8n) | BigInt(region.bytes[at + i] as number);
        if (!input.present(m, key)) return 0n;
        const k = `${m}:${key}`;
        let addr = values.get(k);
        if (addr === undefined) {
          addr = nextValue;
          nextValue += 0x1000;
          values.set(k, addr);
          regions.push({ name: `${map.name}[${key}]`, base: addr, bytes: new Uint8Array(map.valueSize), init: undefined, readOnly: false });
        }
        return BigInt(addr);
      }
      case 5:
      case 7:
      case 8: {
        const v = input.helperResult(id, calls);
        return id === 5 ? v : v & 0xffffffffn;
      }
      case 181: {
        // bpf_loop: the callback gets (index, ctx) in a new frame until it returns non-zero.
        const nr = Number((regs[1] as bigint) & 0xffffffffn);
        const fn = Number(regs[2] as bigint) - FUNC_BASE;
        if ((regs[4] as bigint) !== 0n) return BigInt.asUintN(64, -22n);
        if (nr > MAX_LOOPS) return BigInt.asUintN(64, -7n);
        if (!bySlot.has(fn)) return `bpf_loop's callback 0x${(regs[2] as bigint).toString(16)} is not a function`;
        if (depth >= MAX_FRAMES) return 'call stack too deep';
        for (let i = 0; i < nr; i++) {
          const callee: bigint[] = new Array<bigint>(11).fill(0n);
          callee[1] = BigInt(i);
          callee[2] = regs[3] as bigint;
          callee[10] = (regs[10] as bigint) - BigInt(STACK_FRAME);
          freshFrame(callee[10]);
          const out = run(fn, callee, depth + 1);
          if (out.kind !== 'ok') return out;
          if (out.r0 !== 0n) return BigInt(i + 1);
        }
        return BigInt(nr);
      }
      default:
        return undefined;
    }
  }
}

/** The reference executor. */
export const referenceExecutor: SoundnessExecutor = {
  name: 'reference executor',
  run: (p, input, rules) => execute(p, input, rules, 100_000),
};

/**
 * The structure checks that come before any path is explored, and the facts about the control-flow graph the
 * exploration uses: which function each instruction belongs to, where states are compared (prune points), which
 * jumps close loops, and which registers are live at each instruction.
 *
 * Rejected here, as malformed (the kernel's `check_subprogs` and `check_cfg`): unknown opcodes and bad fields,
 * writes to r10, jumps and calls outside the program, into the second half of a `lddw` or across function
 * boundaries, a function whose last instruction can fall through, and instructions no path reaches.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  CallSource,
  InstructionClass,
  JumpOp,
  LoadImm64Source,
  Mode,
  Opcode,
  registersWritten,
  type Instruction,
  validateInstructions,
} from '../asm/index.ts';

/** A structural problem, at an instruction slot. */
export interface CfgProblem {
  readonly slot: number;
  readonly message: string;
}

/** One function of the linked program. */
export interface CfgFunction {
  readonly name: string;
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
}

/** The facts the exploration needs about the program's shape. */
export interface Cfg {
  /** Instructions by slot; the second slot of a `lddw` is undefined. */
  readonly insns: readonly (Instruction | undefined)[];
  readonly functions: readonly CfgFunction[];
  /** The function index of each slot. */
  readonly funcOf: Int32Array;
  /** Slots where states are compared and remembered: jump targets, conditional jumps, call return points. */
  readonly prunePoint: Uint8Array;
  /** Slots that are the target of a backward jump (loop heads): a checkpoint is always taken there. */
  readonly loopHead: Uint8Array;
  /** Registers read before written on some path from each slot, bit i for ri (r10 excluded). */
  readonly liveIn: Uint16Array;
  /**
   * Calls of helpers that take a callback (`bpf_loop`...): the callback returns to the call, which may call it
   * again, so these are loop heads of a kind, where states are always remembered.
   */
  readonly callbackSite: Uint8Array;
  /**
   * `may_goto` instructions: each iteration of the loop they bound passes one, so states are always remembered
   * there (see `verify.ts`).
   */
  readonly mayGotoSite: Uint8Array;
  /**
   * Calls of an open-coded iterator's `next` kfunc (`bpf_iter_num_next`): each iteration of the loop it drives passes
   * one, so states are always remembered there, and compared with earlier iterations' (Linux's convergence check
   * at `is_iter_next_insn`, see `verify.ts`).
   */
  readonly iterNextSite: Uint8Array;
}

/** How many arguments a helper reads (for liveness); 5 when unknown. */
export type HelperArgCount = (helperId: number) => number;

/** Whether a helper takes a callback (an ARG_PTR_TO_FUNC argument). */
export type HelperTakesCallback = (helperId: number) => boolean;

/**
 * Checks the structure of a linked program and computes its {@link Cfg}, or returns the problems found (the first
 * few; any one makes the program malformed). `externCalls` are the slots of calls to functions the object leaves
 * undefined (their targets are not checked).
 */
export function buildCfg(
  instructions: readonly Instruction[],
  slotCount: number,
  functions: readonly { name: string; start: number; slotCount: number }[],
  helperArgs: HelperArgCount = () => 5,
  externCalls: ReadonlySet<number> = new Set(),
  takesCallback: HelperTakesCallback = () => false,
  iterNextCalls: ReadonlySet<number> = new Set(),
): Cfg | CfgProblem[] {
  const problems: CfgProblem[] = [];
  // Writes to r10 are refused where a path reaches them (Env.setReg), as Linux does: dead code may hold one.
  for (const e of validateInstructions(instructions, {}, { frameWrites: 'when-executed' })) {
    problems.push({ slot: e.where.insn ?? 0, message: e.detail });
  }
  if (problems.length > 0) return problems;
  if (slotCount === 0 || instructions.length === 0) return [{ slot: 0, message: 'the program has no instructions' }];

  const insns: (Instruction | undefined)[] = new Array<Instruction | undefined>(slotCount).fill(undefined);
  for (const ins of instructions) {
    if (ins.slot < 0 || ins.slot >= slotCount) return [{ slot: ins.slot, message: `instruction at slot ${ins.slot} lies outside the program (${slotCount} slots)` }];
    insns[ins.slot] = ins;
  }
  const funcs: CfgFunction[] = functions.map((f) => ({ name: f.name, start: f.start, end: f.start + f.slotCount }));
  if (funcs.length === 0) funcs.push({ name: 'main', start: 0, end: slotCount });
  const funcOf = new Int32Array(slotCount).fill(-1);
  funcs.forEach((f, i) => {
    for (let s = f.start; s < f.end && s < slotCount; s++) funcOf[s] = i;
  });
  const starts = new Set(funcs.map((f) => f.start));

  // Per-instruction checks: jumps stay in their function, calls enter functions, last instructions do not fall off.
  for (let s = 0; s < slotCount; s++) {
    const ins = insns[s];
    if (ins === undefined) continue;
    const f = funcs[funcOf[s] as number];
    if (f === undefined) {
      problems.push({ slot: s, message: `instruction ${s} belongs to no function` });
      continue;
    }
    const target = jumpTargetOf(ins, s);
    if (target !== undefined && (target < f.start || target >= f.end)) {
      problems.push({ slot: s, message: `jump from instruction ${s} to ${target} leaves the function '${f.name}' (instructions ${f.start}-${f.end - 1})` });
    }
    if (ins.opcode === Opcode.CALL && ins.src === CallSource.LOCAL && !externCalls.has(s)) {
      const t = s + 1 + ins.imm;
      if (!starts.has(t)) problems.push({ slot: s, message: `call from instruction ${s} to ${t}, which is not the start of a function` });
    }
    if (ins.opcode === Opcode.LDDW && ins.src === LoadImm64Source.CODE_ADDR) {
      const t = s + 1 + ins.imm;
      if (!starts.has(t)) problems.push({ slot: s, message: `function address at instruction ${s} points to ${t}, which is not the start of a function` });
    }
    if (s + ins.size === f.end && !isTerminal(ins)) {
      problems.push({ slot: s, message: `the last instruction of '${f.name}' (${s}) is not an exit or a jump: execution would fall off the end` });
    }
  }
  if (problems.length > 0) return problems.slice(0, 10);

  // Reachability from each function's entry (each function is entered only by calls, which the checks above tie to
  // function starts), and back edges.
  const prunePoint = new Uint8Array(slotCount);
  const loopHead = new Uint8Array(slotCount);
  const reached = new Uint8Array(slotCount);
  for (const f of funcs) {
    const onStack = new Uint8Array(slotCount);
    const done = new Uint8Array(slotCount);
    // Iterative DFS with an explicit successor index per frame.
    const stack: number[] = [f.start];
    const nextSucc: number[] = [0];
    onStack[f.start] = 1;
    reached[f.start] = 1;
    while (stack.length > 0) {
      const s = stack[stack.length - 1] as number;
      const k = nextSucc[nextSucc.length - 1] as number;
      const succ = successors(insns[s] as Instruction, s);
      if (k >= succ.length) {
        stack.pop();
        nextSucc.pop();
        onStack[s] = 0;
        done[s] = 1;
        continue;
      }
      nextSucc[nextSucc.length - 1] = k + 1;
      const t = succ[k] as number;
      if (t >= slotCount || insns[t] === undefined) continue; // reported by validation
      if (onStack[t] === 1) {
        loopHead[t] = 1;
        prunePoint[t] = 1;
        continue;
      }
      if (done[t] === 1) continue;
      reached[t] = 1;
      onStack[t] = 1;
      stack.push(t);
      nextSucc.push(0);
    }
  }
  for (let s = 0; s < slotCount; s++) {
    if (insns[s] !== undefined && reached[s] === 0) {
      problems.push({ slot: s, message: `instruction ${s} is unreachable: no path from the start of '${funcs[funcOf[s] as number]?.name ?? '?'}' leads to it` });
      if (problems.length >= 10) break;
    }
  }
  if (problems.length > 0) return problems;

  // Prune points: conditional jumps, jump targets, the instruction after a call into a subprogram, and calls of
  // helpers that call back.
  const callbackSite = new Uint8Array(slotCount);
  const mayGotoSite = new Uint8Array(slotCount);
  const iterNextSite = new Uint8Array(slotCount);
  for (let s = 0; s < slotCount; s++) {
    const ins = insns[s];
    if (ins === undefined) continue;
    if (isCondJump(ins)) prunePoint[s] = 1;
    if (ins.opcode === Opcode.MAY_GOTO) mayGotoSite[s] = 1;
    const t = jumpTargetOf(ins, s);
    if (t !== undefined) prunePoint[t] = 1;
    if (ins.opcode === Opcode.CALL && ins.src === CallSource.LOCAL && !externCalls.has(s) && s + 1 < slotCount) prunePoint[s + 1] = 1;
    if (ins.opcode === Opcode.CALL && ins.src === CallSource.HELPER && takesCallback(ins.imm)) {
      prunePoint[s] = 1;
      callbackSite[s] = 1;
    }
    if (iterNextCalls.has(s)) {
      prunePoint[s] = 1;
      iterNextSite[s] = 1;
    }
  }

  const liveIn = computeLiveness(insns, slotCount, helperArgs);
  return { insns, functions: funcs, funcOf, prunePoint, loopHead, liveIn, callbackSite, mayGotoSite, iterNextSite };
}

function isCondJump(ins: Instruction): boolean {
  const cls = ins.opcode & 0x07;
  if (cls !== InstructionClass.JMP && cls !== InstructionClass.JMP32) return false;
  const op = ins.opcode & 0xf0;
  return op !== JumpOp.JA && op !== JumpOp.CALL && op !== JumpOp.EXIT;
}

/** Where a jump goes (not calls), or undefined. */
export function jumpTargetOf(ins: Instruction, s: number): number | undefined {
  if (ins.opcode === Opcode.JA32) return s + 1 + ins.imm;
  const cls = ins.opcode & 0x07;
  if (cls !== InstructionClass.JMP && cls !== InstructionClass.JMP32) return undefined;
  const op = ins.opcode & 0xf0;
  if (op === JumpOp.CALL || op === JumpOp.EXIT) return undefined;
  return s + 1 + ins.offset;
}

function isTerminal(ins: Instruction): boolean {
  return ins.opcode === Opcode.EXIT || ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32;
}

/** The slots control may reach next within the function (calls return to the next instruction). */
function successors(ins: Instruction, s: number): number[] {
  if (ins.opcode === Opcode.EXIT) return [];
  if (ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32) return [jumpTargetOf(ins, s) as number];
  const t = jumpTargetOf(ins, s);
  const next = s + ins.size;
  return t === undefined || t === next ? [next] : [next, t];
}

/** Registers an instruction reads and writes, as bit masks. */
function useDef(ins: Instruction, helperArgs: HelperArgCount): { use: number; def: number } {
  return { use: registersRead(ins, helperArgs), def: registersWritten(ins) };
}

/** The registers an instruction reads, a bit per register (calls: the arguments the helper takes). */
function registersRead(ins: Instruction, helperArgs: HelperArgCount): number {
  const bit = (r: number): number => (r <= 10 ? 1 << r : 0);
  const x = (ins.opcode & 0x08) !== 0;
  switch (ins.opcode & 0x07) {
    case InstructionClass.ALU:
    case InstructionClass.ALU64: {
      const op = ins.opcode & 0xf0;
      if (op === 0xb0) return x ? bit(ins.src) : 0;
      if (op === 0x80 || op === 0xd0) return bit(ins.dst);
      return bit(ins.dst) | (x ? bit(ins.src) : 0);
    }
    case InstructionClass.LDX:
      return bit(ins.src);
    case InstructionClass.ST:
      return bit(ins.dst);
    case InstructionClass.STX:
      return bit(ins.dst) | bit(ins.src) | ((ins.opcode & 0xe0) === Mode.ATOMIC && ins.imm === 0xf1 ? 1 : 0);
    case InstructionClass.LD:
      if (ins.opcode === Opcode.LDDW) return 0;
      // Legacy packet loads read the context in r6 (and the index register).
      return bit(6) | ((ins.opcode & 0xe0) === Mode.IND ? bit(ins.src) : 0);
    case InstructionClass.JMP:
    case InstructionClass.JMP32: {
      const op = ins.opcode & 0xf0;
      if (op === JumpOp.EXIT) return 1;
      if (op === JumpOp.CALL) {
        if (ins.opcode === Opcode.CALLX) return 0x3e | bit(ins.dst);
        const n = ins.src === CallSource.HELPER ? Math.min(5, Math.max(0, helperArgs(ins.imm))) : 5;
        return ((1 << (n + 1)) - 1) & ~1;
      }
      if (op === JumpOp.JA || op === JumpOp.JCOND) return 0;
      return bit(ins.dst) | (x ? bit(ins.src) : 0);
    }
    default:
      return 0;
  }
}

/** Backward dataflow: registers live on entry to each slot. */
function computeLiveness(insns: readonly (Instruction | undefined)[], n: number, helperArgs: HelperArgCount): Uint16Array {
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const succ: number[][] = new Array<number[]>(n);
  const pred: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) {
    const ins = insns[s];
    if (ins === undefined) {
      succ[s] = [];
      continue;
    }
    const ud = useDef(ins, helperArgs);
    use[s] = ud.use & 0x3ff;
    def[s] = ud.def & 0x3ff;
    succ[s] = successors(ins, s).filter((t) => t < n);
    for (const t of succ[s] as number[]) (pred[t] as number[]).push(s);
  }
  const live = new Uint16Array(n);
  const work: number[] = [];
  const queued = new Uint8Array(n);
  for (let s = n - 1; s >= 0; s--) {
    if (insns[s] !== undefined) {
      work.push(s);
      queued[s] = 1;
    }
  }
  while (work.length > 0) {
    const s = work.pop() as number;
    queued[s] = 0;
    let out = 0;
    for (const t of succ[s] as number[]) out |= live[t] as number;
    const inn = ((use[s] as number) | (out & ~(def[s] as number))) & 0x3ff;
    if (inn !== live[s]) {
      live[s] = inn;
      for (const p of pred[s] as number[]) {
        if (queued[p] === 0) {
          queued[p] = 1;
          work.push(p);
        }
      }
    }
  }
  return live;
}

/**
 * Precision tracking, as the Linux verifier does it (`mark_chain_precision`): a number's exact range matters only
 * where safety depends on it (pointer arithmetic, a branch decided by its value, a helper's size argument, the
 * return value, a zero written to the stack). When that happens, the verifier walks the path back, instruction by
 * instruction, to find which earlier registers and stack slots the value came from, and marks them precise in
 * every remembered state on the way. State pruning then compares only precise numbers; the others may differ,
 * since nothing proven from the remembered state depended on them.
 *
 * The path's history is a list of the instructions executed, newest first, with markers where states were
 * remembered, and the facts backtracking needs (which stack slot a load filled from, which registers a branch
 * linked).
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AluOp,
  InstructionClass,
  JumpOp,
  Mode,
  Opcode,
  type Instruction,
} from '../asm/index.ts';


/** What has been marked precise in a remembered state: registers and stack slots, per frame. */
export interface PreciseMarks {
  /** Bit i of regs[f]: ri of frame f. */
  regs: number[];
  /** Slot k of frame f (8 bytes at fp-8k-8) holds a spilled number whose value matters. */
  stack: Set<number>[];
}

/** A remembered state, as far as precision is concerned. */
export interface MarkTarget {
  readonly precise: PreciseMarks;
}

/** One entry of a path's history, newest first. */
export interface HistoryNode {
  /** The instruction executed, or -1 for a marker of a remembered state. */
  readonly slot: number;
  /** The call depth (number of frames) when it executed. */
  readonly depth: number;
  /** For a register fill from the stack: 1 + frame * 64 + slot k. */
  readonly fill: number;
  /** For a spill to the stack: 1 + frame * 64 + slot k. */
  readonly spill: number;
  /** For a branch that narrowed copies of a number: the copies (frame * 16 + reg, or 1024 + frame * 64 + slot). */
  readonly link: readonly number[] | undefined;
  /** For a marker: the remembered state. */
  readonly target: MarkTarget | undefined;
  /** The instruction entered a subprogram (a BPF-to-BPF call, or a helper's call of a callback). */
  readonly entered: boolean;
  /**
   * For a helper call that entered its callback: which caller register each of the callee's r0-r5 copies (0 for
   * none: the callee's own values, such as bpf_loop's index).
   */
  readonly callbackArgs: readonly number[] | undefined;
  /** For an exit: it returned from a callback to the helper call that called it (not to the next instruction). */
  readonly callbackReturn: boolean;
  readonly prev: HistoryNode | undefined;
}

/** Empty marks for a state with `frames` frames. */
export function emptyMarks(frames: number): PreciseMarks {
  // Plain loops: every remembered state gets these, and Array.from with a mapping function costs several times more.
  const regs: number[] = [];
  const stack: Set<number>[] = [];
  for (let f = 0; f < frames; f++) {
    regs.push(0);
    stack.push(new Set<number>());
  }
  return { regs, stack };
}

/** A set of registers and stack slots being traced back. */
class Needed {
  regs: number[] = [];
  stack: Set<number>[] = [];

  private ensure(f: number): void {
    while (this.regs.length <= f) {
      this.regs.push(0);
      this.stack.push(new Set());
    }
  }

  hasReg(f: number, r: number): boolean {
    return ((this.regs[f] ?? 0) & (1 << r)) !== 0;
  }

  addReg(f: number, r: number): void {
    if (r < 0 || r > 9) return;
    this.ensure(f);
    this.regs[f] = (this.regs[f] as number) | (1 << r);
  }

  delReg(f: number, r: number): void {
    if (f < this.regs.length) this.regs[f] = (this.regs[f] as number) & ~(1 << r);
  }

  hasSlot(f: number, k: number): boolean {
    return this.stack[f]?.has(k) ?? false;
  }

  addSlot(f: number, k: number): void {
    this.ensure(f);
    (this.stack[f] as Set<number>).add(k);
  }

  delSlot(f: number, k: number): void {
    this.stack[f]?.delete(k);
  }

  empty(): boolean {
    for (const m of this.regs) if (m !== 0) return false;
    for (const s of this.stack) if (s.size > 0) return false;
    return true;
  }
}

/**
 * Marks `regs` of frame `frame` (as the current instruction reads them) precise in every remembered state of the
 * path, back to where their values came from. `insns` gives the instruction at each slot.
 */
export function markPrecise(insns: readonly (Instruction | undefined)[], history: HistoryNode | undefined, frame: number, regs: readonly number[], slots: readonly number[] = []): void {
  const need = new Needed();
  for (const r of regs) need.addReg(frame, r);
  for (const k of slots) need.addSlot(frame, k);
  backtrack(insns, history, need);
}

/**
 * Marks in the path everything `marks` says is precise (after pruning against a state with those marks); returns
 * whether any remembered state got a new mark.
 */
export function propagateMarks(insns: readonly (Instruction | undefined)[], history: HistoryNode | undefined, marks: PreciseMarks): boolean {
  const need = new Needed();
  marks.regs.forEach((m, f) => {
    for (let r = 0; r < 10; r++) if ((m & (1 << r)) !== 0) need.addReg(f, r);
  });
  marks.stack.forEach((s, f) => {
    for (const k of s) need.addSlot(f, k);
  });
  return backtrack(insns, history, need);
}

function backtrack(insns: readonly (Instruction | undefined)[], history: HistoryNode | undefined, need: Needed): boolean {
  let changed = false;
  for (let n = history; n !== undefined && !need.empty(); n = n.prev) {
    if (n.slot < 0) {
      if (markTarget(n.target as MarkTarget, need)) changed = true;
      continue;
    }
    step(insns[n.slot] as Instruction, n, need);
  }
  return changed;
}

/** Records the needed set in a remembered state (returning whether it was new); what it had is traced no further. */
function markTarget(t: MarkTarget, need: Needed): boolean {
  let changed = false;
  const p = t.precise;
  for (let f = 0; f < need.regs.length; f++) {
    const m = need.regs[f] as number;
    if (m === 0) continue;
    while (p.regs.length <= f) {
      p.regs.push(0);
      p.stack.push(new Set());
    }
    const had = p.regs[f] as number;
    p.regs[f] = had | m;
    need.regs[f] = m & ~had;
    if ((m & ~had) !== 0) changed = true;
  }
  for (let f = 0; f < need.stack.length; f++) {
    const s = need.stack[f] as Set<number>;
    if (s.size === 0) continue;
    while (p.stack.length <= f) {
      p.regs.push(0);
      p.stack.push(new Set());
    }
    const ps = p.stack[f] as Set<number>;
    for (const k of [...s]) {
      if (ps.has(k)) s.delete(k);
      else {
        ps.add(k);
        changed = true;
      }
    }
  }
  return changed;
}

/** Undoes one instruction: which registers and slots the needed ones came from (the kernel's `backtrack_insn`). */
function step(ins: Instruction, n: HistoryNode, need: Needed): void {
  const f = n.depth - 1;
  const cls = ins.opcode & 0x07;
  const d = ins.dst;
  const s = ins.src;
  switch (cls) {
    case InstructionClass.ALU:
    case InstructionClass.ALU64: {
      if (!need.hasReg(f, d)) return;
      const op = ins.opcode & 0xf0;
      const x = (ins.opcode & 0x08) !== 0;
      if (op === AluOp.MOV) {
        need.delReg(f, d);
        if (x) need.addReg(f, s);
      } else if (x && op !== AluOp.NEG && op !== AluOp.END) {
        need.addReg(f, s);
      }
      return;
    }
    case InstructionClass.LDX:
      if (!need.hasReg(f, d)) return;
      need.delReg(f, d);
      if (n.fill !== 0) need.addSlot(Math.floor((n.fill - 1) / 64), (n.fill - 1) % 64);
      return;
    case InstructionClass.ST:
    case InstructionClass.STX: {
      if (n.spill === 0) return;
      const sf = Math.floor((n.spill - 1) / 64);
      const k = (n.spill - 1) % 64;
      if (!need.hasSlot(sf, k)) return;
      need.delSlot(sf, k);
      if (cls === InstructionClass.STX && (ins.opcode & 0xe0) === Mode.MEM) need.addReg(f, s);
      return;
    }
    case InstructionClass.LD:
      if (ins.opcode === Opcode.LDDW) need.delReg(f, d);
      else for (let r = 0; r <= 5; r++) need.delReg(f, r);
      return;
    default: {
      const op = ins.opcode & 0xf0;
      if (op === JumpOp.CALL) {
        if (n.entered) {
          enteredCall(n, need);
          return;
        }
        // A helper (or builtin) call: r0 is its result, r1-r5 were clobbered by it.
        for (let r = 0; r <= 5; r++) need.delReg(f, r);
        return;
      }
      if (op === JumpOp.EXIT) {
        // A callback's return gives the caller nothing: its registers are as they were at the helper call.
        if (n.callbackReturn) return;
        // Backwards over a return: the caller's r0 is the callee's.
        if (f >= 1 && need.hasReg(f - 1, 0)) {
          need.delReg(f - 1, 0);
          need.addReg(f, 0);
        }
        for (let r = 1; r <= 5; r++) if (f >= 1) need.delReg(f - 1, r);
        return;
      }
      if (op === JumpOp.JA || op === JumpOp.EXIT) return;
      // A conditional jump: comparing two registers ties their precision, and so does narrowing copies.
      const x = (ins.opcode & 0x08) !== 0;
      if (x && (need.hasReg(f, d) || need.hasReg(f, s))) {
        need.addReg(f, d);
        need.addReg(f, s);
      }
      if (n.link !== undefined) {
        const hit = n.link.some((e) => (e < 1024 ? need.hasReg(e >> 4, e & 15) : need.hasSlot((e - 1024) >> 6, (e - 1024) & 63)));
        if (hit) {
          for (const e of n.link) {
            if (e < 1024) need.addReg(e >> 4, e & 15);
            else need.addSlot((e - 1024) >> 6, (e - 1024) & 63);
          }
          if (x) need.addReg(f, s);
          need.addReg(f, d);
        }
      }
      return;
    }
  }
}

/** Backwards over a BPF-to-BPF call (the callee's r1-r5 are the caller's arguments) or a callback's entry. */
function enteredCall(n: HistoryNode, need: Needed): void {
  const caller = n.depth - 1;
  const callee = caller + 1;
  const from = n.callbackArgs;
  for (let r = 1; r <= 5; r++) {
    if (need.hasReg(callee, r)) {
      need.delReg(callee, r);
      const src = from === undefined ? r : (from[r] ?? 0);
      if (src > 0) need.addReg(caller, src);
    }
  }
  // Nothing else of the callee frame existed before the call.
  if (callee < need.regs.length) {
    need.regs[callee] = 0;
    need.stack[callee]?.clear();
  }
  // The caller's r0-r5 at the call are arguments or clobbered; r0 cannot be needed here. (A callback's caller keeps
  // its registers: the callback returns to the helper call, which reads them again.)
  if (from === undefined) need.delReg(caller, 0);
}

/**
 * Look-ups over an {@link ExploreProgram} that the explorer page needs at every click: the listing line of a slot,
 * the recorded states at an instruction, the branch decisions of a path, the path to the error, the instruction
 * that last changed a register on the same path. Pure, so the page and the tests share it.
 *
 * Author: Claude.
 *
 * @module
 */

import type { RecordedDecision, RecordedState, RecordedValue } from '../verifier/index.ts';
import type { BasicBlock, ExploreProgram, ListingLine } from './explore-document.ts';

/** A source line, for matching instructions to lines. */
export interface LineRef {
  readonly file: number;
  readonly line: number;
}

/** Indexes over one program's explore document (see the module comment). */
export class ExploreIndex {
  readonly doc: ExploreProgram;
  /** Listing line index by slot (both slots of an `lddw` map to it). */
  readonly #lineBySlot: Int32Array;
  readonly #blockBySlot: Int32Array;
  readonly #statesBySlot = new Map<number, number[]>();
  /** The failing instruction, when the program was refused at one. */
  readonly errorSlot: number | undefined;
  /** Slots, blocks and states on the path to the error. */
  readonly errorSlots = new Set<number>();
  readonly errorBlocks = new Set<number>();
  readonly errorStates = new Set<number>();
  /** Edges (as `from:to` block pairs) on the path to the error. */
  readonly errorEdges = new Set<string>();

  constructor(doc: ExploreProgram) {
    this.doc = doc;
    const slots = doc.listing.reduce((m, l) => Math.max(m, l.slot + l.size), 0);
    this.#lineBySlot = new Int32Array(slots).fill(-1);
    doc.listing.forEach((l, i) => {
      for (let k = 0; k < l.size; k++) this.#lineBySlot[l.slot + k] = i;
    });
    this.#blockBySlot = new Int32Array(slots).fill(-1);
    doc.cfg.blocks.forEach((b, i) => {
      for (let s = b.start; s < b.end; s++) this.#blockBySlot[s] = i;
    });
    const rec = doc.report.recording;
    rec?.states.forEach((s, i) => {
      const list = this.#statesBySlot.get(s.slot);
      if (list === undefined) this.#statesBySlot.set(s.slot, [i]);
      else list.push(i);
    });
    const diag = doc.report.diagnostics[0];
    this.errorSlot = doc.report.verdict === 'fail' && diag !== undefined && this.#lineBySlot[diag.slot] !== undefined && diag.slot < slots ? diag.slot : undefined;
    let prevBlock = -1;
    for (const i of rec?.errorPath ?? []) {
      const s = rec?.states[i] as RecordedState;
      this.errorStates.add(i);
      this.errorSlots.add(s.slot);
      const b = this.blockOf(s.slot);
      if (b >= 0) {
        if (prevBlock >= 0 && prevBlock !== b) this.errorEdges.add(`${prevBlock}:${b}`);
        // A loop on the path comes back to the block's own start.
        else if (prevBlock === b && this.doc.cfg.blocks[b]?.start === s.slot) this.errorEdges.add(`${b}:${b}`);
        this.errorBlocks.add(b);
        prevBlock = b;
      }
    }
  }

  /** The listing line of a slot (-1 for none). */
  lineIndexOf(slot: number): number {
    return this.#lineBySlot[slot] ?? -1;
  }

  /** The listing line of a slot. */
  lineAt(slot: number): ListingLine | undefined {
    return this.doc.listing[this.lineIndexOf(slot)];
  }

  /** The basic block holding a slot (-1 for none). */
  blockOf(slot: number): number {
    return this.#blockBySlot[slot] ?? -1;
  }

  /** The block. */
  block(index: number): BasicBlock | undefined {
    return this.doc.cfg.blocks[index];
  }

  /** The recorded states at an instruction (indexes into `recording.states`), error path first. */
  statesAt(slot: number): number[] {
    const list = this.#statesBySlot.get(slot) ?? [];
    return [...list.filter((i) => this.errorStates.has(i)), ...list.filter((i) => !this.errorStates.has(i))];
  }

  /** A recorded state. */
  state(index: number): RecordedState | undefined {
    return this.doc.report.recording?.states[index];
  }

  /** A register's value in a state's innermost frame (undefined when not initialized). */
  register(state: RecordedState, reg: number, frame = state.frames.length - 1): RecordedValue | undefined {
    const i = state.frames[frame]?.regs[reg] ?? -1;
    return i < 0 ? undefined : this.doc.report.recording?.values[i];
  }

  /** The decisions of a path, oldest first. */
  decisions(path: number): RecordedDecision[] {
    const out: RecordedDecision[] = [];
    const paths = this.doc.report.recording?.paths ?? [];
    for (let p = path; p >= 0;) {
      const d = paths[p];
      if (d === undefined) break;
      out.push(d);
      p = d.parent;
    }
    return out.reverse();
  }

  /** Whether decision `ancestor` is `path` or one of its ancestors (-1 is everyone's). */
  #onPath(ancestor: number, path: number): boolean {
    const paths = this.doc.report.recording?.paths ?? [];
    for (let p = path; ; p = paths[p]?.parent ?? -1) {
      if (p === ancestor) return true;
      if (p < 0) return false;
    }
  }

  /**
   * The state at `slot` on the path of state `from` before it (to follow a register back to the instruction that
   * produced it): the newest one recorded on that path, or undefined when that path's state there was not kept.
   */
  stateOnPathAt(from: number, slot: number): number | undefined {
    const s = this.state(from);
    if (s === undefined) return undefined;
    const candidates = (this.#statesBySlot.get(slot) ?? []).filter((i) => {
      const c = this.state(i) as RecordedState;
      return this.#onPath(c.path, s.path);
    });
    if (this.errorStates.has(from)) {
      const onError = candidates.filter((i) => this.errorStates.has(i));
      if (onError.length > 0) return onError[onError.length - 1];
    }
    // Prefer a state whose successors lead here: the latest candidate recorded before `from`.
    const before = candidates.filter((i) => i < from);
    return before[before.length - 1] ?? candidates[candidates.length - 1];
  }

  /** The source line of a slot. */
  sourceLineOf(slot: number): LineRef | undefined {
    const l = this.lineAt(slot);
    const p = l?.position !== undefined ? this.doc.positions[l.position] : undefined;
    return p === undefined ? undefined : { file: p.file, line: p.line };
  }

  /** The slots whose source line is `line` of `file`, in order. */
  slotsOfLine(file: number, line: number): number[] {
    return this.doc.listing.filter((l) => {
      const p = l.position !== undefined ? this.doc.positions[l.position] : undefined;
      return p !== undefined && p.file === file && p.line === line;
    }).map((l) => l.slot);
  }

  /** Whether any path reached a slot. */
  reached(slot: number): boolean {
    const v = this.doc.report.recording?.visits[slot];
    return v === undefined ? true : v > 0;
  }

  /** How an edge fared: how many paths took it (undefined when the recording does not say). */
  edgeCount(from: number, to: number, kind: 'jump' | 'fallthrough' | 'goto'): number | undefined {
    const rec = this.doc.report.recording;
    const b = this.block(from);
    const t = this.block(to);
    if (rec === undefined || b === undefined || t === undefined) return undefined;
    const last = this.lineAt(b.end - 1);
    if (last === undefined) return undefined;
    if (kind === 'jump') return rec.taken[last.slot];
    if (kind === 'fallthrough' && isConditional(last.text)) return rec.fallthrough[last.slot];
    // Every path that runs a block's last instruction (not a conditional jump) goes on to the next block.
    return rec.visits[last.slot];
  }
}

/** Whether an instruction's text is a conditional jump (`if ... goto`). */
export function isConditional(text: string): boolean {
  return text.startsWith('if ');
}

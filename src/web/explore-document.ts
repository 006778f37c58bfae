/**
 * The explorer's data: for one program of an object, the verifier's report with its recorded states
 * (`verifyProgram` with the `record` option), the instruction listing as `bpfship disasm` prints it, the source
 * lines from BTF line info (and the C file's text when the caller can read it), and the control-flow graph as
 * basic blocks and edges. Plain JSON: `bpfship explore --json` prints it, the explorer page and `bpfship serve`'s
 * `/v1/explore/...` routes carry it, other tools read it.
 *
 * Pure (no `node:*`): it runs in a browser as well as in the CLI and the service.
 *
 * Author: Claude.
 *
 * @module
 */

import { helperById } from '../abi/index.ts';
import { CallSource, JumpOp, Opcode, formatInstruction, type Instruction } from '../asm/index.ts';
import { linkProgram, type FunctionSpec, type LinkedProgram, type ObjectSpec, type ProgramSpec } from '../spec/index.ts';
import { VERIFIER_NAME, VERIFIER_VERSION, verifyProgram, type ProgramReport, type RecordOptions, type VerifyOptions } from '../verifier/index.ts';

/** The format name and version of {@link ExploreProgram} and {@link ExploreObject}. */
export const EXPLORE_FORMAT = 'bpfship-explore/1';

/** Options of {@link exploreProgram}. */
export interface ExploreOptions {
  /** Verify as this program type (the section name's by default). */
  readonly programType?: string;
  readonly attachType?: string;
  /** Bounds of the recorded states (the verifier's defaults otherwise). */
  readonly record?: RecordOptions;
  /** Stop verifying after this long (reported as too complex). */
  readonly timeLimitMs?: number;
  /** The rule set (the verifier's default, `linux`, otherwise): the report records it. */
  readonly rules?: VerifyOptions['rules'];
  /** The license to verify under, as VerifyOptions.license (the object's own by default). */
  readonly license?: string;
  /** The kernel's BTF, for kfuncs (see VerifyOptions.kernelBtf). */
  readonly kernelBtf?: VerifyOptions['kernelBtf'];
  /**
   * The text of a source file named by BTF line info, when the caller can find it (the CLI reads it from disk);
   * undefined otherwise, and the page shows the lines BTF recorded.
   */
  readonly readSource?: (file: string) => string | undefined;
}

/** One program of an object, as the object's summary lists it. */
export interface ExploreProgramSummary {
  /** Its index in the object's programs (what `/programs/INDEX` takes). */
  readonly index: number;
  readonly name: string;
  readonly section: string;
  /** The program type it is verified as. */
  readonly type: string;
  /** Instruction slots of the program itself (without subprograms). */
  readonly slots: number;
  /** The verdict, when the server has verified it already. */
  readonly verdict?: 'pass' | 'fail';
}

/** An object's programs. */
export interface ExploreObject {
  readonly format: typeof EXPLORE_FORMAT;
  readonly file: string;
  readonly verifier: { readonly name: string; readonly version: string };
  readonly programs: readonly ExploreProgramSummary[];
}

/** One line of the listing: one instruction (an `lddw` takes two slots). */
export interface ListingLine {
  readonly slot: number;
  /** 1, or 2 for `lddw`. */
  readonly size: number;
  /** llvm-objdump's text, as `bpfship disasm` prints it. */
  readonly text: string;
  /** What a relocation made of it (the map, global data, or function it refers to), or the helper a call calls. */
  readonly reloc?: string;
  /** Its function (index into `functions`). */
  readonly function: number;
  /** Its source position (index into `positions`), from BTF line info. */
  readonly position?: number;
}

/** A source position. */
export interface SourcePositionRef {
  /** Index into `sources`. */
  readonly file: number;
  readonly line: number;
  readonly column: number;
}

/** A source file the program's line info names. */
export interface SourceFile {
  /** As BTF names it (`./examples/bind_monitor.c`). */
  readonly name: string;
  /** The whole file, line by line, when it was found and agrees with the line info; absent otherwise. */
  readonly text?: readonly string[];
  /** The lines BTF recorded, by line number (always present). */
  readonly btfLines: Readonly<Record<number, string>>;
}

/** A basic block: instructions `start` to `end - 1`, entered only at `start`. */
export interface BasicBlock {
  readonly start: number;
  readonly end: number;
  readonly function: number;
}

/** An edge of the control-flow graph between blocks (indexes into `blocks`). */
export interface CfgEdge {
  readonly from: number;
  readonly to: number;
  /** `jump`: a conditional jump taken; `fallthrough`: not taken, or the next block; `goto`: an unconditional jump. */
  readonly kind: 'jump' | 'fallthrough' | 'goto';
  /** It goes back to an earlier block: it closes a loop. */
  readonly back: boolean;
}

/** Everything the explorer shows of one program (see the module comment). */
export interface ExploreProgram {
  readonly format: typeof EXPLORE_FORMAT;
  readonly file: string;
  readonly index: number;
  readonly name: string;
  readonly section: string;
  readonly verifier: { readonly name: string; readonly version: string };
  /** The verifier's report, with its recording (`report.recording`). */
  readonly report: ProgramReport;
  /** The linked program's functions: the program, then its subprograms. */
  readonly functions: readonly { readonly name: string; readonly start: number; readonly end: number }[];
  readonly listing: readonly ListingLine[];
  readonly positions: readonly SourcePositionRef[];
  readonly sources: readonly SourceFile[];
  readonly cfg: { readonly blocks: readonly BasicBlock[]; readonly edges: readonly CfgEdge[] };
}

/**
 * The programs of an object (see {@link ExploreObject}): all of them, indexed as in `spec.programs`, or the ones
 * given (a selection, indexed in its order).
 */
export function exploreObject(spec: ObjectSpec, options: Pick<ExploreOptions, 'programType'> & { readonly programs?: readonly ProgramSpec[] } = {}): ExploreObject {
  return {
    format: EXPLORE_FORMAT,
    file: spec.file,
    verifier: { name: VERIFIER_NAME, version: VERIFIER_VERSION },
    programs: (options.programs ?? spec.programs).map((p, index) => ({
      index, name: p.name, section: p.sectionName, type: options.programType ?? p.kind.programType, slots: p.slotCount,
    })),
  };
}

/**
 * Verifies a program of `spec` (program `target` of `spec.programs`, or the one given, e.g. from `selectPrograms`,
 * whose index is then `options.index`, default 0), recording its states, and gathers what the explorer shows of it.
 *
 * @example
 * ```ts
 * const doc = exploreProgram(readObject(bytes, { name: 'prog.o' }), 0);
 * doc.report.verdict; // 'fail'
 * doc.report.recording.errorPath; // the states from the start to the failing instruction
 * ```
 * @throws {RangeError} when the object has no program `target`.
 */
export function exploreProgram(spec: ObjectSpec, target: number | ProgramSpec, options: ExploreOptions & { readonly index?: number } = {}): ExploreProgram {
  const program = typeof target === 'number' ? spec.programs[target] : target;
  if (program === undefined) throw new RangeError(`${spec.file} has no program #${String(target)} (it has ${spec.programs.length})`);
  const index = typeof target === 'number' ? target : (options.index ?? 0);
  const report = verifyProgram(spec, program, {
    record: options.record ?? {},
    ...(options.programType !== undefined ? { programType: options.programType } : {}),
    ...(options.attachType !== undefined ? { attachType: options.attachType } : {}),
    ...(options.timeLimitMs !== undefined ? { timeLimitMs: options.timeLimitMs } : {}),
    ...(options.rules !== undefined ? { rules: options.rules } : {}),
    ...(options.license !== undefined ? { license: options.license } : {}),
    ...(options.kernelBtf !== undefined ? { kernelBtf: options.kernelBtf } : {}),
  });
  let linked: LinkedProgram | undefined;
  try {
    linked = linkProgram(spec, program);
  } catch {
    // The report says why the program cannot be linked; the listing shows the program alone.
    linked = undefined;
  }
  const functions = linked !== undefined
    ? linked.functions.map((f) => ({ name: f.name, start: f.start, end: f.start + f.slotCount }))
    : [{ name: program.name, start: 0, end: program.slotCount }];
  const { listing, instructions } = listingOf(spec, program, linked);
  const { positions, sources } = sourcesOf(linked, listing, options.readSource);
  return {
    format: EXPLORE_FORMAT,
    file: spec.file,
    index,
    name: program.name,
    section: program.sectionName,
    verifier: { name: VERIFIER_NAME, version: VERIFIER_VERSION },
    report,
    functions,
    listing: listing.map((l, i) => (positions.byLine[i] !== undefined ? { ...l, position: positions.byLine[i] } : l)),
    positions: positions.list,
    sources,
    cfg: basicBlocks(instructions, functions),
  };
}

/** The original instructions of each linked function, printed as `disasm` prints them, at their linked slots. */
function listingOf(spec: ObjectSpec, program: ProgramSpec, linked: LinkedProgram | undefined): { listing: ListingLine[]; instructions: Instruction[] } {
  const out: ListingLine[] = [];
  const instructions: Instruction[] = [];
  const all: FunctionSpec[] = [...spec.programs, ...spec.subprograms];
  const functions = linked?.functions ?? [{ name: program.name, sectionName: program.sectionName, start: 0, slotCount: program.slotCount, sectionInsnOffset: program.sectionInsnOffset }];
  const relocs = new Map<number, string>();
  for (const r of linked?.references ?? []) {
    if (r.kind === 'map') relocs.set(r.slot, `map ${r.map}`);
    else if (r.kind === 'data') relocs.set(r.slot, `${r.section}${r.offset !== 0 ? `+${r.offset}` : ''}`);
    else if (r.kind === 'call') relocs.set(r.slot, `call ${r.function}`);
    else if (r.kind === 'func-addr') relocs.set(r.slot, `function ${r.function}`);
    else relocs.set(r.slot, r.name);
  }
  functions.forEach((f, fi) => {
    const fs = all.find((c) => c.sectionName === f.sectionName && c.sectionInsnOffset === f.sectionInsnOffset) ?? program;
    for (const ins of fs.instructions) {
      const slot = f.start + ins.slot;
      const helper = ins.opcode === Opcode.CALL && ins.src === CallSource.HELPER ? helperById(ins.imm) : undefined;
      const reloc = relocs.get(slot) ?? (helper !== undefined ? `bpf_${helper.name}` : undefined);
      out.push({ slot, size: ins.size, text: formatInstruction(ins), function: fi, ...(reloc !== undefined ? { reloc } : {}) });
      instructions.push({ ...ins, slot });
    }
  });
  return { listing: out, instructions };
}

/** Source positions of the listing's instructions, and the files they name. */
function sourcesOf(linked: LinkedProgram | undefined, listing: readonly ListingLine[], readSource: ExploreOptions['readSource']): {
  positions: { list: SourcePositionRef[]; byLine: (number | undefined)[] };
  sources: SourceFile[];
} {
  const files: { name: string; btfLines: Record<number, string> }[] = [];
  const fileIndex = new Map<string, number>();
  const list: SourcePositionRef[] = [];
  const posIndex = new Map<string, number>();
  const bySlot = new Map<number, number>();
  for (const l of linked?.lineInfo ?? []) {
    let fi = fileIndex.get(l.fileName);
    if (fi === undefined) {
      fi = files.length;
      files.push({ name: l.fileName, btfLines: {} });
      fileIndex.set(l.fileName, fi);
    }
    (files[fi] as (typeof files)[number]).btfLines[l.line] = l.sourceLine;
    const key = `${fi}:${l.line}:${l.column}`;
    let pi = posIndex.get(key);
    if (pi === undefined) {
      pi = list.length;
      list.push({ file: fi, line: l.line, column: l.column });
      posIndex.set(key, pi);
    }
    bySlot.set(l.slot, pi);
  }
  // An instruction without its own line info belongs to the line before it (as llvm-objdump -S shows it), within
  // its function.
  const byLine: (number | undefined)[] = [];
  let current: number | undefined;
  let fn = -1;
  for (const l of listing) {
    if (l.function !== fn) {
      fn = l.function;
      current = undefined;
    }
    current = bySlot.get(l.slot) ?? current;
    byLine.push(current);
  }
  const sources: SourceFile[] = files.map((f) => {
    const text = readSource?.(f.name);
    const lines = text?.split(/\r?\n/);
    // Only a file whose lines are the ones the compiler recorded is shown (a same-named file elsewhere is not).
    const agrees = lines !== undefined && Object.entries(f.btfLines).every(([n, t]) => lines[Number(n) - 1]?.trimEnd() === t.trimEnd());
    return { name: f.name, btfLines: f.btfLines, ...(agrees ? { text: lines } : {}) };
  });
  return { positions: { list, byLine }, sources };
}

/**
 * The control-flow graph of a program's instructions (at their slots in the linked program): basic blocks within
 * each function, and the edges of jumps and fall-throughs. Calls do not end blocks (a call returns to the next
 * instruction); exits end them with no edge.
 */
export function basicBlocks(
  instructions: readonly Instruction[],
  functions: readonly { readonly start: number; readonly end: number }[],
): { blocks: BasicBlock[]; edges: CfgEdge[] } {
  const bySlot = new Map(instructions.map((i) => [i.slot, i]));
  const functionOf = (slot: number): number => functions.findIndex((f) => slot >= f.start && slot < f.end);
  const leaders = new Set<number>(functions.map((f) => f.start));
  const targetOf = (ins: Instruction): number => ins.slot + 1 + (ins.opcode === Opcode.JA32 ? ins.imm : ins.offset);
  for (const ins of instructions) {
    const cls = ins.opcode & 0x07;
    const op = ins.opcode & 0xf0;
    if (cls !== 0x05 && cls !== 0x06) continue;
    if (op === JumpOp.CALL) continue;
    if (op !== JumpOp.EXIT) leaders.add(targetOf(ins));
    leaders.add(ins.slot + ins.size);
  }
  const starts = [...leaders].filter((s) => bySlot.has(s)).sort((a, b) => a - b);
  const blocks: BasicBlock[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number;
    const f = functionOf(start);
    const fend = functions[f]?.end ?? start + 1;
    const next = starts[i + 1];
    blocks.push({ start, end: next !== undefined && next < fend ? next : fend, function: f });
  }
  const blockAt = new Map(blocks.map((b, i) => [b.start, i]));
  const edges: CfgEdge[] = [];
  blocks.forEach((b, bi) => {
    let last: Instruction | undefined;
    for (let s = b.start; s < b.end; s++) last = bySlot.get(s) ?? last;
    if (last === undefined) return;
    const cls = last.opcode & 0x07;
    const op = last.opcode & 0xf0;
    const jump = (cls === 0x05 || cls === 0x06) && op !== JumpOp.CALL && op !== JumpOp.EXIT;
    const add = (to: number | undefined, kind: CfgEdge['kind']): void => {
      if (to === undefined) return;
      edges.push({ from: bi, to, kind, back: (blocks[to] as BasicBlock).start <= b.start });
    };
    if (jump && (last.opcode === Opcode.JA || last.opcode === Opcode.JA32)) {
      add(blockAt.get(targetOf(last)), 'goto');
      return;
    }
    if (cls === 0x05 && op === JumpOp.EXIT) return;
    if (jump) add(blockAt.get(targetOf(last)), 'jump');
    const nextBlock = blockAt.get(b.end);
    if (nextBlock !== undefined && (blocks[nextBlock] as BasicBlock).function === b.function) add(nextBlock, 'fallthrough');
  });
  return { blocks, edges };
}

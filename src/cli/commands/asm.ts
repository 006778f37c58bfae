/**
 * `bpfship disasm FILE [--section S] [-S]` and `bpfship asm IN.s -o OUT.bin`.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { assemble, decodeInstructions, disassembleObject, encodeInstructions, formatProgram, parseConformanceData, type CoreRelocationLookup, type LineInfoLookup, type SourceLine } from '../../asm/index.ts';
import { readObject, type ObjectSpec } from '../../spec/index.ts';
import { describeCoreRelocation, type LineInfo } from '../../btf/index.ts';
import { readInput, UsageError, writeOutputAtomic } from '../io.ts';
import type { CommandContext } from '../context.ts';

/**
 * Source lines for the disassembler from BTF line info: an instruction takes the line of the last record at or
 * before it within the same function (a record never carries over into the next function).
 */
export function lineInfoLookup(spec: ObjectSpec): LineInfoLookup | undefined {
  const ext = spec.btfExt;
  if (ext === undefined) return undefined;
  const bySection = new Map<string, { records: readonly LineInfo[]; starts: number[] }>();
  for (const sec of ext.lineInfo) {
    const records = [...sec.records].sort((a, b) => a.insnOff - b.insnOff);
    const starts = [...spec.programs, ...spec.subprograms].filter((f) => f.sectionName === sec.section).map((f) => f.sectionInsnOffset * 8).sort((a, b) => a - b);
    bySection.set(sec.section, { records, starts });
  }
  return {
    sourceLine(section: string, offset: number): SourceLine | undefined {
      const entry = bySection.get(section);
      if (entry === undefined) return undefined;
      const { records, starts } = entry;
      let lo = 0, hi = records.length - 1, found: LineInfo | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const r = records[mid] as LineInfo;
        if (r.insnOff <= offset) {
          found = r;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      if (found === undefined) return undefined;
      // The start of the function holding `offset`: the record must not come from an earlier function.
      let fnStart = 0;
      for (const s of starts) if (s <= offset) fnStart = s;
      if (found.insnOff < fnStart) return undefined;
      return { fileName: found.fileName, line: found.line, text: found.sourceLine };
    },
  };
}

/** CO-RE relocation descriptions for the listing, from BTF.ext, keyed by section and byte offset. */
export function coreRelocationLookup(spec: ObjectSpec): CoreRelocationLookup | undefined {
  const ext = spec.btfExt;
  const btf = spec.btf;
  if (ext === undefined || btf === undefined || ext.coreRelos.length === 0) return undefined;
  const texts = new Map<string, string>();
  for (const sec of ext.coreRelos) for (const r of sec.records) texts.set(`${sec.section}:${r.insnOff}`, describeCoreRelocation(btf, r));
  return { coreRelocation: (section, offset) => texts.get(`${section}:${offset}`) };
}

/** Configures `disasm`. */
export function configureDisasm(command: Command, { io }: CommandContext): void {
  command
    .argument('<file>', 'an eBPF ELF object')
    .option('--section <name...>', 'only these sections')
    .option('-S, --source', 'interleave the source lines recorded in BTF line info')
    .option('--no-relocations', 'leave out the relocation lines')
    .action((file, opts) => {
      const spec = readObject(readInput(file), { name: file });
      const sections = opts.section;
      if (sections !== undefined) {
        for (const s of sections) {
          if (spec.elf.section(s) === undefined) {
            throw new UsageError(`${file}: no section named '${s}' (sections: ${spec.sections.filter((x) => x.role === 'program' || x.role === 'subprograms').map((x) => x.name).join(', ')})`);
          }
        }
      }
      let source: LineInfoLookup | undefined;
      if (opts.source === true) {
        source = lineInfoLookup(spec);
        if (source === undefined) throw new UsageError(`${file}: -S needs BTF line info (.BTF.ext), which this object lacks (compile with clang -g)`);
      }
      const coreRelocations = coreRelocationLookup(spec);
      io.stdout(disassembleObject(spec.elf, {
        withRelocations: opts.relocations,
        ...(coreRelocations !== undefined ? { coreRelocations } : {}),
        ...(sections !== undefined ? { sections } : {}),
        ...(source !== undefined ? { source } : {}),
      }));
    });
}

/** Configures `asm`. */
export function configureAsm(command: Command): void {
  command
    .argument('<input>', 'an assembly file (.s), or a bpf_conformance .data file (its -- asm section)')
    .requiredOption('-o, --output <file>', 'where to write the instructions (8 bytes each, little-endian)')
    .option('--dialect <dialect>', 'auto (per line), llvm or conformance', 'auto')
    .action((input, opts) => {
      const dialect = opts.dialect;
      if (dialect !== 'auto' && dialect !== 'llvm' && dialect !== 'conformance') throw new UsageError(`--dialect must be auto, llvm or conformance, not '${dialect}'`);
      let text = new TextDecoder().decode(readInput(input));
      let firstLine = 1;
      if (input.endsWith('.data')) {
        const data = parseConformanceData(text, input);
        if (data.asm === undefined) throw new UsageError(`${input}: the test has no '-- asm' section`);
        text = data.asm;
        firstLine = data.asmLine ?? 1;
      }
      const instructions = assemble(text, { dialect, file: input, firstLine });
      writeOutputAtomic(opts.output, encodeInstructions(instructions));
    });
}

/** Configures `disasm-raw`. */
export function configureDisasmRaw(command: Command, { io }: CommandContext): void {
  command
    .argument('<input>', 'raw instructions, 8 bytes each')
    .action((input) => {
      const instructions = decodeInstructions(readInput(input), { file: input });
      io.stdout(formatProgram(instructions));
    });
}

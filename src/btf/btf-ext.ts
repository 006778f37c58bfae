/**
 * The `.BTF.ext` parser: per-section function info (which BTF FUNC starts at which instruction), line info (source
 * file, line, column and text per instruction) and CO-RE relocations.
 *
 * Layout: a header, then up to three subsections placed by offsets relative to the header's end. Each subsection is
 *
 * ```
 *  u32 rec_size
 *  repeated: u32 sec_name_off | u32 num_info | num_info records of rec_size bytes
 * ```
 *
 * where `sec_name_off` names the ELF section of the code in the BTF string table, and each record starts with the
 * byte offset of its instruction inside that section.
 *
 * Author: Claude.
 *
 * @module
 */

import { ByteView } from '../internal/bytes.ts';
import { BtfError, type Location } from '../internal/errors.ts';
import type { Btf } from './btf.ts';
import { BTF_MAGIC, BTF_VERSION, CORE_RELO_KIND_NAMES, type CoreReloKindName } from './kinds.ts';

/** The `.BTF.ext` header. `coreReloOff` and `coreReloLen` are 0 when the header is too short to hold them. */
export interface BtfExtHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly funcInfoOff: number;
  readonly funcInfoLen: number;
  readonly lineInfoOff: number;
  readonly lineInfoLen: number;
  readonly coreReloOff: number;
  readonly coreReloLen: number;
}

/** Where a BPF function (program or subprogram) starts, and its BTF FUNC. */
export interface FuncInfo {
  /** Byte offset of the first instruction in the code section, as stored. */
  readonly insnOff: number;
  /** The same, as an instruction index (`insnOff / 8`). */
  readonly insn: number;
  /** The BTF id of the FUNC. */
  readonly typeId: number;
}

/** The source position of an instruction. */
export interface LineInfo {
  /** Byte offset of the instruction in the code section, as stored. */
  readonly insnOff: number;
  /** The same, as an instruction index (`insnOff / 8`). */
  readonly insn: number;
  readonly fileNameOff: number;
  /** The source file, as the compiler saw it (often a path relative to its working directory). */
  readonly fileName: string;
  readonly lineOff: number;
  /** The text of the source line (clang stores it, so diagnostics can quote it without the source file). */
  readonly sourceLine: string;
  /** 1-based line number (`line_col >> 10`); 0 when unknown. */
  readonly line: number;
  /** 1-based column (`line_col & 0x3ff`); 0 when unknown. */
  readonly column: number;
}

/** A CO-RE relocation: an instruction whose offset, size or constant depends on the target kernel's types. */
export interface CoreRelo {
  /** Byte offset of the instruction in the code section, as stored. */
  readonly insnOff: number;
  /** The same, as an instruction index (`insnOff / 8`). */
  readonly insn: number;
  /** The local BTF type the access starts from. */
  readonly typeId: number;
  readonly accessStrOff: number;
  /** The access path, e.g. `0:1:2` (field indices) or an enumerator index. */
  readonly accessString: string;
  /** The relocation kind code (`CoreReloKind`). */
  readonly kind: number;
  readonly kindName: CoreReloKindName;
}

/** The records of one kind for one code section. */
export interface BtfExtSection<T> {
  /** The ELF section name of the code, e.g. `xdp` or `.text`. */
  readonly section: string;
  readonly sectionNameOff: number;
  readonly records: readonly T[];
}

/** Options of {@link parseBtfExt}. */
export interface ParseBtfExtOptions {
  /** The file the section came from, for error messages. */
  readonly file?: string;
}

/**
 * Parsed `.BTF.ext`. The records are grouped per code section in file order; the `...Of(section)` lookups give one
 * section's records (empty when it has none).
 *
 * @example
 * ```ts
 * const ext = parseBtfExt(elf.section('.BTF.ext')!.data, btf);
 * for (const l of ext.lineInfoOf('xdp')) console.log(l.insn, `${l.fileName}:${l.line}:${l.column}`, l.sourceLine);
 * ```
 */
export class BtfExt {
  /** The header as stored. */
  readonly header: BtfExtHeader;
  /** Record sizes as stored in each subsection (0 when the subsection is absent). */
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly coreReloRecSize: number;
  /** Function info per code section, in file order. */
  readonly funcInfo: readonly BtfExtSection<FuncInfo>[];
  /** Line info per code section, in file order. */
  readonly lineInfo: readonly BtfExtSection<LineInfo>[];
  /** CO-RE relocations per code section, in file order (empty when the header has no CO-RE fields). */
  readonly coreRelos: readonly BtfExtSection<CoreRelo>[];

  /** Use `parseBtfExt`. */
  constructor(
    header: BtfExtHeader,
    recSizes: readonly [number, number, number],
    funcInfo: readonly BtfExtSection<FuncInfo>[],
    lineInfo: readonly BtfExtSection<LineInfo>[],
    coreRelos: readonly BtfExtSection<CoreRelo>[],
  ) {
    this.header = header;
    [this.funcInfoRecSize, this.lineInfoRecSize, this.coreReloRecSize] = recSizes;
    this.funcInfo = funcInfo;
    this.lineInfo = lineInfo;
    this.coreRelos = coreRelos;
  }

  /** The function info of code section `section`. */
  funcInfoOf(section: string): readonly FuncInfo[] {
    return recordsOf(this.funcInfo, section);
  }

  /** The line info of code section `section`, in stored order (increasing instruction offsets). */
  lineInfoOf(section: string): readonly LineInfo[] {
    return recordsOf(this.lineInfo, section);
  }

  /** The CO-RE relocations of code section `section`. */
  coreRelosOf(section: string): readonly CoreRelo[] {
    return recordsOf(this.coreRelos, section);
  }
}

/** The records for `section`; a section listed more than once (clang never does it) gets all its records. */
function recordsOf<T>(sections: readonly BtfExtSection<T>[], section: string): readonly T[] {
  let found: readonly T[] | undefined;
  for (const s of sections) {
    if (s.section !== section) continue;
    found = found === undefined ? s.records : [...found, ...s.records];
  }
  return found ?? [];
}

/** Header sizes: without and with the CO-RE relocation fields. */
const EXT_HEADER_MIN = 24;
const EXT_HEADER_CORE = 32;
/** Smallest record sizes each subsection may declare (larger ones come from newer compilers and are skipped). */
const FUNC_INFO_MIN = 8;
const LINE_INFO_MIN = 16;
const CORE_RELO_MIN = 16;
/** Bytes per eBPF instruction: BTF.ext offsets are in bytes and must land on instruction boundaries. */
const INSN_SIZE = 8;

/**
 * Parses the contents of a `.BTF.ext` section against the `.BTF` it belongs to (section names, file names, source
 * lines and access strings live in the BTF string table; type ids must exist in it).
 *
 * Checks the header (magic, version 1, flags 0, header length of 24 or more inside the data), that each subsection
 * lies inside the data at a 4-byte aligned offset, that its record size is a multiple of 4 and at least the size
 * this parser knows (8 for func_info, 16 for line_info and CO-RE relocations; larger records are read and their
 * tail skipped), that every per-section block fits in its subsection, that instruction offsets are multiples of 8,
 * that every string offset is inside the BTF string table, that func_info names FUNC types and that CO-RE
 * relocations name existing types and known kinds.
 *
 * @example
 * ```ts
 * const ext = parseBtfExt(elf.section('.BTF.ext')!.data, btf, { file: 'xdp.o' });
 * ext.funcInfoOf('xdp')[0]; // { insnOff: 0, insn: 0, typeId: 30 }
 * ```
 */
export function parseBtfExt(data: Uint8Array, btf: Btf, options: ParseBtfExtOptions = {}): BtfExt {
  const where: Location = options.file === undefined ? { section: '.BTF.ext' } : { file: options.file, section: '.BTF.ext' };
  const error = (detail: string, offset?: number): BtfError =>
    new BtfError(detail, offset === undefined ? where : { ...where, offset });
  const view = new ByteView(data, where, (detail, at) => new BtfError(detail, at));

  // 1. Header.
  if (data.length < 8) throw error(`BTF.ext header is truncated: ${data.length} bytes, expected at least ${EXT_HEADER_MIN}`);
  const magic = view.u16(0);
  if (magic !== BTF_MAGIC) {
    if (magic === 0x9feb) throw error('BTF.ext is big-endian (magic 0x9feb); only little-endian BTF.ext is supported', 0);
    throw error(`bad BTF.ext magic 0x${magic.toString(16).padStart(4, '0')}, expected 0xeb9f`, 0);
  }
  const version = view.u8(2);
  if (version !== BTF_VERSION) throw error(`unsupported BTF.ext version ${version}, expected ${BTF_VERSION}`, 2);
  const flags = view.u8(3);
  if (flags !== 0) throw error(`unsupported BTF.ext flags 0x${flags.toString(16)}, expected 0`, 3);
  const hdrLen = view.u32(4);
  if (hdrLen < EXT_HEADER_MIN) throw error(`BTF.ext header length ${hdrLen} is shorter than the ${EXT_HEADER_MIN}-byte header`, 4);
  if (data.length < EXT_HEADER_MIN || hdrLen > data.length) {
    throw error(`BTF.ext header is truncated: header length ${hdrLen} but the data has ${data.length} bytes`);
  }
  const hasCore = hdrLen >= EXT_HEADER_CORE;
  const header: BtfExtHeader = {
    magic, version, flags, hdrLen,
    funcInfoOff: view.u32(8), funcInfoLen: view.u32(12),
    lineInfoOff: view.u32(16), lineInfoLen: view.u32(20),
    coreReloOff: hasCore ? view.u32(24) : 0, coreReloLen: hasCore ? view.u32(28) : 0,
  };

  const strings = btf.strings;
  const typeCount = btf.typeCount;
  const string = (offset: number, what: string | (() => string), at: number): string => {
    const s = strings.tryAt(offset);
    if (s === undefined) throw error(`${typeof what === 'string' ? what : what()} offset ${offset} is past the end of the BTF string table (${strings.length} bytes)`, at);
    return s;
  };

  /**
   * Walks one subsection, calling `read(recordOffset, describe)` for each record; `describe()` names the record
   * for an error message (built only then: there are hundreds of thousands of records in a large object). Returns
   * the record size and the sections with their records.
   */
  const subsection = <T>(
    desc: string, off: number, len: number, minRecSize: number, read: (at: number, what: () => string) => T,
  ): [number, BtfExtSection<T>[]] => {
    if (len === 0) return [0, []];
    const start = hdrLen + off;
    const end = start + len;
    if (off % 4 !== 0) throw error(`${desc} subsection offset ${off} is not 4-byte aligned`);
    if (end > data.length) {
      throw error(`${desc} subsection [${start}, ${end}) runs past the end of the data (${data.length} bytes)`);
    }
    if (len < 4) throw error(`${desc} subsection is ${len} bytes, too short for its record size`, start);
    const recSize = view.u32(start);
    if (recSize < minRecSize) throw error(`${desc} record size ${recSize} is smaller than the ${minRecSize} bytes of a ${desc} record`, start);
    if (recSize % 4 !== 0) throw error(`${desc} record size ${recSize} is not a multiple of 4`, start);
    const sections: BtfExtSection<T>[] = [];
    let at = start + 4;
    while (at < end) {
      if (at + 8 > end) throw error(`${desc} section header at offset ${at} runs past the end of the subsection (${end})`, at);
      const sectionNameOff = view.u32(at);
      const count = view.u32(at + 4);
      const section = string(sectionNameOff, `${desc} section name`, at);
      const bytes = count * recSize;
      if (at + 8 + bytes > end) {
        throw error(`${desc} of section '${section}' holds ${count} records of ${recSize} bytes, running past the end of the subsection (${end})`, at);
      }
      const records: T[] = new Array<T>(count);
      let r = at + 8;
      let i = 0;
      const what = (): string => `${desc} record ${i} of section '${section}'`;
      for (; i < count; i++, r += recSize) records[i] = read(r, what);
      sections.push({ section, sectionNameOff, records });
      at = r;
    }
    return [recSize, sections];
  };

  const insnOffset = (at: number, what: () => string): number => {
    const insnOff = view.u32(at);
    if (insnOff % INSN_SIZE !== 0) throw error(`${what()} has instruction offset ${insnOff}, not a multiple of ${INSN_SIZE}`, at);
    return insnOff;
  };

  // 2. func_info: insn_off, type_id.
  const [funcRec, funcInfo] = subsection('func_info', header.funcInfoOff, header.funcInfoLen, FUNC_INFO_MIN, (at, what): FuncInfo => {
    const insnOff = insnOffset(at, what);
    const typeId = view.u32(at + 4);
    if (typeId >= typeCount) throw error(`${what()} refers to type ${typeId}, past the last type (${typeCount - 1})`, at + 4);
    const t = btf.types[typeId];
    if (t?.kind !== 'FUNC') throw error(`${what()} refers to ${btf.describe(typeId)}, expected a FUNC`, at + 4);
    return { insnOff, insn: insnOff / INSN_SIZE, typeId };
  });

  // 3. line_info: insn_off, file_name_off, line_off, line_col.
  const [lineRec, lineInfo] = subsection('line_info', header.lineInfoOff, header.lineInfoLen, LINE_INFO_MIN, (at, what): LineInfo => {
    const insnOff = insnOffset(at, what);
    const fileNameOff = view.u32(at + 4);
    const lineOff = view.u32(at + 8);
    const lineCol = view.u32(at + 12);
    return {
      insnOff, insn: insnOff / INSN_SIZE,
      fileNameOff, fileName: string(fileNameOff, () => `${what()} file name`, at + 4),
      lineOff, sourceLine: string(lineOff, () => `${what()} source line`, at + 8),
      line: lineCol >>> 10, column: lineCol & 0x3ff,
    };
  });

  // 4. CO-RE relocations: insn_off, type_id, access_str_off, kind.
  const [coreRec, coreRelos] = subsection('core_relo', header.coreReloOff, header.coreReloLen, CORE_RELO_MIN, (at, what): CoreRelo => {
    const insnOff = insnOffset(at, what);
    const typeId = view.u32(at + 4);
    if (typeId >= typeCount) throw error(`${what()} refers to type ${typeId}, past the last type (${typeCount - 1})`, at + 4);
    const accessStrOff = view.u32(at + 8);
    const kind = view.u32(at + 12);
    const kindName = CORE_RELO_KIND_NAMES[kind];
    if (kindName === undefined) {
      throw error(`${what()} has unknown CO-RE relocation kind ${kind} (known kinds are 0 to ${CORE_RELO_KIND_NAMES.length - 1})`, at + 12);
    }
    return {
      insnOff, insn: insnOff / INSN_SIZE, typeId, accessStrOff,
      accessString: string(accessStrOff, () => `${what()} access string`, at + 8), kind, kindName,
    };
  });

  return new BtfExt(header, [funcRec, lineRec, coreRec], funcInfo, lineInfo, coreRelos);
}

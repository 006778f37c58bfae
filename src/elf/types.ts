/**
 * The shapes the ELF reader returns: sections, symbols and relocations of an ELF64 little-endian relocatable
 * object, as clang writes for `-target bpf`. Only what eBPF objects use is modelled; everything is plain data.
 *
 * Author: Claude.
 *
 * @module
 */

/** Section header types (`sh_type`) that matter for eBPF objects. */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

/** Section header flags (`sh_flags`). */
export const SectionFlag = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
  MERGE: 0x10,
  STRINGS: 0x20,
} as const;

/** Symbol types (low nibble of `st_info`). */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** Symbol bindings (high nibble of `st_info`). */
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** Special section indices in `st_shndx`. */
export const SectionIndex = { UNDEF: 0, ABS: 0xfff1, COMMON: 0xfff2 } as const;

/** BPF relocation types (`ELF64_R_TYPE`), as LLVM's BPF backend and libbpf define them. */
export const RelocationType = {
  NONE: 0,
  /** 64-bit immediate of an `lddw` (map or global data address). */
  BPF_64_64: 1,
  /** 64-bit absolute data (DWARF, BTF-defined map `values` of map-in-map and prog arrays). */
  BPF_64_ABS64: 2,
  /** 32-bit absolute data (DWARF, .BTF.ext). */
  BPF_64_ABS32: 3,
  /** 32-bit data that no dynamic linker resolves (.BTF.ext, .BTF line info). */
  BPF_64_NODYLD32: 4,
  /** 32-bit immediate of a `call` (BPF-to-BPF call or extern function). */
  BPF_64_32: 10,
} as const;

/** The name tools print for a relocation type: `R_BPF_64_64`, or `R_BPF_<n>` for one LLVM does not know. */
export function relocationTypeName(type: number): string {
  switch (type) {
    case RelocationType.NONE: return 'R_BPF_NONE';
    case RelocationType.BPF_64_64: return 'R_BPF_64_64';
    case RelocationType.BPF_64_ABS64: return 'R_BPF_64_ABS64';
    case RelocationType.BPF_64_ABS32: return 'R_BPF_64_ABS32';
    case RelocationType.BPF_64_NODYLD32: return 'R_BPF_64_NODYLD32';
    case RelocationType.BPF_64_32: return 'R_BPF_64_32';
    default: return `R_BPF_${type}`;
  }
}

/** One section header with its contents. */
export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  /** File offset of the contents. */
  readonly offset: number;
  /** Size in bytes (for NOBITS, the size in memory; `data` is then empty). */
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** The contents, shared with the input buffer (empty for NOBITS). */
  readonly data: Uint8Array;
}

/** One symbol table entry. */
export interface ElfSymbol {
  /** Index in the symbol table (relocations refer to symbols by it). */
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly bind: number;
  /** `st_other & 3`: default, internal, hidden, protected. */
  readonly visibility: number;
  /** `st_shndx`: the section the symbol is defined in, or a special index. */
  readonly sectionIndex: number;
  /** `st_value`: offset inside its section for a relocatable object. */
  readonly value: number;
  readonly size: number;
}

/** One relocation entry, from a REL or RELA section. */
export interface ElfRelocation {
  /** Index of the relocation in its REL/RELA section. */
  readonly index: number;
  /** Byte offset inside the section being relocated. */
  readonly offset: number;
  readonly type: number;
  /** Index into the symbol table. */
  readonly symbolIndex: number;
  /** The explicit addend of a RELA entry; 0n for REL. */
  readonly addend: bigint;
}

/** A parsed ELF64 object. */
export interface ElfFile {
  /** The name given to the reader (used in messages). */
  readonly name: string;
  /** `e_type`: 1 for relocatable objects. */
  readonly type: number;
  /** `e_machine`: 247 for BPF. */
  readonly machine: number;
  readonly flags: number;
  readonly sections: readonly ElfSection[];
  /** The symbol table (index 0 is the null symbol), empty when the object has none. */
  readonly symbols: readonly ElfSymbol[];
  /** Relocations keyed by the index of the section they apply to, sorted by offset. */
  readonly relocations: ReadonlyMap<number, readonly ElfRelocation[]>;
  /** The section of that name (the first, if several share it). */
  section(name: string): ElfSection | undefined;
}

/** `e_machine` of eBPF objects. */
export const EM_BPF = 247;
/** `e_machine` 0: no machine. Older LLVM wrote it into eBPF objects, and libbpf still loads them. */
export const EM_NONE = 0;

/**
 * Whether `e_machine` is one an eBPF object may carry, as libbpf decides (`bpf_object__elf_init` skips the check
 * for 0): EM_BPF, or EM_NONE, which older LLVM wrote. (libbpf also wants `e_type` ET_REL; callers check it.)
 *
 * @example
 * ```ts
 * isEbpfMachine(EM_BPF); // true
 * isEbpfMachine(EM_NONE); // true: older LLVM
 * isEbpfMachine(62); // false: x86-64
 * ```
 */
export function isEbpfMachine(machine: number): boolean {
  return machine === EM_BPF || machine === EM_NONE;
}
/** `e_type` of relocatable objects. */
export const ET_REL = 1;

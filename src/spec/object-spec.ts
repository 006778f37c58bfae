/**
 * The object spec: what an eBPF ELF object declares, as plain data. Reading the same bytes gives the same spec on
 * every machine (cilium/ebpf's rule for its CollectionSpec): nothing here depends on the host, the kernel or the
 * time. Creating maps, choosing CPUs counts and loading programs happen later, in the runtime.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf, BtfExt } from '../btf/index.ts';
import type { ElfFile } from '../elf/index.ts';
import type { Instruction } from '../asm/index.ts';
import type { SectionKind } from './program-types.ts';

/** A whole object. */
export interface ObjectSpec {
  /** The name the object was read under (used in messages). */
  readonly file: string;
  /** The `license` section's string, e.g. `GPL` or `Dual BSD/GPL`; undefined when there is none. */
  readonly license: string | undefined;
  /** The legacy `version` section (kernel version for kprobes), when present. */
  readonly kernelVersion: number | undefined;
  /** Entry programs, in section order then offset order. */
  readonly programs: readonly ProgramSpec[];
  /** Functions of `.text` that programs call (BPF-to-BPF calls) or take the address of. */
  readonly subprograms: readonly FunctionSpec[];
  /** Maps from BTF `.maps` and legacy `maps` sections, in section then offset order. */
  readonly maps: readonly MapSpec[];
  /** Global data: `.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`, `.bss.*`. */
  readonly dataSections: readonly DataSectionSpec[];
  /** Extern symbols programs refer to (kfuncs, `.kconfig` and `.ksyms` variables). */
  readonly externs: readonly ExternSpec[];
  /** What each ELF section is, for inspection. */
  readonly sections: readonly SectionSummary[];
  /** Parsed BTF, when the object has a `.BTF` section. */
  readonly btf: Btf | undefined;
  /** Parsed BTF.ext (func_info, line_info, CO-RE relocations), when present. */
  readonly btfExt: BtfExt | undefined;
  /** The underlying ELF file, for tools that need raw access. */
  readonly elf: ElfFile;
}

/** The role a section plays in an eBPF object. */
export type SectionRole =
  | 'program' | 'subprograms' | 'maps' | 'legacy-maps' | 'data' | 'rodata' | 'bss' | 'license' | 'version'
  | 'btf' | 'btf-ext' | 'relocations' | 'symbols' | 'strings' | 'debug' | 'other';

/** One ELF section with its role. */
export interface SectionSummary {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly size: number;
  readonly role: SectionRole;
}

/** A function in a code section: an entry program or a subprogram. */
export interface FunctionSpec {
  /** The function's symbol name (for a section without symbols, the section name). */
  readonly name: string;
  readonly sectionName: string;
  readonly sectionIndex: number;
  /** Index of the function's first instruction slot inside its section. */
  readonly sectionInsnOffset: number;
  /** The function's instructions, as stored (calls and map loads not yet relocated). */
  readonly instructions: readonly Instruction[];
  /** Number of 8-byte instruction slots (an lddw counts 2, as the kernel counts). */
  readonly slotCount: number;
  /** What the relocations and BPF-to-BPF calls in the function refer to, by instruction slot. */
  readonly references: readonly Reference[];
  /** True for static (local) functions. */
  readonly isStatic: boolean;
}

/** An entry program: a function in a section whose name gives a program type. */
export interface ProgramSpec extends FunctionSpec {
  /** Program type, attach type and flags from the section name. */
  readonly kind: SectionKind;
  /** Names of the subprograms it calls, directly or through other subprograms, in first-call order. */
  readonly calls: readonly string[];
  /** The license the program is loaded under (the object's). */
  readonly license: string | undefined;
}

/**
 * What one instruction refers to outside itself, resolved from a relocation or a pc-relative call. `slot` is the
 * instruction slot inside the function (not the section).
 */
export type Reference =
  /** `lddw rX, map` (the instruction becomes a map pointer load, src 1). */
  | { readonly kind: 'map'; readonly slot: number; readonly map: string }
  /** `lddw rX, &global + offset`: a pointer into a data section (becomes src 2, map value). */
  | { readonly kind: 'data'; readonly slot: number; readonly section: string; readonly offset: number; readonly symbol: string }
  /** A BPF-to-BPF call to a function in `.text` or in the same section. */
  | { readonly kind: 'call'; readonly slot: number; readonly sectionName: string; readonly target: number; readonly function: string }
  /** `lddw rX, func` taking the address of a function (a callback for bpf_loop, for_each_map_elem...). */
  | { readonly kind: 'func-addr'; readonly slot: number; readonly sectionName: string; readonly target: number; readonly function: string }
  /** A call to a kernel function (kfunc) resolved at load time by name. */
  | { readonly kind: 'kfunc'; readonly slot: number; readonly name: string }
  /** `lddw rX, extern` of a `.kconfig` or `.ksyms` variable. */
  | { readonly kind: 'extern-var'; readonly slot: number; readonly name: string };

/** Where a map definition came from. */
export type MapSource = 'btf' | 'legacy';

/** A map, as declared. */
export interface MapSpec {
  readonly name: string;
  /** `enum bpf_map_type` value; see `mapTypeName`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** 0 none, 1 by name (libbpf's LIBBPF_PIN_BY_NAME); iproute2's legacy values are kept as they are. */
  readonly pinning: number;
  readonly numaNode: number;
  readonly mapExtra: bigint;
  /** BTF type ids of key and value when the definition gives them (0 when not). */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /** The inner map's template of a map-in-map. */
  readonly innerMap: MapSpec | undefined;
  /** Initial contents given in the definition (`values = { [2] = &prog }` of prog arrays and map-in-maps). */
  readonly initialValues: readonly MapInitialValue[];
  readonly source: MapSource;
  /** For legacy maps, which struct layout the definition was read as. */
  readonly legacyLayout?: string;
  readonly sectionName: string;
  /** Byte offset of the definition in its section. */
  readonly sectionOffset: number;
}

/** One initial slot of a prog array or map-in-map: index `key` holds program or map `name`. */
export interface MapInitialValue {
  readonly key: number;
  readonly kind: 'program' | 'map';
  readonly name: string;
}

/** A global data section, which libbpf turns into a single-entry array map. */
export interface DataSectionSpec {
  readonly name: string;
  readonly kind: 'data' | 'rodata' | 'bss';
  readonly sectionIndex: number;
  readonly size: number;
  /** Initial contents (zeros for `.bss`). */
  readonly initialBytes: Uint8Array;
  readonly readOnly: boolean;
  /** Variables in the section, from BTF when present, else from ELF symbols. */
  readonly variables: readonly DataVariable[];
}

/** A global variable. */
export interface DataVariable {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** BTF type id of the variable's type (0 without BTF). */
  readonly typeId: number;
  readonly isStatic: boolean;
}

/** A symbol the object leaves to the loader. */
export interface ExternSpec {
  readonly name: string;
  readonly kind: 'kfunc' | 'kconfig' | 'ksym';
}

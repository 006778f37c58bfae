/**
 * The description of a native image, as TypeScript data: what the generated file's `bpfship_native_image` table
 * holds (see bpfship_native.h), returned beside the C text so that tools need not parse C to know it.
 *
 * Author: Claude.
 *
 * @module
 */

/** One entry program of the image. */
export interface NativeProgramMetadata {
  /** The program's symbol name. */
  readonly name: string;
  /** The C function implementing it (the name itself unless that is not a usable C identifier). */
  readonly cName: string;
  readonly section: string;
  readonly programType: string;
  /** Linux's `enum bpf_prog_type` value. */
  readonly programTypeId: number;
  /** Expected attach type from the section name, or `''`. */
  readonly attachType: string;
  /** Instruction slots of the linked program. */
  readonly insnCount: number;
  /** Helper ids called by the program and its subprograms, ascending. */
  readonly helpers: readonly number[];
  /** Map binding indices used (maps first, then global data sections), ascending. */
  readonly maps: readonly number[];
  /** SHA-256 of the program-info text (program-info.ts), hex. */
  readonly infoHash: string;
}

/** A map definition of the image. */
export interface NativeMapMetadata {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly pinning: number;
  /**
   * BPF_MAP_CREATE's map_extra (a bloom filter's number of hash functions). A number, not a bigint, so that the
   * metadata stays JSON; bpf2c refuses a value past 2^53 (only arena maps, which the core lacks, use more).
   */
  readonly mapExtra: number;
  readonly innerMap: NativeMapMetadata | undefined;
  /** Prog array and map-in-map slots filled at load: `key` holds program or map `name`. */
  readonly initialValues: readonly { readonly key: number; readonly kind: 'program' | 'map'; readonly name: string }[];
}

/** A global data section of the image (a one-element array map). */
export interface NativeDataSectionMetadata {
  readonly name: string;
  readonly size: number;
  readonly readOnly: boolean;
  readonly initialBytes: Uint8Array;
}

/** Everything the image table describes. Map binding `i` is `maps[i]`, then `dataSections[i - maps.length]`. */
export interface NativeImageMetadata {
  readonly bpf2cVersion: string;
  readonly sourceName: string;
  /** SHA-256 of the source ELF, hex (all zeros for code that did not come from an ELF). */
  readonly elfSha256: string;
  readonly license: string;
  readonly programs: readonly NativeProgramMetadata[];
  readonly maps: readonly NativeMapMetadata[];
  readonly dataSections: readonly NativeDataSectionMetadata[];
  /** The helper id each slot of the image's helper table must hold, ascending. */
  readonly helperIds: readonly number[];
}

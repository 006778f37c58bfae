/**
 * The numeric constants of the BTF format: kind codes, integer encodings, linkages and record sizes, as the kernel's
 * `include/uapi/linux/btf.h` defines them.
 *
 * Every type record starts with the same 12 bytes:
 *
 * ```
 *  0       4                         8
 *  +-------+-------------------------+-----------------+
 *  | name  | info                    | size / type     |
 *  | off   | bit 31: kind_flag       | (union: a size  |
 *  |       | bits 24-28: kind        |  for INT, STRUCT|
 *  |       | bits 0-15: vlen         |  ..., a type id |
 *  |       |                         |  for PTR, ...)  |
 *  +-------+-------------------------+-----------------+
 * ```
 *
 * followed by kind-specific data whose size depends on the kind and on `vlen`.
 *
 * Author: Claude.
 *
 * @module
 */

/**
 * BTF kind codes (bits 24-28 of `info`).
 *
 * @example
 * ```ts
 * if (kindCode === BtfKind.STRUCT) { ... }
 * ```
 */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** The highest kind code this parser knows; anything above it is reported as an unknown kind. */
export const BTF_KIND_MAX = 19;

/** The name of a BTF kind, as in the kernel headers and bpftool's output. */
export type BtfKindName = Exclude<keyof typeof BtfKind, 'UNKN'>;

/**
 * Kind names indexed by kind code; index 0 (`UNKN`) is never a parsed type's kind.
 *
 * @example
 * ```ts
 * BTF_KIND_NAMES[4] // 'STRUCT'
 * ```
 */
export const BTF_KIND_NAMES: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
  'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

/** `BTF_MAGIC`: the first two bytes of `.BTF` and `.BTF.ext`, little-endian. */
export const BTF_MAGIC = 0xeb9f;
/** The only BTF (and BTF.ext) version there has ever been. */
export const BTF_VERSION = 1;
/** Size of `struct btf_header`: magic, version, flags, hdr_len, type_off, type_len, str_off, str_len. */
export const BTF_HEADER_SIZE = 24;
/** Size of the common part of every type record (`struct btf_type`). */
export const BTF_TYPE_SIZE = 12;

/**
 * Bits of an INT's encoding (bits 24-27 of the word after the type record). At most one is set in valid BTF; they
 * only tell printers and pretty-printers how to show the value.
 */
export const BtfIntEncoding = {
  SIGNED: 1 << 0,
  CHAR: 1 << 1,
  BOOL: 1 << 2,
} as const;

/** Linkage of a FUNC (stored in its `vlen`). */
export const BtfFuncLinkage = { static: 0, global: 1, extern: 2 } as const;
/** Linkage of a VAR (the word after its type record). */
export const BtfVarLinkage = { static: 0, global: 1, extern: 2 } as const;
/** A linkage name: `static`, `global` (allocated here) or `extern` (resolved at load time). */
export type BtfLinkage = keyof typeof BtfFuncLinkage;

/** Linkage names indexed by their code; FUNC and VAR share the numbering. */
export const BTF_LINKAGE_NAMES: readonly BtfLinkage[] = ['static', 'global', 'extern'];

/** Bytes per element of each variable-length list, by kind (0 for kinds that have none). */
export const BTF_VLEN_ELEMENT_SIZE: readonly number[] = [
  0, // UNKN
  0, // INT (one fixed extra word, see BTF_EXTRA_SIZE)
  0, // PTR
  0, // ARRAY
  12, // STRUCT: name_off, type, offset
  12, // UNION
  8, // ENUM: name_off, val
  0, // FWD
  0, // TYPEDEF
  0, // VOLATILE
  0, // CONST
  0, // RESTRICT
  0, // FUNC (vlen is the linkage)
  8, // FUNC_PROTO: name_off, type
  0, // VAR
  12, // DATASEC: type, offset, size
  0, // FLOAT
  0, // DECL_TAG
  0, // TYPE_TAG
  12, // ENUM64: name_off, val_lo32, val_hi32
];

/** Fixed bytes after the common record, by kind. */
export const BTF_EXTRA_SIZE: readonly number[] = [
  0, // UNKN
  4, // INT: encoding, offset, bits
  0, // PTR
  12, // ARRAY: type, index_type, nelems
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, // VAR: linkage
  0, 0,
  4, // DECL_TAG: component_idx
  0, 0,
];

/**
 * CO-RE relocation kinds (`enum bpf_core_relo_kind`), with the names libbpf uses in its logs.
 *
 * @example
 * ```ts
 * CORE_RELO_KIND_NAMES[CoreReloKind.FIELD_EXISTS] // 'field_exists'
 * ```
 */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** The name of a CO-RE relocation kind, e.g. `field_byte_offset`. */
export type CoreReloKindName =
  | 'field_byte_offset' | 'field_byte_size' | 'field_exists' | 'field_signed' | 'field_lshift_u64'
  | 'field_rshift_u64' | 'type_id_local' | 'type_id_target' | 'type_exists' | 'type_size' | 'enumval_exists'
  | 'enumval_value' | 'type_matches';

/** CO-RE relocation kind names indexed by kind code. */
export const CORE_RELO_KIND_NAMES: readonly CoreReloKindName[] = [
  'field_byte_offset', 'field_byte_size', 'field_exists', 'field_signed', 'field_lshift_u64', 'field_rshift_u64',
  'type_id_local', 'type_id_target', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
];

/**
 * The shapes of parsed BTF types: one interface per kind, joined in the discriminated union {@link BtfType} on
 * `kind`. Type ids index the type table; id 0 is `void` ({@link BtfVoid}). Every type keeps the string-table offset
 * of its name (`nameOff`) beside the decoded `name` (empty for anonymous types), so that tools can print either.
 *
 * Author: Claude.
 *
 * @module
 */

import type { BtfLinkage } from './kinds.ts';

/** Fields every type has. */
interface BtfTypeBase {
  /** The type id: the index in the type table (1 for the first record, 0 is void). */
  readonly id: number;
  /** The name, or `''` for an anonymous type. */
  readonly name: string;
  /** Offset of the name in the string table (0 for anonymous types). */
  readonly nameOff: number;
}

/** Type id 0: `void`, the type of nothing (function returning nothing, `void *` target, variadic marker). */
export interface BtfVoid extends BtfTypeBase {
  readonly kind: 'VOID';
}

/**
 * An integer type. `offset` and `bits` describe where the value sits inside its `size` bytes (always 0 and
 * `size * 8` for what clang emits; bitfields are described by struct members instead).
 */
export interface BtfInt extends BtfTypeBase {
  readonly kind: 'INT';
  /** Size in bytes. */
  readonly size: number;
  /** Raw encoding bits (see `BtfIntEncoding`): 1 signed, 2 char, 4 bool. */
  readonly encoding: number;
  readonly signed: boolean;
  /** Bit offset of the value inside the storage. */
  readonly offset: number;
  /** Number of value bits. */
  readonly bits: number;
}

/** A pointer to `type`. */
export interface BtfPtr extends BtfTypeBase {
  readonly kind: 'PTR';
  readonly type: number;
}

/** An array of `nelems` elements of `type`, indexed by `indexType`. */
export interface BtfArray extends BtfTypeBase {
  readonly kind: 'ARRAY';
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

/** One member of a struct or union. */
export interface BtfMember {
  /** The member name, or `''` for an anonymous member (an embedded anonymous struct or union). */
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
  /** Offset of the member from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Width of a bitfield in bits; 0 for an ordinary member (or when the struct's kind_flag is clear). */
  readonly bitfieldSize: number;
}

/** A struct. When `kindFlag` is set, each member's offset word packs a bitfield size (bits 24-31). */
export interface BtfStruct extends BtfTypeBase {
  readonly kind: 'STRUCT';
  /** Size in bytes. */
  readonly size: number;
  readonly kindFlag: boolean;
  readonly members: readonly BtfMember[];
}

/** A union; members usually all have offset 0. */
export interface BtfUnion extends BtfTypeBase {
  readonly kind: 'UNION';
  readonly size: number;
  readonly kindFlag: boolean;
  readonly members: readonly BtfMember[];
}

/** One enumerator of a 32-bit enum. */
export interface BtfEnumValue {
  readonly name: string;
  readonly nameOff: number;
  /** The value, read as signed when the enum is signed and as unsigned otherwise. */
  readonly value: number;
}

/** An enum with 32-bit enumerators; `signed` is the kind_flag. */
export interface BtfEnum extends BtfTypeBase {
  readonly kind: 'ENUM';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}

/** One enumerator of a 64-bit enum. */
export interface BtfEnum64Value {
  readonly name: string;
  readonly nameOff: number;
  /** The value, read as signed when the enum is signed and as unsigned otherwise. */
  readonly value: bigint;
}

/** An enum with 64-bit enumerators; `signed` is the kind_flag. */
export interface BtfEnum64 extends BtfTypeBase {
  readonly kind: 'ENUM64';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnum64Value[];
}

/** A forward declaration of a struct or union (the kind_flag says which). */
export interface BtfFwd extends BtfTypeBase {
  readonly kind: 'FWD';
  readonly fwdKind: 'struct' | 'union';
}

/** A typedef naming `type`. */
export interface BtfTypedef extends BtfTypeBase {
  readonly kind: 'TYPEDEF';
  readonly type: number;
}

/** `volatile type`. */
export interface BtfVolatile extends BtfTypeBase {
  readonly kind: 'VOLATILE';
  readonly type: number;
}

/** `const type`. */
export interface BtfConst extends BtfTypeBase {
  readonly kind: 'CONST';
  readonly type: number;
}

/** `restrict type`. */
export interface BtfRestrict extends BtfTypeBase {
  readonly kind: 'RESTRICT';
  readonly type: number;
}

/** A function (a program or subprogram, or an extern kfunc): its name, prototype and linkage. */
export interface BtfFunc extends BtfTypeBase {
  readonly kind: 'FUNC';
  /** The id of its FUNC_PROTO. */
  readonly type: number;
  readonly linkage: BtfLinkage;
}

/** One parameter of a function prototype. */
export interface BtfParam {
  /** The parameter name; `''` when unnamed (prototypes of function pointers have none). */
  readonly name: string;
  readonly nameOff: number;
  readonly type: number;
}

/**
 * A function prototype. A variadic prototype is stored with a final parameter of type 0 and no name; that marker
 * is not in `params` but sets `variadic`.
 */
export interface BtfFuncProto extends BtfTypeBase {
  readonly kind: 'FUNC_PROTO';
  /** Return type id (0 for void). */
  readonly returnType: number;
  readonly params: readonly BtfParam[];
  readonly variadic: boolean;
}

/** A global or static variable (in a DATASEC). */
export interface BtfVar extends BtfTypeBase {
  readonly kind: 'VAR';
  readonly type: number;
  readonly linkage: BtfLinkage;
}

/** One variable (or extern function) placed in a data section. */
export interface BtfVarSecinfo {
  /** The VAR (or FUNC, for `.ksyms`) type id. */
  readonly type: number;
  /** Byte offset in the section. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
}

/** A data section (`.data`, `.bss`, `.rodata`, `.maps`, `license`, `.kconfig`, ...) and the variables in it. */
export interface BtfDatasec extends BtfTypeBase {
  readonly kind: 'DATASEC';
  /** Size as stored (clang writes 0; loaders fill it in from the ELF section). */
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

/** A floating-point type. */
export interface BtfFloat extends BtfTypeBase {
  readonly kind: 'FLOAT';
  readonly size: number;
}

/**
 * A declaration tag (`__attribute__((btf_decl_tag("name")))`) on `type`: on the type itself when `componentIdx`
 * is -1, else on that member of a struct/union or parameter of a function.
 */
export interface BtfDeclTag extends BtfTypeBase {
  readonly kind: 'DECL_TAG';
  readonly type: number;
  readonly componentIdx: number;
}

/** A type tag (`__attribute__((btf_type_tag("name")))`) qualifying `type`, like `__user` on pointers. */
export interface BtfTypeTag extends BtfTypeBase {
  readonly kind: 'TYPE_TAG';
  readonly type: number;
}

/**
 * Any BTF type, discriminated on `kind`.
 *
 * @example
 * ```ts
 * const t = btf.typeById(id);
 * if (t.kind === 'STRUCT') for (const m of t.members) console.log(m.name, m.bitOffset);
 * ```
 */
export type BtfType =
  | BtfVoid | BtfInt | BtfPtr | BtfArray | BtfStruct | BtfUnion | BtfEnum | BtfFwd | BtfTypedef | BtfVolatile
  | BtfConst | BtfRestrict | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag | BtfTypeTag
  | BtfEnum64;

/** The kinds that only qualify or rename another type; `resolve` skips through them. */
export type BtfModifier = BtfTypedef | BtfVolatile | BtfConst | BtfRestrict | BtfTypeTag;

/** The `.BTF` header, as stored. */
export interface BtfHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  /** Header length; the type and string sections are located relative to its end. */
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

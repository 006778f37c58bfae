/**
 * BTF as JSON, shaped like `bpftool -j btf dump file F`: the same objects, field names and field order, so scripts
 * written against bpftool's output read ours.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf } from './btf.ts';
import { displayName, intEncodingName } from './format-dump.ts';
import { type JsonValue, writeJson } from './json-writer.ts';
import type { BtfType } from './types.ts';

/** A struct or union member in bpftool's JSON. `bitfield_size` appears only for bitfields. */
export interface BtfJsonMember {
  readonly name: string;
  readonly type_id: number;
  readonly bits_offset: number;
  readonly bitfield_size?: number;
}

/**
 * One type in bpftool's JSON: `id`, `kind`, `name` (`(anon)` when anonymous), then the kind's own fields in
 * bpftool's order. Enumerators of ENUM64 carry a bigint `val`.
 */
export interface BtfJsonType {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  readonly size?: number;
  readonly bits_offset?: number;
  readonly nr_bits?: number;
  readonly encoding?: string;
  readonly type_id?: number;
  readonly index_type_id?: number;
  readonly nr_elems?: number;
  readonly vlen?: number;
  readonly members?: readonly BtfJsonMember[];
  readonly values?: readonly { readonly name: string; readonly val: number | bigint }[];
  readonly fwd_kind?: string;
  readonly linkage?: string;
  readonly ret_type_id?: number;
  readonly params?: readonly { readonly name: string; readonly type_id: number }[];
  readonly vars?: readonly { readonly type_id: number; readonly offset: number; readonly size: number }[];
  readonly component_idx?: number;
}

/** The whole document: `{"types": [...]}`. */
export interface BtfJson {
  readonly types: readonly BtfJsonType[];
}

/**
 * The JSON document `bpftool -j btf dump file` prints, as data. ENUM64 values are bigints, which
 * `JSON.stringify` refuses: serialise with {@link formatBtfJson}.
 *
 * @example
 * ```ts
 * btfToJson(btf).types[0] // { id: 1, kind: 'PTR', name: '(anon)', type_id: 3 }
 * ```
 */
export function btfToJson(btf: Btf): BtfJson {
  const types: BtfJsonType[] = [];
  for (let id = 1; id < btf.types.length; id++) types.push(typeToJson(btf.types[id] as BtfType));
  return { types };
}

/**
 * The text of `bpftool -j btf dump file` (or `-jp` when `pretty`), ending in a newline. Strings are escaped as
 * standard JSON; bpftool's own writer differs only for names holding a quote, apostrophe or backslash.
 *
 * @example
 * ```ts
 * process.stdout.write(formatBtfJson(btf));
 * ```
 */
export function formatBtfJson(btf: Btf, options: { readonly pretty?: boolean } = {}): string {
  return writeJson(btfToJson(btf) as unknown as JsonValue, options.pretty ?? false);
}

function typeToJson(t: BtfType): BtfJsonType {
  const base = { id: t.id, kind: t.kind, name: displayName(t.name) };
  switch (t.kind) {
    case 'VOID':
      return { ...base, kind: 'UNKNOWN' };
    case 'INT':
      return { ...base, size: t.size, bits_offset: t.offset, nr_bits: t.bits, encoding: intEncodingName(t.encoding) };
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      return { ...base, type_id: t.type };
    case 'ARRAY':
      return { ...base, type_id: t.type, index_type_id: t.indexType, nr_elems: t.nelems };
    case 'STRUCT':
    case 'UNION':
      return {
        ...base, size: t.size, vlen: t.members.length,
        members: t.members.map((m) => m.bitfieldSize !== 0
          ? { name: displayName(m.name), type_id: m.type, bits_offset: m.bitOffset, bitfield_size: m.bitfieldSize }
          : { name: displayName(m.name), type_id: m.type, bits_offset: m.bitOffset }),
      };
    case 'ENUM':
    case 'ENUM64':
      return {
        ...base, encoding: t.signed ? 'SIGNED' : 'UNSIGNED', size: t.size, vlen: t.values.length,
        values: t.values.map((v) => ({ name: displayName(v.name), val: v.value })),
      };
    case 'FWD':
      return { ...base, fwd_kind: t.fwdKind };
    case 'FUNC':
      return { ...base, type_id: t.type, linkage: t.linkage };
    case 'FUNC_PROTO': {
      const params = t.params.map((p) => ({ name: displayName(p.name), type_id: p.type }));
      if (t.variadic) params.push({ name: '(anon)', type_id: 0 });
      return { ...base, ret_type_id: t.returnType, vlen: params.length, params };
    }
    case 'VAR':
      return { ...base, type_id: t.type, linkage: t.linkage };
    case 'DATASEC':
      return { ...base, size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })) };
    case 'FLOAT':
      return { ...base, size: t.size };
    case 'DECL_TAG':
      return { ...base, type_id: t.type, component_idx: t.componentIdx };
  }
}

/**
 * The one-line description of a CO-RE relocation that `llvm-objdump -dr` prints beside the instruction it patches:
 * `<byte_off> [31] struct bpf_sock_ops::family (0:2)`. Three shapes, by what the relocation asks about:
 *
 *   field:  <kind> [type id] <type>::<path> (<access string>)     the path walks members and array indices
 *   type:   <kind> [type id] <type>                              the access string is always "0"
 *   enum:   <kind> [type id] <type>::<enumerator> = <value>
 *
 * A record that does not make sense (unknown type, index out of range) prints as
 * `<kind> [id] '<access string>' <what is wrong>`, so a listing never fails on it.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf } from './btf.ts';
import type { CoreRelo } from './btf-ext.ts';
import type { BtfType } from './types.ts';

const KIND_TEXT = [
  'byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64',
  'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'enumval_exists', 'enumval_value', 'type_matches',
] as const;

type Group = 'field' | 'type' | 'enum' | 'unknown';
function groupOf(kind: number): Group {
  if (kind <= 5) return 'field';
  if (kind <= 9 || kind === 12) return 'type';
  if (kind <= 11) return 'enum';
  return 'unknown';
}

class Unprintable extends Error {}

function typeOrNull(btf: Btf, id: number): BtfType | undefined {
  return id >= 0 && id < btf.types.length ? btf.types[id] : undefined;
}

/** Follows typedefs and qualifiers (with a bound, as the types may loop). */
function stripped(btf: Btf, t: BtfType): BtfType {
  let cur = t;
  for (let n = 0; n < 64; n++) {
    if (cur.kind !== 'TYPEDEF' && cur.kind !== 'CONST' && cur.kind !== 'VOLATILE' && cur.kind !== 'RESTRICT' && cur.kind !== 'TYPE_TAG') return cur;
    const next = typeOrNull(btf, cur.type);
    if (next === undefined) return cur;
    cur = next;
  }
  return cur;
}

const nameOr = (name: string, index: number): string => (name === '' ? `<anon ${index}>` : name);

/** The text llvm-objdump prints after `CO-RE ` for `relo`. */
export function describeCoreRelocation(btf: Btf, relo: CoreRelo): string {
  const kindText = `<${KIND_TEXT[relo.kind] ?? `reloc kind #${relo.kind}`}>`;
  const access = relo.accessString;
  try {
    // 1. The access string: colon-separated decimal numbers.
    const spec: number[] = [];
    if (access.length > 0) {
      for (const part of access.split(':')) {
        if (!/^[0-9]+$/.test(part)) throw new Unprintable(/^[0-9]/.test(part) ? `unexpected spec string delimiter: '${part.replace(/^[0-9]+/, '')[0]}'` : 'spec string is not a number');
        spec.push(Number(part));
      }
    }
    // 2. The root type, its qualifiers spelled out.
    let id = relo.typeId;
    let t = typeOrNull(btf, id);
    if (t === undefined) throw new Unprintable(`unknown type id: ${id}`);
    let text = `${kindText} [${id}]`;
    for (let n = 0; ; n++) {
      const q = t.kind === 'CONST' ? ' const' : t.kind === 'VOLATILE' ? ' volatile' : t.kind === 'RESTRICT' ? ' restrict' : t.kind === 'TYPE_TAG' ? ` type_tag("${t.name}")` : undefined;
      if (q === undefined) break;
      if (n >= 32) throw new Unprintable('modifiers chain is too long');
      text += q;
      id = (t as { type: number }).type;
      const next = typeOrNull(btf, id);
      if (next === undefined) throw new Unprintable(`unknown type id: ${id} in modifiers chain`);
      t = next;
    }
    if (id === 0) {
      text += ' void';
    } else {
      const word = t.kind === 'TYPEDEF' ? ' typedef' : t.kind === 'STRUCT' ? ' struct' : t.kind === 'UNION' ? ' union' : t.kind === 'ENUM' || t.kind === 'ENUM64' ? ' enum' : t.kind === 'FWD' ? (t.fwdKind === 'union' ? ' fwd union' : ' fwd struct') : '';
      text += `${word} ${nameOr(t.name, id)}`;
    }
    // 3. What is asked about it.
    const group = groupOf(relo.kind);
    if (group === 'type') {
      if (spec.length !== 1 || spec[0] !== 0) throw new Unprintable("unexpected type-based relocation spec: should be '0'");
      return text;
    }
    if (group === 'unknown') throw new Unprintable(`unknown relocation kind: ${relo.kind}`);
    text += '::';
    if (group === 'enum') {
      const e = stripped(btf, t);
      if (spec.length !== 1) throw new Unprintable('unexpected enumval relocation spec size');
      const idx = spec[0] as number;
      if (e.kind !== 'ENUM' && e.kind !== 'ENUM64') throw new Unprintable(`unexpected type kind for enum relocation: ${kindNumber(e)}`);
      const v = e.values[idx];
      if (v === undefined) throw new Unprintable(`bad value index: ${idx}`);
      // llvm-objdump widens a 32-bit enumerator as a signed 32-bit number before printing it either way.
      const value = e.kind === 'ENUM' ? BigInt((v.value as number) | 0) : BigInt(v.value);
      return `${text}${nameOr(v.name, idx)} = ${e.signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value)}`;
    }
    // Field: the first number indexes the root as an array; the rest walk members and array elements.
    if (spec.length < 1) throw new Unprintable('field spec too short');
    if (spec[0] !== 0) text += `[${spec[0]}]`;
    for (let i = 1; i < spec.length; i++) {
      const cur = stripped(btf, t);
      const idx = spec[i] as number;
      if (cur.kind === 'STRUCT' || cur.kind === 'UNION') {
        const m = cur.members[idx];
        if (m === undefined) throw new Unprintable(`member index ${idx} for spec sub-string ${i} is out of range`);
        if (i !== 1 || spec[0] !== 0) text += '.';
        text += nameOr(m.name, idx);
        const next = typeOrNull(btf, m.type);
        if (next === undefined) throw new Unprintable(`unknown member type id ${m.type} for spec sub-string ${i}`);
        t = next;
      } else if (cur.kind === 'ARRAY') {
        text += `[${idx}]`;
        const next = typeOrNull(btf, cur.type);
        if (next === undefined) throw new Unprintable(`unknown element type id ${cur.type} for spec sub-string ${i}`);
        t = next;
      } else {
        throw new Unprintable(`unexpected type kind ${kindNumber(cur)} for spec sub-string ${i}`);
      }
    }
    return `${text} (${access})`;
  } catch (e) {
    if (!(e instanceof Unprintable)) throw e;
    return `${kindText} [${relo.typeId}] '${access}' <${e.message}>`;
  }
}

const KIND_NUMBERS: Record<string, number> = {
  VOID: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
};
function kindNumber(t: BtfType): number {
  return KIND_NUMBERS[t.kind] ?? -1;
}

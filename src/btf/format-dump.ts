/**
 * The text of `bpftool btf dump file F` (its default `raw` format), so that a person can compare our reading of
 * an object with the reference tool's line for line.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf } from './btf.ts';
import type { BtfType } from './types.ts';

/** bpftool's name for an INT encoding: the single bit that is set, or `UNKN` for none it knows. */
export function intEncodingName(encoding: number): string {
  switch (encoding) {
    case 0: return '(none)';
    case 1: return 'SIGNED';
    case 2: return 'CHAR';
    case 4: return 'BOOL';
    default: return 'UNKN';
  }
}

/** bpftool's name for a name: the name itself, or `(anon)` when there is none. */
export function displayName(name: string): string {
  return name === '' ? '(anon)' : name;
}

/**
 * Renders every type of `btf` as `bpftool btf dump file` does, one type per line (plus one indented line per
 * member, enumerator, parameter or section variable), each line ending in `\n`.
 *
 * @example
 * ```ts
 * formatBtfDump(btf).split('\n')[0] // "[1] PTR '(anon)' type_id=3"
 * ```
 */
export function formatBtfDump(btf: Btf): string {
  const out: string[] = [];
  const types = btf.types;
  for (let id = 1; id < types.length; id++) formatType(btf, types[id] as BtfType, out);
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

/** Appends the lines of one type to `out`. */
function formatType(btf: Btf, t: BtfType, out: string[]): void {
  const head = `[${t.id}] ${t.kind} '${displayName(t.name)}'`;
  switch (t.kind) {
    case 'VOID':
      return;
    case 'INT':
      out.push(`${head} size=${t.size} bits_offset=${t.offset} nr_bits=${t.bits} encoding=${intEncodingName(t.encoding)}`);
      return;
    case 'PTR':
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT':
    case 'TYPEDEF':
    case 'TYPE_TAG':
      out.push(`${head} type_id=${t.type}`);
      return;
    case 'ARRAY':
      out.push(`${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`);
      return;
    case 'STRUCT':
    case 'UNION':
      out.push(`${head} size=${t.size} vlen=${t.members.length}`);
      for (const m of t.members) {
        const line = `\t'${displayName(m.name)}' type_id=${m.type} bits_offset=${m.bitOffset}`;
        out.push(m.bitfieldSize !== 0 ? `${line} bitfield_size=${m.bitfieldSize}` : line);
      }
      return;
    case 'ENUM':
      out.push(`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`);
      for (const v of t.values) out.push(`\t'${displayName(v.name)}' val=${v.value}`);
      return;
    case 'ENUM64': {
      out.push(`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`);
      const suffix = t.signed ? 'LL' : 'ULL';
      for (const v of t.values) out.push(`\t'${displayName(v.name)}' val=${v.value}${suffix}`);
      return;
    }
    case 'FWD':
      out.push(`${head} fwd_kind=${t.fwdKind}`);
      return;
    case 'FUNC':
      out.push(`${head} type_id=${t.type} linkage=${t.linkage}`);
      return;
    case 'FUNC_PROTO':
      out.push(`${head} ret_type_id=${t.returnType} vlen=${t.params.length + (t.variadic ? 1 : 0)}`);
      for (const p of t.params) out.push(`\t'${displayName(p.name)}' type_id=${p.type}`);
      if (t.variadic) out.push(`\t'(anon)' type_id=0`);
      return;
    case 'VAR':
      out.push(`${head} type_id=${t.type}, linkage=${t.linkage}`);
      return;
    case 'DATASEC':
      out.push(`${head} size=${t.size} vlen=${t.vars.length}`);
      for (const v of t.vars) {
        const target = btf.types[v.type];
        const what = target === undefined ? '' : ` (${target.kind === 'VOID' ? 'UNKNOWN' : target.kind} '${displayName(target.name)}')`;
        out.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size}${what}`);
      }
      return;
    case 'FLOAT':
      out.push(`${head} size=${t.size}`);
      return;
    case 'DECL_TAG':
      out.push(`${head} type_id=${t.type} component_idx=${t.componentIdx}`);
      return;
  }
}

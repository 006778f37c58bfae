/**
 * Special fields of a map value: the kernel objects a value may embed (`struct bpf_spin_lock`, `bpf_timer`,
 * `bpf_wq`, list and tree heads and nodes, `bpf_refcount`, `__kptr` pointers), found in the value's BTF as Linux's
 * `btf_parse_fields` finds them, nested structs and arrays included. The program may reach them only through the
 * helpers and kfuncs made for them: a load or store that touches one is refused ("bpf_spin_lock cannot be accessed
 * directly by load/store"), and so is a helper's memory argument that covers one.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf, BtfType } from '../btf/index.ts';

/** What a special field is (the kernel's `enum btf_field_type`). */
export type MapFieldKind =
  | 'spin_lock' | 'res_spin_lock' | 'timer' | 'workqueue' | 'task_work' | 'list_head' | 'list_node' | 'rb_root'
  | 'rb_node' | 'refcount' | 'kptr';

/** One special field of a map value. */
export interface MapField {
  readonly kind: MapFieldKind;
  /** Byte offset in the value. */
  readonly offset: number;
  readonly size: number;
  /** The C type, for messages: `struct bpf_spin_lock`. */
  readonly typeName: string;
}

/** The structs that are special fields, by name. */
const STRUCT_FIELDS: Readonly<Record<string, MapFieldKind>> = {
  bpf_spin_lock: 'spin_lock',
  bpf_res_spin_lock: 'res_spin_lock',
  bpf_timer: 'timer',
  bpf_wq: 'workqueue',
  bpf_task_work: 'task_work',
  bpf_list_head: 'list_head',
  bpf_list_node: 'list_node',
  bpf_rb_root: 'rb_root',
  bpf_rb_node: 'rb_node',
  bpf_refcount: 'refcount',
};

/** The type tags that make a pointer member a kptr. */
const KPTR_TAGS = new Set(['kptr', 'kptr_untrusted', 'percpu_kptr', 'uptr']);

/** Nesting deeper than this is not searched (the kernel stops at a similar depth). */
const MAX_DEPTH = 8;

/**
 * The special fields of a value of BTF type `typeId` (a struct, or a DATASEC of global variables), by offset;
 * empty when it has none or the type cannot be read.
 *
 * @example
 * ```ts
 * mapValueFields(btf, valueTypeId); // [{ kind: 'spin_lock', offset: 4, size: 4, typeName: 'struct bpf_spin_lock' }]
 * ```
 */
export function mapValueFields(btf: Btf, typeId: number): MapField[] {
  const out: MapField[] = [];
  try {
    walk(btf, btf.typeById(typeId), 0, out, 0);
  } catch {
    return [];
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function walk(btf: Btf, t: BtfType, base: number, out: MapField[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  switch (t.kind) {
    case 'DATASEC':
      for (const v of t.vars) {
        const vt = btf.typeById(v.type);
        if (vt.kind === 'VAR') member(btf, vt.type, base + v.offset, out, depth + 1);
      }
      return;
    case 'STRUCT':
    case 'UNION':
      for (const m of t.members) {
        if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) continue;
        member(btf, m.type, base + m.bitOffset / 8, out, depth + 1);
      }
      return;
    default:
      return;
  }
}

/** A member (or variable) of type `typeId` at `offset`: a special field itself, or a struct or array holding some. */
function member(btf: Btf, typeId: number, offset: number, out: MapField[], depth: number): void {
  // A kptr is a pointer whose pointee is tagged: `struct foo __kptr *p` (PTR -> TYPE_TAG "kptr" -> STRUCT foo).
  let raw = btf.typeById(typeId);
  while (raw.kind === 'TYPEDEF' || raw.kind === 'CONST' || raw.kind === 'VOLATILE' || raw.kind === 'RESTRICT') raw = btf.typeById(raw.type);
  if (raw.kind === 'PTR') {
    const tag = btf.typeById(raw.type);
    if (tag.kind === 'TYPE_TAG' && KPTR_TAGS.has(tag.name)) out.push({ kind: 'kptr', offset, size: 8, typeName: `__${tag.name} pointer` });
    return;
  }
  const t = btf.resolve(typeId);
  if (t.kind === 'STRUCT') {
    const kind = STRUCT_FIELDS[t.name];
    if (kind !== undefined) {
      out.push({ kind, offset, size: t.size, typeName: `struct ${t.name}` });
      return;
    }
    walk(btf, t, offset, out, depth);
    return;
  }
  if (t.kind === 'ARRAY' && t.nelems > 0) {
    const element = btf.resolve(t.type);
    if (element.kind !== 'STRUCT' && element.kind !== 'PTR') return;
    const size = btf.sizeOf(t.type);
    const before = out.length;
    member(btf, t.type, offset, out, depth + 1);
    const first = out.slice(before);
    // The same fields in every element.
    for (let i = 1; i < t.nelems && first.length > 0 && out.length < 1024; i++) {
      for (const f of first) out.push({ ...f, offset: f.offset + i * size });
    }
  }
}

/** The special fields a byte range [lo, hi) of a value overlaps. */
export function fieldsOverlapping(fields: readonly MapField[], lo: number | bigint, hi: number | bigint): MapField[] {
  return fields.filter((f) => BigInt(lo) < BigInt(f.offset + f.size) && BigInt(f.offset) < BigInt(hi));
}

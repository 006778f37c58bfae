/**
 * The maps a program can name, as the verifier sees them: the object's maps, then its global data sections (each
 * a one-element array map, as libbpf creates them), then the inner-map templates of map-in-maps. Indices match the
 * linker's (`lddw` src 5 and 6 name `spec.maps` first, then `spec.dataSections`).
 *
 * Author: Claude.
 *
 * @module
 */

import type { MapSpec, ObjectSpec } from '../spec/index.ts';
import { MapFlag, MapType, mapTypeName } from '../spec/index.ts';
import { type MapField, mapValueFields } from './map-fields.ts';

/** One map. */
export interface VerifierMap {
  readonly name: string;
  /** `enum bpf_map_type`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Creation flags (`BPF_F_*`). */
  readonly flags: number;
  /** The program may not write its values (`.rodata`, BPF_F_RDONLY_PROG). */
  readonly readOnly: boolean;
  /** For read-only global data: the bytes, which loads at known offsets return as constants. */
  readonly frozen: Uint8Array | undefined;
  /** For map-in-maps: the index of the inner map template. */
  readonly inner: number | undefined;
  /** A global data section rather than a declared map. */
  readonly isData: boolean;
  /**
   * The special fields of its value (spin locks, timers, kptrs...), from BTF; absent or empty when it has none or
   * no BTF (then it cannot be used with bpf_spin_lock either, as in Linux).
   */
  readonly fields?: readonly MapField[];
}

/** The map table of an object. */
export function mapTable(spec: ObjectSpec): VerifierMap[] {
  const out: VerifierMap[] = [];
  const inners: MapSpec[] = [];
  const fieldsOf = (typeId: number): readonly MapField[] => (spec.btf !== undefined && typeId !== 0 ? mapValueFields(spec.btf, typeId) : []);
  const from = (m: MapSpec, inner: number | undefined): VerifierMap => ({
    fields: fieldsOf(m.valueTypeId),
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    readOnly: (m.flags & MapFlag.RDONLY_PROG) !== 0,
    frozen: undefined,
    inner,
    isData: false,
  });
  // Inner maps go after the data sections; their indices are known once the counts are.
  const base = spec.maps.length + spec.dataSections.length;
  for (const m of spec.maps) {
    let inner: number | undefined;
    if (m.type === MapType.array_of_maps || m.type === MapType.hash_of_maps) {
      const template = m.innerMap;
      if (template !== undefined) {
        inner = base + inners.length;
        inners.push(template);
      }
    }
    out.push(from(m, inner));
  }
  for (const d of spec.dataSections) {
    const sec = spec.btf?.datasecByName(d.name);
    out.push({
      fields: sec !== undefined ? fieldsOf(sec.id) : [],
      name: d.name,
      type: MapType.array,
      keySize: 4,
      valueSize: d.size,
      maxEntries: 1,
      flags: d.readOnly ? MapFlag.RDONLY_PROG : 0,
      readOnly: d.readOnly,
      frozen: d.readOnly ? d.initialBytes : undefined,
      inner: undefined,
      isData: true,
    });
  }
  for (const m of inners) out.push(from(m, undefined));
  return out;
}

/** `name (hash, key 4, value 8)` for messages. */
export function describeMap(m: VerifierMap): string {
  return `'${m.name}' (${mapTypeName(m.type)}, key ${m.keySize} bytes, value ${m.valueSize} bytes)`;
}

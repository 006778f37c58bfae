/**
 * Map definitions: BTF-defined maps in `.maps` (libbpf's `struct { __uint(type, ...); ... } name SEC(".maps")`) and
 * legacy definitions in `maps` sections (`struct bpf_map_def` and its iproute2 and samples/bpf variants).
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf, BtfType } from '../btf/index.ts';
import { RelocationType, SymbolType, type ElfFile, type ElfSection } from '../elf/index.ts';
import { ByteView } from '../internal/bytes.ts';
import { BpfshipError, SpecError, type Location } from '../internal/errors.ts';
import { datasecVars } from './datasec-vars.ts';
import { MapType } from './map-types.ts';
import type { MapInitialValue, MapSpec } from './object-spec.ts';

/** Reads the maps of an object: BTF-defined ones first (section `.maps`), then legacy ones, each in offset order. */
export function readMaps(elf: ElfFile, btf: Btf | undefined): MapSpec[] {
  const maps: MapSpec[] = [];
  const btfMaps = elf.section('.maps');
  if (btfMaps !== undefined) maps.push(...readBtfMaps(elf, btfMaps, btf));
  maps.push(...readAllLegacyMaps(elf));
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new SpecError(`two maps are named '${m.name}'`, { file: elf.name, section: m.sectionName, offset: m.sectionOffset });
    seen.add(m.name);
  }
  return maps;
}

// ---------------------------------------------------------------------------------------------------------------
// Legacy maps.

/**
 * The layouts legacy definitions came in, told apart by their size (the section's size divided by the number of
 * map symbols in it, as libbpf did before 1.0):
 *
 *   20 bytes  struct bpf_map_def       type, key_size, value_size, max_entries, map_flags
 *   28 bytes  samples/bpf bpf_load.h   ... map_flags, inner_map_idx, numa_node
 *   36 bytes  iproute2 bpf_elf_map     ... flags, id, pinning, inner_id, inner_idx
 */
function readAllLegacyMaps(elf: ElfFile): MapSpec[] {
  // Inner map indices count definitions across every legacy maps section, in section order (`maps`, or one
  // section per map as `maps/<name>`, the form eBPF for Windows' samples use).
  const all: LegacyMap[] = [];
  for (const s of elf.sections) {
    if (s.name === 'maps' || s.name.startsWith('maps/')) all.push(...readLegacyMaps(elf, s));
  }
  return all.map(({ map, inner }) => {
    if (inner === undefined) return map;
    const where = { file: elf.name, section: map.sectionName, offset: map.sectionOffset };
    // samples/bpf's layout names the inner map by its index among the definitions; iproute2's by its `id` field.
    const innerMap = inner.by === 'index' ? all[inner.value]?.map : all.find((x) => x.id === inner.value)?.map;
    if (innerMap === undefined || innerMap === map) {
      throw new SpecError(
        inner.by === 'index'
          ? `map '${map.name}' names inner map definition ${inner.value}, but the object has ${all.length} legacy map definitions`
          : `map '${map.name}' names the inner map with id ${inner.value}, but no other map definition has that id`,
        where,
      );
    }
    return { ...map, innerMap };
  });
}

/** A legacy definition with how it names its inner map, resolved once all definitions are read. */
interface LegacyMap {
  readonly map: MapSpec;
  /** iproute2's `id` field (0 when the layout has none). */
  readonly id: number;
  readonly inner: { readonly by: 'index' | 'id'; readonly value: number } | undefined;
}

function readLegacyMaps(elf: ElfFile, s: ElfSection): LegacyMap[] {
  const where: Location = { file: elf.name, section: s.name };
  const symbols = elf.symbols
    .filter((sym) => sym.sectionIndex === s.index && sym.type !== SymbolType.SECTION && sym.type !== SymbolType.FILE && sym.name !== '')
    .sort((a, b) => a.value - b.value);
  if (symbols.length === 0) {
    if (s.size === 0) return [];
    throw new SpecError('the legacy maps section has definitions but no symbols naming them', where);
  }
  if (s.size % symbols.length !== 0) {
    throw new SpecError(`the legacy maps section holds ${s.size} bytes for ${symbols.length} maps: not a whole number of definitions`, where);
  }
  const defSize = s.size / symbols.length;
  if (defSize < 20 || defSize % 4 !== 0) {
    throw new SpecError(`legacy map definitions are ${defSize} bytes each, expected at least 20 (struct bpf_map_def) and a multiple of 4`, where);
  }
  const layout = defSize === 20 ? 'bpf_map_def' : defSize === 28 ? 'bpf_load_map_def' : defSize === 36 ? 'bpf_elf_map' : `bpf_map_def+${defSize - 20}`;
  if (s.data.length !== s.size) throw new SpecError(`the legacy maps section has no contents in the file (type ${s.type}), expected PROGBITS definitions`, where);
  const view = new ByteView(s.data, where, (detail, at) => new SpecError(detail, at));
  const u32 = (off: number): number => view.u32(off, 'map definition field');
  const maps: LegacyMap[] = [];
  for (const sym of symbols) {
    const at = sym.value;
    if (at % defSize !== 0 || at + defSize > s.size) {
      throw new SpecError(`map '${sym.name}' starts at offset ${at}, which is not a whole definition (${defSize} bytes) inside the section (${s.size} bytes)`, { ...where, offset: at });
    }
    let pinning = 0;
    let numaNode = 0;
    let id = 0;
    let inner: LegacyMap['inner'];
    const type = u32(at);
    const isMapInMap = type === MapType.array_of_maps || type === MapType.hash_of_maps;
    if (defSize === 28) {
      // inner_map_idx, numa_node: the index counts from 0, so it means something only for map-in-map types.
      if (isMapInMap) inner = { by: 'index', value: u32(at + 20) };
      numaNode = u32(at + 24);
    } else if (defSize === 36) {
      // id, pinning, inner_id, inner_idx: inner_id names the template by its id; inner_idx is the slot of the
      // outer map iproute2 puts it in, which is about contents, not the definition.
      id = u32(at + 20);
      pinning = u32(at + 24);
      const innerId = u32(at + 28);
      if (innerId !== 0) inner = { by: 'id', value: innerId };
    }
    const m: MapSpec = {
      name: sym.name,
      type,
      keySize: u32(at + 4),
      valueSize: u32(at + 8),
      maxEntries: u32(at + 12),
      flags: u32(at + 16),
      pinning,
      numaNode,
      mapExtra: 0n,
      keyTypeId: 0,
      valueTypeId: 0,
      innerMap: undefined,
      initialValues: [],
      source: 'legacy',
      legacyLayout: layout,
      sectionName: s.name,
      sectionOffset: at,
    };
    maps.push({ map: m, id, inner });
  }
  return maps;
}

// ---------------------------------------------------------------------------------------------------------------
// BTF-defined maps.

function readBtfMaps(elf: ElfFile, s: ElfSection, btf: Btf | undefined): MapSpec[] {
  const where: Location = { file: elf.name, section: s.name };
  if (btf === undefined) throw new SpecError('the object has a .maps section but no BTF to describe it', where);
  const vars = datasecVars(elf, btf, s);
  if (vars === undefined) throw new SpecError('BTF has no DATASEC for .maps', where);
  const relocs = elf.relocations.get(s.index) ?? [];
  const maps: MapSpec[] = [];
  for (const v of vars) {
    const variable = { name: v.name, type: v.typeId };
    // (v.typeId is what the VAR points to: the definition struct, maybe behind a typedef.)
    const mapWhere = { ...where, offset: v.offset };
    try {
      const def = btf.resolve(variable.type);
      if (def.kind !== 'STRUCT') throw new SpecError(`map '${variable.name}' is ${btf.describe(def.id)}, expected a struct of __uint/__type fields`, mapWhere);
      const initialValues: MapInitialValue[] = [];
      const spec = parseMapStruct(btf, variable.name, def, mapWhere, (valuesMember, elemSize) => {
        // `values` is a flexible array of pointers at the end of the definition; each initialized slot is a
        // relocation inside [start, end of the variable), the variable's BTF size covering the initialized slots.
        const start = v.offset + valuesMember;
        const end = v.offset + v.size;
        for (const r of relocs) {
          if (r.offset < start || r.offset >= end) continue;
          const rel = r.offset - start;
          if (rel % elemSize !== 0) throw new SpecError(`relocation ${r.index} for map '${variable.name}' is not at a slot of 'values'`, { ...where, offset: r.offset });
          if (r.type !== RelocationType.BPF_64_ABS64 && r.type !== RelocationType.BPF_64_64) {
            throw new SpecError(`relocation ${r.index} for map '${variable.name}' has type ${r.type}, expected R_BPF_64_ABS64`, { ...where, offset: r.offset });
          }
          const sym = elf.symbols[r.symbolIndex];
          if (sym === undefined) continue;
          const isMap = sym.sectionIndex === s.index;
          initialValues.push({ key: rel / elemSize, kind: isMap ? 'map' : 'program', name: isMap ? vars.find((x) => x.offset === sym.value)?.name ?? sym.name : sym.name });
        }
      });
      maps.push({ ...spec, initialValues: initialValues.sort((a, b) => a.key - b.key), sectionName: s.name, sectionOffset: v.offset });
    } catch (e) {
      if (e instanceof BpfshipError) throw e.withLocation(mapWhere);
      throw e;
    }
  }
  return maps;
}

type ValuesCallback = (valuesByteOffset: number, elemSize: number) => void;

/**
 * Reads one map definition struct. Integer fields are encoded in the type (`__uint(name, N)` declares
 * `int (*name)[N]`, so N is the array length behind a pointer); key and value are pointers to their types
 * (`__type(key, T)` declares `T *key`); `values` is `__array(values, struct inner)`, a flexible array of pointers
 * to the inner map's definition (or to function prototypes, for prog arrays).
 */
function parseMapStruct(btf: Btf, name: string, def: BtfType & { kind: 'STRUCT' }, where: Location, onValues?: ValuesCallback): Omit<MapSpec, 'sectionName' | 'sectionOffset'> {
  let type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0, pinning = 0, numaNode = 0;
  let mapExtra = 0n;
  let keyTypeId = 0, valueTypeId = 0;
  let innerMap: MapSpec | undefined;
  const fieldInt = (member: string, typeId: number): number => {
    const ptr = btf.resolve(typeId);
    if (ptr.kind !== 'PTR') throw new SpecError(`map '${name}' field '${member}' is ${btf.describe(ptr.id)}, expected a pointer to an array (__uint)`, where);
    const arr = btf.resolve(ptr.type);
    if (arr.kind !== 'ARRAY') throw new SpecError(`map '${name}' field '${member}' points to ${btf.describe(arr.id)}, expected an array whose length is the value (__uint)`, where);
    return arr.nelems;
  };
  const fieldType = (member: string, typeId: number): { id: number; size: number } => {
    const ptr = btf.resolve(typeId);
    if (ptr.kind !== 'PTR') throw new SpecError(`map '${name}' field '${member}' is ${btf.describe(ptr.id)}, expected a pointer to the ${member} type (__type)`, where);
    return { id: ptr.type, size: btf.sizeOf(ptr.type) };
  };
  for (const m of def.members) {
    switch (m.name) {
      case 'type': type = fieldInt(m.name, m.type); break;
      case 'max_entries': maxEntries = fieldInt(m.name, m.type); break;
      case 'map_flags': flags = fieldInt(m.name, m.type); break;
      case 'numa_node': numaNode = fieldInt(m.name, m.type); break;
      case 'pinning': pinning = fieldInt(m.name, m.type); break;
      case 'map_extra': mapExtra = BigInt(fieldInt(m.name, m.type)); break;
      case 'key_size': {
        const n = fieldInt(m.name, m.type);
        if (keySize !== 0 && keySize !== n) throw new SpecError(`map '${name}' has key_size ${n} but its key type is ${keySize} bytes`, where);
        keySize = n;
        break;
      }
      case 'value_size': {
        const n = fieldInt(m.name, m.type);
        if (valueSize !== 0 && valueSize !== n) throw new SpecError(`map '${name}' has value_size ${n} but its value type is ${valueSize} bytes`, where);
        valueSize = n;
        break;
      }
      case 'key': {
        const t = fieldType(m.name, m.type);
        if (keySize !== 0 && keySize !== t.size) throw new SpecError(`map '${name}' has key_size ${keySize} but its key type is ${t.size} bytes`, where);
        keySize = t.size;
        keyTypeId = t.id;
        break;
      }
      case 'value': {
        const t = fieldType(m.name, m.type);
        if (valueSize !== 0 && valueSize !== t.size) throw new SpecError(`map '${name}' has value_size ${valueSize} but its value type is ${t.size} bytes`, where);
        valueSize = t.size;
        valueTypeId = t.id;
        break;
      }
      case 'values': {
        const arr = btf.resolve(m.type);
        if (arr.kind !== 'ARRAY') throw new SpecError(`map '${name}' field 'values' is ${btf.describe(arr.id)}, expected an array of pointers (__array)`, where);
        const elemPtr = btf.resolve(arr.type);
        if (elemPtr.kind !== 'PTR') throw new SpecError(`map '${name}' field 'values' holds ${btf.describe(elemPtr.id)}, expected pointers`, where);
        const target = btf.resolve(elemPtr.type);
        if (target.kind === 'STRUCT') {
          innerMap = { ...parseMapStruct(btf, `${name}.inner`, target, where), sectionName: '.maps', sectionOffset: 0 };
        } else if (target.kind !== 'FUNC_PROTO') {
          throw new SpecError(`map '${name}' field 'values' points to ${btf.describe(target.id)}, expected an inner map definition or a function prototype`, where);
        }
        // libbpf gives the value of map-in-map and prog arrays as 4 bytes (an fd or id).
        if (valueSize === 0) valueSize = 4;
        onValues?.(m.bitOffset / 8, 8);
        break;
      }
      default:
        throw new SpecError(`map '${name}' has an unknown field '${m.name}' (libbpf knows type, key, value, key_size, value_size, max_entries, map_flags, numa_node, pinning, map_extra, values)`, where);
    }
  }
  if (type === MapType.unspec) throw new SpecError(`map '${name}' gives no type`, where);
  return {
    name, type, keySize, valueSize, maxEntries, flags, pinning, numaNode, mapExtra, keyTypeId, valueTypeId, innerMap,
    initialValues: [], source: 'btf',
  };
}


/**
 * `run --show-maps`: every map of the object after the run, laid out as `bpftool map dump` prints the kernel's
 * (src/btf/map-dump.ts): formatted from BTF when the object has it, bpftool's hex layout when it does not (a native
 * image run on its own carries no BTF). Ring buffers, which bpftool cannot dump, list the records the run
 * committed, in bpftool's hex layout; queues, stacks and bloom filters, which have no keys to walk, are named only.
 *
 * Author: Claude.
 *
 * @module
 */
import { formatMapDump, hexBytes, JsonMembers, JsonRaw, mapDumpJson, type Btf, type JsonValue, type MapDumpEntry, type MapDumpInfo } from '../btf/index.ts';
import { mapTypeName, type ObjectSpec } from '../spec/index.ts';

/** Map types with no keys to walk (bpftool cannot dump them either). */
const KEYLESS_TYPES = new Set([22, 23, 30]); // queue, stack, bloom_filter
const RINGBUF = 27;

/** One map after a run, whichever engine ran it. */
export interface RunMap extends MapDumpInfo {
  readonly name: string;
  readonly maxEntries: number;
  /** Every entry, in the engine's key order (per-CPU values: every CPU's, each padded to 8 bytes). */
  entries(): MapDumpEntry[];
  /** Ring buffers: the records committed and not yet consumed (reading consumes them). */
  records(): Uint8Array[];
}

/** What a map's engine offers: a map of the core (interpret, jit) or of a native object. */
export interface MapAccess {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Every key, in the engine's iteration order. */
  keys(): Uint8Array[];
  /** The value (per-CPU maps: every CPU's, padded to 8 bytes each). */
  lookup(key: Uint8Array): Uint8Array | undefined;
  /** Ring buffers: every committed record, consumed. */
  consume(): Uint8Array[];
}

/**
 * The BTF of map `name` of `spec` (a `.maps` definition, or a global data section with its variables where the
 * loader places them); no type ids without BTF.
 */
export function btfIdsOf(spec: ObjectSpec | undefined, name: string): Pick<MapDumpInfo, 'keyTypeId' | 'valueTypeId' | 'sectionVariables'> {
  if (spec?.btf === undefined) return { keyTypeId: 0, valueTypeId: 0 };
  const m = spec.maps.find((x) => x.name === name);
  if (m !== undefined) return { keyTypeId: m.keyTypeId ?? 0, valueTypeId: m.valueTypeId ?? 0 };
  const sec = spec.btf.datasecByName(name);
  const data = spec.dataSections.find((d) => d.name === name);
  if (sec === undefined || data === undefined) return { keyTypeId: 0, valueTypeId: 0 };
  return { keyTypeId: 0, valueTypeId: sec.id, sectionVariables: data.variables.filter((v) => v.typeId !== 0) };
}

/** A {@link RunMap} over an engine's map, with the BTF ids `spec` gives it. */
export function runMap(name: string, access: MapAccess, spec: ObjectSpec | undefined): RunMap {
  return {
    name,
    type: access.type,
    keySize: access.keySize,
    valueSize: access.valueSize,
    maxEntries: access.maxEntries,
    ...btfIdsOf(spec, name),
    entries() {
      if (access.type === RINGBUF || KEYLESS_TYPES.has(access.type)) return [];
      const out: MapDumpEntry[] = [];
      for (const key of access.keys()) {
        const value = access.lookup(key);
        if (value !== undefined) out.push({ key, value });
      }
      return out;
    },
    records: () => (access.type === RINGBUF ? access.consume() : []),
  };
}

function heading(m: RunMap): string {
  const size = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;
  if (m.type === RINGBUF) return `map ${m.name} (ringbuf, ${size(m.maxEntries)})`;
  return `map ${m.name} (${mapTypeName(m.type)}, key ${size(m.keySize)}, value ${size(m.valueSize)}, max_entries ${m.maxEntries})`;
}

/** The text of `--show-maps`: a heading per map, then its dump. */
export function formatMapsReport(maps: readonly RunMap[], btf: Btf | undefined, ncpus: number): string {
  let out = '';
  for (const m of maps) {
    out += `${heading(m)}:\n`;
    if (m.type === RINGBUF) {
      const records = m.records();
      records.forEach((r, i) => (out += `record ${i} (${r.length} bytes):\n${hexBytes(r)}\n`));
      out += `Found ${records.length} record${records.length === 1 ? '' : 's'}\n`;
    } else if (KEYLESS_TYPES.has(m.type)) {
      out += `(a ${mapTypeName(m.type)} has no keys to dump)\n`;
    } else {
      out += formatMapDump(m.entries(), m, btf, ncpus);
    }
  }
  return out;
}

/** `--json`'s `maps`: each map with bpftool -j's entries (ring buffers: their records as hex strings). */
export function mapsReportJson(maps: readonly RunMap[], btf: Btf | undefined, ncpus: number): object[] {
  return maps.map((m) => ({
    name: m.name,
    type: mapTypeName(m.type),
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    ...(m.type === RINGBUF
      ? { records: m.records().map((r) => Buffer.from(r).toString('hex')) }
      : { entries: KEYLESS_TYPES.has(m.type) ? [] : toPlainJson(mapDumpJson(m.entries(), m, btf, ncpus)) }),
  }));
}

/**
 * bpftool's JSON values as plain JavaScript for JSON.stringify: 64-bit integers as numbers when exact, as decimal
 * strings past 2^53 (as the rest of `run --json` writes them).
 */
function toPlainJson(v: JsonValue): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(toPlainJson);
  if (v !== null && typeof v === 'object') {
    if (v instanceof JsonMembers) return Object.fromEntries(v.members.map(([k, x]) => [k, toPlainJson(x)]));
    if (v instanceof JsonRaw) {
      // bpftool's JSON-mode raw text is a quoted escape ("\u001f"); anything else stays text.
      try {
        return JSON.parse(v.text) as unknown;
      } catch {
        return v.text;
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlainJson(x as JsonValue)]));
  }
  return v;
}

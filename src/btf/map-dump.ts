/**
 * Map contents laid out as `bpftool map dump` prints them, so a run's maps read like the kernel's:
 *
 * - with BTF for the map (a `.maps` definition with `__type(key, ...)`, or a global data section), one JSON
 *   document in bpftool's pretty layout, each entry `{"key": ..., "value": ...}` with the values formatted from
 *   their types (per-CPU maps: `"values": [{"cpu": 0, "value": ...}, ...]`; data sections: the value only, as
 *   `{".bss": [{"var": ...}, ...]}`);
 * - without BTF, bpftool's hex layout (`key: 16 00  value: 01`, per-CPU values one line per CPU) and a closing
 *   `Found N elements` line;
 * - `bpftool -j map dump`'s layout for `--json`: hex byte strings, plus the formatted form under `"formatted"`.
 *
 * Values are formatted by value-dump.ts (bpftool's btf_dumper), in its plain-text forms for the text layout and its
 * JSON forms under `"formatted"`. `bpfship run --show-maps` and `bpfship deploy maps` both print through here.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Btf } from './btf.ts';
import { JsonMembers, writeJson, type JsonValue } from './json-writer.ts';
import { btfValue } from './value-dump.ts';

/** One entry read from a map: for per-CPU maps, `value` holds every CPU's value, each padded to 8 bytes. */
export interface MapDumpEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** What the dump needs to know about a map. */
export interface MapDumpInfo {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  /** BTF type ids of the key and value (0: none). A data section has value = its DATASEC and no key. */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /**
   * A data section's variables with their real offsets (clang leaves the DATASEC's at 0 for the loader to fill in
   * from the symbols, as libbpf does before the kernel, and bpftool, see them), in offset order.
   */
  readonly sectionVariables?: readonly { readonly name: string; readonly typeId: number; readonly offset: number }[];
}

/** Map types whose values are per CPU (bpftool's map_is_per_cpu). */
const PER_CPU_TYPES = new Set([5, 6, 10, 21]); // percpu_hash, percpu_array, lru_percpu_hash, percpu_cgroup_storage

/** Whether `type` keeps one value per CPU. */
export function isPerCpuMapType(type: number): boolean {
  return PER_CPU_TYPES.has(type);
}

/** The stride of per-CPU values as the kernel returns them: each rounded up to 8 bytes. */
export function perCpuStride(valueSize: number): number {
  return (valueSize + 7) & ~7;
}

/** Whether the dump can format values from BTF (bpftool's condition: the map has a value type). */
function hasBtf(info: MapDumpInfo, btf: Btf | undefined): btf is Btf {
  return btf !== undefined && info.valueTypeId !== 0;
}

/**
 * `bpftool map dump` as printed on a terminal: the formatted JSON document when the map has BTF, else the hex
 * lines and `Found N element(s)`.
 */
export function formatMapDump(entries: readonly MapDumpEntry[], info: MapDumpInfo, btf: Btf | undefined, ncpus: number): string {
  if (hasBtf(info, btf)) return writeJson(entries.map((e) => formattedEntry(btf, info, e, ncpus, true)), true);
  let out = '';
  for (const e of entries) out += plainEntry(info, e, ncpus);
  return out + `Found ${entries.length} element${entries.length === 1 ? '' : 's'}\n`;
}

/** `bpftool -j map dump`'s array of entries, as JSON values (write them with writeJson, or embed them). */
export function mapDumpJson(entries: readonly MapDumpEntry[], info: MapDumpInfo, btf: Btf | undefined, ncpus: number): JsonValue[] {
  const withBtf = hasBtf(info, btf);
  return entries.map((e) => {
    const out: Record<string, JsonValue> = {};
    out.key = hexStrings(e.key.subarray(0, info.keySize));
    if (!isPerCpuMapType(info.type)) {
      out.value = hexStrings(e.value.subarray(0, info.valueSize));
    } else {
      const stride = perCpuStride(info.valueSize);
      out.values = Array.from({ length: ncpus }, (_, cpu) => ({ cpu, value: hexStrings(e.value.subarray(cpu * stride, cpu * stride + info.valueSize)) }));
    }
    if (withBtf) out.formatted = formattedEntry(btf, info, e, ncpus, false);
    return out;
  });
}

/** bytes → ["0x16", "0x00"], as bpftool's print_hex_data_json. */
function hexStrings(bytes: Uint8Array): string[] {
  return [...bytes].map((b) => `0x${b.toString(16).padStart(2, '0')}`);
}

/** bpftool's fprint_hex: bytes separated by `sep`, two spaces after each 8, a new line after each 16. */
export function hexBytes(bytes: Uint8Array, sep = ' '): string {
  let out = '';
  bytes.forEach((b, i) => {
    if (i > 0) out += i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : sep;
    out += b.toString(16).padStart(2, '0');
  });
  return out;
}

/** One entry in bpftool's hex layout (print_entry_plain). */
function plainEntry(info: MapDumpInfo, e: MapDumpEntry, ncpus: number): string {
  let out = '';
  if (!isPerCpuMapType(info.type)) {
    const breakNames = info.keySize > 16 || info.valueSize > 16;
    const singleLine = info.keySize + info.valueSize <= 24 && !breakNames;
    if (info.keySize > 0) out += `key:${breakNames ? '\n' : ' '}${hexBytes(e.key.subarray(0, info.keySize))}${singleLine ? '  ' : '\n'}`;
    if (info.valueSize > 0) out += `value:${breakNames ? '\n' : ' '}${hexBytes(e.value.subarray(0, info.valueSize))}`;
    return out + '\n';
  }
  const stride = perCpuStride(info.valueSize);
  if (info.keySize > 0) out += `key:\n${hexBytes(e.key.subarray(0, info.keySize))}\n`;
  if (info.valueSize > 0) {
    for (let cpu = 0; cpu < ncpus; cpu++) {
      out += `value (CPU ${String(cpu).padStart(2, '0')}):${info.valueSize > 16 ? '\n' : ' '}${hexBytes(e.value.subarray(cpu * stride, cpu * stride + info.valueSize))}\n`;
    }
  }
  return out;
}

/** The formatted entry (do_dump_btf): key when the map has a key type, then value or per-CPU values. */
function formattedEntry(btf: Btf, info: MapDumpInfo, e: MapDumpEntry, ncpus: number, plain: boolean): JsonValue {
  const json = !plain;
  const members: [string, JsonValue][] = [];
  if (info.keyTypeId !== 0) members.push(['key', btfValue(btf, info.keyTypeId, e.key, 0, { json })]);
  if (info.sectionVariables !== undefined) {
    const sec = btf.typeById(info.valueTypeId);
    members.push(['value', { [sec.name]: info.sectionVariables.map((v) => ({ [v.name]: btfValue(btf, v.typeId, e.value, v.offset, { json }) })) }]);
  } else if (!isPerCpuMapType(info.type)) {
    members.push(['value', btfValue(btf, info.valueTypeId, e.value, 0, { json })]);
  } else {
    const stride = perCpuStride(info.valueSize);
    members.push(['values', Array.from({ length: ncpus }, (_, cpu) => new JsonMembers([['cpu', cpu], ['value', btfValue(btf, info.valueTypeId, e.value.subarray(cpu * stride, cpu * stride + info.valueSize), 0, { json })]]))]);
  }
  return new JsonMembers(members);
}

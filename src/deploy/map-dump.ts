/**
 * A map's entries in the layout of `bpftool map dump` (plain text), so that what `bpfship deploy maps` prints
 * reads, and diffs, like what administrators already know:
 *
 * - a map with BTF for its value: a JSON array of `{"key": ..., "value": ...}` objects laid out by the BTF types
 *   (per-CPU maps: `"values": [{"cpu": 0, "value": ...}, ...]`), four-space indentation, `},{` between entries;
 * - without BTF: `key: 00 01  value: 02 03` lines (split over lines for long keys or values, one `value (CPU NN):`
 *   line per CPU for per-CPU maps) and a final `Found N elements`.
 *
 * The BTF comes from the kernel (the object's BTF as libbpf loaded it), read by id.
 *
 * @module
 */
import { btfValue, JsonMembers, parseBtf, writeJson, type Btf, type JsonValue } from '../btf/index.ts';
import type { MapInfo } from './kernel-objects.ts';
import type { Libbpf } from './libbpf.ts';

/** The per-CPU map types (a lookup returns one value per possible CPU, each rounded up to 8 bytes). */
const PER_CPU = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

/** `bytes` as bpftool's fprint_hex writes them: two hex digits each, a space between, two every 8 bytes, a new line every 16. */
function hex(bytes: Uint8Array): string {
  let out = '';
  bytes.forEach((b, i) => {
    out += (i === 0 ? '' : i % 16 === 0 ? '\n' : i % 8 === 0 ? '  ' : ' ') + b.toString(16).padStart(2, '0');
  });
  return out;
}

/** One entry as bpftool's print_entry_plain writes it. */
function plainEntry(info: MapInfo, key: Uint8Array, value: Uint8Array, cpus: number): string {
  if (!PER_CPU.has(info.type)) {
    const breakNames = info.keySize > 16 || info.valueSize > 16;
    const singleLine = info.keySize + info.valueSize <= 24 && !breakNames;
    const sep = breakNames ? '\n' : ' ';
    return `key:${sep}${hex(key)}${singleLine ? '  ' : '\n'}value:${sep}${hex(value)}\n`;
  }
  let out = `key:\n${hex(key)}\n`;
  for (let i = 0; i < cpus; i++) {
    out += `value (CPU ${String(i).padStart(2, '0')}):${info.valueSize > 16 ? '\n' : ' '}${hex(value.subarray(i * info.valueSize, (i + 1) * info.valueSize))}\n`;
  }
  return out;
}

/** One entry as bpftool's do_dump_btf lays it out. */
function btfEntry(btf: Btf, info: MapInfo, key: Uint8Array, value: Uint8Array, cpus: number): JsonValue {
  const members: [string, JsonValue][] = [];
  if (info.btfKeyTypeId !== 0) members.push(['key', btfValue(btf, info.btfKeyTypeId, key)]);
  const valueType = info.btfVmlinuxValueTypeId || info.btfValueTypeId;
  if (!PER_CPU.has(info.type)) {
    members.push(['value', btfValue(btf, valueType, value)]);
  } else {
    const step = Math.ceil(info.valueSize / 8) * 8;
    const values: JsonValue[] = [];
    for (let i = 0; i < cpus; i++) values.push(new JsonMembers([['cpu', i], ['value', btfValue(btf, valueType, value.subarray(i * step, i * step + info.valueSize))]]));
    members.push(['values', values]);
  }
  return new JsonMembers(members);
}

/**
 * Dumps the map `fd` (described by `info`) as `bpftool map dump` prints it.
 *
 * @example
 * ```ts
 * process.stdout.write(dumpMap(lib, fd, mapInfo(lib, fd)));
 * ```
 * @throws {LibbpfError} when the map cannot be walked (a map type without keys, such as a ring buffer).
 */
export function dumpMap(lib: Libbpf, fd: number, info: MapInfo): string {
  const cpus = PER_CPU.has(info.type) ? lib.possibleCpus() : 1;
  const valueBytes = PER_CPU.has(info.type) ? Math.ceil(info.valueSize / 8) * 8 * cpus : info.valueSize;
  // bpftool uses BTF when the map has a value type in it (struct_ops maps' vmlinux types are not read here).
  const btf = info.btfId !== 0 && info.btfValueTypeId !== 0 && info.btfVmlinuxValueTypeId === 0 ? parseBtf(lib.btfRaw(info.btfId), { file: `BTF ${info.btfId}` }) : undefined;
  const entries: JsonValue[] = [];
  let plain = '';
  let count = 0;
  let prev: Uint8Array | null = null;
  for (;;) {
    const key = new Uint8Array(info.keySize);
    if (!lib.mapNextKey(fd, prev, key)) break;
    prev = key;
    const value = new Uint8Array(valueBytes);
    if (!lib.mapLookup(fd, key, value)) continue; // deleted meanwhile
    count++;
    if (btf !== undefined) entries.push(btfEntry(btf, info, key, value, cpus));
    else plain += plainEntry(info, key, value, cpus);
  }
  if (btf !== undefined) return writeJson(entries, true);
  return `${plain}Found ${count} element${count === 1 ? '' : 's'}\n`;
}

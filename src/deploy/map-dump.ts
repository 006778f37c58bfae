/**
 * A map's entries in the layout of `bpftool map dump` (plain text), so that what `bpfship deploy maps` prints
 * reads, and diffs, like what administrators already know:
 *
 * - a map with BTF for its value: a JSON array of `{"key": ..., "value": ...}` objects laid out by the BTF types
 *   (per-CPU maps: `"values": [{"cpu": 0, "value": ...}, ...]`), four-space indentation, `},{` between entries;
 * - without BTF: `key: 00 01  value: 02 03` lines (split over lines for long keys or values, one `value (CPU NN):`
 *   line per CPU for per-CPU maps) and a final `Found N elements`.
 *
 * The layout itself is src/btf/map-dump.ts's (shared with `bpfship run --show-maps`); this reads the entries and
 * the BTF from the kernel (the object's BTF as libbpf loaded it, by id).
 *
 * Author: Claude.
 *
 * @module
 */
import { formatMapDump, parseBtf, perCpuStride, isPerCpuMapType, type MapDumpEntry } from '../btf/index.ts';
import type { MapInfo } from './kernel-objects.ts';
import type { Libbpf } from './libbpf.ts';

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
  const perCpu = isPerCpuMapType(info.typeId);
  const cpus = perCpu ? lib.possibleCpus() : 1;
  const valueBytes = perCpu ? perCpuStride(info.valueSize) * cpus : info.valueSize;
  // bpftool uses BTF when the map has a value type in it (struct_ops maps' vmlinux types are not read here).
  const btf = info.btfId !== 0 && info.btfValueTypeId !== 0 && info.btfVmlinuxValueTypeId === 0 ? parseBtf(lib.btfRaw(info.btfId), { file: `BTF ${info.btfId}` }) : undefined;
  const entries: MapDumpEntry[] = [];
  let prev: Uint8Array | null = null;
  for (;;) {
    const key = new Uint8Array(info.keySize);
    if (!lib.mapNextKey(fd, prev, key)) break;
    prev = key;
    const value = new Uint8Array(valueBytes);
    if (!lib.mapLookup(fd, key, value)) continue; // deleted meanwhile
    entries.push({ key, value });
  }
  // The kernel's BTF has the data sections' variables at their real offsets already (libbpf fixed them up).
  return formatMapDump(entries, { type: info.typeId, keySize: info.keySize, valueSize: info.valueSize, keyTypeId: info.btfKeyTypeId, valueTypeId: info.btfValueTypeId }, btf, cpus);
}

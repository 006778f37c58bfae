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
 * The value formatting follows bpftool's btf_dumper: integers in decimal (bitfields and 128-bit integers in hex),
 * `char` arrays holding a NUL-terminated printable string as that string, enums by enumerator name when one matches,
 * pointers as addresses, structs and unions as objects of their members, data sections as arrays of their variables.
 * Plain text differs from JSON where bpftool's does: a non-printable `char` is `0x1f` (JSON `"\u001f"`), a pointer
 * `0x...`/`(nil)` (JSON: the number), a bitfield `0x3` (JSON `"0x3"`).
 *
 * @module
 */
import type { Btf } from './btf.ts';
import { JsonRaw, writeJson, type JsonValue } from './json-writer.ts';
import type { BtfType } from './types.ts';

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
  const out: Record<string, JsonValue> = {};
  if (info.keyTypeId !== 0) out.key = formatBtfValue(btf, info.keyTypeId, e.key, { plainText: plain });
  if (info.sectionVariables !== undefined) {
    const sec = btf.typeById(info.valueTypeId);
    out.value = { [sec.name]: info.sectionVariables.map((v) => ({ [v.name]: dumpType(btf, v.typeId, e.value, v.offset, 0, plain, 0) })) };
  } else if (!isPerCpuMapType(info.type)) {
    out.value = formatBtfValue(btf, info.valueTypeId, e.value, { plainText: plain });
  } else {
    const stride = perCpuStride(info.valueSize);
    out.values = Array.from({ length: ncpus }, (_, cpu) => ({ cpu, value: formatBtfValue(btf, info.valueTypeId, e.value.subarray(cpu * stride), { plainText: plain }) }));
  }
  return out;
}

/** Options of {@link formatBtfValue}. */
export interface BtfValueOptions {
  /** bpftool's plain-text forms (terminal output) rather than its JSON forms. */
  readonly plainText: boolean;
}

/**
 * A value of BTF type `typeId` held in `bytes`, as bpftool's btf_dumper writes it (see the module comment). Bytes
 * past the end of `bytes` read as zero.
 */
export function formatBtfValue(btf: Btf, typeId: number, bytes: Uint8Array, options: BtfValueOptions): JsonValue {
  return dumpType(btf, typeId, bytes, 0, 0, options.plainText, 0);
}

/** A little-endian unsigned integer of `size` bytes at `offset` (zeros past the end). */
function readUnsigned(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

/** bpftool's 128-bit print: hex, quoted in JSON. */
function hex128(value: bigint, plain: boolean): JsonValue {
  const text = `0x${value.toString(16)}`;
  return plain ? new JsonRaw(text) : text;
}

/** `nrBits` bits starting `bitOffset` bits into the bytes at `offset`, little-endian (btf_dumper_bitfield). */
function bitfield(bytes: Uint8Array, offset: number, bitOffset: number, nrBits: number, plain: boolean): JsonValue {
  const span = Math.ceil((bitOffset + nrBits) / 8);
  const raw = readUnsigned(bytes, offset, Math.min(span, 16));
  return hex128((raw >> BigInt(bitOffset)) & ((1n << BigInt(nrBits)) - 1n), plain);
}

const MAX_DEPTH = 64;

function dumpType(btf: Btf, typeId: number, bytes: Uint8Array, offset: number, bitOffset: number, plain: boolean, depth: number): JsonValue {
  if (depth > MAX_DEPTH) return new JsonRaw('(too-deep)');
  const t: BtfType = btf.typeById(typeId);
  switch (t.kind) {
    case 'INT':
      return dumpInt(t, bytes, offset, bitOffset, plain);
    case 'STRUCT':
    case 'UNION': {
      const out: Record<string, JsonValue> = {};
      for (const m of t.members) {
        const at = offset + Math.floor(m.bitOffset / 8);
        out[m.name] = m.bitfieldSize > 0
          ? bitfield(bytes, at, m.bitOffset % 8, m.bitfieldSize, plain)
          : dumpType(btf, m.type, bytes, at, m.bitOffset % 8, plain, depth + 1);
      }
      return out;
    }
    case 'ARRAY': {
      if (isStringArray(btf, t.type, t.nelems, bytes, offset)) {
        let s = '';
        for (let i = offset; bytes[i] !== 0; i++) s += String.fromCharCode(bytes[i] as number);
        return s;
      }
      const size = btf.sizeOf(t.type);
      return Array.from({ length: t.nelems }, (_, i) => dumpType(btf, t.type, bytes, offset + i * size, 0, plain, depth + 1));
    }
    case 'ENUM': {
      const v = BigInt.asIntN(t.size * 8, readUnsigned(bytes, offset, t.size));
      const match = t.values.find((e) => BigInt.asIntN(32, BigInt(e.value)) === BigInt.asIntN(32, v) && (t.size <= 4 || BigInt(e.value) === v));
      return match !== undefined ? match.name : v;
    }
    case 'ENUM64': {
      const raw = readUnsigned(bytes, offset, 8);
      const match = t.values.find((e) => BigInt.asUintN(64, e.value) === raw);
      return match !== undefined ? match.name : BigInt.asIntN(64, raw);
    }
    case 'PTR': {
      const v = readUnsigned(bytes, offset, 8);
      if (!plain) return v;
      return new JsonRaw(v === 0n ? '(nil)' : `0x${v.toString(16)}`);
    }
    case 'FLOAT': {
      const dv = new DataView(new Uint8Array([...Array(t.size)].map((_, i) => bytes[offset + i] ?? 0)).buffer);
      return t.size === 4 ? dv.getFloat32(0, true) : t.size === 8 ? dv.getFloat64(0, true) : new JsonRaw('(unsupported-float)');
    }
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
      return dumpType(btf, btf.resolve(typeId).id, bytes, offset, bitOffset, plain, depth + 1);
    case 'VAR':
      return { [t.name]: dumpType(btf, t.type, bytes, offset, bitOffset, plain, depth + 1) };
    case 'DATASEC':
      return { [t.name]: t.vars.map((v) => dumpType(btf, v.type, bytes, offset + v.offset, 0, plain, depth + 1)) };
    case 'VOID':
      return new JsonRaw('(unknown)');
    case 'FWD':
      return new JsonRaw('(fwd-kind-invalid)');
    default:
      return new JsonRaw(`(unsupported-kind ${t.kind})`);
  }
}

function dumpInt(t: Extract<BtfType, { kind: 'INT' }>, bytes: Uint8Array, offset: number, bitOffset: number, plain: boolean): JsonValue {
  if (bitOffset !== 0 || t.offset !== 0 || t.bits % 8 !== 0) {
    const total = bitOffset + t.offset;
    return bitfield(bytes, offset + Math.floor(total / 8), total % 8, t.bits, plain);
  }
  if (t.bits === 128) return hex128(readUnsigned(bytes, offset, 16), plain);
  const size = t.bits / 8;
  const raw = readUnsigned(bytes, offset, size);
  // bool: bpftool reads an int's worth of bytes whatever the size.
  if ((t.encoding & 4) !== 0) return readUnsigned(bytes, offset, 4) !== 0n;
  if ((t.encoding & 2) !== 0 && (t.encoding & 1) === 0) {
    // char: the character when printable, else its code.
    const c = Number(raw & 0xffn);
    if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
    return new JsonRaw(plain ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, '0')}"`);
  }
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return bitfield(bytes, offset, 0, t.bits, plain);
  return (t.encoding & 1) !== 0 ? BigInt.asIntN(t.bits, raw) : raw;
}

/** bpftool's is_str_array: an array of 1-byte `char` (or CHAR-encoded) elements holding printable text up to a NUL. */
function isStringArray(btf: Btf, elementType: number, nelems: number, bytes: Uint8Array, offset: number): boolean {
  if (nelems === 0) return false;
  // Typedefs do not count: only const/volatile/restrict are skipped on the way to the element type.
  let e = btf.typeById(elementType);
  while (e.kind === 'CONST' || e.kind === 'VOLATILE' || e.kind === 'RESTRICT' || e.kind === 'TYPE_TAG') e = btf.typeById(e.type);
  if (e.kind !== 'INT' || e.size !== 1) return false;
  if ((e.encoding & 2) === 0 && e.name !== 'char') return false;
  for (let i = 0; i < nelems; i++) {
    const c = bytes[offset + i] ?? 0;
    if (c === 0) return true;
    if (c <= 0x1f || c >= 0x7f) return false;
  }
  return false;
}

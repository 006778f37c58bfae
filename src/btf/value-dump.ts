/**
 * Values laid out by their BTF type as bpftool's "btf dumper" prints map entries (`bpftool map dump` on a map with
 * BTF): integers in decimal, bitfields and 128-bit integers in hex, printable chars quoted, char arrays holding a C
 * string as strings, structs and unions as objects of their members, enums by enumerator name, variables and data
 * sections (`.rodata`, `.bss`) as objects naming them. What cannot be a map key or value prints bpftool's markers
 * (`(fwd-kind-invalid)`, `(unsupported-kind)`).
 *
 * Plain text (bpftool map dump) and JSON (bpftool -j map dump's "formatted") differ where bpftool's do: a
 * non-printable char is `0x1f` / `"\u001f"`, a pointer `0x...` or `(nil)` / its decimal value, a bitfield or
 * 128-bit integer `0x3` / `"0x3"`. Checked against bpftool 7.1 on the kernel's own maps by test/map-dump.test.ts and
 * src/deploy/deploy.test.ts.
 *
 * The result is a tree for {@link writeJson}; tokens bpftool writes unquoted and non-JSON (`0x1f`) are JsonRaw.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Btf } from './btf.ts';
import { JsonMembers, JsonRaw, type JsonValue } from './json-writer.ts';
import type { BtfArray, BtfType } from './types.ts';

/** A little-endian view of the bytes being dumped, and the layout asked for. */
interface Bytes {
  readonly data: Uint8Array;
  readonly view: DataView;
  /** bpftool's plain-text forms (map dump), else its JSON forms (-j map dump). */
  readonly plain: boolean;
}

/** Options of {@link btfValue}. */
export interface BtfValueOptions {
  /** bpftool's JSON forms (`bpftool -j map dump`'s "formatted") instead of its plain-text ones. Default false. */
  readonly json?: boolean;
}

/**
 * The value of type `typeId` held at `offset` of `data`, as bpftool's btf dumper prints it (in plain text unless
 * `options.json`). Bytes past the end of `data` read as zero.
 *
 * @example
 * ```ts
 * writeJson([{ key: btfValue(btf, keyTypeId, key), value: btfValue(btf, valueTypeId, value) }], true);
 * ```
 */
export function btfValue(btf: Btf, typeId: number, data: Uint8Array, offset = 0, options: BtfValueOptions = {}): JsonValue {
  const bytes: Bytes = { data, view: new DataView(data.buffer, data.byteOffset, data.byteLength), plain: options.json !== true };
  return dumpType(btf, typeId, 0, bytes, offset);
}

function dumpType(btf: Btf, id: number, bitOffset: number, b: Bytes, at: number): JsonValue {
  const t = btf.types[id];
  if (t === undefined) return new JsonRaw('(unknown)');
  switch (t.kind) {
    case 'VOID':
      return new JsonRaw('(unknown)');
    case 'INT':
      return dumpInt(t.bits, t.offset, t.encoding, bitOffset, b, at);
    case 'STRUCT':
    case 'UNION': {
      // A list of members, not an object: anonymous members all have the name ''.
      return new JsonMembers(t.members.map((m) => {
        const memberAt = at + (m.bitOffset >> 3);
        return [m.name, m.bitfieldSize !== 0 ? bitfield(m.bitfieldSize, m.bitOffset & 7, b, memberAt) : dumpType(btf, m.type, m.bitOffset & 7, b, memberAt)] as const;
      }));
    }
    case 'ARRAY':
      return dumpArray(btf, t, b, at);
    case 'ENUM': {
      const raw = readSigned(b, at, t.size);
      if (raw === undefined) return new JsonRaw('(unsupported-kind)');
      // bpftool compares the value read as signed with each enumerator as the __s32 BTF stores.
      const match = t.values.find((v) => BigInt.asIntN(32, BigInt(v.value)) === raw);
      return match !== undefined ? match.name : new JsonRaw(raw.toString());
    }
    case 'ENUM64': {
      const value = readUnsigned(b, at, 8);
      const match = t.values.find((v) => BigInt.asUintN(64, v.value) === value);
      return match !== undefined ? match.name : new JsonRaw(BigInt.asIntN(64, value).toString());
    }
    case 'PTR': {
      // printf's %p in plain text (glibc: (nil) for NULL), %lu in JSON.
      const value = readUnsigned(b, at, 8);
      if (!b.plain) return new JsonRaw(value.toString());
      return new JsonRaw(value === 0n ? '(nil)' : `0x${value.toString(16)}`);
    }
    case 'FWD':
      return new JsonRaw('(fwd-kind-invalid)');
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
      return dumpType(btf, resolveId(btf, t), bitOffset, b, at);
    case 'VAR':
      return { [t.name]: dumpType(btf, t.type, bitOffset, b, at) };
    case 'DATASEC':
      return { [t.name]: t.vars.map((v) => dumpType(btf, v.type, 0, b, at + v.offset)) };
    default:
      return new JsonRaw('(unsupported-kind)');
  }
}

/** libbpf's btf__resolve_type: through typedefs, qualifiers, type tags and variables. */
function resolveId(btf: Btf, t: BtfType): number {
  let cur: BtfType = t;
  for (let depth = 0; depth < 32; depth++) {
    if (cur.kind !== 'TYPEDEF' && cur.kind !== 'VOLATILE' && cur.kind !== 'CONST' && cur.kind !== 'RESTRICT' && cur.kind !== 'TYPE_TAG' && cur.kind !== 'VAR') return cur.id;
    const next = btf.types[cur.type];
    if (next === undefined) return cur.type;
    cur = next;
  }
  return cur.id;
}

/** A 1-, 2-, 4- or 8-byte signed integer, as bigint. */
function readSigned(b: Bytes, at: number, size: number): bigint | undefined {
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  return BigInt.asIntN(size * 8, readUnsigned(b, at, size));
}

/** The little-endian unsigned integer of `n` bytes at `at`, up to 16. */
function readUnsigned(b: Bytes, at: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b.data[at + i] ?? 0);
  return v;
}

/** `nrBits` bits at `bitOffset` of the bytes at `at`, printed in hex as bpftool's btf_dumper_bitfield does. */
function bitfield(nrBits: number, bitOffset: number, b: Bytes, at: number): JsonRaw {
  const bytes = (bitOffset + nrBits + 7) >> 3;
  const value = (readUnsigned(b, at, bytes) >> BigInt(bitOffset)) & ((1n << BigInt(nrBits)) - 1n);
  return hex128(value, b);
}

/** bpftool's 128-bit print: hex, quoted in JSON. */
function hex128(value: bigint, b: Bytes): JsonRaw {
  return new JsonRaw(b.plain ? `0x${value.toString(16)}` : `"0x${value.toString(16)}"`);
}

function dumpInt(bits: number, intOffset: number, encoding: number, bitOffset: number, b: Bytes, at: number): JsonValue {
  if (bitOffset !== 0 || intOffset !== 0 || bits % 8 !== 0) {
    const total = bitOffset + intOffset;
    return bitfield(bits, total & 7, b, at + (total >> 3));
  }
  if (bits === 128) return hex128(readUnsigned(b, at, 16), b);
  const sizes = [8, 16, 32, 64];
  switch (encoding) {
    case 0:
      if (!sizes.includes(bits)) return bitfield(bits, 0, b, at);
      return new JsonRaw(readUnsigned(b, at, bits / 8).toString());
    case 1: {
      if (!sizes.includes(bits)) return bitfield(bits, 0, b, at);
      return new JsonRaw((readSigned(b, at, bits / 8) as bigint).toString());
    }
    case 2: {
      const c = b.data[at] ?? 0;
      // Printed as bpftool's "%c" does, unescaped (a '"' char breaks its JSON too).
      if (c >= 0x20 && c < 0x7f) return new JsonRaw(`"${String.fromCharCode(c)}"`);
      return new JsonRaw(b.plain ? `0x${c.toString(16)}` : `"\\u00${c.toString(16).padStart(2, '0')}"`);
    }
    case 4:
      // Its own byte only: bpftool 7.1 prints "seen": false for a zero bool followed by non-zero bytes.
      return (b.data[at] ?? 0) !== 0;
    default:
      return new JsonRaw('(unsupported-kind)');
  }
}

/** An array: a string when it holds a NUL-terminated printable C string in chars, else its elements. */
function dumpArray(btf: Btf, t: BtfArray, b: Bytes, at: number): JsonValue {
  if (isStringArray(btf, t, b, at)) {
    const end = b.data.indexOf(0, at);
    return new TextDecoder('latin1').decode(b.data.subarray(at, end));
  }
  let elemSize: number;
  try {
    elemSize = btf.sizeOf(t.type);
  } catch {
    return [];
  }
  const out: JsonValue[] = [];
  for (let i = 0; i < t.nelems; i++) out.push(dumpType(btf, t.type, 0, b, at + i * elemSize));
  return out;
}

/** bpftool's is_str_array: 1-byte char elements (qualifiers skipped, typedefs not), printable up to a NUL inside. */
function isStringArray(btf: Btf, t: BtfArray, b: Bytes, at: number): boolean {
  if (t.nelems === 0) return false;
  let elem = btf.types[t.type];
  while (elem !== undefined && (elem.kind === 'VOLATILE' || elem.kind === 'CONST' || elem.kind === 'RESTRICT' || elem.kind === 'TYPE_TAG')) elem = btf.types[elem.type];
  if (elem === undefined || elem.kind !== 'INT' || elem.size !== 1) return false;
  if ((elem.encoding & 2) === 0 && elem.name !== 'char') return false;
  for (let i = 0; i < t.nelems; i++) {
    const c = b.data[at + i] ?? 0;
    if (c === 0) return true;
    // bpftool compares a (signed) char: bytes of 0x80 and above are negative, so below 0x1f too.
    if (c <= 0x1f || c >= 0x7f) return false;
  }
  return false;
}

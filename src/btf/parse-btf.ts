/**
 * The `.BTF` parser: header, string table and type records, with every offset, length, kind and type id checked.
 *
 * Author: Claude.
 *
 * @module
 */

import { ByteView } from '../internal/bytes.ts';
import { BtfError, type Location } from '../internal/errors.ts';
import { Btf, describeType } from './btf.ts';
import {
  BTF_EXTRA_SIZE, BTF_HEADER_SIZE, BTF_KIND_MAX, BTF_KIND_NAMES, BTF_LINKAGE_NAMES, BTF_MAGIC, BTF_TYPE_SIZE,
  BTF_VERSION, BTF_VLEN_ELEMENT_SIZE, BtfIntEncoding, BtfKind, type BtfKindName, type BtfLinkage,
} from './kinds.ts';
import { BtfStringTable } from './string-table.ts';
import type {
  BtfEnum64Value, BtfEnumValue, BtfHeader, BtfMember, BtfParam, BtfType, BtfVarSecinfo, BtfVoid,
} from './types.ts';

/** Options of {@link parseBtf}. */
export interface ParseBtfOptions {
  /** The file the section came from, for error messages. */
  readonly file?: string;
}

const VOID: BtfVoid = Object.freeze({ kind: 'VOID', id: 0, name: '', nameOff: 0 });

// Module-level copies of the tables the record loop reads, so that the loop reads local bindings.
const EXTRA_SIZE = BTF_EXTRA_SIZE;
const VLEN_ELEMENT_SIZE = BTF_VLEN_ELEMENT_SIZE;
const KIND_NAMES = BTF_KIND_NAMES;

/** Largest string offset BTF allows (`BTF_MAX_NAME_OFFSET`): offsets are 31-bit. */
const MAX_STR_LEN = 0x7fffffff + 1;

/**
 * Parses the contents of a `.BTF` section.
 *
 * Checks, in order: the header (magic 0xeb9f little-endian, version 1, flags 0, a header length of at least 24
 * bytes that fits the data, type and string sections inside the data, the type section 4-byte aligned and before
 * the strings); the string table (starts and ends with NUL, so every string is terminated); each type record (known
 * kind, its fixed and variable-length parts inside the type section, name offsets inside the string table, FUNC and
 * VAR linkage known); then every type id a type refers to exists, a FUNC's type is a FUNC_PROTO, a DATASEC lists
 * VARs or FUNCs and a DECL_TAG's component index is in range. Any failure is a BtfError naming the type and offset.
 *
 * @example
 * ```ts
 * const btf = parseBtf(elf.section('.BTF')!.data, { file: 'xdp.o' });
 * for (const t of btf.types) if (t.kind === 'FUNC') console.log(t.name, t.linkage);
 * ```
 */
export function parseBtf(data: Uint8Array, options: ParseBtfOptions = {}): Btf {
  const where: Location = options.file === undefined ? { section: '.BTF' } : { file: options.file, section: '.BTF' };
  const fail = (detail: string, at: Location): Error => new BtfError(detail, at);
  const error = (detail: string, offset?: number): BtfError =>
    new BtfError(detail, offset === undefined ? where : { ...where, offset });
  const view = new ByteView(data, where, fail);

  // 1. Header.
  if (data.length < 8) throw error(`BTF header is truncated: ${data.length} bytes, expected at least ${BTF_HEADER_SIZE}`);
  const magic = view.u16(0, 'magic');
  if (magic !== BTF_MAGIC) {
    if (magic === 0x9feb) throw error('BTF is big-endian (magic 0x9feb); only little-endian BTF is supported', 0);
    throw error(`bad BTF magic 0x${magic.toString(16).padStart(4, '0')}, expected 0xeb9f`, 0);
  }
  const version = view.u8(2, 'version');
  if (version !== BTF_VERSION) throw error(`unsupported BTF version ${version}, expected ${BTF_VERSION}`, 2);
  const flags = view.u8(3, 'flags');
  if (flags !== 0) throw error(`unsupported BTF flags 0x${flags.toString(16)}, expected 0`, 3);
  const hdrLen = view.u32(4, 'header length');
  if (hdrLen < BTF_HEADER_SIZE) throw error(`BTF header length ${hdrLen} is shorter than the ${BTF_HEADER_SIZE}-byte header`, 4);
  if (data.length < BTF_HEADER_SIZE || hdrLen > data.length) {
    throw error(`BTF header is truncated: header length ${hdrLen} but the data has ${data.length} bytes`);
  }
  const typeOff = view.u32(8);
  const typeLen = view.u32(12);
  const strOff = view.u32(16);
  const strLen = view.u32(20);
  const header: BtfHeader = { magic, version, flags, hdrLen, typeOff, typeLen, strOff, strLen };
  const body = data.length - hdrLen;
  if (typeOff + typeLen > body) {
    throw error(`type section [${typeOff}, ${typeOff + typeLen}) runs past the end of the data (${body} bytes after the header)`, 8);
  }
  if (strOff + strLen > body) {
    throw error(`string section [${strOff}, ${strOff + strLen}) runs past the end of the data (${body} bytes after the header)`, 16);
  }
  if (typeOff + typeLen > strOff) {
    throw error(`type section [${typeOff}, ${typeOff + typeLen}) overlaps or follows the string section at ${strOff}`, 8);
  }
  if (typeOff % 4 !== 0) throw error(`type section offset ${typeOff} is not 4-byte aligned`, 8);

  // 2. Strings: a NUL at both ends means every offset inside the table starts a terminated string.
  const strStart = hdrLen + strOff;
  if (strLen === 0) throw error('string section is empty; it must hold at least the empty string', 20);
  if (strLen > MAX_STR_LEN) throw error(`string section is ${strLen} bytes, more than the 2^31 BTF allows`, 20);
  if (data[strStart] !== 0) throw error('string section does not start with the empty string (a NUL byte)', strStart);
  if (data[strStart + strLen - 1] !== 0) throw error('the last string in the string section has no NUL terminator', strStart + strLen - 1);
  const strings = new BtfStringTable(data.subarray(strStart, strStart + strLen));

  // 3. Type records.
  /** The name at the string offset stored at `o`, for a member, enumerator or parameter of type `id`. */
  const stringAt = (o: number, id: number, kind: string, name: string, what: string, i: number): string => {
    const s = strings.tryAt(view.u32(o));
    if (s === undefined) {
      throw error(`type ${id} (${kind} '${name}') ${what} ${i} name offset ${view.u32(o)} is past the end of the string table (${strLen} bytes)`, o);
    }
    return s;
  };
  const types: BtfType[] = [VOID];
  // Where each record starts, so that reference errors found after the loop can still give an offset.
  const offsets: number[] = [0];
  const typeStart = hdrLen + typeOff;
  const typeEnd = typeStart + typeLen;
  let off = typeStart;
  while (off < typeEnd) {
    const id = types.length;
    if (off + BTF_TYPE_SIZE > typeEnd) {
      throw error(`type ${id} is truncated: its record needs ${BTF_TYPE_SIZE} bytes but ${typeEnd - off} remain in the type section`, off);
    }
    const nameOff = view.u32(off);
    const info = view.u32(off + 4);
    const sizeOrType = view.u32(off + 8);
    const kindCode = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    if (kindCode === BtfKind.UNKN || kindCode > BTF_KIND_MAX) {
      throw error(`type ${id} has unknown kind ${kindCode} (known kinds are 1 to ${BTF_KIND_MAX})`, off + 4);
    }
    const kind = KIND_NAMES[kindCode] as BtfKindName;
    const name = strings.tryAt(nameOff);
    if (name === undefined) {
      throw error(`type ${id} (${kind}) name offset ${nameOff} is past the end of the string table (${strLen} bytes)`, off);
    }
    const size = BTF_TYPE_SIZE + (EXTRA_SIZE[kindCode] as number) + vlen * (VLEN_ELEMENT_SIZE[kindCode] as number);
    if (off + size > typeEnd) {
      const label = name === '' ? `type ${id} (anonymous ${kind})` : `type ${id} (${kind} '${name}')`;
      throw error(`${label} needs ${size} bytes (vlen ${vlen}) but only ${typeEnd - off} remain in the type section`, off);
    }
    const rest = off + BTF_TYPE_SIZE;
    let t: BtfType;
    switch (kindCode) {
      case BtfKind.INT: {
        const word = view.u32(rest);
        const encoding = (word >>> 24) & 0x0f;
        t = {
          kind: 'INT', id, name, nameOff, size: sizeOrType, encoding, signed: (encoding & BtfIntEncoding.SIGNED) !== 0,
          offset: (word >>> 16) & 0xff, bits: word & 0xff,
        };
        break;
      }
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        t = { kind: kind as 'PTR', id, name, nameOff, type: sizeOrType };
        break;
      case BtfKind.ARRAY:
        t = { kind: 'ARRAY', id, name, nameOff, type: view.u32(rest), indexType: view.u32(rest + 4), nelems: view.u32(rest + 8) };
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const members: BtfMember[] = new Array<BtfMember>(vlen);
        for (let i = 0, o = rest; i < vlen; i++, o += 12) {
          const word = view.u32(o + 8);
          members[i] = {
            name: stringAt(o, id, kind, name, 'member', i), nameOff: view.u32(o), type: view.u32(o + 4),
            bitOffset: kindFlag ? word & 0xffffff : word, bitfieldSize: kindFlag ? word >>> 24 : 0,
          };
        }
        t = { kind: kind as 'STRUCT', id, name, nameOff, size: sizeOrType, kindFlag, members };
        break;
      }
      case BtfKind.ENUM: {
        const values: BtfEnumValue[] = new Array<BtfEnumValue>(vlen);
        for (let i = 0, o = rest; i < vlen; i++, o += 8) {
          values[i] = { name: stringAt(o, id, kind, name, 'enumerator', i), nameOff: view.u32(o), value: kindFlag ? view.i32(o + 4) : view.u32(o + 4) };
        }
        t = { kind: 'ENUM', id, name, nameOff, size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case BtfKind.ENUM64: {
        const values: BtfEnum64Value[] = new Array<BtfEnum64Value>(vlen);
        for (let i = 0, o = rest; i < vlen; i++, o += 12) {
          const raw = (BigInt(view.u32(o + 8)) << 32n) | BigInt(view.u32(o + 4));
          values[i] = { name: stringAt(o, id, kind, name, 'enumerator', i), nameOff: view.u32(o), value: kindFlag ? BigInt.asIntN(64, raw) : raw };
        }
        t = { kind: 'ENUM64', id, name, nameOff, size: sizeOrType, signed: kindFlag, values };
        break;
      }
      case BtfKind.FWD:
        t = { kind: 'FWD', id, name, nameOff, fwdKind: kindFlag ? 'union' : 'struct' };
        break;
      case BtfKind.FUNC:
        t = { kind: 'FUNC', id, name, nameOff, type: sizeOrType, linkage: linkage(vlen, id, kind, name, off + 4) };
        break;
      case BtfKind.FUNC_PROTO: {
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0, o = rest; i < vlen; i++, o += 8) {
          const pNameOff = view.u32(o);
          const pType = view.u32(o + 4);
          // The variadic marker: a last parameter with neither name nor type.
          if (i === vlen - 1 && pNameOff === 0 && pType === 0) {
            variadic = true;
            break;
          }
          params.push({ name: stringAt(o, id, kind, name, 'parameter', i), nameOff: pNameOff, type: pType });
        }
        t = { kind: 'FUNC_PROTO', id, name, nameOff, returnType: sizeOrType, params, variadic };
        break;
      }
      case BtfKind.VAR:
        t = { kind: 'VAR', id, name, nameOff, type: sizeOrType, linkage: linkage(view.u32(rest), id, kind, name, rest) };
        break;
      case BtfKind.DATASEC: {
        const vars: BtfVarSecinfo[] = new Array<BtfVarSecinfo>(vlen);
        for (let i = 0, o = rest; i < vlen; i++, o += 12) {
          vars[i] = { type: view.u32(o), offset: view.u32(o + 4), size: view.u32(o + 8) };
        }
        t = { kind: 'DATASEC', id, name, nameOff, size: sizeOrType, vars };
        break;
      }
      case BtfKind.FLOAT:
        t = { kind: 'FLOAT', id, name, nameOff, size: sizeOrType };
        break;
      case BtfKind.DECL_TAG:
        t = { kind: 'DECL_TAG', id, name, nameOff, type: sizeOrType, componentIdx: view.i32(rest) };
        break;
      default:
        // Unreachable: kindCode was checked against BTF_KIND_MAX above.
        throw error(`type ${id} has unknown kind ${kindCode}`, off + 4);
    }
    types.push(t);
    offsets.push(off);
    off += size;
  }

  // 4. References: every type id used must exist (forward references are normal in BTF).
  checkReferences(types, (detail, id) => error(detail, offsets[id]));

  return new Btf(header, types, strings, options.file);

  function linkage(code: number, id: number, kind: string, name: string, at: number): BtfLinkage {
    const l = BTF_LINKAGE_NAMES[code];
    if (l === undefined) throw error(`type ${id} (${kind} '${name}') has unknown linkage ${code} (expected 0 static, 1 global or 2 extern)`, at);
    return l;
  }
}

/** Checks the type ids every type refers to, and the few shape rules consumers rely on. */
function checkReferences(types: readonly BtfType[], fail: (detail: string, id: number) => BtfError): void {
  const count = types.length;
  const last = count - 1;
  const ref = (t: BtfType, what: string, id: number): void => {
    if (id >= count) throw error(`${describeType(t)} ${what} refers to type ${id}, past the last type (${last})`);
  };
  let i = 1;
  const error = (detail: string): BtfError => fail(detail, i);
  for (; i < count; i++) {
    const t = types[i] as BtfType;
    switch (t.kind) {
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'VAR':
        ref(t, 'type', t.type);
        break;
      case 'FUNC': {
        ref(t, 'type', t.type);
        const proto = types[t.type] as BtfType;
        if (proto.kind !== 'FUNC_PROTO') throw error(`${describeType(t)} refers to ${describeType(proto)}, expected a FUNC_PROTO`);
        break;
      }
      case 'ARRAY':
        ref(t, 'element type', t.type);
        ref(t, 'index type', t.indexType);
        break;
      case 'STRUCT':
      case 'UNION':
        for (let m = 0; m < t.members.length; m++) ref(t, `member ${m}`, (t.members[m] as { type: number }).type);
        break;
      case 'FUNC_PROTO':
        ref(t, 'return type', t.returnType);
        for (let p = 0; p < t.params.length; p++) ref(t, `parameter ${p}`, (t.params[p] as { type: number }).type);
        break;
      case 'DATASEC':
        for (let v = 0; v < t.vars.length; v++) {
          const target = (t.vars[v] as BtfVarSecinfo).type;
          ref(t, `variable ${v}`, target);
          const k = (types[target] as BtfType).kind;
          if (k !== 'VAR' && k !== 'FUNC') {
            throw error(`${describeType(t)} variable ${v} refers to ${describeType(types[target] as BtfType)}, expected a VAR or FUNC`);
          }
        }
        break;
      case 'DECL_TAG': {
        ref(t, 'type', t.type);
        if (t.componentIdx < -1) throw error(`${describeType(t)} has component index ${t.componentIdx}, expected -1 or more`);
        if (t.componentIdx >= 0) {
          const target = types[t.type] as BtfType;
          let components: number | undefined;
          if (target.kind === 'STRUCT' || target.kind === 'UNION') components = target.members.length;
          else if (target.kind === 'FUNC') {
            const proto = types[target.type] as BtfType | undefined;
            // A FUNC's own prototype is checked when the FUNC itself is reached.
            components = proto?.kind === 'FUNC_PROTO' ? proto.params.length : undefined;
          }
          if (components === undefined) {
            if (target.kind !== 'FUNC') {
              throw error(`${describeType(t)} tags component ${t.componentIdx} of ${describeType(target)}, which has no members or parameters`);
            }
          } else if (t.componentIdx >= components) {
            throw error(`${describeType(t)} tags component ${t.componentIdx} of ${describeType(target)}, which has ${components}`);
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * Test helper: builds `.BTF` and `.BTF.ext` blobs by hand, so that tests can make every kind and every kind of
 * damage without a compiler.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * const b = new BtfBuilder();
 * const int = b.int('int', 4, 1);
 * b.ptr(int);
 * const btf = parseBtf(b.build());
 * ```
 *
 * @module
 */

import { BtfKind } from './kinds.ts';

/** Header fields a test may override to damage the header. */
export interface HeaderOverrides {
  magic?: number;
  version?: number;
  flags?: number;
  hdrLen?: number;
  typeOff?: number;
  typeLen?: number;
  strOff?: number;
  strLen?: number;
}

/** One per-section block of a BTF.ext subsection: raw records as lists of u32 words. */
export interface ExtBlock {
  section: string;
  records: number[][];
  /** Overrides the record count written in the block header. */
  count?: number;
  /** Overrides the section name offset (to point it outside the string table). */
  sectionNameOff?: number;
}

/** One BTF.ext subsection. */
export interface ExtSubsection {
  recSize: number;
  blocks: ExtBlock[];
}

/** A whole BTF.ext blob. Offsets and lengths are computed unless given. */
export interface ExtSpec {
  funcInfo?: ExtSubsection;
  lineInfo?: ExtSubsection;
  coreRelo?: ExtSubsection;
  /** 24 leaves out the CO-RE fields; 32 (the default) has them. */
  hdrLen?: number;
  magic?: number;
  version?: number;
  flags?: number;
  /** Overrides of the computed header fields. */
  lineInfoLen?: number;
  funcInfoOff?: number;
}

/** Collects strings and type records, then lays them out as a `.BTF` section. */
export class BtfBuilder {
  private readonly strBytes: number[] = [0];
  private readonly strOffsets = new Map<string, number>();
  private readonly words: number[] = [];
  private nextId = 1;

  /** The string-table offset of `s`, adding it if new (`''` is offset 0). */
  str(s: string): number {
    if (s === '') return 0;
    const known = this.strOffsets.get(s);
    if (known !== undefined) return known;
    const off = this.strBytes.length;
    for (const b of new TextEncoder().encode(s)) this.strBytes.push(b);
    this.strBytes.push(0);
    this.strOffsets.set(s, off);
    return off;
  }

  /** Appends raw words to the type section (for damaged records); returns the id the next record would get. */
  raw(...words: number[]): number {
    this.words.push(...words);
    return this.nextId++;
  }

  /** Appends one record: common part plus extra words. Returns its id. */
  type(kind: number, name: string | number, vlen: number, sizeOrType: number, kindFlag = false, extra: number[] = []): number {
    const nameOff = typeof name === 'number' ? name : this.str(name);
    const info = ((kindFlag ? 1 : 0) << 31) | (kind << 24) | (vlen & 0xffff);
    this.words.push(nameOff, info >>> 0, sizeOrType >>> 0, ...extra.map((w) => w >>> 0));
    return this.nextId++;
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.type(BtfKind.INT, name, 0, size, false, [(encoding << 24) | (offset << 16) | bits]);
  }
  ptr(type: number): number {
    return this.type(BtfKind.PTR, '', 0, type);
  }
  array(type: number, indexType: number, nelems: number): number {
    return this.type(BtfKind.ARRAY, '', 0, 0, false, [type, indexType, nelems]);
  }
  struct(name: string, size: number, members: { name: string; type: number; bitOffset: number; bitfieldSize?: number }[], kindFlag = false, kind: number = BtfKind.STRUCT): number {
    const extra: number[] = [];
    for (const m of members) {
      extra.push(this.str(m.name), m.type, kindFlag ? ((m.bitfieldSize ?? 0) << 24) | m.bitOffset : m.bitOffset);
    }
    return this.type(kind, name, members.length, size, kindFlag, extra);
  }
  union(name: string, size: number, members: { name: string; type: number; bitOffset: number; bitfieldSize?: number }[], kindFlag = false): number {
    return this.struct(name, size, members, kindFlag, BtfKind.UNION);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) extra.push(this.str(n), v);
    return this.type(BtfKind.ENUM, name, values.length, size, signed, extra);
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      extra.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.type(BtfKind.ENUM64, name, values.length, size, signed, extra);
  }
  fwd(name: string, union = false): number {
    return this.type(BtfKind.FWD, name, 0, 0, union);
  }
  typedef(name: string, type: number): number {
    return this.type(BtfKind.TYPEDEF, name, 0, type);
  }
  volatile(type: number): number {
    return this.type(BtfKind.VOLATILE, '', 0, type);
  }
  const(type: number): number {
    return this.type(BtfKind.CONST, '', 0, type);
  }
  restrict(type: number): number {
    return this.type(BtfKind.RESTRICT, '', 0, type);
  }
  func(name: string, proto: number, linkage = 1): number {
    return this.type(BtfKind.FUNC, name, linkage, proto);
  }
  funcProto(ret: number, params: { name: string; type: number }[], variadic = false): number {
    const extra: number[] = [];
    for (const p of params) extra.push(this.str(p.name), p.type);
    if (variadic) extra.push(0, 0);
    return this.type(BtfKind.FUNC_PROTO, '', params.length + (variadic ? 1 : 0), ret, false, extra);
  }
  var(name: string, type: number, linkage = 1): number {
    return this.type(BtfKind.VAR, name, 0, type, false, [linkage]);
  }
  datasec(name: string, size: number, vars: { type: number; offset: number; size: number }[]): number {
    const extra: number[] = [];
    for (const v of vars) extra.push(v.type, v.offset, v.size);
    return this.type(BtfKind.DATASEC, name, vars.length, size, false, extra);
  }
  float(name: string, size: number): number {
    return this.type(BtfKind.FLOAT, name, 0, size);
  }
  declTag(name: string, type: number, componentIdx: number): number {
    return this.type(BtfKind.DECL_TAG, name, 0, type, false, [componentIdx]);
  }
  typeTag(name: string, type: number): number {
    return this.type(BtfKind.TYPE_TAG, name, 0, type);
  }

  /** The `.BTF` bytes: a 24-byte header, the type section, then the strings, with any header fields overridden. */
  build(overrides: HeaderOverrides = {}): Uint8Array {
    const typeLen = this.words.length * 4;
    const strLen = this.strBytes.length;
    const hdrLen = 24;
    const out = new Uint8Array(hdrLen + typeLen + strLen);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, overrides.magic ?? 0xeb9f, true);
    dv.setUint8(2, overrides.version ?? 1);
    dv.setUint8(3, overrides.flags ?? 0);
    dv.setUint32(4, overrides.hdrLen ?? hdrLen, true);
    dv.setUint32(8, overrides.typeOff ?? 0, true);
    dv.setUint32(12, overrides.typeLen ?? typeLen, true);
    dv.setUint32(16, overrides.strOff ?? typeLen, true);
    dv.setUint32(20, overrides.strLen ?? strLen, true);
    this.words.forEach((w, i) => dv.setUint32(hdrLen + i * 4, w, true));
    out.set(this.strBytes, hdrLen + typeLen);
    return out;
  }

  /**
   * The `.BTF.ext` bytes for `spec`, adding section names to this builder's strings (so call it before `build`).
   * Record words that are strings must be passed as offsets from `str()`.
   */
  buildExt(spec: ExtSpec): Uint8Array {
    const sub = (s: ExtSubsection | undefined): number[] => {
      if (s === undefined) return [];
      const words = [s.recSize];
      for (const b of s.blocks) {
        words.push(b.sectionNameOff ?? this.str(b.section), b.count ?? b.records.length);
        for (const r of b.records) words.push(...r);
      }
      return words;
    };
    const f = sub(spec.funcInfo);
    const l = sub(spec.lineInfo);
    const c = sub(spec.coreRelo);
    const hdrLen = spec.hdrLen ?? 32;
    const body = [...f, ...l, ...c];
    // Room for the fixed fields even when a test declares a header too short to hold them.
    const room = Math.max(hdrLen, 24);
    const out = new Uint8Array(room + body.length * 4);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, spec.magic ?? 0xeb9f, true);
    dv.setUint8(2, spec.version ?? 1);
    dv.setUint8(3, spec.flags ?? 0);
    dv.setUint32(4, hdrLen, true);
    dv.setUint32(8, spec.funcInfoOff ?? 0, true);
    dv.setUint32(12, f.length * 4, true);
    dv.setUint32(16, f.length * 4, true);
    dv.setUint32(20, spec.lineInfoLen ?? l.length * 4, true);
    if (hdrLen >= 32) {
      dv.setUint32(24, (f.length + l.length) * 4, true);
      dv.setUint32(28, c.length * 4, true);
    }
    body.forEach((w, i) => dv.setUint32(room + i * 4, w >>> 0, true));
    return out;
  }
}

/**
 * A minimal WebAssembly binary encoder: LEB128 numbers, a byte buffer for function bodies, and a module writer
 * for the sections the JIT needs (type, import, function, global, export, code). Only what the JIT emits is here; the
 * opcodes are the MVP's plus sign extension and the reference-types instructions for a second function table
 * (`table.get`, `table.size`, `ref.is_null`; every engine since 2021 has them).
 *
 * Author: Claude.
 *
 * @module
 */

/** Value types of the module's signatures and locals. */
export const ValType = { i32: 0x7f, i64: 0x7e } as const;
/** One of the {@link ValType} values. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Block types: a block yielding nothing, or one value. */
export const BlockType = { empty: 0x40, i32: 0x7f, i64: 0x7e } as const;

/** `table.size` is `0xfc` followed by this sub-opcode (u32 LEB128), then the table index. */
export const TABLE_SIZE_SUBOP = 16;

/** Opcodes the JIT emits, named as in the WebAssembly text format (dots become underscores). */
export const Op = {
  unreachable: 0x00, nop_: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, br_table: 0x0e,
  return: 0x0f, call: 0x10, call_indirect: 0x11, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_s: 0x2c, i32_load8_u: 0x2d, i32_load16_s: 0x2e, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  memory_size: 0x3f, i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89,
  table_get: 0x25, ref_is_null: 0xd1, prefix_fc: 0xfc,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with the encodings the binary format uses. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  /** Bytes written so far. */
  length = 0;

  /** Appends one byte. */
  byte(b: number): this {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  /** Appends bytes. */
  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i] as number);
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 LEB128 of ${n}`);
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n !== 0) b |= 0x80;
      this.byte(b);
    } while (n !== 0);
    return this;
  }

  /** Signed LEB128 of any 64-bit value (BigInt, taken modulo 2^64 as signed). */
  s64(v: bigint): this {
    let n = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(n & 0x7fn);
      n >>= 7n;
      if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of a 32-bit integer (taken as signed). */
  s32(v: number): this {
    return this.s64(BigInt(v | 0));
  }

  /** A name: its UTF-8 length, then its bytes. */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** The bytes written, as a copy. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A function signature. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** A function the module defines: its type index, its locals beyond the parameters, its body (without `end`). */
export interface FuncDef {
  readonly type: number;
  readonly locals: readonly ValType[];
  readonly body: Uint8Array;
}

/**
 * An import: a function of type `type`, a memory of at least `minPages` pages (and, with `maxPages`, declared to
 * grow to at most that many: instantiation refuses a memory that may grow further), or a funcref table.
 */
export type ImportDef =
  | { readonly module: string; readonly name: string; readonly kind: 'func'; readonly type: number }
  | { readonly module: string; readonly name: string; readonly kind: 'memory'; readonly minPages: number; readonly maxPages?: number }
  | { readonly module: string; readonly name: string; readonly kind: 'table'; readonly minElements: number };

/** A global the module defines: a mutable i32 or i64 starting at zero. */
export interface GlobalDef {
  readonly type: ValType;
}

/** What a module holds. Imported functions come first in the function index space, as the format wants. */
export interface ModuleDef {
  readonly types: readonly FuncType[];
  readonly imports: readonly ImportDef[];
  readonly functions: readonly FuncDef[];
  /** Globals (none by default). */
  readonly globals?: readonly GlobalDef[];
  /** Exported functions by name: index in the function index space (imports first). */
  readonly exports: readonly { readonly name: string; readonly func: number }[];
}

function section(out: ByteWriter, id: number, content: ByteWriter): void {
  out.byte(id).u32(content.length).bytes(content.finish());
}

/** Encodes a module into the binary format. */
export function encodeModule(def: ModuleDef): Uint8Array {
  const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const types = new ByteWriter().u32(def.types.length);
  for (const t of def.types) types.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  section(out, 1, types);
  if (def.imports.length > 0) {
    const imports = new ByteWriter().u32(def.imports.length);
    for (const imp of def.imports) {
      imports.name(imp.module).name(imp.name);
      if (imp.kind === 'func') imports.byte(0x00).u32(imp.type);
      else if (imp.kind === 'table') imports.byte(0x01).byte(0x70).byte(0x00).u32(imp.minElements); // funcref, no maximum
      else if (imp.maxPages === undefined) imports.byte(0x02).byte(0x00).u32(imp.minPages);
      else imports.byte(0x02).byte(0x01).u32(imp.minPages).u32(imp.maxPages);
    }
    section(out, 2, imports);
  }
  const funcs = new ByteWriter().u32(def.functions.length);
  for (const f of def.functions) funcs.u32(f.type);
  section(out, 3, funcs);
  if (def.globals !== undefined && def.globals.length > 0) {
    const globals = new ByteWriter().u32(def.globals.length);
    for (const g of def.globals) {
      globals.byte(g.type).byte(0x01); // mutable
      globals.byte(g.type === ValType.i64 ? Op.i64_const : Op.i32_const).byte(0).byte(Op.end);
    }
    section(out, 6, globals);
  }
  const exports = new ByteWriter().u32(def.exports.length);
  for (const e of def.exports) exports.name(e.name).byte(0x00).u32(e.func);
  section(out, 7, exports);
  const code = new ByteWriter().u32(def.functions.length);
  for (const f of def.functions) {
    const body = new ByteWriter();
    // Locals as runs of one type.
    const runs: { n: number; t: ValType }[] = [];
    for (const t of f.locals) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last.t === t) last.n++;
      else runs.push({ n: 1, t });
    }
    body.u32(runs.length);
    for (const r of runs) body.u32(r.n).byte(r.t);
    body.bytes(f.body).byte(Op.end);
    code.u32(body.length).bytes(body.finish());
  }
  section(out, 10, code);
  return out.finish();
}

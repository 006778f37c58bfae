/**
 * A parsed `.BTF` section and the questions callers ask of it: a type by id or by name, what a typedef chain stands
 * for, how big a type is, which variables a data section holds.
 *
 * Author: Claude.
 *
 * @module
 */

import { BtfError, type Location } from '../internal/errors.ts';
import type { BtfStringTable } from './string-table.ts';
import type { BtfDatasec, BtfFunc, BtfHeader, BtfType, BtfVar } from './types.ts';

/**
 * How many steps `sizeOf` and `resolve` follow before deciding the chain is broken. libbpf stops at 32 too; real
 * types (typedef of const of array of typedef ...) stay far below.
 */
const MAX_RESOLVE_DEPTH = 32;

/** Size of a pointer: BTF here always describes 64-bit eBPF. */
const POINTER_SIZE = 8;

/** Sizes past this do not fit the 32-bit size fields of BTF, so the type that claims them is broken. */
const MAX_TYPE_SIZE = 0xffffffff;

/**
 * Parsed BTF: the header, the type table (index = type id, index 0 = void) and the string table. Built by
 * `parseBtf`, which has already checked every type id and string offset the types use.
 *
 * @example
 * ```ts
 * const btf = parseBtf(elf.section('.BTF')!.data, { file: 'prog.o' });
 * const md = btf.typesByName('xdp_md')[0];
 * btf.sizeOf(md.id); // 24
 * ```
 */
export class Btf {
  /** The header as stored. */
  readonly header: BtfHeader;
  /** Every type, indexed by type id; `types[0]` is void. */
  readonly types: readonly BtfType[];
  /** The string table; BTF.ext records name their sections, files and source lines through it. */
  readonly strings: BtfStringTable;
  /** The file name given to the parser, for messages. */
  readonly file: string | undefined;
  private byName: Map<string, BtfType[]> | undefined;

  /** Use `parseBtf`; this constructor trusts that its arguments were validated. */
  constructor(header: BtfHeader, types: readonly BtfType[], strings: BtfStringTable, file?: string) {
    this.header = header;
    this.types = types;
    this.strings = strings;
    this.file = file;
  }

  /** Number of type ids, counting void: valid ids are `0 .. typeCount - 1`. */
  get typeCount(): number {
    return this.types.length;
  }

  /** The location prefix of this BTF's errors. */
  private where(): Location {
    return this.file === undefined ? { section: '.BTF' } : { file: this.file, section: '.BTF' };
  }

  /** The type with id `id`; a BtfError when there is none (so a dangling id from elsewhere is reported, not hidden). */
  typeById(id: number): BtfType {
    const t = Number.isInteger(id) && id >= 0 ? this.types[id] : undefined;
    if (t === undefined) throw new BtfError(`type id ${id} does not exist (the last type is ${this.types.length - 1})`, this.where());
    return t;
  }

  /**
   * The types named `name`, in id order (several types may share a name: a struct and a typedef of it, or a FWD
   * and the STRUCT it declares). Empty when none is. The index is built on first use.
   */
  typesByName(name: string): readonly BtfType[] {
    let index = this.byName;
    if (index === undefined) {
      index = new Map();
      for (const t of this.types) {
        if (t.name === '') continue;
        const list = index.get(t.name);
        if (list === undefined) index.set(t.name, [t]);
        else list.push(t);
      }
      this.byName = index;
    }
    return index.get(name) ?? [];
  }

  /** The DATASEC named `name` (`.data`, `.bss`, `.maps`, `license`, ...), if any. */
  datasecByName(name: string): BtfDatasec | undefined {
    for (const t of this.typesByName(name)) if (t.kind === 'DATASEC') return t;
    return undefined;
  }

  /** The VAR named `name`, if any. */
  varByName(name: string): BtfVar | undefined {
    for (const t of this.typesByName(name)) if (t.kind === 'VAR') return t;
    return undefined;
  }

  /** The FUNC named `name`, if any. */
  funcByName(name: string): BtfFunc | undefined {
    for (const t of this.typesByName(name)) if (t.kind === 'FUNC') return t;
    return undefined;
  }

  /** A short description of a type for messages: `type 12 (STRUCT 'foo')`. */
  describe(id: number): string {
    const t = this.types[id];
    if (t === undefined) return `type ${id}`;
    return describeType(t);
  }

  /**
   * The type `id` stands for once typedefs, const, volatile, restrict and type tags are skipped: the struct
   * behind `typedef const struct foo bar`. A chain that loops or is deeper than any real one is a BtfError.
   */
  resolve(id: number): BtfType {
    let t = this.typeById(id);
    for (let steps = 0; ; steps++) {
      switch (t.kind) {
        case 'TYPEDEF':
        case 'CONST':
        case 'VOLATILE':
        case 'RESTRICT':
        case 'TYPE_TAG':
          break;
        default:
          return t;
      }
      if (steps >= MAX_RESOLVE_DEPTH) {
        throw new BtfError(`${this.describe(id)} does not resolve: its typedef/qualifier chain loops or is deeper than ${MAX_RESOLVE_DEPTH}`, this.where());
      }
      t = this.typeById(t.type);
    }
  }

  /**
   * The size in bytes of a value of type `id`, as C's `sizeof` would give it. Types without a size (void,
   * functions, prototypes, forward declarations, tags) are a BtfError, and so are chains that loop or nest deeper
   * than 32 levels and sizes past 2^32 - 1.
   */
  sizeOf(id: number): number {
    let t = this.typeById(id);
    let multiplier = 1;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      let size: number | undefined;
      switch (t.kind) {
        case 'INT':
        case 'STRUCT':
        case 'UNION':
        case 'ENUM':
        case 'ENUM64':
        case 'FLOAT':
        case 'DATASEC':
          size = t.size;
          break;
        case 'PTR':
          size = POINTER_SIZE;
          break;
        case 'TYPEDEF':
        case 'CONST':
        case 'VOLATILE':
        case 'RESTRICT':
        case 'TYPE_TAG':
        case 'VAR':
          t = this.typeById(t.type);
          continue;
        case 'ARRAY':
          multiplier *= t.nelems;
          if (multiplier > MAX_TYPE_SIZE) break;
          t = this.typeById(t.type);
          continue;
        default:
          throw new BtfError(`${this.describe(id)} has no size: it ends at ${describeType(t)}`, this.where());
      }
      if (size === undefined || multiplier * size > MAX_TYPE_SIZE) {
        throw new BtfError(`${this.describe(id)} is larger than 2^32 - 1 bytes`, this.where());
      }
      return multiplier * size;
    }
    throw new BtfError(`${this.describe(id)} has no size: its type chain loops or is deeper than ${MAX_RESOLVE_DEPTH}`, this.where());
  }
}

/** `type 12 (STRUCT 'foo')`, or `type 3 (anonymous PTR)`; used in every message about a type. */
export function describeType(t: BtfType): string {
  if (t.kind === 'VOID') return `type 0 (void)`;
  return t.name === '' ? `type ${t.id} (anonymous ${t.kind})` : `type ${t.id} (${t.kind} '${t.name}')`;
}

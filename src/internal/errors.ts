/**
 * The error types every layer throws on bad input.
 *
 * A parse error names where it happened (file, section, byte offset, instruction) so that a person can find the
 * fault with a hex editor or `llvm-objdump`, and carries the same facts as typed fields for programs. The message
 * reads like a compiler's: `prog.o: section 'xdp' at offset 0x40: relocation 2 names symbol 99, past the symbol
 * table (12 symbols)`.
 *
 * Author: Claude.
 *
 * @module
 */

/** Where in an input a problem lies. Every field is optional; the more that are known, the better the message. */
export interface Location {
  /** The file name as the user gave it. */
  readonly file?: string;
  /** The section name (or `#index` when the name itself could not be read). */
  readonly section?: string;
  /** A byte offset, in the file when no section is named, else inside the section. */
  readonly offset?: number;
  /** An instruction index inside a program or section. */
  readonly insn?: number;
  /** A line number (1-based) in a text input. */
  readonly line?: number;
  /** A column number (1-based) in a text input. */
  readonly column?: number;
}

/** Renders a location as the prefix of a message: `prog.o: section 'xdp' at offset 0x40: `. */
export function formatLocation(where: Location): string {
  const parts: string[] = [];
  if (where.file !== undefined) {
    let f = where.file;
    if (where.line !== undefined) f += `:${where.line}` + (where.column !== undefined ? `:${where.column}` : '');
    parts.push(f);
  } else if (where.line !== undefined) {
    parts.push(`line ${where.line}` + (where.column !== undefined ? `:${where.column}` : ''));
  }
  const inner: string[] = [];
  if (where.section !== undefined) inner.push(`section '${where.section}'`);
  if (where.insn !== undefined) inner.push(`instruction ${where.insn}`);
  if (where.offset !== undefined) inner.push(`at offset 0x${where.offset.toString(16)}`);
  if (inner.length > 0) parts.push(inner.join(' '));
  return parts.length > 0 ? parts.join(': ') + ': ' : '';
}

/**
 * The base of the errors callers are expected to catch: input that is not what it should be. `code` is stable
 * and machine-readable; `where` holds the location; `detail` is the message without the location prefix.
 */
export class BpfshipError extends Error {
  readonly code: string;
  readonly where: Location;
  readonly detail: string;

  constructor(code: string, detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super(formatLocation(where) + detail, options);
    this.name = 'BpfshipError';
    this.code = code;
    this.where = where;
    this.detail = detail;
  }

  /** The same error with more of its location filled in (fields already known win). */
  withLocation(outer: Location): this {
    const merged: Location = { ...outer, ...this.where };
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this, { where: merged, message: formatLocation(merged) + this.detail, stack: this.stack });
    return copy;
  }
}

/** A malformed ELF object: bad header, out-of-range offsets, broken symbol or relocation tables. */
export class ElfError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('ELF_MALFORMED', detail, where, options);
    this.name = 'ElfError';
  }
}

/** Malformed BTF or BTF.ext data. */
export class BtfError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('BTF_MALFORMED', detail, where, options);
    this.name = 'BtfError';
  }
}

/** An instruction stream that cannot be decoded (bad opcode, truncated lddw, reserved fields set). */
export class InstructionError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('INSN_INVALID', detail, where, options);
    this.name = 'InstructionError';
  }
}

/** Assembly text that cannot be parsed or encoded; `where.line` and `where.column` point at it. */
export class AsmSyntaxError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('ASM_SYNTAX', detail, where, options);
    this.name = 'AsmSyntaxError';
  }
}

/** An object whose parts parse but do not fit together as an eBPF object (bad map definition, dangling call). */
export class SpecError extends BpfshipError {
  constructor(detail: string, where: Location = {}, options?: { cause?: unknown }) {
    super('SPEC_INVALID', detail, where, options);
    this.name = 'SpecError';
  }
}

/** Adds location facts to a BpfshipError passing through; other errors pass unchanged. */
export function withLocation<T>(where: Location, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfshipError) throw e.withLocation(where);
    throw e;
  }
}

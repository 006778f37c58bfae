/**
 * Pieces of C syntax bpf2c writes: identifiers made from eBPF symbol names, integer literals that mean exactly the
 * 64-bit or 32-bit value intended, and string and byte-array literals.
 *
 * Author: Claude.
 *
 * @module
 */

// Names a generated function must not take: C keywords, the types and macros of <stdint.h>/<stddef.h>, builtins
// GCC knows by name, and the prefixes the header and the generated tables use.
const RESERVED = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float',
  'for', 'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof',
  'static', 'struct', 'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', 'bool', 'true', 'false',
  'asm', 'typeof', 'alignas', 'alignof', 'static_assert', 'thread_local', 'nullptr', 'constexpr',
  'int8_t', 'int16_t', 'int32_t', 'int64_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'intptr_t', 'uintptr_t',
  'size_t', 'ptrdiff_t', 'wchar_t', 'max_align_t', 'offsetof', 'NULL', 'main', 'stack',
  'memcpy', 'memmove', 'memset', 'memcmp', 'strlen', 'strcmp', 'strncmp', 'strcpy', 'abort', 'exit', 'malloc',
  'free', 'calloc', 'realloc', 'printf', 'puts', 'abs', 'labs', 'ffs', 'bcmp', 'bzero', 'index', 'rindex',
  'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'run_ctx',
]);

/**
 * A C identifier for an eBPF symbol name: the name itself when it is one (so gdb and perf show the program's own
 * names), else with every other character replaced by `_`; reserved names get a `_bpf` suffix, and `taken` names
 * a numeric suffix. The result is added to `taken`.
 */
export function cIdentifier(name: string, taken: Set<string>): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (id === '' || /^[0-9]/.test(id)) id = `f_${id}`;
  if (RESERVED.has(id) || id.startsWith('bs_') || id.startsWith('bpfship_') || id.startsWith('BS_') || id.startsWith('__') || /^_[A-Z]/.test(id)) id += '_bpf';
  let unique = id;
  for (let n = 2; taken.has(unique); n++) unique = `${id}_${n}`;
  taken.add(unique);
  return unique;
}

/** A literal of type uint64_t for the 64-bit value `v` (any bigint; taken modulo 2^64). */
export function u64(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  const s = BigInt.asIntN(64, v);
  if (s >= 0n && s < 0x10000n) return `${s}`;
  if (s < 0n && s >= -0x10000n) return `(uint64_t)${s}`;
  return `0x${u.toString(16)}ull`;
}

/** A literal of type uint64_t for the sign-extended 32-bit immediate `imm`. */
export function u64FromImm(imm: number): string {
  return u64(BigInt(imm | 0));
}

/** A literal of type uint32_t (unsigned int) for the low 32 bits of `imm`. */
export function u32(imm: number): string {
  const u = imm >>> 0;
  return u < 0x10000 ? `${u}u` : `0x${u.toString(16)}u`;
}

/** A literal of type int32_t for `imm` (INT32_MIN written so that it stays an int). */
export function s32(imm: number): string {
  const v = imm | 0;
  return v === -0x80000000 ? '(-2147483647 - 1)' : `${v}`;
}

/** A literal of type int64_t for `v`. */
export function s64(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  if (s === -0x8000000000000000n) return '(-9223372036854775807ll - 1)';
  return `${s}ll`;
}

/** `base + off` for an address in a register plus a signed displacement. */
export function address(base: string, off: number): string {
  if (off === 0) return base;
  return off > 0 ? `${base} + ${off}` : `${base} - ${-off}`;
}

/** A C string literal holding `text` (printable ASCII kept, everything else escaped in octal). */
export function cString(text: string): string {
  // The same few source file names come back in every #line directive: quote each once.
  let quoted = quotedStrings.get(text);
  if (quoted === undefined) {
    quoted = quote(text);
    if (quotedStrings.size >= 4096) quotedStrings.clear();
    quotedStrings.set(text, quoted);
  }
  return quoted;
}

const quotedStrings = new Map<string, string>();
const utf8 = new TextEncoder();

function quote(text: string): string {
  let out = '"';
  for (const b of utf8.encode(text)) {
    if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f && b !== 0x3f) out += String.fromCharCode(b); // '?' avoids trigraphs
    else out += '\\' + b.toString(8).padStart(3, '0');
  }
  return out + '"';
}

/** The bytes as the body of a C array initializer, 16 per line, each line indented by `indent`. */
export function byteArray(bytes: Uint8Array, indent: string): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = Array.from(bytes.subarray(i, i + 16), (b) => `0x${b.toString(16).padStart(2, '0')}`);
    lines.push(indent + chunk.join(', ') + ',');
  }
  return lines.join('\n');
}

/** Text safe inside a C block comment. */
export function commentText(text: string): string {
  return text.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' ');
}

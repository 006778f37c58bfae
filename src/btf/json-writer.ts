/**
 * A JSON serialiser that lays out text the way bpftool's `json_writer` does (compact, or with `-p` four-space
 * indentation and `},{` between array elements), so our `--json` output can be compared with bpftool's byte for
 * byte. Unlike `JSON.stringify` it writes bigints as plain integers, which 64-bit enumerators need.
 *
 * Author: Claude.
 *
 * @module
 */

/**
 * A token written as it is, unquoted: what bpftool's `jsonw_printf` writes (`0x1f`, `"%p"`, `(unknown)`), which
 * is not always JSON.
 */
export class JsonRaw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** An object as a list of members, for objects whose member names repeat (anonymous struct members are all ''). */
export class JsonMembers {
  readonly members: readonly (readonly [string, JsonValue])[];
  constructor(members: readonly (readonly [string, JsonValue])[]) {
    this.members = members;
  }
}

/** A value the writer can serialise: plain objects (in key insertion order), arrays, strings, numbers, bigints, raw tokens. */
export type JsonValue = string | number | bigint | boolean | null | JsonRaw | JsonMembers | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Escapes like JSON.stringify, except that it leaves non-ASCII characters as they are (bpftool writes raw bytes). */
function quote(s: string): string {
  // Names are almost always plain identifiers: skip the slow path when nothing needs escaping.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * Serialises `value` as bpftool's JSON writer would, followed by the newline bpftool prints when it closes its
 * writer.
 *
 * @example
 * ```ts
 * writeJson({ types: [] }) // '{"types":[]}\n'
 * ```
 */
export function writeJson(value: JsonValue, pretty = false): string {
  const out: string[] = [];
  let depth = 0;
  // The separator owed before the next element: '' right after an opening bracket or a property name.
  let sep = '';
  const eor = (): void => {
    if (sep !== '') out.push(sep);
    sep = ',';
  };
  const eol = (): void => {
    if (pretty) out.push('\n' + '    '.repeat(depth));
  };
  const begin = (c: string): void => {
    eor();
    out.push(c);
    depth++;
    sep = '';
  };
  const end = (c: string): void => {
    depth--;
    if (sep !== '') eol();
    out.push(c);
    sep = ',';
  };
  const write = (v: JsonValue): void => {
    if (v === null || typeof v !== 'object') {
      eor();
      out.push(typeof v === 'string' ? quote(v) : String(v));
    } else if (v instanceof JsonRaw) {
      eor();
      out.push(v.text);
    } else if (Array.isArray(v)) {
      begin('[');
      for (const e of v as readonly JsonValue[]) write(e);
      end(']');
    } else {
      begin('{');
      for (const [k, e] of v instanceof JsonMembers ? v.members : Object.entries(v as { readonly [key: string]: JsonValue })) {
        eor();
        eol();
        sep = '';
        out.push(quote(k), pretty ? ': ' : ':');
        write(e);
      }
      end('}');
    }
  };
  write(value);
  return out.join('') + '\n';
}

/**
 * JSON output for `--json`: bigints as decimal strings (JSON numbers lose precision past 2^53), byte arrays as
 * hex strings.
 *
 * Author: Claude.
 *
 * @module
 */

/** `JSON.stringify` with bigints and Uint8Arrays made printable, indented by 2. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
      return v;
    },
    2,
  );
}

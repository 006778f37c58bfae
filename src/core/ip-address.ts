/**
 * IP addresses as the core's structs hold them: 16 bytes in network order, an IPv4 address in the first 4 (the
 * layout of the FIB's and the tunnel metadata's address fields).
 *
 * Author: Claude.
 *
 * @module
 */

/** Address families as the core's structs number them (Linux's AF_INET, AF_INET6). */
export const AF_INET = 2;
export const AF_INET6 = 10;

/** An IPv4 or IPv6 address in network order (16 bytes, IPv4 in the first 4). */
export function parseAddress(text: string, what: string): { family: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(16);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) throw new RangeError(`${what}: '${text}' is not an IPv4 address`);
    bytes.set(parts, 0);
    return { family: AF_INET, bytes };
  }
  const halves = text.split('::');
  if (halves.length > 2 || !/^[0-9a-fA-F:]+$/.test(text)) throw new RangeError(`${what}: '${text}' is not an IPv4 or IPv6 address`);
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`${what}: '${text}' is not an IPv6 address`);
    return parseInt(g, 16);
  }));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) throw new RangeError(`${what}: '${text}' is not an IPv6 address`);
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return { family: AF_INET6, bytes };
}

/** An address in its usual text: dotted IPv4 (the first 4 bytes), or IPv6 groups with the longest zero run as `::`. */
export function formatAddress(bytes: Uint8Array, ipv6: boolean): string {
  if (!ipv6) return Array.from(bytes.subarray(0, 4)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number)).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

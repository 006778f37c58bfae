/**
 * The benchmark and differential-test input of the XDP programs (see ../shared/programs/README.md): a fixed,
 * seeded mix of Ethernet frames, 64 to 1500 bytes, mostly IPv4 TCP and UDP to a spread of ports, some other
 * protocols and EtherTypes, and some malformed (truncated headers, bad IHL). The same seed gives the same frames
 * everywhere.
 *
 * Author: Claude.
 *
 * @module
 */

/** A small, fast, seedable generator (xorshift32); not for anything but test input. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Frames for the XDP programs. `count` frames from `seed`. */
export function testFrames(count: number, seed = 1): Uint8Array[] {
  const next = xorshift(seed);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const kind = next() % 20;
    const length = 64 + (next() % (1500 - 64 + 1));
    const f = new Uint8Array(length);
    for (let j = 0; j < length; j++) f[j] = next() & 0xff;
    // Ethernet: IPv4 unless the frame is one of the "other EtherType" ones.
    f[12] = 0x08;
    f[13] = kind === 0 ? 0x06 : 0x00; // ARP for 1 in 20
    // IPv4 header: version 4, IHL 5 (or a bad IHL for 1 in 20), protocol TCP/UDP/ICMP.
    f[14] = kind === 1 ? 0x43 : 0x45;
    f[23] = kind === 2 ? 1 : kind % 2 === 0 ? 6 : 17;
    // Destination port: a few well-known ones often, else anything.
    const ports = [22, 53, 80, 443, 8080, 6379];
    const port = next() % 3 === 0 ? (ports[next() % ports.length] as number) : next() & 0xffff;
    f[14 + 20 + 2] = port >> 8;
    f[14 + 20 + 3] = port & 0xff;
    // Truncated frames: cut inside the Ethernet, IP or L4 header.
    if (kind === 3) frames.push(f.slice(0, 10));
    else if (kind === 4) frames.push(f.slice(0, 30));
    else if (kind === 5) frames.push(f.slice(0, 14 + 20 + 3));
    else frames.push(f);
  }
  return frames;
}

/** The input of `primes`: a 4-byte little-endian limit, padded to a minimal frame. */
export function primesInput(limit = 1000): Uint8Array {
  const f = new Uint8Array(64);
  new DataView(f.buffer).setUint32(0, limit, true);
  return f;
}

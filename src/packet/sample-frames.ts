/**
 * A fixed, seeded mix of Ethernet frames, the input every performance figure of the XDP benchmark programs is
 * measured on (`../shared/programs/README.md`): IPv4 TCP and UDP frames of 64 to 1500 bytes to a handful of ports,
 * some ICMP and IPv6 (neither TCP nor UDP), and some malformed ones (an IHL below 5, an IP header longer than the
 * frame). The same seed gives the same frames on every machine.
 *
 * Author: Claude.
 *
 * @module
 */

/** What a sample frame is, for tests that check a program's verdicts. */
export type SampleFrameKind = 'tcp' | 'udp' | 'icmp' | 'ipv6' | 'bad-ihl' | 'truncated';

/** One sample frame. */
export interface SampleFrame {
  readonly kind: SampleFrameKind;
  readonly bytes: Uint8Array;
  /** Destination port for TCP and UDP frames, else 0. */
  readonly dport: number;
}

/** The ports sample TCP and UDP frames go to (plus random ones). */
export const SAMPLE_PORTS: readonly number[] = [22, 53, 80, 443, 8080];

/** mulberry32: a tiny PRNG, good enough for test data, identical everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` frames from `seed` (default 1).
 *
 * @example
 * ```ts
 * for (const f of sampleFrames(1000)) prog.run({ data: f.bytes });
 * ```
 */
export function sampleFrames(count: number, seed = 1): SampleFrame[] {
  const rnd = prng(seed);
  const frames: SampleFrame[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rnd();
    const kind: SampleFrameKind = roll < 0.45 ? 'tcp' : roll < 0.8 ? 'udp' : roll < 0.88 ? 'icmp' : roll < 0.93 ? 'ipv6' : roll < 0.965 ? 'bad-ihl' : 'truncated';
    const len = 64 + Math.floor(rnd() * (1500 - 64 + 1));
    const f = new Uint8Array(len);
    const dv = new DataView(f.buffer);
    for (let b = 0; b < 6; b++) f[b] = 0x02 + b; // a locally administered unicast address
    for (let b = 6; b < 12; b++) f[b] = Math.floor(rnd() * 256) & 0xfe;
    for (let b = 54; b < len; b++) f[b] = Math.floor(rnd() * 256);
    let dport = 0;
    if (kind === 'ipv6') {
      dv.setUint16(12, 0x86dd);
      f[14] = 0x60;
      dv.setUint16(18, len - 54);
      f[20] = 17;
      f[21] = 64;
    } else {
      dv.setUint16(12, 0x0800);
      const ihl = kind === 'bad-ihl' ? Math.floor(rnd() * 5) : kind === 'truncated' ? 15 : 5;
      f[14] = 0x40 | ihl;
      dv.setUint16(16, len - 14);
      dv.setUint16(18, i & 0xffff);
      f[22] = 64;
      f[23] = kind === 'udp' ? 17 : kind === 'icmp' ? 1 : 6;
      dv.setUint32(26, 0x0a000000 | Math.floor(rnd() * 0xffffff));
      dv.setUint32(30, 0xc0a80000 | Math.floor(rnd() * 0xffff));
      if (kind === 'truncated') {
        // An IP header claiming 60 bytes, with the L4 header past the end of a minimum-size frame.
        const short = f.slice(0, 64);
        frames.push({ kind, bytes: short, dport: 0 });
        continue;
      }
      if (kind === 'tcp' || kind === 'udp') {
        dport = rnd() < 0.8 ? (SAMPLE_PORTS[Math.floor(rnd() * SAMPLE_PORTS.length)] as number) : 1024 + Math.floor(rnd() * 60000);
        dv.setUint16(34, 1024 + Math.floor(rnd() * 60000));
        dv.setUint16(36, dport);
        if (kind === 'udp') dv.setUint16(38, len - 34);
        else f[46] = 0x50; // data offset 5
      } else {
        f[34] = 8; // echo request
      }
    }
    frames.push({ kind, bytes: f, dport });
  }
  return frames;
}

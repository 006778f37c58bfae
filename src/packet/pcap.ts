/**
 * Packet capture files as `bpfship run --pcap` reads them: the classic libpcap format (tcpdump's, either byte order,
 * microsecond or nanosecond timestamps) and pcapng (Wireshark's: section header, interface description, enhanced and
 * simple packet blocks). Frames come out in file order with their link type; only the captured bytes are kept.
 *
 * Author: Claude.
 *
 * @module
 */

import { BpfshipError, type Location } from '../internal/errors.ts';

/** A malformed capture file. */
export class PcapError extends BpfshipError {
  constructor(detail: string, where: Location = {}) {
    super('PCAP_MALFORMED', detail, where);
    this.name = 'PcapError';
  }
}

/** Link types by number (tcpdump.org/linktypes.html), the ones worth naming in messages. */
export const LinkType = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

/** One captured frame. */
export interface PcapFrame {
  /** Index in the file, from 0. */
  readonly index: number;
  /** The link type of the interface it was captured on (1: Ethernet). */
  readonly linkType: number;
  /** Capture time in nanoseconds since the epoch (as a bigint: nanoseconds overflow 2^53). */
  readonly timestampNs: bigint;
  /** The bytes captured (may be shorter than the frame on the wire). */
  readonly data: Uint8Array;
  /** The length on the wire. */
  readonly originalLength: number;
}

/**
 * Reads every frame of a pcap or pcapng file.
 *
 * @example
 * ```ts
 * for (const f of readPcap(readFileSync('trace.pcap'), 'trace.pcap')) run(f.data);
 * ```
 * @throws {PcapError} for an unknown magic number or a truncated record, with its byte offset.
 */
export function readPcap(bytes: Uint8Array, file = 'capture'): PcapFrame[] {
  if (bytes.length < 4) throw new PcapError(`the file is ${bytes.length} bytes long, too short for a capture header`, { file });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic === 0x0a0d0d0a) return readPcapng(bytes, dv, file);
  return readClassic(bytes, dv, file);
}

function readClassic(bytes: Uint8Array, dv: DataView, file: string): PcapFrame[] {
  const magicLe = dv.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    nano = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = dv.getUint32(0, false);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) {
      throw new PcapError(`unknown magic number 0x${magicLe.toString(16).padStart(8, '0')}: expected a pcap (0xa1b2c3d4) or pcapng (0x0a0d0d0a) file`, { file, offset: 0 });
    }
    le = false;
    nano = magicBe === 0xa1b23c4d;
  }
  if (bytes.length < 24) throw new PcapError(`the pcap header needs 24 bytes, the file has ${bytes.length}`, { file, offset: 0 });
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const frames: PcapFrame[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) throw new PcapError(`record ${frames.length} is cut: its 16-byte header starts at offset ${off} of ${bytes.length}`, { file, offset: off });
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (off + 16 + incl > bytes.length) throw new PcapError(`record ${frames.length} claims ${incl} captured bytes, but only ${bytes.length - off - 16} remain`, { file, offset: off });
    frames.push({
      index: frames.length,
      linkType,
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n),
      data: bytes.slice(off + 16, off + 16 + incl),
      originalLength: orig,
    });
    off += 16 + incl;
  }
  return frames;
}

function readPcapng(bytes: Uint8Array, dv: DataView, file: string): PcapFrame[] {
  const frames: PcapFrame[] = [];
  let le = true;
  // Per section: link type and timestamp resolution (ns per tick) of each interface.
  let interfaces: { linkType: number; tickNs: bigint; tickDiv: bigint }[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) throw new PcapError(`a block at offset ${off} is cut (fewer than 12 bytes remain)`, { file, offset: off });
    const type = dv.getUint32(off, le);
    if (type === 0x0a0d0d0a) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new PcapError(`section header at offset ${off} has byte-order magic 0x${bom.toString(16)}, expected 0x1a2b3c4d`, { file, offset: off });
      interfaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > bytes.length) throw new PcapError(`block of type ${type} at offset ${off} has length ${len}, which is not a multiple of 4 within the file (${bytes.length - off} bytes remain)`, { file, offset: off });
    const body = off + 8;
    const bodyEnd = off + len - 4;
    if (type === 1) { // interface description
      if (bodyEnd - body < 8) throw new PcapError(`interface description at offset ${off} is too short`, { file, offset: off });
      const linkType = dv.getUint16(body, le);
      let tickNs = 1000n; // default resolution: microseconds
      let tickDiv = 1n;
      for (let o = body + 8; o + 4 <= bodyEnd;) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) { // if_tsresol
          const v = bytes[o + 4] as number;
          if ((v & 0x80) === 0) {
            const exp = v & 0x7f;
            if (exp <= 9) { tickNs = 10n ** BigInt(9 - exp); tickDiv = 1n; } else { tickNs = 1n; tickDiv = 10n ** BigInt(exp - 9); }
          } else {
            tickNs = 1_000_000_000n;
            tickDiv = 1n << BigInt(v & 0x7f);
          }
        }
        o += 4 + ((olen + 3) & ~3);
      }
      interfaces.push({ linkType, tickNs, tickDiv });
    } else if (type === 6) { // enhanced packet
      if (bodyEnd - body < 20) throw new PcapError(`enhanced packet block at offset ${off} is too short`, { file, offset: off });
      const ifIndex = dv.getUint32(body, le);
      const iface = interfaces[ifIndex];
      if (iface === undefined) throw new PcapError(`packet at offset ${off} names interface ${ifIndex}, but the section describes ${interfaces.length}`, { file, offset: off });
      const ticks = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const incl = dv.getUint32(body + 12, le);
      const orig = dv.getUint32(body + 16, le);
      if (body + 20 + incl > bodyEnd) throw new PcapError(`packet at offset ${off} claims ${incl} captured bytes, more than its block holds`, { file, offset: off });
      frames.push({ index: frames.length, linkType: iface.linkType, timestampNs: (ticks * iface.tickNs) / iface.tickDiv, data: bytes.slice(body + 20, body + 20 + incl), originalLength: orig });
    } else if (type === 3) { // simple packet
      const iface = interfaces[0];
      if (iface === undefined) throw new PcapError(`simple packet block at offset ${off} comes before any interface description`, { file, offset: off });
      const orig = dv.getUint32(body, le);
      const incl = Math.min(orig, bodyEnd - body - 4);
      frames.push({ index: frames.length, linkType: iface.linkType, timestampNs: 0n, data: bytes.slice(body + 4, body + 4 + incl), originalLength: orig });
    }
    off += len;
  }
  return frames;
}

/**
 * A classic pcap file (microsecond timestamps, Ethernet) holding `frames`: for tests and for saving frames a run
 * produced.
 */
export function writePcap(frames: readonly { data: Uint8Array; timestampNs?: bigint }[], linkType: number = LinkType.ETHERNET): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, linkType, true);
  let off = 24;
  for (const f of frames) {
    const ts = f.timestampNs ?? 0n;
    dv.setUint32(off, Number(ts / 1_000_000_000n), true);
    dv.setUint32(off + 4, Number((ts % 1_000_000_000n) / 1000n), true);
    dv.setUint32(off + 8, f.data.length, true);
    dv.setUint32(off + 12, f.data.length, true);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}

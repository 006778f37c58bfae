/**
 * Tunnel metadata of a test run: what a packet received from a tunnel device carries into `bpf_skb_get_tunnel_key`
 * (RunInput.tunnel), and what `bpf_skb_set_tunnel_key` left for transmission (RunResult.tunnel). The core keeps it
 * as `struct bpfship_tunnel_info` (56 bytes, bpfship_core.h), which holds the outer source and destination; this
 * module speaks of the remote and local ends, as the helpers' `struct bpf_tunnel_key` does: on a received packet
 * the remote end is the source, on one to transmit the destination.
 *
 * Author: Claude.
 *
 * @module
 */

import { RunInputError } from './errors.ts';
import { AF_INET6, formatAddress, parseAddress } from '../core/index.ts';


/** Tunnel metadata, as `struct bpf_tunnel_key` names it. */
export interface TunnelInfo {
  /** The tunnel id (VNI, GRE key); programs see its low 32 bits. */
  readonly id: bigint;
  /** The remote end's address (IPv4 or IPv6). */
  readonly remote: string;
  /** The local end's address, same family; default all zero. */
  readonly local?: string;
  readonly tos?: number;
  readonly ttl?: number;
  /** IPv6 flow label (20 bits). */
  readonly label?: number;
  /** BPFSHIP_TUNNEL_F_* bits (checksum, key, sequence number, don't fragment...). */
  readonly flags?: number;
}

/** Tunnel metadata after a run. */
export interface TunnelResult extends Required<Omit<TunnelInfo, 'local'>> {
  readonly local: string;
  /** True when a program set it for transmission (bpf_skb_set_tunnel_key). */
  readonly transmit: boolean;
}

/** BPFSHIP_SKB_F_TUNNEL: the run context's skb_flags bit that says tunnel metadata is attached. */
export const SKB_F_TUNNEL = 1 << 4;

/** Bytes of struct bpfship_tunnel_info. */
export const TUNNEL_INFO_SIZE = 56;
const MODE_TX = 1;
const MODE_IPV6 = 2;

/** The core's struct for metadata received with the packet. */
export function encodeTunnelInfo(t: TunnelInfo): Uint8Array {
  const remote = parseAddress(t.remote, 'tunnel remote');
  const local = t.local === undefined ? undefined : parseAddress(t.local, 'tunnel local');
  if (local !== undefined && local.family !== remote.family) throw new RunInputError(`tunnel: the remote (${t.remote}) and local (${t.local}) addresses are of different families`);
  const check = (name: string, v: number | undefined, max: number): number => {
    const x = v ?? 0;
    if (!Number.isInteger(x) || x < 0 || x > max) throw new RunInputError(`tunnel: ${name} must be 0-${max}, not ${v}`);
    return x;
  };
  const b = new Uint8Array(TUNNEL_INFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt.asUintN(64, t.id), true);
  b.set(remote.bytes, 8); // received: the outer source is the remote end
  if (local !== undefined) b.set(local.bytes, 24);
  dv.setUint32(40, check('label', t.label, 0xfffff), true);
  dv.setUint16(44, check('flags', t.flags, 0xffff), true);
  b[46] = check('tos', t.tos, 255);
  b[47] = check('ttl', t.ttl, 255);
  dv.setUint32(48, remote.family === AF_INET6 ? MODE_IPV6 : 0, true);
  return b;
}

/** The core's struct as a {@link TunnelResult}. */
export function decodeTunnelInfo(b: Uint8Array): TunnelResult {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const mode = dv.getUint32(48, true);
  const ipv6 = (mode & MODE_IPV6) !== 0;
  const transmit = (mode & MODE_TX) !== 0;
  const src = formatAddress(b.subarray(8, 24), ipv6);
  const dst = formatAddress(b.subarray(24, 40), ipv6);
  return {
    id: dv.getBigUint64(0, true),
    remote: transmit ? dst : src,
    local: transmit ? src : dst,
    label: dv.getUint32(40, true),
    flags: dv.getUint16(44, true),
    tos: b[46] as number,
    ttl: b[47] as number,
    transmit,
  };
}

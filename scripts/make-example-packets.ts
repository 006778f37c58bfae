// Writes the sample packets of examples/packets/: a few Ethernet frames, each in a file of its own (raw bytes, what
// `bpfship run --data` takes), and sample.pcap, a capture of eleven frames for `bpfship run --pcap`, one of them a
// 10-byte runt no Ethernet program can take (frame 8). Checksums are right, so tcpdump and Wireshark show the
// frames as a real capture. The files are committed; run this again only to change them:
//   node --import tsx scripts/make-example-packets.ts
//
// Author: Claude.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writePcap } from '../src/packet/index.ts';

const OUT = resolve(import.meta.dirname, '..', 'examples', 'packets');
const CLIENT_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const SERVER_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const TCP = 6;
const UDP = 17;
const SYN = 0x02;
const PSH_ACK = 0x18;

function ipv4(text: string): number[] {
  return text.split('.').map(Number);
}

function ipv6(text: string): number[] {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/** The Internet checksum (RFC 1071) of `bytes`. */
function checksum(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function tcp(sport: number, dport: number, flags: number, seq: number, payload: number[] = []): (pseudo: number[]) => number[] {
  return (pseudo) => {
    const header = [...u16(sport), ...u16(dport), ...u32(seq), ...u32(flags & 0x10 ? 1 : 0), 0x50, flags, ...u16(64240), 0, 0, 0, 0];
    const segment = [...header, ...payload];
    const sum = checksum([...pseudo, 0, TCP, ...u16(segment.length), ...segment]);
    segment[16] = sum >> 8;
    segment[17] = sum & 0xff;
    return segment;
  };
}

function udp(sport: number, dport: number, payload: number[]): (pseudo: number[]) => number[] {
  return (pseudo) => {
    const datagram = [...u16(sport), ...u16(dport), ...u16(8 + payload.length), 0, 0, ...payload];
    const sum = checksum([...pseudo, 0, UDP, ...u16(datagram.length), ...datagram]) || 0xffff;
    datagram[6] = sum >> 8;
    datagram[7] = sum & 0xff;
    return datagram;
  };
}

/** An Ethernet frame carrying IPv4, padded to the 60-byte minimum. */
function frame4(src: string, dst: string, protocol: number, l4: (pseudo: number[]) => number[], id: number): Uint8Array {
  const s = ipv4(src);
  const d = ipv4(dst);
  const body = l4([...s, ...d]);
  const ip = [0x45, 0, ...u16(20 + body.length), ...u16(id), 0x40, 0, 64, protocol, 0, 0, ...s, ...d];
  const sum = checksum(ip);
  ip[10] = sum >> 8;
  ip[11] = sum & 0xff;
  const bytes = [...SERVER_MAC, ...CLIENT_MAC, 0x08, 0x00, ...ip, ...body];
  while (bytes.length < 60) bytes.push(0);
  return new Uint8Array(bytes);
}

/** An Ethernet frame carrying IPv6. */
function frame6(src: string, dst: string, protocol: number, l4: (pseudo: number[]) => number[]): Uint8Array {
  const s = ipv6(src);
  const d = ipv6(dst);
  const body = l4([...s, ...d, 0, 0]);
  // The IPv6 pseudo-header has a 32-bit length; `l4` adds 0, protocol, 16-bit length after the two zero bytes above.
  const ip = [0x60, 0, 0, 0, ...u16(body.length), protocol, 64, ...s, ...d];
  return new Uint8Array([...SERVER_MAC, ...CLIENT_MAC, 0x86, 0xdd, ...ip, ...body]);
}

function arpRequest(sender: string, target: string): Uint8Array {
  const bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...CLIENT_MAC, 0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1, ...CLIENT_MAC, ...ipv4(sender), 0, 0, 0, 0, 0, 0, ...ipv4(target)];
  while (bytes.length < 60) bytes.push(0);
  return new Uint8Array(bytes);
}

/** A DNS query for `name`, type A. */
function dnsQuery(name: string, id: number): number[] {
  const labels = name.split('.').flatMap((l) => [l.length, ...[...l].map((c) => c.charCodeAt(0))]);
  return [...u16(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1];
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const named: Record<string, Uint8Array> = {
  'tcp_syn_ssh.bin': frame4('10.0.0.1', '10.0.0.2', TCP, tcp(40022, 22, SYN, 1000), 1),
  'tcp_http.bin': frame4('10.0.0.1', '10.0.0.80', TCP, tcp(40080, 80, PSH_ACK, 2000, ascii('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')), 2),
  'udp_dns.bin': frame4('10.0.0.1', '10.0.0.53', UDP, udp(53000, 53, dnsQuery('example.com', 0x1234)), 3),
  'tcp_syn_telnet.bin': frame4('10.0.0.1', '10.0.0.2', TCP, tcp(40023, 23, SYN, 3000), 4),
  'tcp_syn_from_192_168_1_10.bin': frame4('192.168.1.10', '10.0.0.2', TCP, tcp(50000, 443, SYN, 4000), 5),
  'ipv6_tcp_syn_https.bin': frame6('2001:db8::1', '2001:db8::2', TCP, tcp(40443, 443, SYN, 5000)),
};

const capture: Uint8Array[] = [
  named['tcp_syn_ssh.bin'] as Uint8Array,
  arpRequest('10.0.0.1', '10.0.0.2'),
  named['udp_dns.bin'] as Uint8Array,
  named['tcp_http.bin'] as Uint8Array,
  frame4('10.0.0.7', '10.0.0.2', TCP, tcp(41022, 22, SYN, 6000), 6),
  named['ipv6_tcp_syn_https.bin'] as Uint8Array,
  named['tcp_syn_telnet.bin'] as Uint8Array,
  // Frame 8: a runt of 10 bytes, shorter than an Ethernet header.
  new Uint8Array([...SERVER_MAC, ...CLIENT_MAC.slice(0, 4)]),
  named['tcp_syn_from_192_168_1_10.bin'] as Uint8Array,
  frame4('10.0.0.1', '10.0.0.80', TCP, tcp(40080, 80, PSH_ACK, 2040, ascii('GET /favicon.ico HTTP/1.1\r\nHost: example.com\r\n\r\n')), 7),
  frame4('10.0.0.1', '10.0.0.53', UDP, udp(53001, 53, dnsQuery('example.org', 0x1235)), 8),
];

mkdirSync(OUT, { recursive: true });
for (const [name, bytes] of Object.entries(named)) writeFileSync(join(OUT, name), bytes);
// One frame a millisecond from 2024-01-01T00:00:00Z: fixed, so the file is the same every time it is written.
const start = 1_704_067_200_000_000_000n;
writeFileSync(join(OUT, 'sample.pcap'), writePcap(capture.map((data, i) => ({ data, timestampNs: start + BigInt(i) * 1_000_000n }))));
console.log(`make-example-packets: ${Object.keys(named).length} frames and sample.pcap (${capture.length} frames) in ${OUT}`);

/**
 * How each program type runs: its context struct (layout, which fields a program may write, what the fields hold
 * at the start of a run), where its packet lives, and which helpers it may call. Linux's types come from
 * `/usr/include/linux/bpf.h` and from what BPF_PROG_TEST_RUN does on Linux 6.18 (checked against the kernel on
 * this machine: a socket filter sees the packet from the network header with `len` 14 bytes shorter and
 * `pkt_type` PACKET_OTHERHOST, `ifindex` 1; a tc program sees the Ethernet header; XDP gets 256 bytes of headroom,
 * `ingress_ifindex` 1). Host applications declare their own types with {@link defineProgramType}.
 *
 * Author: Claude.
 *
 * @module
 */

import { AttachType, helperByName, helpersFor, structLayouts, type AttachTypeName, type ProgramTypeName, type StructName } from '../abi/index.ts';
import type { MemoryRegion } from '../interp/index.ts';
import { RunInputError } from './errors.ts';

/** One field of a context struct. */
export interface ContextField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** Programs may store to it (Linux's `*_is_valid_access` for writes). */
  readonly writable?: boolean;
  /** The runtime fills it with a packet address (a u32 offset into the address space). */
  readonly role?: 'data' | 'data_end' | 'data_meta';
}

/**
 * Where a program type's packet comes from:
 * - `xdp`: the frame with 256 bytes of headroom (XDP_PACKET_HEADROOM), room to grow at the tail up to a page,
 *   metadata before `data`;
 * - `skb-l2`: an sk_buff whose data starts at the Ethernet header (tc);
 * - `skb-l3`: an sk_buff whose data starts at the network header (socket filters, cgroup skb);
 * - `buffer`: the bytes as given, delimited by the context's data/data_end fields (host-defined types);
 * - `none`: no packet (cgroup sock_addr).
 */
export type PacketModel = 'xdp' | 'skb-l2' | 'skb-l3' | 'buffer' | 'none';

/** A program type as the runtime runs it. */
export interface ProgramTypeProfile {
  /** Linux's name (`xdp`, `sched_cls`) or the host's. */
  readonly name: string;
  /** True for a host-defined type: its context is the host's struct, never `__sk_buff` or `xdp_md`. */
  readonly hostDefined?: boolean;
  /** The `enum bpf_prog_type` value the core's helpers see (decides what redirect and perf output mean). */
  readonly coreProgType: number;
  /** The C name of the context struct, for messages. */
  readonly contextName: string;
  readonly contextSize: number;
  readonly fields: readonly ContextField[];
  readonly packet: PacketModel;
  /** Whether programs may store into the packet directly. */
  readonly packetWritable: boolean;
  /** The helpers the type allows, by id; undefined allows every helper the core implements. */
  readonly allowedHelpers?: ReadonlySet<number>;
  /** Names of return values (`XDP_PASS`), for output. */
  readonly returnNames?: Readonly<Record<number, string>>;
  /** The context a run starts from when the caller gives none (shared: do not modify it). */
  defaultContext(): Uint8Array;
  /** Checks a caller's context (BPF_PROG_TEST_RUN's ctx_in) against the packet length; throws RunInputError. */
  checkContext(ctx: Uint8Array, dataLength: number): void;
  /**
   * Fills the run's context (`ctx`: zeroed, at least contextSize bytes) from the caller's (or default) bytes and
   * what the kernel derives from the packet. Packet pointers are filled by the runner.
   */
  fillContext(ctx: Uint8Array, input: Uint8Array, packet: Uint8Array | undefined): void;
  /**
   * The context bytes given back after a run (ctx_out), from the context memory after the run: a new array
   * (`after` may be a view of the memory).
   */
  contextOut(after: Uint8Array, input: Uint8Array): Uint8Array;
}

/** The fields of a context, as memory regions at `base`: writable runs and read-only runs, covering all of it. */
export function contextRegions(profile: ProgramTypeProfile, base: number): MemoryRegion[] {
  const writable = new Uint8Array(profile.contextSize);
  for (const f of profile.fields) if (f.writable === true) writable.fill(1, f.offset, Math.min(f.offset + f.size, profile.contextSize));
  const out: MemoryRegion[] = [];
  let start = 0;
  for (let i = 1; i <= profile.contextSize; i++) {
    if (i === profile.contextSize || writable[i] !== writable[start]) {
      out.push({ start: base + start, end: base + i, writable: writable[start] === 1, name: `context (${profile.contextName})` });
      start = i;
    }
  }
  return out;
}

// ---- Linux constants -------------------------------------------------------------------------------------------

const ETH_HLEN = 14;
const ETH_P_802_3_MIN = 0x0600;
const LOOPBACK_IFINDEX = 1;
const PACKET_HOST = 0;
const PACKET_MULTICAST = 2;
const PACKET_OTHERHOST = 3;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const EINVAL = 22;
const E2BIG = 7;

/** The XDP return codes. */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
const xdpNames: Record<number, string> = { 0: 'XDP_ABORTED', 1: 'XDP_DROP', 2: 'XDP_PASS', 3: 'XDP_TX', 4: 'XDP_REDIRECT' };
const tcNames: Record<number, string> = {
  [-1]: 'TC_ACT_UNSPEC', 0: 'TC_ACT_OK', 1: 'TC_ACT_RECLASSIFY', 2: 'TC_ACT_SHOT', 3: 'TC_ACT_PIPE', 4: 'TC_ACT_STOLEN',
  5: 'TC_ACT_QUEUED', 6: 'TC_ACT_REPEAT', 7: 'TC_ACT_REDIRECT', 8: 'TC_ACT_TRAP',
};
const allowDeny: Record<number, string> = { 0: 'deny', 1: 'allow' };

function field(name: string, offset: number, size: number, extra: Partial<ContextField> = {}): ContextField {
  return { name, offset, size, ...extra };
}

/**
 * The fields of a Linux context struct, laid out as the abi layer records it (checked against the compiler and the
 * kernel there), with the runtime's own facts per field: packet roles and what a program may write.
 */
function layoutFields(struct: StructName, extras: Readonly<Record<string, Partial<ContextField>>>): ContextField[] {
  return structLayouts[struct].fields.map((f) => field(f.name, f.offset, f.size, extras[f.name] ?? {}));
}

/** Throws unless every byte of ctx outside the allowed fields is zero (the kernel's range_is_zero checks). */
function requireZeroOutside(ctx: Uint8Array, allowed: readonly ContextField[], fields: readonly ContextField[], structName: string): void {
  const ok = new Uint8Array(ctx.length);
  for (const f of allowed) ok.fill(1, f.offset, f.offset + f.size);
  for (let i = 0; i < ctx.length; i++) {
    if (ok[i] === 0 && ctx[i] !== 0) {
      const f = fields.find((x) => i >= x.offset && i < x.offset + x.size);
      throw new RunInputError(`the ${structName} given as context sets ${f === undefined ? `byte ${i}` : `field '${f.name}'`}, which BPF_PROG_TEST_RUN does not accept as input (allowed: ${allowed.map((a) => a.name).join(', ')})`, EINVAL);
    }
  }
}

function checkSize(ctx: Uint8Array, size: number, structName: string): void {
  if (ctx.length > size) {
    // bpf_ctx_init: a longer context is accepted only when the extra bytes are zero.
    for (let i = size; i < ctx.length; i++) {
      if (ctx[i] !== 0) throw new RunInputError(`the context is ${ctx.length} bytes, but struct ${structName} has ${size} (byte ${i} past its end is not zero)`, E2BIG);
    }
  }
}

function padTo(ctx: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(ctx.subarray(0, Math.min(ctx.length, size)));
  return out;
}

/** Copies at most `size` bytes of `input` to the start of `ctx` (the rest of ctx stays zero). */
function copyIn(ctx: Uint8Array, input: Uint8Array, size: number): void {
  ctx.set(input.length > size ? input.subarray(0, size) : input);
}

/** A little-endian u32 of `b` at `off` (0 past its end): no DataView, so no ArrayBuffer is materialised. */
function getU32(b: Uint8Array, off: number): number {
  return ((b[off] ?? 0) | ((b[off + 1] ?? 0) << 8) | ((b[off + 2] ?? 0) << 16) | ((b[off + 3] ?? 0) << 24)) >>> 0;
}

function setU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

// ---- xdp -------------------------------------------------------------------------------------------------------

const xdpFields: readonly ContextField[] = layoutFields('xdp_md', {
  data: { role: 'data' },
  data_end: { role: 'data_end' },
  data_meta: { role: 'data_meta' },
});

const XDP_DEFAULT = new Uint8Array(24);

const xdpProfile: ProgramTypeProfile = {
  name: 'xdp',
  coreProgType: 6,
  contextName: 'xdp_md',
  contextSize: 24,
  fields: xdpFields,
  packet: 'xdp',
  packetWritable: true,
  returnNames: xdpNames,
  defaultContext: () => XDP_DEFAULT,
  checkContext(ctx, dataLength) {
    checkSize(ctx, 24, 'xdp_md');
    const c = padTo(ctx, 24);
    const dv = new DataView(c.buffer);
    const data = dv.getUint32(0, true);
    const dataEnd = dv.getUint32(4, true);
    // bpf_prog_test_run_xdp: no data before the metadata, data_end is the packet size, metadata in 4-byte units up to 32.
    if (dv.getUint32(8, true) !== 0) throw new RunInputError('xdp_md.data_meta must be 0 in the input context (the metadata starts the data)', EINVAL);
    if (dataEnd !== dataLength) throw new RunInputError(`xdp_md.data_end must equal the packet size (${dataLength}), found ${dataEnd}`, EINVAL);
    if (data > dataEnd) throw new RunInputError(`xdp_md.data (${data}, the metadata length) is past data_end (${dataEnd})`, EINVAL);
    if (data % 4 !== 0 || data > 32) throw new RunInputError(`xdp_md.data (${data}, the metadata length) must be a multiple of 4 up to 32`, EINVAL);
    if (dv.getUint32(20, true) !== 0) throw new RunInputError('xdp_md.egress_ifindex must be 0 in the input context', EINVAL);
  },
  fillContext(ctx, input) {
    const ingress = getU32(input, 12);
    setU32(ctx, 12, ingress === 0 ? LOOPBACK_IFINDEX : ingress);
    setU32(ctx, 16, getU32(input, 16));
  },
  contextOut(after) {
    // Like the kernel: data is the metadata length, data_end the packet length, data_meta 0.
    const out = after.slice(0, 24);
    const meta = getU32(out, 8);
    setU32(out, 0, getU32(out, 0) - meta);
    setU32(out, 4, getU32(out, 4) - meta);
    setU32(out, 8, 0);
    return out;
  },
};

// ---- __sk_buff (socket filters, tc) -----------------------------------------------------------------------------

/**
 * The __sk_buff fields, writable as Linux lets each kind of program write them: socket filters only cb[]
 * (sk_filter_is_valid_access), tc also mark, queue_mapping, priority, tc_index, tc_classid and tstamp
 * (tc_cls_act_is_valid_access), cgroup_skb mark, priority and tstamp besides cb[] (cg_skb_is_valid_access).
 */
function skbFields(kind: 'socket' | 'tc' | 'cgroup'): ContextField[] {
  const w = { writable: true };
  const tcw = kind === 'tc' ? w : {};
  const cgw = kind === 'tc' || kind === 'cgroup' ? w : {};
  return layoutFields('__sk_buff', {
    mark: cgw, queue_mapping: tcw, priority: cgw, tc_index: tcw, cb: w, tc_classid: tcw, tstamp: cgw,
    data: { role: 'data' }, data_end: { role: 'data_end' }, data_meta: { role: 'data_meta' },
  });
}

const SKB_DEFAULT = new Uint8Array(192);
const EMPTY = new Uint8Array(0);
/** __sk_buff.ifindex */
const IFINDEX = 40;

// What convert___skb_to_skb accepts in ctx_in, and convert_skb_to___skb gives back.
const SKB_INPUT = new Set(['mark', 'priority', 'ingress_ifindex', 'ifindex', 'cb', 'tstamp', 'wire_len', 'gso_segs', 'gso_size', 'hwtstamp']);

function skbProfile(name: string, coreProgType: number, l2: boolean): ProgramTypeProfile {
  const fields = skbFields(l2 ? 'tc' : coreProgType === 8 ? 'cgroup' : 'socket');
  const inputFields = fields.filter((f) => SKB_INPUT.has(f.name));
  return {
    name,
    coreProgType,
    contextName: '__sk_buff',
    contextSize: 192,
    fields,
    packet: l2 ? 'skb-l2' : 'skb-l3',
    packetWritable: l2,
    returnNames: l2 ? tcNames : {},
    defaultContext: () => SKB_DEFAULT,
    checkContext(ctx, dataLength) {
      checkSize(ctx, 192, '__sk_buff');
      requireZeroOutside(padTo(ctx, 192), inputFields, fields, '__sk_buff');
      if (dataLength < ETH_HLEN) throw new RunInputError(`the packet is ${dataLength} bytes, shorter than an Ethernet header (14)`, EINVAL);
    },
    fillContext(ctx, input, packet) {
      copyIn(ctx, input, 192);
      const frame = packet ?? EMPTY;
      // eth_type_trans: the protocol (network byte order, as the kernel stores it) and the packet type.
      let proto = 0;
      let pktType = PACKET_HOST;
      if (frame.length >= ETH_HLEN) {
        const type = (((frame[12] as number) << 8) | (frame[13] as number)) >>> 0;
        proto = type >= ETH_P_802_3_MIN ? type : 0x0004; // ETH_P_802_2 for 802.3 frames
        let all0 = true;
        for (let i = 0; i < 6; i++) if (frame[i] !== 0) all0 = false;
        // The test run's device is loopback, whose broadcast address is 00:00:00:00:00:00 (not ff:..:ff), so every
        // group address, ff:ff:ff:ff:ff:ff included, is PACKET_MULTICAST; and its own address is 0 too.
        if (((frame[0] as number) & 1) !== 0) pktType = PACKET_MULTICAST;
        else if (!all0) pktType = PACKET_OTHERHOST;
      }
      setU32(ctx, 0, l2 ? frame.length : Math.max(0, frame.length - ETH_HLEN));
      setU32(ctx, 4, pktType);
      setU32(ctx, 16, ((proto & 0xff) << 8) | (proto >>> 8));
      if (getU32(ctx, IFINDEX) === 0) setU32(ctx, IFINDEX, LOOPBACK_IFINDEX);
    },
    contextOut(after, input) {
      const out = padTo(input, 192);
      for (const f of inputFields) out.set(after.subarray(f.offset, f.offset + f.size), f.offset);
      return out;
    },
  };
}

// ---- bpf_sock_addr (cgroup/bind4, bind6, connect4, connect6, ...) ---------------------------------------------

const writable = { writable: true };
const sockAddrFields: readonly ContextField[] = layoutFields('bpf_sock_addr', {
  user_ip4: writable, user_ip6: writable, user_port: writable, msg_src_ip4: writable, msg_src_ip6: writable,
});

function sockAddrProfile(ipv6: boolean): ProgramTypeProfile {
  // A TCP socket binding (or connecting) to the unspecified address, port 0.
  const byDefault = new Uint8Array(72);
  const family = ipv6 ? AF_INET6 : AF_INET;
  setU32(byDefault, 0, family);
  setU32(byDefault, 28, family);
  setU32(byDefault, 32, SOCK_STREAM);
  setU32(byDefault, 36, IPPROTO_TCP);
  return {
    name: 'cgroup_sock_addr',
    coreProgType: 18,
    contextName: 'bpf_sock_addr',
    contextSize: 72,
    fields: sockAddrFields,
    packet: 'none',
    packetWritable: false,
    returnNames: allowDeny,
    defaultContext: () => byDefault,
    checkContext(ctx) {
      if (ctx.length !== 72 && ctx.length !== 64) throw new RunInputError(`a bpf_sock_addr context is 72 bytes (64 without the sk pointer), found ${ctx.length}`, EINVAL);
    },
    fillContext(ctx, input) {
      copyIn(ctx, input, 64); // the socket pointer (64-71) is the kernel's; programs here get NULL
    },
    contextOut(after) {
      return after.slice(0, 72);
    },
  };
}

/**
 * The profile of a Linux program type by its name (`enum bpf_prog_type` without the prefix, lower case) and, for
 * cgroup sock_addr programs, the attach type (bind6/connect6 start from an IPv6 context). Undefined for types
 * that do not run here.
 */
export function linuxProgramType(programType: string, attachType?: string): ProgramTypeProfile | undefined {
  let base: ProgramTypeProfile;
  switch (programType) {
    case 'xdp':
      base = xdpProfile;
      break;
    case 'socket_filter':
      base = skbProfile('socket_filter', 1, false);
      break;
    case 'sched_cls':
      base = skbProfile('sched_cls', 3, true);
      break;
    case 'sched_act':
      base = skbProfile('sched_act', 4, true);
      break;
    case 'cgroup_skb':
      base = skbProfile('cgroup_skb', 8, false);
      break;
    case 'cgroup_sock_addr':
      base = sockAddrProfile(attachType !== undefined && /6/.test(attachType));
      break;
    default:
      return undefined;
  }
  return { ...base, allowedHelpers: linuxHelperIds(programType as ProgramTypeName, attachType) };
}

const helperSets = new Map<string, ReadonlySet<number>>();

/** The helpers Linux lets a program of this type (and attach type) call, by id (from the abi layer's tables). */
function linuxHelperIds(type: ProgramTypeName, attachType: string | undefined): ReadonlySet<number> {
  const key = `${type}/${attachType ?? ''}`;
  let set = helperSets.get(key);
  if (set === undefined) {
    const attach = attachType !== undefined && Object.hasOwn(AttachType, attachType) ? { attachType: attachType as AttachTypeName } : {};
    const ids = new Set<number>();
    for (const proto of helpersFor(type, attach)) {
      const def = helperByName(proto.name);
      if (def !== undefined) ids.add(def.id);
    }
    set = ids;
    helperSets.set(key, set);
  }
  return set;
}

/** The Linux program types that run here, by name. */
export const RUNNABLE_LINUX_TYPES: readonly string[] = ['xdp', 'socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'cgroup_sock_addr'];

/** What a host application says about its own program type. */
export interface HostProgramTypeDefinition {
  /** The type's name; programs in sections named `name` or `name/...` get it (or ask for it by name at load). */
  readonly name: string;
  /** The context struct's size in bytes and fields (roles mark packet pointers the runtime fills). */
  readonly contextSize: number;
  readonly fields: readonly ContextField[];
  /** The helpers programs of this type may call, by Linux id. A call to any other is refused at load. */
  readonly helpers: readonly number[];
  /** The context's C name, for messages (default: `<name>_ctx`). */
  readonly contextName?: string;
  /** Whether programs may write the packet directly (default false). */
  readonly packetWritable?: boolean;
  /** Names of return values, for output. */
  readonly returnNames?: Readonly<Record<number, string>>;
  /** The `enum bpf_prog_type` value the core's helpers see (default 0, unspec). */
  readonly coreProgType?: number;
}

/**
 * A host-defined program type: a context layout of the host's own, the helpers it allows, and optionally a packet
 * (when fields with the `data`/`data_end` roles exist).
 *
 * @example
 * ```ts
 * const rateLimit = defineProgramType({
 *   name: 'ratelimit',
 *   contextSize: 16,
 *   fields: [{ name: 'client_id', offset: 0, size: 4 }, { name: 'tokens', offset: 8, size: 8, writable: true }],
 *   helpers: [1, 2, 5], // map_lookup_elem, map_update_elem, ktime_get_ns
 * });
 * runtime.defineProgramType(rateLimit);
 * ```
 * @throws {RangeError} for fields outside the context or overlapping packet roles.
 */
export function defineProgramType(def: HostProgramTypeDefinition): ProgramTypeProfile {
  if (!/^[A-Za-z_][\w.-]*$/.test(def.name)) throw new RangeError(`a program type name must be an identifier, not '${def.name}'`);
  if (!Number.isInteger(def.contextSize) || def.contextSize < 0 || def.contextSize > 4096) throw new RangeError(`contextSize must be 0-4096, not ${def.contextSize}`);
  for (const f of def.fields) {
    if (f.offset < 0 || f.size <= 0 || f.offset + f.size > def.contextSize) throw new RangeError(`field '${f.name}' [${f.offset}, ${f.offset + f.size}) lies outside the ${def.contextSize}-byte context`);
    if (f.role !== undefined && f.size !== 4) throw new RangeError(`field '${f.name}' holds a packet pointer and must be 4 bytes (a u32 address), not ${f.size}`);
  }
  const roles = def.fields.filter((f) => f.role !== undefined).map((f) => f.role);
  if (new Set(roles).size !== roles.length) throw new RangeError('each packet role (data, data_end, data_meta) may be given to one field only');
  const hasPacket = roles.includes('data') && roles.includes('data_end');
  const size = def.contextSize;
  const byDefault = new Uint8Array(size);
  return {
    name: def.name,
    hostDefined: true,
    coreProgType: def.coreProgType ?? 0,
    contextName: def.contextName ?? `${def.name}_ctx`,
    contextSize: size,
    fields: def.fields,
    packet: hasPacket ? 'buffer' : 'none',
    packetWritable: def.packetWritable ?? false,
    allowedHelpers: new Set(def.helpers),
    returnNames: def.returnNames ?? {},
    defaultContext: () => byDefault,
    checkContext(ctx) {
      if (ctx.length !== size) throw new RunInputError(`a ${def.contextName ?? `${def.name}_ctx`} context is ${size} bytes, found ${ctx.length}`, EINVAL);
    },
    fillContext(ctx, input) {
      copyIn(ctx, input, size);
    },
    contextOut(after) {
      return after.slice(0, size);
    },
  };
}

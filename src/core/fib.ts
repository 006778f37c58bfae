/**
 * The routing table `bpf_fib_lookup` consults, as the host fills it: the runtime has no kernel FIB, so the core keeps
 * a small one of devices, routes and neighbours (bpfship_core.h, "The FIB"). It starts as a fresh Linux network
 * namespace does: loopback (ifindex 1, forwarding off) and nothing else, so until the host adds more, a lookup
 * answers BPF_FIB_LKUP_RET_FWD_DISABLED through ifindex 1 and -ENODEV through any other.
 *
 * ```ts
 * rt.fib.setDevice({ ifindex: 1, forwarding: true });           // the test run's ingress device
 * rt.fib.setDevice({ ifindex: 2, mtu: 1500, mac: '02:00:00:00:00:02', forwarding: true });
 * rt.fib.addRoute({ dst: '10.0.0.0/8', via: '192.168.1.1', ifindex: 2 });
 * rt.fib.setNeighbour({ ifindex: 2, address: '192.168.1.1', mac: '02:00:00:00:00:fe' });
 * ```
 *
 * Author: Claude.
 *
 * @module
 */

import { BpfshipError } from '../internal/errors.ts';
import { type CoreWasm, errnoName } from './core-wasm.ts';
import { AF_INET, parseAddress } from './ip-address.ts';

/** The core's FIB functions, taking the C structs as bytes (the WebAssembly core's, or the native library's). */
export interface FibBackend {
  reset(): void;
  setDevice(dev: Uint8Array): number;
  addRoute(route: Uint8Array): number;
  setNeighbour(neighbour: Uint8Array): number;
}

/** The FIB functions of the WebAssembly core, the structs copied into its memory for each call. */
export function wasmFibBackend(core: CoreWasm): FibBackend {
  const call = (bytes: Uint8Array, fn: (ptr: number) => number): number => {
    const p = core.alloc(bytes.length);
    try {
      core.write(p, bytes);
      return fn(p);
    } finally {
      core.free(p);
    }
  };
  return {
    reset: () => core.exports.bpfship_fib_reset(),
    setDevice: (b) => call(b, (p) => core.exports.bpfship_fib_set_device(p)),
    addRoute: (b) => call(b, (p) => core.exports.bpfship_fib_add_route(p)),
    setNeighbour: (b) => call(b, (p) => core.exports.bpfship_fib_set_neighbour(p)),
  };
}

/** A device: what the lookup needs of it (its MTU, its MAC as the source address, whether it forwards). */
export interface FibDevice {
  readonly ifindex: number;
  /** Default 1500. */
  readonly mtu?: number;
  /** `aa:bb:cc:dd:ee:ff` or 6 bytes; default all zero. */
  readonly mac?: string | Uint8Array;
  /** net.ipv4/ipv6.conf.DEV.forwarding: true for both, or per family; default off. */
  readonly forwarding?: boolean | { readonly ipv4?: boolean; readonly ipv6?: boolean };
}

/** Route types (RTN_*). */
export type FibRouteType = 'unicast' | 'local' | 'blackhole' | 'unreachable' | 'prohibit';

/** A route. */
export interface FibRoute {
  /** The prefix: `10.0.0.0/8`, `2001:db8::/32` (a bare address is a host route). */
  readonly dst: string;
  /** The gateway (an address of either family); none: the destination is on the link. */
  readonly via?: string;
  /** The nexthop's device (unicast and local routes). */
  readonly ifindex?: number;
  /** Default `unicast`. */
  readonly type?: FibRouteType;
  /** Routing table id; default main (254). Local is 255, default 253. */
  readonly table?: number;
  /** Lowest wins among routes to the same prefix; default 0. */
  readonly metric?: number;
  /** The route's MTU; default the device's. */
  readonly mtu?: number;
  /** Preferred source address. */
  readonly prefsrc?: string;
}

/** A reachable neighbour: the MAC address a lookup returns as the destination. */
export interface FibNeighbour {
  readonly ifindex: number;
  readonly address: string;
  readonly mac: string | Uint8Array;
}

/** The core refused a FIB entry (with Linux's errno, as `ip route` would report it). */
export class FibError extends BpfshipError {
  readonly errno: number;
  constructor(what: string, errno: number) {
    super('FIB', `${what}: ${errnoName(errno)} (-${Math.abs(errno)})`);
    this.name = 'FibError';
    this.errno = Math.abs(errno);
  }
}

const ROUTE_TYPES: Record<FibRouteType, number> = { unicast: 1, local: 2, blackhole: 6, unreachable: 7, prohibit: 8 };
const DEVICE_SIZE = 16;
const ROUTE_SIZE = 72;
const NEIGHBOUR_SIZE = 28;

/** The FIB of one core (see the module comment). */
export class Fib {
  private readonly backend: FibBackend;

  constructor(backend: FibBackend) {
    this.backend = backend;
  }

  /** Back to loopback only, no routes, no neighbours. */
  reset(): void {
    this.backend.reset();
  }

  /** Adds a device, or replaces the one with the same ifindex. */
  setDevice(dev: FibDevice): void {
    const b = new Uint8Array(DEVICE_SIZE);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, dev.ifindex, true);
    dv.setUint32(4, dev.mtu ?? 1500, true);
    b.set(parseMac(dev.mac ?? new Uint8Array(6)), 8);
    const f = dev.forwarding;
    const v4 = f === true || (typeof f === 'object' && f.ipv4 === true);
    const v6 = f === true || (typeof f === 'object' && f.ipv6 === true);
    dv.setUint16(14, (v4 ? 1 : 0) | (v6 ? 2 : 0), true);
    check(`device ${dev.ifindex}`, this.backend.setDevice(b));
  }

  /** Adds a route. */
  addRoute(route: FibRoute): void {
    const [prefix, lenText] = route.dst.split('/');
    const dst = parseAddress(prefix ?? '', `route ${route.dst}`);
    const maxLen = dst.family === AF_INET ? 32 : 128;
    const len = lenText === undefined ? maxLen : Number(lenText);
    if (!Number.isInteger(len) || len < 0 || len > maxLen || (lenText !== undefined && !/^\d+$/.test(lenText))) throw new RangeError(`route ${route.dst}: the prefix length must be 0-${maxLen}`);
    const b = new Uint8Array(ROUTE_SIZE);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, route.table ?? 254, true);
    dv.setUint32(4, route.ifindex ?? 0, true);
    b[8] = dst.family;
    b[9] = len;
    b[10] = ROUTE_TYPES[route.type ?? 'unicast'];
    dv.setUint32(12, route.metric ?? 0, true);
    dv.setUint32(16, route.mtu ?? 0, true);
    b.set(dst.bytes, 24);
    if (route.via !== undefined) {
      const gw = parseAddress(route.via, `route ${route.dst} via`);
      b[11] = gw.family;
      b.set(gw.bytes, 40);
    }
    if (route.prefsrc !== undefined) b.set(parseAddress(route.prefsrc, `route ${route.dst} prefsrc`).bytes, 56);
    check(`route ${route.dst}`, this.backend.addRoute(b));
  }

  /** Adds a reachable neighbour, or replaces the one with the same device, family and address. */
  setNeighbour(n: FibNeighbour): void {
    const a = parseAddress(n.address, `neighbour ${n.address}`);
    const b = new Uint8Array(NEIGHBOUR_SIZE);
    new DataView(b.buffer).setUint32(0, n.ifindex, true);
    b[4] = a.family;
    b.set(parseMac(n.mac), 6);
    b.set(a.bytes, 12);
    check(`neighbour ${n.address}`, this.backend.setNeighbour(b));
  }
}

function check(what: string, result: number): void {
  if (result !== 0) throw new FibError(what, result);
}

/** `aa:bb:cc:dd:ee:ff` (or `-` separated) or 6 bytes. */
function parseMac(mac: string | Uint8Array): Uint8Array {
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) throw new RangeError(`a MAC address is 6 bytes, not ${mac.length}`);
    return mac;
  }
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new RangeError(`'${mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

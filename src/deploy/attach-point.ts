/**
 * Attach points as the command line names them, `KIND:TARGET`:
 *
 * | kind | target | how |
 * |---|---|---|
 * | `xdp` | interface | XDP link; the kernel picks driver mode when the driver has XDP, else generic |
 * | `xdpdrv` | interface | XDP link in driver (native) mode only (`XDP_FLAGS_DRV_MODE`) |
 * | `xdpgeneric` | interface | XDP link in generic (skb) mode (`XDP_FLAGS_SKB_MODE`) |
 * | `tc-ingress`, `tc-egress` | interface | tcx link (Linux 6.6+), else a `cls_bpf` filter in direct-action mode on a clsact qdisc |
 * | `cgroup-NAME` | cgroup v2 directory | cgroup link; NAME as in libbpf's section names: `ingress`, `egress`, `sock_create`, `sock_release`, `post_bind4`, `post_bind6`, `bind4`, `bind6`, `connect4`, `connect6`, `sendmsg4`, `sendmsg6`, `recvmsg4`, `recvmsg6`, `getpeername4`, `getpeername6`, `getsockname4`, `getsockname6`, `connect_unix`, `sendmsg_unix`, `recvmsg_unix`, `getpeername_unix`, `getsockname_unix`, `sock_ops`, `dev`, `sysctl`, `getsockopt`, `setsockopt` |
 *
 * The xdp names are iproute2's (`ip link set dev eth0 xdpgeneric obj ...`). Parsing is pure; the targets are
 * resolved (interface index, cgroup directory) by the deployment.
 *
 * Author: Claude.
 *
 * @module
 */
import { AttachType, type AttachTypeName, type ProgramTypeName } from '../abi/index.ts';
import { DeployError } from './errors.ts';

/** Where an attach point hooks in. */
export type AttachFamily = 'xdp' | 'tc' | 'cgroup';

/** A parsed attach point. */
export interface AttachPoint {
  /** As given: `xdp:eth0`. */
  readonly text: string;
  readonly kind: string;
  /** The interface name or the cgroup directory. */
  readonly target: string;
  readonly family: AttachFamily;
  /** The kernel's attach type (for tc: the tcx one). */
  readonly attachType: AttachTypeName;
  /** The program types that can attach here. */
  readonly programTypes: readonly ProgramTypeName[];
  /** XDP mode flags for the link (`XDP_FLAGS_DRV_MODE`, `XDP_FLAGS_SKB_MODE`), 0 to let the kernel pick. */
  readonly xdpFlags: number;
}

/** `XDP_FLAGS_SKB_MODE` and `XDP_FLAGS_DRV_MODE` from linux/if_link.h. */
export const XdpFlags = { skbMode: 1 << 1, drvMode: 1 << 2 } as const;

const cgroupKinds: Readonly<Record<string, { readonly attach: AttachTypeName; readonly type: ProgramTypeName }>> = {
  ingress: { attach: 'cgroup_inet_ingress', type: 'cgroup_skb' },
  egress: { attach: 'cgroup_inet_egress', type: 'cgroup_skb' },
  sock_create: { attach: 'cgroup_inet_sock_create', type: 'cgroup_sock' },
  sock_release: { attach: 'cgroup_inet_sock_release', type: 'cgroup_sock' },
  post_bind4: { attach: 'cgroup_inet4_post_bind', type: 'cgroup_sock' },
  post_bind6: { attach: 'cgroup_inet6_post_bind', type: 'cgroup_sock' },
  bind4: { attach: 'cgroup_inet4_bind', type: 'cgroup_sock_addr' },
  bind6: { attach: 'cgroup_inet6_bind', type: 'cgroup_sock_addr' },
  connect4: { attach: 'cgroup_inet4_connect', type: 'cgroup_sock_addr' },
  connect6: { attach: 'cgroup_inet6_connect', type: 'cgroup_sock_addr' },
  sendmsg4: { attach: 'cgroup_udp4_sendmsg', type: 'cgroup_sock_addr' },
  sendmsg6: { attach: 'cgroup_udp6_sendmsg', type: 'cgroup_sock_addr' },
  recvmsg4: { attach: 'cgroup_udp4_recvmsg', type: 'cgroup_sock_addr' },
  recvmsg6: { attach: 'cgroup_udp6_recvmsg', type: 'cgroup_sock_addr' },
  getpeername4: { attach: 'cgroup_inet4_getpeername', type: 'cgroup_sock_addr' },
  getpeername6: { attach: 'cgroup_inet6_getpeername', type: 'cgroup_sock_addr' },
  getsockname4: { attach: 'cgroup_inet4_getsockname', type: 'cgroup_sock_addr' },
  getsockname6: { attach: 'cgroup_inet6_getsockname', type: 'cgroup_sock_addr' },
  connect_unix: { attach: 'cgroup_unix_connect', type: 'cgroup_sock_addr' },
  sendmsg_unix: { attach: 'cgroup_unix_sendmsg', type: 'cgroup_sock_addr' },
  recvmsg_unix: { attach: 'cgroup_unix_recvmsg', type: 'cgroup_sock_addr' },
  getpeername_unix: { attach: 'cgroup_unix_getpeername', type: 'cgroup_sock_addr' },
  getsockname_unix: { attach: 'cgroup_unix_getsockname', type: 'cgroup_sock_addr' },
  sock_ops: { attach: 'cgroup_sock_ops', type: 'sock_ops' },
  dev: { attach: 'cgroup_device', type: 'cgroup_device' },
  sysctl: { attach: 'cgroup_sysctl', type: 'cgroup_sysctl' },
  getsockopt: { attach: 'cgroup_getsockopt', type: 'cgroup_sockopt' },
  setsockopt: { attach: 'cgroup_setsockopt', type: 'cgroup_sockopt' },
};

/** Every kind {@link parseAttachPoint} knows, for messages and help. */
export const ATTACH_KINDS: readonly string[] = ['xdp', 'xdpdrv', 'xdpgeneric', 'tc-ingress', 'tc-egress', ...Object.keys(cgroupKinds).map((k) => `cgroup-${k}`)];

/** An interface name as the kernel allows it (IFNAMSIZ 16 with its NUL, no `/`, no whitespace). */
const IFNAME = /^[^/\s:]{1,15}$/;

/**
 * Parses `KIND:TARGET` (see the module comment).
 *
 * @example
 * ```ts
 * parseAttachPoint('xdp:eth0').attachType;                          // 'xdp'
 * parseAttachPoint('cgroup-connect4:/sys/fs/cgroup').programTypes;  // ['cgroup_sock_addr']
 * ```
 * @throws {DeployError} naming what was expected.
 */
export function parseAttachPoint(text: string): AttachPoint {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const target = colon < 0 ? '' : text.slice(colon + 1);
  if (colon < 0 || target === '') throw new DeployError(`attach point '${text}': expected KIND:TARGET, e.g. xdp:eth0, tc-ingress:eth0 or cgroup-connect4:/sys/fs/cgroup`);
  const iface = (): string => {
    if (!IFNAME.test(target)) throw new DeployError(`attach point '${text}': '${target}' is not an interface name (1 to 15 characters, no '/', ':' or spaces)`);
    return target;
  };
  const base = { text, kind, target };
  switch (kind) {
    case 'xdp':
    case 'xdpdrv':
    case 'xdpgeneric':
      return { ...base, target: iface(), family: 'xdp', attachType: 'xdp', programTypes: ['xdp'], xdpFlags: kind === 'xdpdrv' ? XdpFlags.drvMode : kind === 'xdpgeneric' ? XdpFlags.skbMode : 0 };
    case 'tc-ingress':
    case 'tc-egress':
      return { ...base, target: iface(), family: 'tc', attachType: kind === 'tc-ingress' ? 'tcx_ingress' : 'tcx_egress', programTypes: ['sched_cls'], xdpFlags: 0 };
  }
  const cgroup = kind.startsWith('cgroup-') ? cgroupKinds[kind.slice('cgroup-'.length)] : undefined;
  if (cgroup !== undefined) {
    if (!target.startsWith('/')) throw new DeployError(`attach point '${text}': the target of a cgroup attach point is the cgroup's directory, an absolute path (e.g. /sys/fs/cgroup/system.slice)`);
    return { ...base, family: 'cgroup', attachType: cgroup.attach, programTypes: [cgroup.type], xdpFlags: 0 };
  }
  throw new DeployError(`attach point '${text}': unknown kind '${kind}' (expected one of ${ATTACH_KINDS.join(', ')})`);
}

/**
 * Why a program of `programType` whose section implies `expectedAttachType` cannot attach at `point`, or undefined
 * when it can. The kernel refuses these too, at attach time; asking before anything is loaded gives the reason.
 */
export function attachMismatch(point: AttachPoint, program: string, section: string, programType: string, expectedAttachType: string | undefined): string | undefined {
  if (!(point.programTypes as readonly string[]).includes(programType)) {
    return `program '${program}' (section '${section}') is a ${programType} program; ${point.kind} attaches ${point.programTypes.join(' or ')} programs`;
  }
  // tcx and clsact take a sched_cls program whatever its section says; elsewhere the kernel wants the attach type
  // the program was loaded for.
  if (point.family !== 'tc' && expectedAttachType !== undefined && expectedAttachType !== point.attachType) {
    return `program '${program}' (section '${section}') is loaded for attach type ${expectedAttachType}, but ${point.kind} is ${point.attachType}`;
  }
  return undefined;
}

/** The kernel's number of an attach type. */
export function attachTypeId(name: AttachTypeName): number {
  return AttachType[name];
}

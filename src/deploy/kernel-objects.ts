/**
 * What the kernel says about its BPF objects (`BPF_OBJ_GET_INFO_BY_FD`): programs, maps and links, decoded from
 * the uapi structs `bpf_prog_info`, `bpf_map_info` and `bpf_link_info` (include/uapi/linux/bpf.h; the kernel
 * copies as many bytes as the caller asks for, so only the leading fields used here are requested).
 *
 * Author: Claude.
 *
 * @module
 */
import { programTypeName, mapTypeName, attachTypeName } from '../abi/index.ts';
import type { Libbpf } from './libbpf.ts';

/** A loaded program. */
export interface ProgramInfo {
  readonly id: number;
  readonly type: string;
  /** The kernel's tag (SHA-1 prefix of the translated instructions), 16 hex digits as bpftool prints it. */
  readonly tag: string;
  readonly name: string;
}

/** A map. */
export interface MapInfo {
  readonly id: number;
  readonly typeId: number;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
}

/** `enum bpf_link_type`. */
export const LinkType = ['unspec', 'raw_tracepoint', 'tracing', 'cgroup', 'iter', 'netns', 'xdp', 'perf_event', 'kprobe_multi', 'struct_ops', 'netfilter', 'tcx', 'uprobe_multi', 'netkit', 'sockmap'] as const;

/** A link. */
export interface LinkInfo {
  readonly id: number;
  readonly type: string;
  readonly progId: number;
  /** xdp and tcx links: the interface (0 once the interface is gone). */
  readonly ifindex?: number;
  /** cgroup links: the cgroup's id (0 once detached). */
  readonly cgroupId?: bigint;
  readonly attachType?: string;
}

/** Sizes requested: up to and including the last field decoded. */
const PROG_INFO_SIZE = 80;
const MAP_INFO_SIZE = 80;
const LINK_INFO_SIZE = 32;

function cString(bytes: Uint8Array, at: number, max: number): string {
  const end = bytes.subarray(at, at + max).indexOf(0);
  return new TextDecoder().decode(bytes.subarray(at, end < 0 ? at + max : at + end));
}

/** Decodes `bpf_prog_info` of the program `fd`. */
export function programInfo(lib: Libbpf, fd: number): ProgramInfo {
  const b = lib.objInfo(fd, PROG_INFO_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = v.getUint32(0, true);
  return {
    id: v.getUint32(4, true),
    type: programTypeName(type) ?? `type ${type}`,
    tag: Buffer.from(b.subarray(8, 16)).toString('hex'),
    name: cString(b, 64, 16),
  };
}

/** Decodes `bpf_map_info` of the map `fd`. */
export function mapInfo(lib: Libbpf, fd: number): MapInfo {
  const b = lib.objInfo(fd, MAP_INFO_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const typeId = v.getUint32(0, true);
  return {
    id: v.getUint32(4, true),
    typeId,
    type: mapTypeName(typeId) ?? `type ${typeId}`,
    keySize: v.getUint32(8, true),
    valueSize: v.getUint32(12, true),
    maxEntries: v.getUint32(16, true),
    flags: v.getUint32(20, true),
    name: cString(b, 24, 16),
    btfVmlinuxValueTypeId: v.getUint32(44, true),
    btfId: v.getUint32(64, true),
    btfKeyTypeId: v.getUint32(68, true),
    btfValueTypeId: v.getUint32(72, true),
  };
}

/** Decodes `bpf_link_info` of the link `fd` (the union read for xdp, tcx and cgroup links). */
export function linkInfo(lib: Libbpf, fd: number): LinkInfo {
  const b = lib.objInfo(fd, LINK_INFO_SIZE);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const typeId = v.getUint32(0, true);
  const type = LinkType[typeId] ?? `type ${typeId}`;
  const base = { id: v.getUint32(4, true), type, progId: v.getUint32(8, true) };
  switch (type) {
    case 'xdp':
      return { ...base, ifindex: v.getUint32(16, true) };
    case 'tcx':
      return { ...base, ifindex: v.getUint32(16, true), attachType: attachTypeName(v.getUint32(20, true)) ?? String(v.getUint32(20, true)) };
    case 'cgroup':
      return { ...base, cgroupId: v.getBigUint64(16, true), attachType: attachTypeName(v.getUint32(24, true)) ?? String(v.getUint32(24, true)) };
    default:
      return base;
  }
}

/** Runs `fn` with an fd from `open`, closing it afterwards. */
export function withFd<T>(lib: Libbpf, open: () => number, fn: (fd: number) => T): T {
  const fd = open();
  try {
    return fn(fd);
  } finally {
    lib.close_fd(fd);
  }
}

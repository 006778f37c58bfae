/**
 * Linux 6.18 as the verifier's {@link Platform}, from the abi layer (`src/abi`): helper prototypes per program type,
 * map compatibility, context access tables and return ranges. The few facts the abi layer does not carry (which
 * ANYTHING arguments are addresses a helper dereferences, result ranges of 32-bit helpers, the legacy packet loads)
 * come from `helper-extras.ts`.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  checkContextAccess,
  decodeArgType,
  decodeRetType,
  helperById,
  helperPrototypeFor,
  isMapCompatible,
  mapTypeName,
  programType as abiProgramType,
  returnRange,
  structLayouts,
  type AttachTypeName,
  type HelperPrototype as AbiPrototype,
  type MapCallContext,
  type ProgramTypeName,
} from '../abi/index.ts';
import { ADDRESS_ARGUMENTS, FASTCALL_HELPERS, RESULT_RANGES, SIZE_BOUNDED_RESULTS } from './helper-extras.ts';
import { ArgKind, type CtxAccess, type HelperArg, type HelperPrototype, type Platform, type ProgramTypeInfo, RetKind } from './platform.ts';

/** Program types whose programs may use LD_ABS and LD_IND (the kernel's `may_access_skb`). */
const LEGACY_PACKET_LOADS = new Set(['socket_filter', 'sched_cls', 'sched_act']);

/** One abi prototype as the verifier's. */
function convert(p: AbiPrototype): HelperPrototype {
  const addressArgs = ADDRESS_ARGUMENTS[p.name] ?? [];
  const retRange = RESULT_RANGES[p.name];
  const args: HelperArg[] = [];
  let releases: number | undefined;
  p.args.forEach((spelling, i) => {
    const d = decodeArgType(spelling);
    const flags = new Set(d.flags);
    const nullable = flags.has('PTR_MAYBE_NULL');
    if (flags.has('OBJ_RELEASE')) releases = i;
    const fixed = flags.has('MEM_FIXED_SIZE') ? p.argSize?.[(i + 1) as 1 | 2 | 3 | 4 | 5] : undefined;
    const aligned = flags.has('MEM_ALIGNED');
    const withFixed = (a: HelperArg): HelperArg => ({ ...a, ...(fixed !== undefined ? { fixedSize: fixed } : {}), ...(aligned ? { aligned: true } : {}) });
    switch (d.base) {
      case 'ARG_ANYTHING': {
        args.push(addressArgs.includes(i) ? { kind: ArgKind.ANYTHING, pointerOk: true } : { kind: ArgKind.ANYTHING });
        break;
      }
      case 'ARG_CONST_MAP_PTR': args.push({ kind: ArgKind.CONST_MAP_PTR }); break;
      case 'ARG_PTR_TO_MAP_KEY': args.push({ kind: ArgKind.MAP_KEY, nullable }); break;
      case 'ARG_PTR_TO_MAP_VALUE': args.push({ kind: flags.has('MEM_UNINIT') ? ArgKind.UNINIT_MAP_VALUE : ArgKind.MAP_VALUE, nullable }); break;
      case 'ARG_PTR_TO_MEM':
        if (flags.has('MEM_UNINIT')) args.push(withFixed({ kind: ArgKind.UNINIT_MEM, nullable }));
        else args.push(withFixed({ kind: ArgKind.MEM, nullable, ...(flags.has('MEM_RDONLY') ? {} : { write: true }) }));
        break;
      case 'ARG_CONST_SIZE': args.push({ kind: ArgKind.CONST_SIZE }); break;
      case 'ARG_CONST_SIZE_OR_ZERO': args.push({ kind: ArgKind.CONST_SIZE_OR_ZERO }); break;
      case 'ARG_PTR_TO_CTX': args.push({ kind: ArgKind.CTX, nullable }); break;
      case 'ARG_PTR_TO_SOCKET': args.push({ kind: ArgKind.SOCKET, nullable }); break;
      case 'ARG_PTR_TO_SOCK_COMMON':
      case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': args.push({ kind: ArgKind.SOCK_COMMON, nullable }); break;
      case 'ARG_PTR_TO_BTF_ID': args.push({ kind: ArgKind.BTF_ID, nullable }); break;
      case 'ARG_PTR_TO_RINGBUF_MEM': args.push({ kind: ArgKind.ALLOC_MEM }); break;
      case 'ARG_CONST_ALLOC_SIZE_OR_ZERO': args.push({ kind: ArgKind.CONST_ALLOC_SIZE_OR_ZERO }); break;
      case 'ARG_PTR_TO_FUNC': args.push({ kind: ArgKind.FUNC }); break;
      case 'ARG_PTR_TO_STACK': args.push({ kind: ArgKind.STACK, nullable }); break;
      case 'ARG_PTR_TO_CONST_STR': args.push({ kind: ArgKind.CONST_STR }); break;
      case 'ARG_PTR_TO_SPIN_LOCK': args.push({ kind: ArgKind.SPIN_LOCK }); break;
      case 'ARG_DONTCARE': break;
      default: args.push({ kind: ArgKind.UNSUPPORTED }); break;
    }
  });
  const r = decodeRetType(p.ret);
  const rflags = new Set(r.flags);
  const orNull = rflags.has('PTR_MAYBE_NULL');
  let ret: RetKind;
  switch (r.base) {
    case 'RET_INTEGER': ret = RetKind.INTEGER; break;
    case 'RET_VOID': ret = RetKind.VOID; break;
    case 'RET_PTR_TO_MAP_VALUE': ret = orNull ? RetKind.MAP_VALUE_OR_NULL : RetKind.MAP_VALUE; break;
    case 'RET_PTR_TO_SOCKET': ret = RetKind.SOCKET_OR_NULL; break;
    case 'RET_PTR_TO_TCP_SOCK': ret = RetKind.TCP_SOCK_OR_NULL; break;
    case 'RET_PTR_TO_SOCK_COMMON': ret = RetKind.SOCK_COMMON_OR_NULL; break;
    case 'RET_PTR_TO_MEM': ret = rflags.has('MEM_RINGBUF') ? RetKind.ALLOC_MEM_OR_NULL : RetKind.BTF_ID_OR_NULL; break;
    case 'RET_PTR_TO_BTF_ID': ret = orNull ? RetKind.BTF_ID_OR_NULL : RetKind.BTF_ID; break;
    default: ret = orNull ? RetKind.BTF_ID_OR_NULL : RetKind.BTF_ID; break;
  }
  const def = helperById(p.id);
  return {
    id: p.id,
    name: p.name,
    args,
    ret,
    ...(p.gplOnly === true ? { gplOnly: true } : {}),
    ...(def?.changesPacketData === true ? { changesPacketData: true } : {}),
    ...(p.pktAccess === true ? { pktAccess: true } : {}),
    ...(def?.acquiresReference === true ? { acquires: true } : {}),
    ...(releases !== undefined ? { releases } : {}),
    ...(retRange !== undefined ? { retRange } : {}),
    ...(SIZE_BOUNDED_RESULTS.has(p.name) ? { retAtMostSize: true } : {}),
    ...(FASTCALL_HELPERS.has(p.name) ? { fastcall: true } : {}),
  };
}

const converted = new Map<string, HelperPrototype>();

function cached(p: AbiPrototype | undefined): HelperPrototype | undefined {
  if (p === undefined) return undefined;
  let c = converted.get(p.proto);
  if (c === undefined) converted.set(p.proto, (c = convert(p)));
  return c;
}

const CTX_KINDS: Record<string, CtxAccess> = {
  PTR_TO_PACKET: { ok: true, kind: 'packet' },
  PTR_TO_PACKET_META: { ok: true, kind: 'packet_meta' },
  PTR_TO_PACKET_END: { ok: true, kind: 'packet_end' },
  PTR_TO_SOCKET: { ok: true, kind: 'socket' },
  PTR_TO_SOCKET_OR_NULL: { ok: true, kind: 'socket_or_null' },
  PTR_TO_SOCK_COMMON_OR_NULL: { ok: true, kind: 'sock_common_or_null' },
  PTR_TO_FLOW_KEYS: { ok: true, kind: 'flow_keys' },
};

function typeInfo(name: string, attachType: string | undefined): ProgramTypeInfo | undefined {
  const info = abiProgramType(name);
  if (info === undefined) return undefined;
  const type = info.name as ProgramTypeName;
  const attach = attachType as AttachTypeName | undefined;
  const program = attach !== undefined ? { attachType: attach } : {};
  const range = returnRange(type, attach);
  const helperCache = new Map<number, HelperPrototype | undefined>();
  const helper = (id: number): HelperPrototype | undefined => {
    if (!helperCache.has(id)) helperCache.set(id, cached(helperPrototypeFor(type, id, program)));
    return helperCache.get(id);
  };
  return {
    name: type,
    ctxSize: info.context === null ? 0 : structLayouts[info.context].size,
    ctxAccess(off, size, write, signExtend): CtxAccess {
      const r = checkContextAccess(type, off, size, write ? 'write' : 'read', program, { signExtend: signExtend === true });
      if (!r.allowed) return { ok: false, reason: r.reason };
      if (r.yields === undefined) return { ok: true, kind: 'scalar' };
      // Kernel objects and tracepoint buffers are not modelled: such loads are refused.
      return CTX_KINDS[r.yields] ?? { ok: false, reason: `the field yields ${r.yields}, which this verifier does not model` };
    },
    helperAllowed: (id) => helper(id) !== undefined,
    mapCompatible: (id, mapType) => mapHelperCompatible(id, mapType, { programType: type, ...(attach !== undefined ? { attachType: attach } : {}) }),
    helper,
    packetWrite: info.packet.write,
    packetHelperArgs: !info.packet.helperArgs ? 'none' : info.packet.anyHelper === true ? 'any' : 'pkt_access',
    legacyPacketLoads: LEGACY_PACKET_LOADS.has(type),
    retRange: range === 'any' ? undefined : [BigInt(range.min), BigInt(range.max)],
  };
}

/**
 * Linux 6.18, as a root user loads programs. Helper lookups without a program type (`helper`) give the usual
 * prototype.
 */
export const linuxPlatform: Platform = {
  helper: (id) => cached(helperById(id)?.variants[0]),
  programType: (name, attachType) => typeInfo(name, attachType),
  mapCompatible: mapHelperCompatible,
};

/**
 * Whether helper `id` may take a map of type `mapType` (both directions of `check_map_func_compatibility`). Given the
 * program (its type and attach type), `map_update_elem`/`map_delete_elem` on a sockmap or sockhash follow
 * `may_update_sockmap`; without it they count as refused.
 */
export function mapHelperCompatible(id: number, mapType: number, program: MapCallContext = {}): boolean {
  const def = helperById(id);
  const m = mapTypeName(mapType);
  if (def === undefined || m === undefined) return true;
  return isMapCompatible(def.name, m, program);
}

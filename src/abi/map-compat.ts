/**
 * Which map types a helper accepts as its ARG_CONST_MAP_PTR argument. The kernel checks both ways
 * (kernel/bpf/verifier.c `check_map_func_compatibility`): some map types allow only certain helpers (a prog_array
 * only `tail_call`), and some helpers allow only certain map types (`redirect_map` only the dev/cpu/xsk maps). A
 * call passes when both checks pass.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * isMapCompatible('tail_call', 'prog_array'); // true
 * isMapCompatible('map_lookup_elem', 'ringbuf'); // false: a ringbuf allows only the ringbuf_* helpers
 * compatibleMapTypes('redirect_map'); // ['devmap', 'cpumap', 'xskmap', 'devmap_hash']
 * ```
 * @module
 */
import type { HelperName } from './helpers.ts';
import { MapType, type AttachTypeName, type MapTypeName, type ProgramTypeName } from './kernel-enums.ts';

/**
 * The map side: a map of this type may only be passed to these helpers (the first switch of
 * `check_map_func_compatibility`). Map types not listed accept any helper that accepts them.
 */
export const mapTypeHelpers: Readonly<Partial<Record<MapTypeName, readonly HelperName[]>>> = {
  prog_array: ['tail_call'],
  perf_event_array: ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'],
  ringbuf: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  user_ringbuf: ['user_ringbuf_drain'],
  stack_trace: ['get_stackid'],
  cgroup_array: ['skb_under_cgroup', 'current_task_under_cgroup'],
  cgroup_storage: ['get_local_storage'],
  percpu_cgroup_storage: ['get_local_storage'],
  devmap: ['redirect_map', 'map_lookup_elem'],
  devmap_hash: ['redirect_map', 'map_lookup_elem'],
  cpumap: ['redirect_map'],
  xskmap: ['redirect_map', 'map_lookup_elem'],
  array_of_maps: ['map_lookup_elem'],
  hash_of_maps: ['map_lookup_elem'],
  // map_update_elem and map_delete_elem too, in the program types `may_update_sockmap` allows (see below).
  sockmap: ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem'],
  sockhash: ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem'],
  reuseport_sockarray: ['sk_select_reuseport'],
  queue: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  stack: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
  sk_storage: ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg'],
  inode_storage: ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg'],
  task_storage: ['task_storage_get', 'task_storage_delete', 'kptr_xchg'],
  cgrp_storage: ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'],
  bloom_filter: ['map_peek_elem', 'map_push_elem'],
};

/**
 * The helper side: this helper takes only these map types (the second switch of `check_map_func_compatibility`).
 * Helpers not listed take any map type the map side allows.
 */
export const helperMapTypes: Readonly<Partial<Record<HelperName, readonly MapTypeName[]>>> = {
  tail_call: ['prog_array'],
  perf_event_read: ['perf_event_array'],
  perf_event_output: ['perf_event_array'],
  perf_event_read_value: ['perf_event_array'],
  skb_output: ['perf_event_array'],
  xdp_output: ['perf_event_array'],
  ringbuf_output: ['ringbuf'],
  ringbuf_reserve: ['ringbuf'],
  ringbuf_query: ['ringbuf'],
  ringbuf_reserve_dynptr: ['ringbuf'],
  ringbuf_submit_dynptr: ['ringbuf'],
  ringbuf_discard_dynptr: ['ringbuf'],
  user_ringbuf_drain: ['user_ringbuf'],
  get_stackid: ['stack_trace'],
  current_task_under_cgroup: ['cgroup_array'],
  skb_under_cgroup: ['cgroup_array'],
  redirect_map: ['devmap', 'devmap_hash', 'cpumap', 'xskmap'],
  sk_redirect_map: ['sockmap'],
  msg_redirect_map: ['sockmap'],
  sock_map_update: ['sockmap'],
  sk_redirect_hash: ['sockhash'],
  msg_redirect_hash: ['sockhash'],
  sock_hash_update: ['sockhash'],
  get_local_storage: ['cgroup_storage', 'percpu_cgroup_storage'],
  sk_select_reuseport: ['reuseport_sockarray', 'sockmap', 'sockhash'],
  map_pop_elem: ['queue', 'stack'],
  map_peek_elem: ['queue', 'stack', 'bloom_filter'],
  map_push_elem: ['queue', 'stack', 'bloom_filter'],
  map_lookup_percpu_elem: ['percpu_array', 'percpu_hash', 'lru_percpu_hash'],
  sk_storage_get: ['sk_storage'],
  sk_storage_delete: ['sk_storage'],
  inode_storage_get: ['inode_storage'],
  inode_storage_delete: ['inode_storage'],
  task_storage_get: ['task_storage'],
  task_storage_delete: ['task_storage'],
  cgrp_storage_get: ['cgrp_storage'],
  cgrp_storage_delete: ['cgrp_storage'],
};

/**
 * Program types in which map_update_elem / map_delete_elem may take a sockmap or sockhash (`may_update_sockmap`):
 * the socket cannot be locked there. sock_ops may only delete; tracing only from iterators (`trace_iter`).
 */
export const sockmapUpdatePrograms: Readonly<Partial<Record<ProgramTypeName, { readonly helpers: readonly HelperName[]; readonly attachTypes?: readonly AttachTypeName[] }>>> = {
  socket_filter: { helpers: ['map_update_elem', 'map_delete_elem'] },
  sched_cls: { helpers: ['map_update_elem', 'map_delete_elem'] },
  sched_act: { helpers: ['map_update_elem', 'map_delete_elem'] },
  xdp: { helpers: ['map_update_elem', 'map_delete_elem'] },
  sk_reuseport: { helpers: ['map_update_elem', 'map_delete_elem'] },
  flow_dissector: { helpers: ['map_update_elem', 'map_delete_elem'] },
  sk_lookup: { helpers: ['map_update_elem', 'map_delete_elem'] },
  sock_ops: { helpers: ['map_delete_elem'] },
  tracing: { helpers: ['map_update_elem', 'map_delete_elem'], attachTypes: ['trace_iter'] },
};

/** The program a call sits in, for the checks that depend on it (sockmap updates). */
export interface MapCallContext {
  readonly programType?: ProgramTypeName;
  readonly attachType?: AttachTypeName;
}

/**
 * Whether the verifier lets `helper` take a map of type `mapType` (both directions of
 * `check_map_func_compatibility`). Without a program context, sockmap/sockhash updates count as refused.
 */
export function isMapCompatible(helper: HelperName, mapType: MapTypeName, context: MapCallContext = {}): boolean {
  const helperSide = helperMapTypes[helper];
  if (helperSide !== undefined && !helperSide.includes(mapType)) return false;
  const mapSide = mapTypeHelpers[mapType];
  if (mapSide === undefined || mapSide.includes(helper)) return true;
  if ((mapType === 'sockmap' || mapType === 'sockhash') && context.programType !== undefined) {
    const rule = sockmapUpdatePrograms[context.programType];
    if (rule === undefined || !rule.helpers.includes(helper)) return false;
    return rule.attachTypes === undefined || (context.attachType !== undefined && rule.attachTypes.includes(context.attachType));
  }
  return false;
}

/**
 * Every map type `helper` accepts, in `enum bpf_map_type` order (`unspec` excluded). Meaningful for helpers that
 * take a map argument.
 */
export function compatibleMapTypes(helper: HelperName, context: MapCallContext = {}): MapTypeName[] {
  return (Object.keys(MapType) as MapTypeName[]).filter((m) => m !== 'unspec' && isMapCompatible(helper, m, context));
}

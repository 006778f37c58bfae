/**
 * The program-info hash: a digest of what a native program assumes about the runtime that will run it, the
 * program type, the layout of its context and the prototypes of the helpers it calls, as eBPF for Windows' bpf2c
 * embeds one per program. The runtime recomputes it from its own tables (with {@link programInfoHash} and its own
 * {@link ProgramInfoSource}) and refuses an image whose hash differs: a program compiled against another ABI is
 * never run.
 *
 * The hashed text is canonical and versioned, one fact per line:
 *
 * ```
 * bpfship-program-info 1
 * program-type 6 xdp
 * context xdp_md size 24 packet data@0 data_end@4 data_meta@8
 * helper 1 map_lookup_elem void *(struct bpf_map *map, const void *key)
 * ```
 *
 * @module
 */
import { packetPointerFields } from './context-access.ts';
import { helperName } from './helper-names.ts';
import { sha256, toHex } from './sha256.ts';

/** What the hash describes, supplied by the ABI tables (src/abi) once they exist. */
export interface ProgramInfoSource {
  /** One line describing the context struct of a program type: name, size, pointer fields. */
  contextLayout(programType: string): string;
  /** The C prototype of helper `id`, e.g. `void *(struct bpf_map *map, const void *key)`. */
  helperPrototype(id: number): string;
}

// Context structs bpf2c itself knows about (the ones whose packet pointers it rewrites).
const CONTEXTS: Record<string, string> = { xdp: 'xdp_md size 24' };
for (const t of ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb', 'lwt_seg6local', 'flow_dissector']) CONTEXTS[t] = '__sk_buff size 192';

/**
 * The description bpf2c uses until the ABI layer supplies one: the context struct by name, size and packet
 * pointers for the types it rewrites, and helpers by name only.
 */
export const builtinProgramInfo: ProgramInfoSource = {
  contextLayout(programType: string): string {
    const base = CONTEXTS[programType] ?? 'opaque';
    const fields = packetPointerFields(programType);
    if (fields === undefined) return base;
    return `${base} packet ${[...fields].map(([off, name]) => `${name}@${off}`).join(' ')}`;
  },
  helperPrototype(id: number): string {
    return `bpf_${helperName(id)}`;
  },
};

/** The canonical text the hash covers. `helpers` in any order; duplicates are ignored. */
export function programInfoText(programType: string, programTypeId: number, helpers: readonly number[], source: ProgramInfoSource = builtinProgramInfo): string {
  const lines = ['bpfship-program-info 1', `program-type ${programTypeId} ${programType}`, `context ${source.contextLayout(programType)}`];
  for (const id of [...new Set(helpers)].sort((a, b) => a - b)) lines.push(`helper ${id} ${helperName(id)} ${source.helperPrototype(id)}`);
  return lines.join('\n') + '\n';
}

/**
 * The program-info hash (SHA-256 of {@link programInfoText}), as lower-case hex.
 *
 * @example
 * ```ts
 * programInfoHash('xdp', 6, [1]); // '5f1c...'
 * ```
 */
export function programInfoHash(programType: string, programTypeId: number, helpers: readonly number[], source: ProgramInfoSource = builtinProgramInfo): string {
  return toHex(sha256(programInfoText(programType, programTypeId, helpers, source)));
}

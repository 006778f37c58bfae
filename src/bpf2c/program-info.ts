/**
 * The program-info hash: a digest of what a native program assumes about the runtime that will run it, its program
 * type, the layout of its context and the loads and stores the verifier allowed into it, and the full prototype of
 * every helper it calls, as eBPF for Windows' bpf2c embeds one per program. bpf2c computes it from the ABI tables
 * it was built with (src/abi) when it translates; the runtime recomputes it from its own tables with the same
 * function and refuses an image whose attested hash differs: a program verified against one ABI is never run
 * against another (a helper whose arguments changed, a context field that moved).
 *
 * The hashed text is canonical and versioned, one fact per line, everything that may differ between two runtimes
 * spelled out (so a reader can diff two texts to see why two hashes differ):
 *
 * ```
 * bpfship-program-info 2
 * program-type xdp id 6 abi-id 6
 * context xdp_md size 24
 * field data 0 4 __u32
 * field data_end 4 4 __u32
 * ...
 * access data read 4 yields PTR_TO_PACKET
 * ...
 * packet read write helper-args
 * rewrite data@0 data_end@4 data_meta@8
 * helper 1 map_lookup_elem bpf_map_lookup_elem_proto ret RET_PTR_TO_MAP_VALUE_OR_NULL args (ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY) pkt_access
 * ```
 *
 * A helper's prototype can depend on the program's expected attach type (`bpf_bind` only for connect hooks). The
 * attach type is not part of the description: a helper line lists every prototype the program type can get for the
 * helper, over all of its attach types, so the hash is the same whether or not the caller knows the attach type,
 * and still changes whenever any of those prototypes does.
 *
 * Author: Claude.
 *
 * @module
 */
import { PROGRAM_INFO_VERSION } from './version.ts';
import {
  helperById,
  helperPrototypeFor,
  ProgramType,
  programType as abiProgramType,
  structLayouts,
  type ContextAccessRule,
  type HelperPrototype,
  type StructLayout,
} from '../abi/index.ts';
import { packetPointerFields } from './context-access.ts';
import { helperName } from './helper-names.ts';
import { sha256, toHex } from './sha256.ts';

export { PROGRAM_INFO_VERSION } from './version.ts';

/**
 * The facts the hash describes. bpf2c and the runtime use {@link builtinProgramInfo}, read from the ABI tables
 * (src/abi) this build carries; a test or an embedder with other tables supplies its own.
 */
export interface ProgramInfoSource {
  /**
   * Lines describing a program type: its ids, its context struct (name, size, every field with offset, size and C
   * type), the context accesses the verifier allows, its direct packet access.
   */
  programTypeFacts(programType: string, programTypeId: number): readonly string[];
  /** Lines describing helper `id` as a program of `programType` gets it: every prototype, in full. */
  helperFacts(programType: string, id: number): readonly string[];
}

/** `read 1,2,4 write 4 yields PTR_TO_PACKET ...`: every field of an access rule but its note (commentary only). */
function accessLine(rule: ContextAccessRule): string {
  const parts = [`access ${rule.field}`];
  if (rule.offset !== undefined) parts.push(`offset ${rule.offset}`);
  if (rule.size !== undefined) parts.push(`size ${rule.size}`);
  if (rule.read !== undefined) parts.push(`read ${rule.read.join(',')}`);
  if (rule.write !== undefined) parts.push(`write ${rule.write.join(',')}`);
  if (rule.yields !== undefined) parts.push(`yields ${rule.yields}`);
  if (rule.btfType !== undefined) parts.push(`btf ${rule.btfType}`);
  if (rule.anchored === true) parts.push('anchored');
  if (rule.attach !== undefined) parts.push(`attach ${rule.attach.join(',')}`);
  if (rule.capability !== undefined) parts.push(`capability ${rule.capability}`);
  return parts.join(' ');
}

/** One prototype in full: kernel name, return, arguments and every flag the verifier reads. */
export function prototypeText(p: HelperPrototype): string {
  const parts = [p.proto, `ret ${p.ret}`, `args (${p.args.join(', ')})`];
  if (p.gplOnly === true) parts.push('gpl_only');
  if (p.pktAccess === true) parts.push('pkt_access');
  if (p.mightSleep === true) parts.push('might_sleep');
  if (p.allowFastcall === true) parts.push('allow_fastcall');
  if (p.argBtf !== undefined) parts.push(`arg_btf ${Object.entries(p.argBtf).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (p.argSize !== undefined) parts.push(`arg_size ${Object.entries(p.argSize).map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (p.retBtf !== undefined) parts.push(`ret_btf ${p.retBtf}`);
  if (p.allowed !== undefined) parts.push(`allowed ${p.allowed}`);
  return parts.join(' ');
}

/**
 * The prototypes a program of type `type` can get for helper `id` over its attach types (none given, then each
 * expected one), distinct and sorted by kernel name; every variant of the helper when the type is unknown here.
 */
function prototypesFor(type: string, id: number): HelperPrototype[] {
  const def = helperById(id);
  if (def === undefined) return [];
  const info = abiProgramType(type);
  if (info === undefined) return [...def.variants].sort((a, b) => (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0));
  const found = new Map<string, HelperPrototype>();
  for (const attachType of [undefined, ...info.attachTypes]) {
    const p = helperPrototypeFor(info.name, id, attachType === undefined ? {} : { attachType });
    if (p !== undefined) found.set(p.proto, p);
  }
  return [...found.values()].sort((a, b) => (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0));
}

/**
 * The facts of this build's ABI tables (src/abi: Linux 6.18's program types, context layouts, access rules and
 * helper prototypes), plus bpf2c's own assumption about which context fields it rewrites into run-context reads.
 */
export const builtinProgramInfo: ProgramInfoSource = {
  programTypeFacts(programType: string, programTypeId: number): readonly string[] {
    const abiId = (ProgramType as Readonly<Record<string, number>>)[programType];
    const lines = [`program-type ${programType} id ${programTypeId} abi-id ${abiId ?? 'unknown'}`];
    const info = abiProgramType(programType);
    if (info === undefined || info.context === null) {
      lines.push(`context ${info === undefined ? 'unknown' : 'none'}`);
    } else {
      const layout: StructLayout = structLayouts[info.context];
      lines.push(`context ${info.context} size ${layout.size}`);
      for (const f of layout.fields) lines.push(`field ${f.name} ${f.offset} ${f.size} ${f.type}${f.count !== undefined ? `[${f.count}]` : ''}`);
    }
    if (info !== undefined) {
      for (const rule of info.access) lines.push(accessLine(rule));
      const packet = [info.packet.read ? 'read' : '', info.packet.write ? 'write' : '', info.packet.helperArgs ? 'helper-args' : ''].filter((s) => s !== '');
      lines.push(`packet ${packet.length === 0 ? 'none' : packet.join(' ')}`);
    }
    const rewritten = packetPointerFields(programType);
    lines.push(`rewrite ${rewritten === undefined ? 'none' : [...rewritten].map(([off, name]) => `${name}@${off}`).join(' ')}`);
    return lines;
  },
  helperFacts(programType: string, id: number): readonly string[] {
    const protos = prototypesFor(programType, id);
    const head = `helper ${id} ${helperName(id)}`;
    if (protos.length === 0) return [`${head} unavailable`];
    return protos.map((p) => `${head} ${prototypeText(p)}`);
  },
};

/**
 * The canonical text the hash covers (see the module comment). `helpers` in any order; duplicates are ignored.
 *
 * @example
 * ```ts
 * programInfoText('xdp', 6, [1]).split('\n')[1]; // 'program-type xdp id 6 abi-id 6'
 * ```
 */
export function programInfoText(programType: string, programTypeId: number, helpers: readonly number[], source: ProgramInfoSource = builtinProgramInfo): string {
  const lines = [`bpfship-program-info ${PROGRAM_INFO_VERSION}`, ...source.programTypeFacts(programType, programTypeId)];
  for (const id of [...new Set(helpers)].sort((a, b) => a - b)) lines.push(...source.helperFacts(programType, id));
  return lines.join('\n') + '\n';
}

/**
 * The program-info hash (SHA-256 of {@link programInfoText}), as lower-case hex: what bpf2c writes into each
 * program's `info_hash`, the attestation records, and the production policy recomputes at load.
 *
 * @example
 * ```ts
 * programInfoHash('xdp', 6, [1]); // 64 hex digits
 * ```
 */
export function programInfoHash(programType: string, programTypeId: number, helpers: readonly number[], source: ProgramInfoSource = builtinProgramInfo): string {
  const text = programInfoText(programType, programTypeId, helpers, source);
  // Objects with hundreds of programs share a handful of descriptions: hash each text once.
  let hash = infoHashes.get(text);
  if (hash === undefined) {
    hash = toHex(sha256(text));
    if (infoHashes.size >= 1024) infoHashes.clear();
    infoHashes.set(text, hash);
  }
  return hash;
}

/** programInfoHash's memory: description text to hash (bounded). */
const infoHashes = new Map<string, string>();


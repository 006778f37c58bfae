/**
 * What the runtime's jit mode hands the compiler: the core's helper table, its run context's layout, and what it
 * knows of the program's maps and tail-call targets. Its own file because every part of the compiler reads it and
 * the compiler's entry point (compile.ts) imports those parts.
 *
 * Author: Claude.
 *
 * @module
 */

/**
 * What the runtime's jit mode binds at compile time: the core's function-table index of each helper, and where
 * the core's run context keeps the fields the generated code reads.
 */
export interface JitRuntimeBinding {
  /** The function-table index of helper `id` in the core, or undefined when the core lacks it. */
  helperTableIndex(id: number): number | undefined;
  /** Whether helper `id` calls a function of the program back while it runs (the host then needs the frame depth). */
  callsBack(id: number): boolean;
  /**
   * How `bpf_map_lookup_elem` on the map at `address` (what a `lddw` of the map loads) can run without the
   * helper, or undefined to call the helper.
   */
  mapLookup?(address: number): JitMapLookup | undefined;
  /**
   * Where the runtime marks the program ids its program table holds a JIT'd program for: one byte per id below
   * `limit`, non-zero for such an id. With it, a tail call tests one byte before its `call_indirect` (instead of
   * fetching the table entry to see whether it is null, which is a call into the engine); ids from `limit` up go
   * the slow way.
   */
  readonly jitPrograms?: { readonly address: number; readonly limit: number };
  /**
   * The slots of the program array at `address` (what a `lddw` of the map loads), for bpf_tail_call made in the
   * generated code: `maxEntries` u64 words at `slots`, each 0 or (1 << 32) | a program id; undefined for any other
   * map.
   */
  progArray?(address: number): { readonly slots: number; readonly maxEntries: number } | undefined;
  /**
   * Byte offsets in the run context: the tail-call fields and the other per-run results a run starts by clearing
   * (u32), and the packet's pointers (u64).
   */
  readonly runCtx: {
    readonly tailCallPending: number;
    readonly tailCallTarget: number;
    readonly tailCallCount: number;
    readonly redirectKind: number;
    readonly traceCount: number;
    /** The CPU the run is on (u32). */
    readonly cpu: number;
    readonly data: number;
    readonly dataEnd: number;
    readonly dataMeta: number;
    readonly dataHardStart: number;
    readonly dataHardEnd: number;
    /** The program type (u32, enum bpf_prog_type): where LD_ABS's SKF_LL_OFF and SKF_NET_OFF headers are. */
    readonly progType: number;
  };
}

/**
 * A map lookup without the helper: an array map read in place, value `index` (for per-CPU arrays: for the run's
 * CPU) at `values + index * stride + cpu * cpuStride`, NULL for an index of `maxEntries` or more (what Linux's
 * verifier writes inline for array maps, array_map_gen_lookup); or any other map through its type's lookup
 * function, at index `tableIndex` of the core's function table.
 */
export type JitMapLookup =
  | { readonly kind: 'array'; readonly values: number; readonly stride: number; readonly cpuStride: number; readonly maxEntries: number }
  | { readonly kind: 'call'; readonly tableIndex: number };

/* Direct-C baseline: libbpf's program-side macros and the helpers the benchmark programs call, on the host,
 * backed by the runtime core (its helper functions, called directly, with the harness's run context).
 *
 * Author: Claude.
 */
#ifndef BPFSHIP_DIRECT_BPF_HELPERS_H
#define BPFSHIP_DIRECT_BPF_HELPERS_H
#include <stdint.h>
#include "bpfship_core.h"

#define SEC(name) __attribute__((used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The run context of the current run, and how a tail call reaches its target (both in direct-harness.h). */
extern bpfship_run_ctx bpfship_direct_ctx;
static int bpfship_direct_dispatch(uint32_t id, void *ctx);

/* A map definition's first 8 bytes hold the core's map once the harness has registered it. */
#define BPFSHIP_DIRECT_MAP(m) (*(uint64_t *)(void *)(m))

static __always_inline void *bpf_map_lookup_elem(void *map, const void *key) {
  return (void *)(uintptr_t)bpfship_helper_map_lookup_elem(BPFSHIP_DIRECT_MAP(map), (uint64_t)(uintptr_t)key, 0, 0, 0, &bpfship_direct_ctx);
}
static __always_inline long bpf_map_update_elem(void *map, const void *key, const void *value, uint64_t flags) {
  return (long)bpfship_helper_map_update_elem(BPFSHIP_DIRECT_MAP(map), (uint64_t)(uintptr_t)key, (uint64_t)(uintptr_t)value, flags, 0, &bpfship_direct_ctx);
}
static __always_inline long bpf_map_delete_elem(void *map, const void *key) {
  return (long)bpfship_helper_map_delete_elem(BPFSHIP_DIRECT_MAP(map), (uint64_t)(uintptr_t)key, 0, 0, 0, &bpfship_direct_ctx);
}
/* bpf_tail_call: the core checks and records the call; the target then runs here and its result is returned from
 * the calling function (a statement expression may return from it), as close to a jump as host C gets. */
#define bpf_tail_call(ctx, map, index)                                                                             \
  ({                                                                                                               \
    long bpfship_r = (long)bpfship_helper_tail_call((uint64_t)(uintptr_t)(ctx), BPFSHIP_DIRECT_MAP(map), (index), 0, \
                                                    0, &bpfship_direct_ctx);                                      \
    if (bpfship_direct_ctx.tail_call_pending) {                                                                    \
      bpfship_direct_ctx.tail_call_pending = 0;                                                                    \
      return bpfship_direct_dispatch(bpfship_direct_ctx.tail_call_target, (ctx));                                  \
    }                                                                                                              \
    bpfship_r;                                                                                                     \
  })
#endif

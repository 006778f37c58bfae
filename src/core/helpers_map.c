/*
 * Map helpers (kernel/bpf/helpers.c, bpf_for_each_map_elem) and bpf_tail_call.
 *
 * Arguments arrive as u64 registers; the verifier has already checked their types (a map pointer in r1, a key of
 * key_size bytes, ...), so the helpers only re-check what Linux's map code checks at run time.
 *
 * Author: Claude.
 */
#include "internal.h"

#define MAP(r) ((bpfship_map *)BS_PTR(r))
#define RET(err) ((uint64_t)(int64_t)(err))

uint64_t bpfship_helper_map_lookup_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5;
  return BS_U64(bpfship_map_lookup_elem(MAP(r1), BS_PTR(r2), ctx));
}

uint64_t bpfship_helper_map_update_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r5;
  bpfship_map *m = MAP(r1);
  if (!m->ops->update) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->update(m, BS_PTR(r2), BS_PTR(r3), r4, ctx->cpu));
}

uint64_t bpfship_helper_map_delete_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = MAP(r1);
  if (!m->ops->remove) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->remove(m, BS_PTR(r2)));
}

uint64_t bpfship_helper_map_push_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = MAP(r1);
  if (!m->ops->push) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->push(m, BS_PTR(r2), r3));
}

uint64_t bpfship_helper_map_pop_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                     bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = MAP(r1);
  if (!m->ops->pop) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->pop(m, BS_PTR(r2), true));
}

uint64_t bpfship_helper_map_peek_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = MAP(r1);
  if (!m->ops->pop) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->pop(m, BS_PTR(r2), false));
}

/* bpf_map_lookup_percpu_elem: another CPU's slot of a per-CPU map; NULL for cpu >= ncpus. */
uint64_t bpfship_helper_map_lookup_percpu_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                               bpfship_run_ctx *ctx) {
  (void)r4, (void)r5, (void)ctx;
  bpfship_map *m = MAP(r1);
  uint32_t cpu = (uint32_t)r3;
  uint32_t t = m->map_type;
  if (cpu >= bs_ncpus() || (t != BPFSHIP_MAP_TYPE_PERCPU_ARRAY && t != BPFSHIP_MAP_TYPE_PERCPU_HASH &&
                            t != BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH))
    return 0;
  return BS_U64(m->ops->lookup(m, BS_PTR(r2), cpu, true));
}

/* bpf_for_each_map_elem(map, callback, callback_ctx, flags): returns the number of elements visited. */
uint64_t bpfship_helper_for_each_map_elem(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  (void)r5;
  bpfship_map *m = MAP(r1);
  if (r4 != 0) return RET(-BPFSHIP_EINVAL);
  if (!m->ops->for_each) return RET(-BPFSHIP_EINVAL);
  return RET(m->ops->for_each(m, r2, r3, ctx));
}

/*
 * bpf_tail_call(ctx, prog_array, index). The core cannot jump: it checks the call the way the kernel's
 * interpreter does (index in range, fewer than 33 tail calls so far (the count grows even when the slot turns out
 * empty), a program in the slot) and records the target; the executor then abandons the current program and
 * starts the target with the same context. On failure the program continues with the next instruction.
 */
uint64_t bpfship_helper_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                  bpfship_run_ctx *ctx) {
  (void)r1, (void)r4, (void)r5;
  bpfship_map *m = MAP(r2);
  uint32_t index = (uint32_t)r3, prog_id;
  if (m->map_type != BPFSHIP_MAP_TYPE_PROG_ARRAY) return RET(-BPFSHIP_EINVAL);
  if (index >= m->max_entries) return RET(-BPFSHIP_E2BIG);
  if (ctx->tail_call_count >= BPFSHIP_MAX_TAIL_CALL_CNT) return RET(-BPFSHIP_EBUSY);
  ctx->tail_call_count++;
  if (bs_fd_array_slot(m, index, &prog_id) != 0) return RET(-BPFSHIP_ENOENT);
  ctx->tail_call_pending = 1;
  ctx->tail_call_target = prog_id;
  return 0;
}

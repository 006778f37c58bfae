/* Direct-C baseline: included after a benchmark program's source. The including file defines
 * BPFSHIP_DIRECT_MAPS(X) (X(map) per map) and BPFSHIP_DIRECT_PROGRAMS(X) (X(function) per program, in order).
 *
 * Author: Claude.
 */
#include <string.h>

bpfship_run_ctx bpfship_direct_ctx;

typedef int (*bpfship_direct_fn)(struct xdp_md *);
#define BPFSHIP_DIRECT_FN(f) f,
static const bpfship_direct_fn bpfship_direct_programs[] = {BPFSHIP_DIRECT_PROGRAMS(BPFSHIP_DIRECT_FN)};
#define BPFSHIP_DIRECT_COUNT (sizeof bpfship_direct_programs / sizeof bpfship_direct_programs[0])

/* Tail-call ids are program indices + 1. */
static int bpfship_direct_dispatch(uint32_t id, void *ctx) {
  if (id == 0 || id > BPFSHIP_DIRECT_COUNT) return 0;
  return bpfship_direct_programs[id - 1]((struct xdp_md *)ctx);
}

static int bpfship_direct_register(void *def, uint32_t type, uint32_t key, uint32_t value, uint32_t max, const char *name) {
  bpfship_map_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.map_type = type;
  attr.key_size = key;
  attr.value_size = value;
  attr.max_entries = max;
  attr.spin_lock_off = -1;
  strncpy(attr.name, name, sizeof attr.name - 1);
  bpfship_map *map = NULL;
  if (bpfship_map_create(&attr, &map) != 0) return -1;
  *(uint64_t *)def = (uint64_t)(uintptr_t)map;
  return 0;
}
#define BPFSHIP_DIRECT_REGISTER(m)                                                                                 \
  if (bpfship_direct_register(&m, sizeof(*m.type) / sizeof(int), sizeof(*m.key), sizeof(*m.value),                \
                              sizeof(*m.max_entries) / sizeof(int), #m) != 0)                                      \
    return -1;

/* Creates the maps and the run context. Returns 0, or -1. */
__attribute__((visibility("default"))) int direct_setup(void) {
  if (bpfship_core_init(1) != 0) return -1;
  BPFSHIP_DIRECT_MAPS(BPFSHIP_DIRECT_REGISTER)
  return bpfship_run_ctx_init(&bpfship_direct_ctx, BPFSHIP_PROG_TYPE_XDP, 0, 1);
}

/* The core's map of the definition named `name` (for the benchmark to fill), or NULL. */
#define BPFSHIP_DIRECT_LOOKUP(m)                                                                                   \
  if (strcmp(name, #m) == 0) return (void *)(uintptr_t)BPFSHIP_DIRECT_MAP(&m);
__attribute__((visibility("default"))) void *direct_map(const char *name) {
  BPFSHIP_DIRECT_MAPS(BPFSHIP_DIRECT_LOOKUP)
  return NULL;
}

static inline uint64_t bpfship_direct_frame(bpfship_direct_fn fn, uint8_t *buffer, uint32_t headroom, uint32_t length, uint32_t size) {
  uint64_t start = (uint64_t)(uintptr_t)buffer;
  struct xdp_md md = {start + headroom, start + headroom + length, start + headroom, 0, 0, 0};
  bpfship_run_ctx *c = &bpfship_direct_ctx;
  c->ctx = (uint64_t)(uintptr_t)&md;
  c->data_hard_start = start;
  c->data = start + headroom;
  c->data_meta = start + headroom;
  c->data_end = start + headroom + length;
  c->data_hard_end = start + size;
  c->tail_call_pending = 0;
  c->tail_call_count = 0;
  c->redirect_kind = 0;
  c->trace_count = 0;
  return (uint64_t)(uint32_t)fn(&md);
}

/* Same signature and frame layout as a native image's bpfship_native_run_xdp_batch. */
__attribute__((visibility("default"))) uint32_t direct_run_xdp_batch(uint32_t program, uint8_t *frames, uint32_t stride, uint32_t headroom,
                                                                     const uint32_t *lengths, uint32_t count, uint64_t *results) {
  if (program >= BPFSHIP_DIRECT_COUNT || headroom > stride) return 0;
  bpfship_direct_fn fn = bpfship_direct_programs[program];
  for (uint32_t i = 0; i < count; i++) {
    uint32_t length = lengths[i] <= stride - headroom ? lengths[i] : stride - headroom;
    results[i] = bpfship_direct_frame(fn, frames + (size_t)i * stride, headroom, length, stride);
  }
  return count;
}

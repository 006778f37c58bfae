/*
 * Microbenchmark (not a test): the cost of a hash map lookup in the native runtime core, called the way a native
 * image calls it (through the helper table's function pointer) and the way a user-space tool does. Prints
 * nanoseconds per lookup. Built by `scripts/build-core.sh --bench`; run build/core/bench-native [iterations].
 *
 * Author: Claude.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bpfship_core.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 20000000;
  bpfship_core_init(1);
  bpfship_map_attr attr = {BPFSHIP_MAP_TYPE_HASH, 4, 8, 1024, 0, 0, -1, 0, 0, "bench"};
  bpfship_map *map;
  if (bpfship_map_create(&attr, &map) != 0) return 1;
  for (uint32_t k = 0; k < 1000; k++) {
    uint64_t v = k;
    bpfship_map_update(map, &k, &v, 0);
  }
  bpfship_run_ctx ctx;
  bpfship_run_ctx_init(&ctx, BPFSHIP_PROG_TYPE_XDP, 0, 1);
  volatile bpfship_helper_fn lookup = bpfship_helper_table[1].fn;
  uint32_t key = 0;
  uint64_t acc = 0;
  for (int warm = 0; warm < 2; warm++) {
    double t0 = now_ns();
    for (long i = 0; i < iterations; i++) {
      key = (uint32_t)i & 1023u; /* 1000 present, 24 absent */
      acc += lookup((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)&key, 0, 0, 0, &ctx);
    }
    double t1 = now_ns();
    uint64_t value;
    for (long i = 0; i < iterations; i++) {
      key = (uint32_t)i & 1023u;
      acc += (uint64_t)bpfship_map_lookup(map, &key, &value, 0) + value;
    }
    double t2 = now_ns();
    key = 7; /* one hot key, like the wasm→wasm loop of bench-core.ts */
    for (long i = 0; i < iterations; i++)
      acc += lookup((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)&key, 0, 0, 0, &ctx);
    double t3 = now_ns();
    if (warm)
      printf("native helper map_lookup_elem (varying keys): %.1f ns/lookup\n"
             "native helper map_lookup_elem (one key): %.1f ns/lookup\n"
             "native bpfship_map_lookup (copy out): %.1f ns/lookup\n",
             (t1 - t0) / (double)iterations, (t3 - t2) / (double)iterations, (t2 - t1) / (double)iterations);
  }
  return acc == 42 ? 2 : 0;
}

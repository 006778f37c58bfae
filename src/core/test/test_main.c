/* Runs every suite of the core's C tests against the native library and prints "N passed, N failed".
 * Author: Claude.
 */
#include "test.h"

int test_passed, test_failed;
char last_trace[1100];
int trace_calls;
int perf_calls;
uint32_t last_perf_cpu, last_perf_size, last_perf_ctx_size;
unsigned char last_perf_data[256];
int notify_calls;

static uint64_t fake_ktime(void *user, int clock) {
  (void)user;
  return 1000000000ull * (uint64_t)(clock + 1);
}

static void capture_trace(void *user, bpfship_run_ctx *ctx, const char *msg, uint32_t len) {
  (void)user, (void)ctx;
  if (len >= sizeof last_trace) len = sizeof last_trace - 1;
  memcpy(last_trace, msg, len);
  last_trace[len] = 0;
  trace_calls++;
}

static int capture_perf(void *user, bpfship_run_ctx *ctx, uint32_t map_id, uint32_t cpu, const void *data,
                        uint32_t size, const void *ctx_data, uint32_t ctx_size) {
  (void)user, (void)ctx, (void)map_id, (void)ctx_data;
  perf_calls++;
  last_perf_cpu = cpu;
  last_perf_size = size;
  last_perf_ctx_size = ctx_size;
  memcpy(last_perf_data, data, size < sizeof last_perf_data ? size : sizeof last_perf_data);
  return 0;
}

static void count_notify(void *user, uint32_t map_id) {
  (void)user, (void)map_id;
  notify_calls++;
}

bpfship_map *make_map(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags) {
  bpfship_map_attr a = {type, key_size, value_size, max_entries, flags, 0, -1, 0, 0, "t"};
  bpfship_map *m = NULL;
  int err = bpfship_map_create(&a, &m);
  if (err) {
    test_failed++;
    fprintf(stderr, "make_map(type %u): error %d\n", type, err);
    return NULL;
  }
  return m;
}

int create_err(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags) {
  bpfship_map_attr a = {type, key_size, value_size, max_entries, flags, 0, -1, 0, 0, "t"};
  bpfship_map *m = NULL;
  int err = bpfship_map_create(&a, &m);
  if (m) bpfship_map_release(m);
  return err;
}

void init_ctx(bpfship_run_ctx *ctx, uint32_t prog_type, uint32_t cpu) { bpfship_run_ctx_init(ctx, prog_type, cpu, 42); }

uint64_t call_helper(uint32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                     bpfship_run_ctx *ctx) {
  bpfship_helper_fn fn = bpfship_helper_fn_of(id);
  if (!fn) {
    test_failed++;
    fprintf(stderr, "helper %u is not implemented\n", id);
    return 0;
  }
  return fn(r1, r2, r3, r4, r5, ctx);
}

int main(void) {
  if (bpfship_core_init(4) != 0) {
    fprintf(stderr, "bpfship_core_init failed\n");
    return 1;
  }
  bpfship_host_hooks hooks = {NULL, fake_ktime, capture_trace, capture_perf, count_notify};
  bpfship_core_set_hooks(&hooks);
  bpfship_core_set_task(100, 200, 1000, 2000, "bpfship-tests-long-name");
  struct {
    const char *name;
    void (*fn)(void);
  } suites[] = {
      {"array", suite_array},       {"hash", suite_hash},   {"lru", suite_lru},
      {"ringbuf", suite_ringbuf},   {"queue_stack", suite_queue_stack},
      {"bloom", suite_bloom},
      {"cgroup_storage", suite_cgroup_storage},
      {"lpm", suite_lpm},           {"map_in_map", suite_map_in_map},
      {"batch", suite_batch},       {"printk", suite_printk},
      {"helpers", suite_helpers},   {"packet", suite_packet},
      {"skb", suite_skb},           {"fib", suite_fib},
      {"string", suite_string},
  };
  for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
    int before_fail = test_failed, before_pass = test_passed;
    suites[i].fn();
    printf("%-12s %d passed, %d failed\n", suites[i].name, test_passed - before_pass, test_failed - before_fail);
  }
  printf("%d passed, %d failed\n", test_passed, test_failed);
  return test_failed ? 1 : 0;
}

/* Helpers other than packet ones: table, time, randomness, identity, locks, bpf_loop, tail calls, output.
 * Author: Claude.
 */
#include "test.h"

static uint64_t loop_cb(uint64_t i, uint64_t cb_ctx, uint64_t r3, uint64_t r4, uint64_t r5, bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  uint64_t *sum = (uint64_t *)(uintptr_t)cb_ctx;
  *sum += i;
  return i == 9; /* stop at the tenth iteration */
}

static uint64_t via_invoker_calls;
static uint64_t invoker(bpfship_run_ctx *ctx, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                        uint64_t r5) {
  via_invoker_calls++;
  return ((bpfship_helper_fn)(uintptr_t)fn)(r1, r2, r3, r4, r5, ctx);
}

void suite_helpers(void) {
  /* the table knows every Linux id and says which ones are implemented */
  CHECK_STR(bpfship_helper_name(1), "map_lookup_elem");
  CHECK_STR(bpfship_helper_name(12), "tail_call");
  CHECK_STR(bpfship_helper_name(181), "loop");
  CHECK_STR(bpfship_helper_name(209), "user_ringbuf_drain");
  CHECK(bpfship_helper_name(210) == NULL);
  CHECK_EQ(bpfship_helper_implemented(1), 1);
  CHECK_EQ(bpfship_helper_implemented(17), 0); /* get_cgroup_classid */
  CHECK_EQ(bpfship_helper_implemented(0), 0);
  CHECK_EQ(bpfship_helper_implemented(5000), 0);
  CHECK_EQ(bpfship_helper_flags(12), BPFSHIP_HELPER_F_TAIL_CALL);
  CHECK_EQ(bpfship_helper_flags(44), BPFSHIP_HELPER_F_PACKET);
  CHECK_EQ(bpfship_helper_flags(181), BPFSHIP_HELPER_F_CALLBACK);
  int implemented = 0;
  for (uint32_t id = 0; id < BPFSHIP_HELPER_COUNT; id++) {
    CHECK(bpfship_helper_table[id].name != NULL);
    implemented += bpfship_helper_implemented(id);
  }
  CHECK_EQ(implemented, 80);
  CHECK_EQ(bpfship_core_abi_version(), BPFSHIP_CORE_ABI_VERSION);
  CHECK_EQ(bpfship_core_init(4), 0);
  bpfship_map *live = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 4, 1, 0);
  CHECK_EQ(bpfship_core_init(8), -BPFSHIP_EBUSY); /* the CPU count fixes every per-CPU map's shape */
  bpfship_map_release(live);
  CHECK_EQ(bpfship_core_init(0), -BPFSHIP_EINVAL);

  bpfship_run_ctx ctx;
  CHECK_EQ(bpfship_run_ctx_init(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 4, 1), -BPFSHIP_EINVAL);
  /* the register-block entry point */
  uint64_t regs[6] = {0, 0, 0, 0, 0, 0};
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 2);
  CHECK_EQ(bpfship_call_helper(8, &ctx, regs), 0);
  CHECK_EQ(regs[0], 2);
  CHECK_EQ(bpfship_call_helper(17, &ctx, regs), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_call_helper(9999, &ctx, regs), -BPFSHIP_EINVAL);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 3);
  CHECK_EQ(bpfship_run_ctx_size(), 160);
  CHECK_EQ(call_helper(5, 0, 0, 0, 0, 0, &ctx), 1000000000ull);    /* monotonic from the hook */
  CHECK_EQ(call_helper(125, 0, 0, 0, 0, 0, &ctx), 2000000000ull);  /* boottime */
  CHECK_EQ(call_helper(160, 0, 0, 0, 0, 0, &ctx), 3000000000ull);  /* coarse */
  CHECK_EQ(call_helper(208, 0, 0, 0, 0, 0, &ctx), 4000000000ull);  /* tai */
  CHECK_EQ(call_helper(118, 0, 0, 0, 0, 0, &ctx), 250);            /* jiffies at HZ=250 */
  CHECK_EQ(call_helper(8, 0, 0, 0, 0, 0, &ctx), 3);
  CHECK_EQ(call_helper(14, 0, 0, 0, 0, 0, &ctx), (200ull << 32) | 100);
  CHECK_EQ(call_helper(15, 0, 0, 0, 0, 0, &ctx), (2000ull << 32) | 1000);
  char comm[20];
  memset(comm, 'X', sizeof comm);
  CHECK_EQ(call_helper(16, P(comm), sizeof comm, 0, 0, 0, &ctx), 0);
  CHECK_STR(comm, "bpfship-tests-l"); /* TASK_COMM_LEN 16 */
  CHECK_EQ(comm[19], 0);
  char shortc[4];
  call_helper(16, P(shortc), sizeof shortc, 0, 0, 0, &ctx);
  CHECK_STR(shortc, "bpf");

  /* prandom: reproducible per seed, different across seeds, spread over 32 bits */
  bpfship_run_ctx a, b, c;
  bpfship_run_ctx_init(&a, 0, 0, 7);
  bpfship_run_ctx_init(&b, 0, 0, 7);
  bpfship_run_ctx_init(&c, 0, 0, 8);
  int same = 1, differ = 0;
  uint64_t ored = 0;
  for (int i = 0; i < 64; i++) {
    uint64_t x = call_helper(7, 0, 0, 0, 0, 0, &a), y = call_helper(7, 0, 0, 0, 0, 0, &b);
    uint64_t z = call_helper(7, 0, 0, 0, 0, 0, &c);
    same &= x == y;
    differ |= x != z;
    ored |= x;
    CHECK(x <= 0xffffffffu);
  }
  CHECK(same);
  CHECK(differ);
  CHECK_EQ(ored, 0xffffffffu);

  /* spin lock */
  uint32_t lock = 0;
  call_helper(93, P(&lock), 0, 0, 0, 0, &ctx);
  CHECK_EQ(lock, 1);
  call_helper(94, P(&lock), 0, 0, 0, 0, &ctx);
  CHECK_EQ(lock, 0);

  /* bpf_loop: direct C callbacks (bpf2c style) or through the executor's invoker */
  uint64_t sum = 0;
  CHECK_EQ(call_helper(181, 100, P(loop_cb), P(&sum), 0, 0, &ctx), 10);
  CHECK_EQ(sum, 45);
  sum = 0;
  CHECK_EQ(call_helper(181, 5, P(loop_cb), P(&sum), 0, 0, &ctx), 5);
  CHECK_EQ(sum, 10);
  CHECK_EQ(call_helper(181, 5, P(loop_cb), P(&sum), 1, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(181, (1u << 23) + 1, P(loop_cb), P(&sum), 0, 0, &ctx), (uint64_t)-BPFSHIP_E2BIG);
  ctx.callback_invoker = P(invoker);
  sum = 0;
  CHECK_EQ(call_helper(181, 3, P(loop_cb), P(&sum), 0, 0, &ctx), 3);
  CHECK_EQ(via_invoker_calls, 3);
  ctx.callback_invoker = 0;

  /* tail calls: recorded for the executor; 33 at most per run */
  bpfship_map *pa = make_map(BPFSHIP_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
  bpfship_map *arr = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 4, 4, 0);
  if (pa && arr) {
    uint32_t k = 2, id = 55, target = 0;
    bpfship_map_update(pa, &k, &id, 0);
    init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
    CHECK_EQ(call_helper(12, 0, P(pa), 1, 0, 0, &ctx), (uint64_t)-BPFSHIP_ENOENT); /* empty slot */
    CHECK_EQ(ctx.tail_call_count, 1);                                             /* ...still counted */
    CHECK_EQ(call_helper(12, 0, P(pa), 4, 0, 0, &ctx), (uint64_t)-BPFSHIP_E2BIG);
    CHECK_EQ(call_helper(12, 0, P(arr), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
    CHECK_EQ(bpfship_run_ctx_take_tail_call(&ctx, &target), 0);
    CHECK_EQ(call_helper(12, 0, P(pa), 2, 0, 0, &ctx), 0);
    CHECK_EQ(ctx.tail_call_pending, 1);
    CHECK_EQ(bpfship_run_ctx_take_tail_call(&ctx, &target), 1);
    CHECK_EQ(target, 55);
    CHECK_EQ(ctx.tail_call_pending, 0);
    int ok = 0;
    while (call_helper(12, 0, P(pa), 2, 0, 0, &ctx) == 0) ok++;
    CHECK_EQ(ok, 31); /* 2 counted already, 33 in all */
    CHECK_EQ(ctx.tail_call_count, 33);
  }
  bpfship_map_release(pa);
  bpfship_map_release(arr);

  /* trace_printk / vprintk / snprintf */
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  static const char f1[] = "pid %d comm %s\n";
  int calls = trace_calls;
  CHECK_EQ(call_helper(6, P(f1), sizeof f1, 42, P("init"), 0, &ctx), 17);
  CHECK_STR(last_trace, "pid 42 comm init\n");
  CHECK_EQ(trace_calls, calls + 1);
  CHECK_EQ(ctx.trace_count, 1);
  static const char f2[] = "%d %d %d %d";
  CHECK_EQ(call_helper(6, P(f2), sizeof f2, 1, 2, 3, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(trace_calls, calls + 1);
  CHECK_EQ(call_helper(6, P(f1), 5, 42, P("init"), 0, &ctx), (uint64_t)-BPFSHIP_EINVAL); /* no NUL in size */
  uint64_t va[5] = {1, 2, 3, 4, 5};
  static const char f5[] = "%d-%d-%d-%d-%d";
  CHECK_EQ(call_helper(177, P(f5), sizeof f5, P(va), 40, 0, &ctx), 9);
  CHECK_STR(last_trace, "1-2-3-4-5");
  CHECK_EQ(call_helper(177, P(f5), sizeof f5, P(va), 36, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(177, P(f5), sizeof f5, P(va), 13 * 8, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(177, P(f5), sizeof f5, 0, 8, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  char sbuf[8];
  CHECK_EQ(call_helper(165, P(sbuf), sizeof sbuf, P(f5), P(va), 40, &ctx), 10); /* length + NUL */
  CHECK_STR(sbuf, "1-2-3-4");
  CHECK_EQ(call_helper(165, 0, 0, P(f5), P(va), 40, &ctx), 10);

  /* perf_event_output: slots must be open, only from their own CPU */
  bpfship_map *pe = make_map(BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0);
  if (pe) {
    init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 1);
    uint32_t data = 0xabcd;
    const uint64_t cur = 0xffffffffull;
    CHECK_EQ(call_helper(25, 0, P(pe), cur, P(&data), 4, &ctx), (uint64_t)-BPFSHIP_ENOENT);
    for (uint32_t k = 0; k < 4; k++) bpfship_map_update(pe, &k, &k, 0);
    int before = perf_calls;
    CHECK_EQ(call_helper(25, 0, P(pe), cur, P(&data), 4, &ctx), 0);
    CHECK_EQ(perf_calls, before + 1);
    CHECK_EQ(last_perf_cpu, 1);
    CHECK_EQ(last_perf_size, 4);
    CHECK_EQ(last_perf_data[1], 0xab);
    CHECK_EQ(call_helper(25, 0, P(pe), 1, P(&data), 4, &ctx), 0);
    CHECK_EQ(call_helper(25, 0, P(pe), 2, P(&data), 4, &ctx), (uint64_t)-BPFSHIP_EOPNOTSUPP);
    CHECK_EQ(call_helper(25, 0, P(pe), 7, P(&data), 4, &ctx), (uint64_t)-BPFSHIP_E2BIG);
    CHECK_EQ(call_helper(25, 0, P(pe), cur | (4ull << 32), P(&data), 4, &ctx), (uint64_t)-BPFSHIP_EINVAL);
    bpfship_map_release(pe);
  }
}

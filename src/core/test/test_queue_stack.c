/* Queue and stack maps: creation rules, FIFO/LIFO order, full maps with and without BPF_EXIST, empty pops.
 * Author: Claude.
 */
#include "test.h"

void suite_queue_stack(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_QUEUE, 0, 4, 3, 0), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_QUEUE, 4, 4, 3, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_STACK, 0, 0, 3, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_STACK, 0, 4, 0, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_STACK, 0, 4, 3, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);

  bpfship_map *q = make_map(BPFSHIP_MAP_TYPE_QUEUE, 0, 4, 3, 0);
  bpfship_map *s = make_map(BPFSHIP_MAP_TYPE_STACK, 0, 4, 3, 0);
  if (!q || !s) return;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_KPROBE, 0);
  uint32_t v, out = 99;
  CHECK_EQ(call_helper(88, P(q), P(&out), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_ENOENT);
  CHECK_EQ(out, 0); /* zeroed on failure */
  for (v = 1; v <= 3; v++) {
    CHECK_EQ(call_helper(87, P(q), P(&v), 0, 0, 0, &ctx), 0);
    CHECK_EQ(bpfship_map_update(s, NULL, &v, 0), 0);
  }
  v = 4;
  CHECK_EQ(call_helper(87, P(q), P(&v), 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_E2BIG);
  CHECK_EQ(call_helper(87, P(q), P(&v), BPFSHIP_NOEXIST, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(87, P(q), P(&v), 4, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(87, P(q), P(&v), BPFSHIP_EXIST, 0, 0, &ctx), 0); /* drops the oldest (1) */
  CHECK_EQ(bpfship_map_update(s, NULL, &v, BPFSHIP_EXIST), 0);          /* drops the bottom (1) */
  CHECK_EQ(call_helper(89, P(q), P(&out), 0, 0, 0, &ctx), 0);
  CHECK_EQ(out, 2); /* peek */
  CHECK_EQ(bpfship_map_lookup(q, NULL, &out, 0), 0);
  CHECK_EQ(out, 2);
  uint32_t qorder[3], sorder[3];
  for (int i = 0; i < 3; i++) {
    CHECK_EQ(call_helper(88, P(q), P(&qorder[i]), 0, 0, 0, &ctx), 0);
    CHECK_EQ(bpfship_map_lookup_and_delete(s, NULL, &sorder[i], 0), 0);
  }
  CHECK(qorder[0] == 2 && qorder[1] == 3 && qorder[2] == 4);
  CHECK(sorder[0] == 4 && sorder[1] == 3 && sorder[2] == 2);
  CHECK_EQ(bpfship_map_lookup_and_delete(s, NULL, &out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_lookup_and_delete(s, NULL, &out, BPFSHIP_F_LOCK), -BPFSHIP_EINVAL);
  uint32_t key = 0;
  CHECK_EQ(bpfship_map_delete(q, &key), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_get_next_key(q, NULL, &key), -BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(2, P(q), 0, P(&v), 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  /* wrap the internal ring many times */
  int ok = 1;
  for (uint32_t i = 0; i < 50; i++) {
    bpfship_map_update(q, NULL, &i, 0);
    ok &= bpfship_map_lookup_and_delete(q, NULL, &out, 0) == 0 && out == i;
  }
  CHECK(ok);
  bpfship_map_release(q);
  bpfship_map_release(s);
}

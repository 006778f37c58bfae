/* LPM trie: creation rules, longest-prefix lookups, exact-prefix updates and deletes, full trie, key order.
 * Author: Claude.
 */
#include "test.h"

typedef struct {
  uint32_t prefixlen;
  uint8_t addr[4];
} key4;

static key4 K(uint32_t plen, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  key4 k = {plen, {a, b, c, d}};
  return k;
}

static uint32_t lookup(bpfship_map *m, key4 k) {
  uint32_t v = 0;
  int err = bpfship_map_lookup(m, &k, &v, 0);
  return err ? 0 : v;
}

void suite_lpm(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 8, 4, 16, BPFSHIP_F_NO_PREALLOC), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 8, 4, 16, 0), -BPFSHIP_EINVAL); /* NO_PREALLOC is required */
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 4, 4, 16, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 261, 4, 16, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 260, 4, 16, BPFSHIP_F_NO_PREALLOC), 0);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 8, 0, 16, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_LPM_TRIE, 8, 4, 0, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);

  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_LPM_TRIE, 8, 4, 5, BPFSHIP_F_NO_PREALLOC);
  if (!m) return;
  key4 k;
  uint32_t v;
  CHECK_EQ(lookup(m, K(32, 10, 1, 2, 3)), 0);
  k = K(8, 10, 0, 0, 0), v = 8;
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_NOEXIST), 0);
  k = K(16, 10, 1, 0, 0), v = 16;
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);
  k = K(24, 10, 1, 2, 0), v = 24;
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);
  k = K(16, 192, 168, 0, 0), v = 192;
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);

  CHECK_EQ(lookup(m, K(32, 10, 1, 2, 3)), 24);
  CHECK_EQ(lookup(m, K(32, 10, 1, 3, 3)), 16);
  CHECK_EQ(lookup(m, K(32, 10, 2, 0, 1)), 8);
  CHECK_EQ(lookup(m, K(32, 192, 168, 7, 7)), 192);
  CHECK_EQ(lookup(m, K(32, 11, 0, 0, 1)), 0);
  CHECK_EQ(lookup(m, K(16, 10, 1, 2, 3)), 16); /* the key's prefixlen caps the match */
  CHECK_EQ(lookup(m, K(7, 10, 1, 2, 3)), 0);
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  k = K(32, 10, 1, 2, 200);
  uint32_t *p = (uint32_t *)(uintptr_t)call_helper(1, P(m), P(&k), 0, 0, 0, &ctx);
  CHECK(p && *p == 24);

  /* flags and errors */
  k = K(16, 10, 1, 0, 0), v = 1616;
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_EXIST), 0);
  CHECK_EQ(lookup(m, K(32, 10, 1, 9, 9)), 1616);
  k = K(20, 10, 1, 0, 0);
  CHECK_EQ(bpfship_map_update(m, &k, &v, BPFSHIP_EXIST), -BPFSHIP_ENOENT);
  k = K(33, 10, 1, 0, 0);
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_delete(m, &k), -BPFSHIP_EINVAL);
  k = K(8, 10, 0, 0, 0);
  CHECK_EQ(bpfship_map_update(m, &k, &v, 4), -BPFSHIP_EINVAL);

  /* key order: post-order, most specific first */
  key4 order[8];
  int n = 0;
  key4 cur;
  int err = bpfship_map_get_next_key(m, NULL, &cur);
  while (err == 0 && n < 8) {
    order[n++] = cur;
    key4 nk;
    err = bpfship_map_get_next_key(m, &cur, &nk);
    cur = nk;
  }
  CHECK_EQ(n, 4);
  CHECK(order[0].prefixlen == 24 && order[0].addr[2] == 2);
  CHECK(order[1].prefixlen == 16 && order[1].addr[0] == 10);
  CHECK(order[2].prefixlen == 8);
  CHECK(order[3].prefixlen == 16 && order[3].addr[0] == 192);
  k = K(12, 10, 0, 0, 0); /* not in the trie: restart from the first key */
  CHECK_EQ(bpfship_map_get_next_key(m, &k, &cur), 0);
  CHECK_EQ(cur.prefixlen, 24);

  /* full trie: -ENOSPC (one free slot left, then none) */
  k = K(32, 1, 2, 3, 4), v = 32;
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);
  k = K(32, 1, 2, 3, 5);
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), -BPFSHIP_ENOSPC);
  k = K(32, 1, 2, 3, 4); /* replacing is still fine */
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);

  /* delete: exact prefix only; the remaining prefixes take over */
  k = K(16, 10, 1, 0, 0);
  CHECK_EQ(bpfship_map_delete(m, &k), 0);
  CHECK_EQ(bpfship_map_delete(m, &k), -BPFSHIP_ENOENT);
  CHECK_EQ(lookup(m, K(32, 10, 1, 3, 3)), 8);
  CHECK_EQ(lookup(m, K(32, 10, 1, 2, 3)), 24);
  k = K(0, 0, 0, 0, 0); /* the intermediate root node is not an entry */
  CHECK_EQ(bpfship_map_delete(m, &k), -BPFSHIP_ENOENT);
  k = K(24, 10, 1, 2, 0);
  CHECK_EQ(bpfship_map_delete(m, &k), 0);
  k = K(8, 10, 0, 0, 0);
  CHECK_EQ(bpfship_map_delete(m, &k), 0);
  CHECK_EQ(lookup(m, K(32, 10, 1, 2, 3)), 0);
  CHECK_EQ(lookup(m, K(32, 192, 168, 1, 1)), 192);
  /* a default route matches everything */
  k = K(0, 0, 0, 0, 0), v = 1;
  CHECK_EQ(bpfship_map_update(m, &k, &v, 0), 0);
  CHECK_EQ(lookup(m, K(32, 8, 8, 8, 8)), 1);
  bpfship_map_info info;
  bpfship_map_get_info(m, &info);
  CHECK_EQ(info.entries, 3);
  bpfship_map_release(m);
}

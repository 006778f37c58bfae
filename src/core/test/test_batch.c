/* Batch operations: lookup in chunks with the key token, -ENOENT at the end, update/delete counts, per-CPU
 * values, lookup_and_delete.
 *
 * Author: Claude.
 */
#include "test.h"

void suite_batch(void) {
  bpfship_map *m = make_map(BPFSHIP_MAP_TYPE_HASH, 4, 8, 32, 0);
  if (!m) return;
  uint32_t keys[32];
  uint64_t vals[32];
  for (uint32_t i = 0; i < 20; i++) {
    keys[i] = i;
    vals[i] = 1000 + i;
  }
  uint32_t count = 20;
  CHECK_EQ(bpfship_map_update_batch(m, keys, vals, &count, 0), 0);
  CHECK_EQ(count, 20);
  count = 1;
  uint32_t k21 = 3;
  uint64_t v21 = 0;
  CHECK_EQ(bpfship_map_update_batch(m, &k21, &v21, &count, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(count, 0);

  /* read back in chunks of 6 */
  uint32_t token, got_keys[32], total = 0;
  uint64_t got_vals[32], sum = 0;
  const void *in = NULL;
  int err;
  do {
    count = 6;
    err = bpfship_map_lookup_batch(m, in, &token, got_keys + total, got_vals + total, &count, 0);
    CHECK(err == 0 || err == -BPFSHIP_ENOENT);
    total += count;
    in = &token;
  } while (err == 0 && total < 32);
  CHECK_EQ(err, -BPFSHIP_ENOENT);
  CHECK_EQ(total, 20);
  for (uint32_t i = 0; i < total; i++) sum += got_vals[i] - 1000 - got_keys[i];
  CHECK_EQ(sum, 0);
  count = 0;
  CHECK_EQ(bpfship_map_lookup_batch(m, NULL, &token, got_keys, got_vals, &count, 0), 0);
  count = 4;
  CHECK_EQ(bpfship_map_lookup_batch(m, NULL, &token, got_keys, got_vals, &count, BPFSHIP_NOEXIST),
           -BPFSHIP_EINVAL);

  /* delete a batch, including a missing key (stops there) */
  uint32_t del[3] = {1, 2, 99};
  count = 3;
  CHECK_EQ(bpfship_map_delete_batch(m, del, &count), -BPFSHIP_ENOENT);
  CHECK_EQ(count, 2);
  /* lookup_and_delete in batches empties the map */
  total = 0;
  in = NULL;
  do {
    count = 5;
    err = bpfship_map_lookup_and_delete_batch(m, in, &token, got_keys, got_vals, &count, 0);
    total += count;
    in = &token;
  } while (err == 0 && total < 40);
  CHECK_EQ(err, -BPFSHIP_ENOENT);
  CHECK_EQ(total, 18);
  CHECK_EQ(bpfship_map_get_next_key(m, NULL, &token), -BPFSHIP_ENOENT);
  bpfship_map_release(m);

  /* arrays: lookup works, delete fails per element, per-CPU values are user_value_size apart */
  bpfship_map *pa = make_map(BPFSHIP_MAP_TYPE_PERCPU_ARRAY, 4, 4, 3, 0);
  if (!pa) return;
  uint32_t pk[3] = {0, 1, 2};
  uint32_t pv[3][8];
  for (int i = 0; i < 3; i++)
    for (int c = 0; c < 8; c++) pv[i][c] = (uint32_t)(i * 100 + c);
  count = 3;
  CHECK_EQ(bpfship_map_update_batch(pa, pk, pv, &count, 0), 0);
  uint32_t outk[3], outv[3][8];
  count = 3; /* exactly the number of elements: success, and the next call finds the end */
  CHECK_EQ(bpfship_map_lookup_batch(pa, NULL, &token, outk, outv, &count, 0), 0);
  CHECK_EQ(count, 3);
  count = 3;
  CHECK_EQ(bpfship_map_lookup_batch(pa, &token, &token, outk + 1, outv + 1, &count, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(count, 0);
  CHECK_EQ(outv[2][6], 206);
  count = 3;
  CHECK_EQ(bpfship_map_delete_batch(pa, pk, &count), -BPFSHIP_EINVAL);
  CHECK_EQ(count, 0);
  count = 3;
  CHECK_EQ(bpfship_map_lookup_and_delete_batch(pa, NULL, &token, outk, outv, &count, 0), -BPFSHIP_ENOTSUPP);
  bpfship_map_release(pa);
  bpfship_map *q = make_map(BPFSHIP_MAP_TYPE_QUEUE, 0, 4, 3, 0);
  if (q) {
    count = 1;
    CHECK_EQ(bpfship_map_lookup_batch(q, NULL, &token, outk, outv, &count, 0), -BPFSHIP_ENOTSUPP);
    bpfship_map_release(q);
  }
}

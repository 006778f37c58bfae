/* array_of_maps and hash_of_maps: template checks, ids in user space, inner maps for programs, references.
 * Author: Claude.
 */
#include "test.h"

static int create_outer(uint32_t type, uint32_t key_size, uint32_t inner_id, bpfship_map **out) {
  bpfship_map_attr a = {type, key_size, 4, 4, 0, inner_id, -1, 0, 0, "outer"};
  return bpfship_map_create(&a, out);
}

void suite_map_in_map(void) {
  bpfship_map *tmpl = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 2, 0);
  bpfship_map *same = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 2, 0);
  bpfship_map *longer = make_map(BPFSHIP_MAP_TYPE_ARRAY, 4, 8, 3, 0);
  bpfship_map *other = make_map(BPFSHIP_MAP_TYPE_HASH, 4, 8, 2, 0);
  bpfship_map *pa = make_map(BPFSHIP_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);
  if (!tmpl || !same || !longer || !other || !pa) return;
  bpfship_map *outer = NULL, *houter = NULL;
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS, 4, 0, &outer), -BPFSHIP_EBADF);
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS, 4, 9999, &outer), -BPFSHIP_EBADF);
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS, 4, bpfship_map_id(pa), &outer), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_HASH, 4, bpfship_map_id(tmpl), &outer), -BPFSHIP_EINVAL);
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_ARRAY_OF_MAPS, 4, bpfship_map_id(tmpl), &outer), 0);
  CHECK_EQ(create_outer(BPFSHIP_MAP_TYPE_HASH_OF_MAPS, 8, bpfship_map_id(tmpl), &houter), 0);
  if (!outer || !houter) return;
  bpfship_map_info info;
  bpfship_map_get_info(outer, &info);
  CHECK_EQ(info.inner_map_id, bpfship_map_id(tmpl));

  uint32_t k = 0, id = bpfship_map_id(same), out;
  CHECK_EQ(bpfship_map_update(outer, &k, &id, BPFSHIP_NOEXIST), -BPFSHIP_EINVAL); /* BPF_ANY only */
  CHECK_EQ(bpfship_map_update(outer, &k, &id, 0), 0);
  id = bpfship_map_id(longer);
  k = 1;
  CHECK_EQ(bpfship_map_update(outer, &k, &id, 0), -BPFSHIP_EINVAL); /* max_entries differs */
  id = bpfship_map_id(other);
  CHECK_EQ(bpfship_map_update(outer, &k, &id, 0), -BPFSHIP_EINVAL);
  id = 4242;
  CHECK_EQ(bpfship_map_update(outer, &k, &id, 0), -BPFSHIP_EBADF);
  k = 0;
  CHECK_EQ(bpfship_map_lookup(outer, &k, &out, 0), 0);
  CHECK_EQ(out, bpfship_map_id(same));
  k = 1;
  CHECK_EQ(bpfship_map_lookup(outer, &k, &out, 0), -BPFSHIP_ENOENT);

  /* a program gets the inner map itself and can use it */
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  k = 0;
  bpfship_map *inner = (bpfship_map *)(uintptr_t)call_helper(1, P(outer), P(&k), 0, 0, 0, &ctx);
  CHECK(inner == same);
  uint64_t v = 99, got;
  CHECK_EQ(call_helper(2, P(inner), P(&k), P(&v), 0, 0, &ctx), 0);
  CHECK_EQ(bpfship_map_lookup(same, &k, &got, 0), 0);
  CHECK_EQ(got, 99);

  /* the outer map keeps the inner one alive after its user reference is dropped */
  uint32_t same_id = bpfship_map_id(same);
  bpfship_map_release(same);
  CHECK(bpfship_map_from_id(same_id) == same);
  CHECK_EQ(bpfship_map_delete(outer, &k), 0);
  CHECK(bpfship_map_from_id(same_id) == NULL);
  CHECK_EQ(bpfship_map_delete(outer, &k), -BPFSHIP_ENOENT);

  /* hash of maps */
  uint64_t hk = 7;
  id = bpfship_map_id(tmpl);
  CHECK_EQ(bpfship_map_update(houter, &hk, &id, BPFSHIP_EXIST), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_update(houter, &hk, &id, BPFSHIP_NOEXIST), 0);
  CHECK_EQ(bpfship_map_update(houter, &hk, &id, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  CHECK_EQ(bpfship_map_lookup(houter, &hk, &out, 0), 0);
  CHECK_EQ(out, bpfship_map_id(tmpl));
  inner = (bpfship_map *)(uintptr_t)call_helper(1, P(houter), P(&hk), 0, 0, 0, &ctx);
  CHECK(inner == tmpl);
  CHECK_EQ(call_helper(2, P(houter), P(&hk), P(&id), 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL); /* programs can't */
  CHECK_EQ(bpfship_map_lookup_and_delete(houter, &hk, &out, 0), -BPFSHIP_ENOTSUPP);
  CHECK_EQ(bpfship_map_delete(houter, &hk), 0);

  bpfship_map_release(outer);
  bpfship_map_release(houter);
  bpfship_map_release(tmpl);
  bpfship_map_release(longer);
  bpfship_map_release(other);
  bpfship_map_release(pa);
}

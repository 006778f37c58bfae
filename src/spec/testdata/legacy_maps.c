/* Legacy map definitions in a "maps" section (struct bpf_map_def, as libbpf before 1.0 read them) and a program
 * in a section named by the old prefix rule. */
#include <linux/bpf.h>

struct bpf_map_def {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};

struct bpf_map_def __attribute__((section("maps"), used)) counts = {
  .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 256,
};
struct bpf_map_def __attribute__((section("maps"), used)) flows = {
  .type = BPF_MAP_TYPE_LRU_HASH, .key_size = 8, .value_size = 16, .max_entries = 1024, .map_flags = 0,
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

__attribute__((section("socket1"), used)) int count_packets(struct __sk_buff *skb) {
  unsigned int key = skb->protocol & 0xff;
  unsigned long long *v = bpf_map_lookup_elem(&counts, &key);
  if (v)
    __sync_fetch_and_add(v, 1);
  return 0;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
/* Author: Claude. */

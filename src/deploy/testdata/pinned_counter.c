/* A map pinned by name (LIBBPF_PIN_BY_NAME): libbpf pins it under the pin root and every object that declares it
 * the same way shares it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_count SEC(".maps");

SEC("xdp")
int count_shared(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&shared_count, &zero);
  if (n)
    __sync_fetch_and_add(n, 1);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

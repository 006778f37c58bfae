/* Maps whose values bpftool lays out in every way its btf dumper knows: structs with bitfields, char arrays
 * holding strings, enums, nested arrays, unions, per-CPU values, global data sections; and one map declared by sizes,
 * without BTF types for its key and value, dumped as hex. `deploy maps` must print them as `bpftool map dump` does. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum colour { RED = 1, GREEN = 2, BLUE = -3 };

struct flow {
  __u32 addr;
  __u16 port;
  __u8 proto : 4, flags : 3, valid : 1;
  char label[12];
  enum colour colour;
  union {
    __u32 as_u32;
    __u8 bytes[4];
  };
  __s16 delta[3];
  _Bool seen;
  char c;
  __s64 big;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, struct flow);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} per_cpu SEC(".maps");

/* Sizes instead of types: no BTF for its key and value, so bpftool prints hex. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __uint(key_size, 4);
  __uint(value_size, 20);
} raw SEC(".maps");

volatile const char greeting[8] = "hello";
volatile __u32 hits = 7;
volatile __s16 offsets[2] = { -1, 300 };

SEC("xdp")
int touch_maps(struct xdp_md *ctx) {
  __u32 zero = 0;
  struct flow *f = bpf_map_lookup_elem(&flows, &zero);
  __u64 *c = bpf_map_lookup_elem(&per_cpu, &zero);
  void *r = bpf_map_lookup_elem(&raw, &zero);
  if (f && c && r && greeting[0] == 'h')
    hits++;
  return XDP_PASS + offsets[0] + 1;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

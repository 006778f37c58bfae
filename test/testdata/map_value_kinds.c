/* Map keys and values of every kind bpftool's map dump formats from BTF (strings, signed and unsigned integers,
 * bitfields, bool, enums, pointers, unions, nested arrays and structs, 128-bit integers, global data), for
 * test/map-dump.test.ts, which compares our dump with bpftool's on the kernel. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum colour { RED, GREEN = 5, BLUE = -3 };

struct inner {
  __u16 port;
  __s8 delta;
};

struct kinds {
  char name[12];
  char raw[4];
  __s8 s8;
  __s16 s16;
  __s32 s32;
  __s64 s64;
  __u8 u8;
  _Bool flag;
  unsigned int low : 3;
  unsigned int mid : 13;
  int high : 7;
  enum colour colour;
  void *pointer;
  union {
    __u32 word;
    __u8 bytes[4];
  } either;
  struct inner pairs[2];
  unsigned __int128 wide;
  const volatile __u32 qualified;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8);
  __type(key, struct inner);
  __type(value, struct kinds);
} kinds SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 8);
  __type(key, enum colour);
  __type(value, struct inner);
} per_cpu SEC(".maps");

char greeting[8] = "hello";
__s32 counters[3] = { 1, -2, 3 };

SEC("xdp")
int touch(struct xdp_md *ctx)
{
  struct inner k = { .port = 1 };
  struct kinds *v = bpf_map_lookup_elem(&kinds, &k);
  if (v)
    v->u8++;
  enum colour c = RED;
  struct inner *p = bpf_map_lookup_elem(&per_cpu, &c);
  if (p)
    p->delta++;
  return counters[0] + greeting[0] > 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
/* Author: Claude. */

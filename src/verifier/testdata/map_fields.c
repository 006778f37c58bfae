/* Map values with special fields, for map-fields.test.ts and the spin lock tests: a struct bpf_spin_lock, a
 * bpf_timer, kptrs, fields nested in structs and arrays, and a lock in global data (.bss). The programs are loaded
 * by Linux 6.18 as written (lock_ok) or refused (lock_direct_load: "bpf_spin_lock cannot be accessed directly by
 * load/store"; lock_wrong_offset: "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8").
 * Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct;

struct locked {
  __u64 count;
  struct bpf_spin_lock lock;
  __u32 pad;
  __u64 data[2];
};

struct inner {
  __u32 a;
  struct bpf_timer timer;
};

struct nested {
  __u64 head;
  struct inner in[2];
  struct task_struct __attribute__((btf_type_tag("kptr"))) *task;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct locked);
} locked_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct nested);
} nested_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} plain_map SEC(".maps");

struct bpf_spin_lock global_lock;
__u64 global_count;

SEC("tc")
int lock_ok(struct __sk_buff *skb)
{
  __u32 key = 0;
  struct locked *v = bpf_map_lookup_elem(&locked_map, &key);
  if (!v)
    return 0;
  bpf_spin_lock(&v->lock);
  v->count++;
  bpf_spin_unlock(&v->lock);
  bpf_spin_lock(&global_lock);
  global_count++;
  bpf_spin_unlock(&global_lock);
  return 0;
}

SEC("tc")
int lock_direct_load(struct __sk_buff *skb)
{
  __u32 key = 0;
  struct locked *v = bpf_map_lookup_elem(&locked_map, &key);
  if (!v)
    return 0;
  return *(volatile __u32 *)&v->lock;
}

SEC("tc")
int lock_wrong_offset(struct __sk_buff *skb)
{
  __u32 key = 0;
  struct locked *v = bpf_map_lookup_elem(&locked_map, &key);
  if (!v)
    return 0;
  bpf_spin_lock((struct bpf_spin_lock *)v);
  bpf_spin_unlock((struct bpf_spin_lock *)v);
  return 0;
}
/* Author: Claude. */

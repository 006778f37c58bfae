/*
 * Cgroup local storage (BPF_MAP_TYPE_CGROUP_STORAGE and PERCPU_CGROUP_STORAGE) from cgroup_skb programs, for the
 * runtime's tests in every mode and the kernel comparison. In a BPF_PROG_TEST_RUN the storage is allocated zeroed
 * before the runs, shared by the `repeat` runs of that test run and freed after it, and user space never sees it
 * (the map holds entries only for attached cgroups). The programs copy what they see into `seen`, an array user
 * space can read:
 *   count_egress   shared counter + 1 (atomic), per-CPU counter + 2; seen[0] and seen[1] get the new values,
 *                  seen[2] the whole 16-byte shared value's second word (never written: stays 0); returns 1
 *   count_ingress  the shared counter's value before the increment, into seen[3]; returns 1 when it was 0 (a
 *                  fresh storage), else 0
 *
 * Author: Claude.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters {
  __u64 packets;
  __u64 untouched;
};

struct {
  __uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
  __type(key, struct bpf_cgroup_storage_key);
  __type(value, struct counters);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
  __type(key, struct bpf_cgroup_storage_key);
  __type(value, __u64);
} cpu_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4);
} seen SEC(".maps");

static __always_inline void put(__u32 index, __u64 value) {
  bpf_map_update_elem(&seen, &index, &value, BPF_ANY);
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb) {
  /* No NULL check: bpf_get_local_storage never returns NULL (the verifier knows it). */
  struct counters *c = bpf_get_local_storage(&counts, 0);
  __u64 *pc = bpf_get_local_storage(&cpu_counts, 0);
  __sync_fetch_and_add(&c->packets, 1);
  *pc += 2;
  put(0, c->packets);
  put(1, *pc);
  put(2, c->untouched);
  return 1;
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb) {
  struct counters *c = bpf_get_local_storage(&counts, 0);
  __u64 before = __sync_fetch_and_add(&c->packets, 1);
  put(3, before);
  return before == 0;
}

char LICENSE[] SEC("license") = "GPL";

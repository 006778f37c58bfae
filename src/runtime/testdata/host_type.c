/* A program of a host-defined type ("ratelimit", declared by the Node application with defineProgramType):
 * its context is the host's own struct, and it may call only the helpers the host allows. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rl_ctx {
  __u32 client_id;
  __u32 pad;
  __u64 tokens; /* written by the program: what the client has left */
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

SEC("ratelimit") int limit(struct rl_ctx *ctx) {
  __u32 id = ctx->client_id;
  __u64 *n = bpf_map_lookup_elem(&seen, &id);
  __u64 count = n ? *n + 1 : 1;
  bpf_map_update_elem(&seen, &id, &count, BPF_ANY);
  ctx->tokens = count > 3 ? 0 : 3 - count;
  return count <= 3;
}

/* Calls a helper the host type does not allow: refused at load. */
SEC("ratelimit") int sneaky(struct rl_ctx *ctx) { return bpf_get_prandom_u32(); }

/* Writes a field the host declared read-only: the interpreter faults at the store, jit mode's verifier refuses it. */
SEC("ratelimit") int forge(struct rl_ctx *ctx) {
  ctx->client_id = 0;
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

/* Programs the verifier would refuse and the interpreter must stop: a write to .rodata, a packet read without a
 * bounds check, a stack access past the top of the stack, BPF-to-BPF calls nine frames deep. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 limit = 7;

SEC("xdp") int rodata_write(struct xdp_md *ctx) {
  *(volatile __u32 *)&limit = 1;
  return limit;
}

SEC("xdp") int unchecked_read(struct xdp_md *ctx) {
  unsigned char *d = (void *)(long)ctx->data;
  return d[100];
}

SEC("xdp") int stack_overflow(struct xdp_md *ctx) {
  volatile unsigned char buf[8] = {};
  volatile __u32 i = 4800; /* past the top of the stack */
  return buf[i];
}

static __noinline int d9(volatile int x) { return x + 1; }
static __noinline int d8(volatile int x) { return d9(x) + 1; }
static __noinline int d7(volatile int x) { return d8(x) + 1; }
static __noinline int d6(volatile int x) { return d7(x) + 1; }
static __noinline int d5(volatile int x) { return d6(x) + 1; }
static __noinline int d4(volatile int x) { return d5(x) + 1; }
static __noinline int d3(volatile int x) { return d4(x) + 1; }
static __noinline int d2(volatile int x) { return d3(x) + 1; }

/* The entry and d2..d9: nine frames, one more than Linux allows. */
SEC("xdp") int deep_fail(struct xdp_md *ctx) { return d2(0); }

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

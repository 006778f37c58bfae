/* bpf2c test program: loops bounded only by may_goto (clang's `can_loop`, as in the kernel's bpf_experimental.h),
 * in the program and in a subprogram, each call with a budget of its own (Linux's BPF_MAX_LOOPS, 2^23): the counts
 * land in .bss. Rebuild with ./build.sh. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define can_loop                                      \
  ({                                                  \
    __label__ l_break, l_continue;                    \
    _Bool ret = 1;                                    \
    asm volatile goto("may_goto %l[l_break]" :::: l_break); \
    goto l_continue;                                  \
  l_break:                                            \
    ret = 0;                                          \
  l_continue:;                                        \
    ret;                                              \
  })

__u64 loops = 0;     /* iterations of the program's loop (.bss) */
__u64 sub_loops = 0; /* and of the subprogram's */

/* Counts until its own budget runs out. */
static __attribute__((noinline)) __u64 count(void) {
  __u64 n = 0;
  while (can_loop) n++;
  return n;
}

SEC("xdp") int may_goto_loops(struct xdp_md *ctx) {
  __u64 n = 0;
  while (can_loop) n++;
  loops = n;
  /* Past the budget in the program, the subprogram still has one of its own. */
  sub_loops = count();
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

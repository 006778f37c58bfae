/* A program bpfship's verifier accepts and Linux refuses: the bitwise operation on the stack pointer sits behind a
 * branch that only a division folded to a constant decides (7 / 7 = 1, so `1 & 31` is taken and the instruction
 * never runs). bpfship's verifier folds the division and skips the dead instruction (src/verifier/DESIGN.md,
 * departure 5); Linux's reads the quotient as unknown, explores the branch, and refuses "R2 bitwise operator &= on
 * pointer prohibited". The deploy tests use it for a refusal by the kernel of a signed object. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int refused_by_kernel(struct xdp_md *ctx) {
  asm volatile("r4 = 7\n"
               "r4 /= r4\n"
               "if r4 & 31 goto +2\n"
               "r2 = r10\n"
               "r2 &= 15\n" ::: "r2", "r4");
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

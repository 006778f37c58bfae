/*
 * Helpers about time, randomness, the current task and CPU, spin locks, and bpf_loop.
 *
 * Time comes from the host (ktime_ns hook); the current task is the host process as given to
 * bpfship_core_set_task; randomness is a per-run xorshift128+ generator seeded by bpfship_run_ctx_init, so runs
 * are reproducible when the executor passes a fixed seed.
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))
#define UNUSED5 (void)r1, (void)r2, (void)r3, (void)r4, (void)r5

uint64_t bpfship_helper_ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                     bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  return bs_host_ktime(BPFSHIP_CLOCK_MONOTONIC);
}

uint64_t bpfship_helper_ktime_get_boot_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  return bs_host_ktime(BPFSHIP_CLOCK_BOOTTIME);
}

uint64_t bpfship_helper_ktime_get_coarse_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                            bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  return bs_host_ktime(BPFSHIP_CLOCK_COARSE);
}

uint64_t bpfship_helper_ktime_get_tai_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                         bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  return bs_host_ktime(BPFSHIP_CLOCK_TAI);
}

/* bpf_jiffies64: the monotonic clock in ticks of a HZ=250 kernel (the common distribution setting). */
uint64_t bpfship_helper_jiffies64(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                  bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  return bs_host_ktime(BPFSHIP_CLOCK_MONOTONIC) / 4000000u;
}

uint64_t bpfship_helper_get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  UNUSED5;
  uint64_t s1 = ctx->prandom_state[0];
  const uint64_t s0 = ctx->prandom_state[1];
  ctx->prandom_state[0] = s0;
  s1 ^= s1 << 23;
  ctx->prandom_state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return (uint32_t)((ctx->prandom_state[1] + s0) >> 32);
}

uint64_t bpfship_helper_get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                             bpfship_run_ctx *ctx) {
  UNUSED5;
  return ctx->cpu;
}

uint64_t bpfship_helper_get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                             bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  const bs_task *t = bs_current_task();
  return (uint64_t)t->tgid << 32 | t->pid;
}

uint64_t bpfship_helper_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                            bpfship_run_ctx *ctx) {
  UNUSED5, (void)ctx;
  const bs_task *t = bs_current_task();
  return (uint64_t)t->gid << 32 | t->uid;
}

/* bpf_get_current_comm(buf, size): strscpy_pad, i.e. at most size - 1 bytes, NUL-terminated, zero-padded. */
uint64_t bpfship_helper_get_current_comm(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                         bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  char *buf = BS_PTR(r1);
  uint32_t size = (uint32_t)r2;
  if (size == 0) return 0;
  const bs_task *t = bs_current_task();
  size_t n = bs_strnlen(t->comm, sizeof t->comm);
  if (n > size - 1) n = size - 1;
  bs_memcpy(buf, t->comm, n);
  bs_memset(buf + n, 0, size - n);
  return 0;
}

uint64_t bpfship_helper_spin_lock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                  bpfship_run_ctx *ctx) {
  (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  bs_lock((volatile uint32_t *)BS_PTR(r1));
  return 0;
}

uint64_t bpfship_helper_spin_unlock(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                    bpfship_run_ctx *ctx) {
  (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  bs_unlock((volatile uint32_t *)BS_PTR(r1));
  return 0;
}

/* bpf_loop(nr_loops, callback, callback_ctx, flags): callback(i, callback_ctx) until it returns non-zero;
 * returns the number of iterations run (the stopping one included). */
uint64_t bpfship_helper_loop(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                             bpfship_run_ctx *ctx) {
  (void)r5;
  uint32_t nr = (uint32_t)r1;
  if (r4 != 0) return RET(-BPFSHIP_EINVAL);
  if (nr > BPFSHIP_MAX_LOOPS) return RET(-BPFSHIP_E2BIG);
  uint32_t i;
  for (i = 0; i < nr; i++)
    if (bs_invoke_callback(ctx, r2, i, r3, 0, 0, 0)) return (uint64_t)i + 1;
  return i;
}

/*
 * bpf_probe_read, bpf_probe_read_user, bpf_probe_read_kernel(dst, size, unsafe_ptr): the runtime is a user-space
 * sandbox, with no kernel memory and no traced process; what a program may read is its own memory, which it reads
 * directly. So every probe read faults, in every mode alike, and the helper does what Linux does on a fault
 * (bpf_probe_read_kernel_common): dst zeroed, -EFAULT. No host memory is ever read through it.
 */
uint64_t bpfship_helper_probe_read_kernel(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  uint32_t size = (uint32_t)r2;
  if (size != 0) bs_memset(BS_PTR(r1), 0, size);
  return RET(-BPFSHIP_EFAULT);
}

/*
 * bpf_probe_read_str, bpf_probe_read_user_str, bpf_probe_read_kernel_str(dst, size, unsafe_ptr): as above, a
 * fault: dst zeroed, -EFAULT; with size 0, 0 (Linux's strncpy_from_*_nofault reads nothing then).
 */
uint64_t bpfship_helper_probe_read_kernel_str(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                              bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5, (void)ctx;
  uint32_t size = (uint32_t)r2;
  if (size == 0) return 0;
  bs_memset(BS_PTR(r1), 0, size);
  return RET(-BPFSHIP_EFAULT);
}

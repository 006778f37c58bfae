/*
 * BPF_PROG_TEST_RUN's repeat loop for native images (Linux: net/bpf/test_run.c, bpf_test_run and
 * bpf_test_timer_continue). The kernel sets the input up once (bpf_test_init copies data_in, bpf_ctx_init ctx_in),
 * reads the clock, runs the program `repeat` times on that same context and packet, restoring nothing between
 * runs, reads the clock again and reports the elapsed time divided by the count, leaving out the time the loop
 * was scheduled out. This does the same, in C, so
 * that a repeated run from TypeScript costs one FFI call rather than one per run.
 *
 * Native only: the WebAssembly core has no clock of its own (its time comes from the host), and the JIT runs its
 * repeat loop inside the generated module instead.
 *
 * Author: Claude.
 */
#ifndef __wasm__
#include <time.h>

#include "bpfship_core.h"

/* The calling thread's CPU time: the kernel's figure leaves out the time its loop spends scheduled out
 * (bpf_test_timer_continue stops the clock around cond_resched), and so does this, on a machine other processes
 * share. */
static uint64_t thread_cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t bpfship_test_run_repeat(bpfship_program_runner run, uint32_t program, bpfship_run_ctx *ctx, uint32_t repeat,
                                 uint64_t *elapsed_ns) {
  uint64_t r0 = 0;
  if (repeat == 0) repeat = 1;
  uint64_t start = thread_cpu_ns();
  for (uint32_t i = 0; i < repeat; i++) r0 = run(program, ctx);
  uint64_t end = thread_cpu_ns();
  if (elapsed_ns) *elapsed_ns = end - start;
  return r0;
}
#endif

/*
 * A minimal test harness for the core's C tests: CHECK/CHECK_EQ record failures with file:line and keep going;
 * each test file exports suite functions listed in test_main.c, which prints "N passed, N failed" at the end.
 *
 * Author: Claude.
 */
#ifndef BPFSHIP_CORE_TEST_H
#define BPFSHIP_CORE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpfship_core.h"

extern int test_passed, test_failed;

#define CHECK(cond)                                                                                                  \
  do {                                                                                                               \
    if (cond) test_passed++;                                                                                         \
    else {                                                                                                           \
      test_failed++;                                                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                    \
    }                                                                                                                \
  } while (0)

#define CHECK_EQ(actual, expected)                                                                                   \
  do {                                                                                                               \
    long long a_ = (long long)(actual), e_ = (long long)(expected);                                                  \
    if (a_ == e_) test_passed++;                                                                                     \
    else {                                                                                                           \
      test_failed++;                                                                                                 \
      fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, e_);                  \
    }                                                                                                                \
  } while (0)

#define CHECK_STR(actual, expected)                                                                                  \
  do {                                                                                                               \
    const char *a_ = (actual), *e_ = (expected);                                                                     \
    if (strcmp(a_, e_) == 0) test_passed++;                                                                          \
    else {                                                                                                           \
      test_failed++;                                                                                                 \
      fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, a_, e_);              \
    }                                                                                                                \
  } while (0)

/* Creates a map from the usual attributes; returns NULL and records a failure if creation fails. */
bpfship_map *make_map(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags);
/* The errno map creation gives for these attributes (0 on success; the map is released). */
int create_err(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags);
/* A run context for cpu `cpu`. */
void init_ctx(bpfship_run_ctx *ctx, uint32_t prog_type, uint32_t cpu);
/* Calls helper `id` through the table. */
uint64_t call_helper(uint32_t id, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                     bpfship_run_ctx *ctx);
#define P(x) ((uint64_t)(uintptr_t)(x))

/* What the test hooks captured. */
extern char last_trace[1100];
extern int trace_calls;
extern int perf_calls;
extern uint32_t last_perf_cpu, last_perf_size, last_perf_ctx_size;
extern unsigned char last_perf_data[256];
extern int notify_calls;

void suite_array(void);
void suite_hash(void);
void suite_lru(void);
void suite_ringbuf(void);
void suite_queue_stack(void);
void suite_bloom(void);
void suite_cgroup_storage(void);
void suite_lpm(void);
void suite_map_in_map(void);
void suite_batch(void);
void suite_printk(void);
void suite_helpers(void);
void suite_string(void);
void suite_packet(void);
void suite_skb(void);
void suite_fib(void);

#endif

/*
 * The wasm build's allocator and the libc symbols the compiler may call (memcpy, memset, memmove, memcmp).
 * Compiled only for wasm32: the native build uses libc. No WASI import is needed: memory comes from memory.grow.
 *
 * Boundary-tag allocator with segregated free lists:
 *
 *   block:  | u32 prev_size | u32 size|INUSE|PREV_INUSE | payload ... |
 *           ^ b (b % 16 == 8)                            ^ b + 8 (16-byte aligned)
 *
 * Block sizes are multiples of 16 including the 8-byte header. prev_size is valid when the previous block is free
 * (PREV_INUSE clear), which lets free() merge with both neighbours. Free blocks hold next/prev list links in their
 * payload. Bins: 64 exact classes of 16 bytes below 1 KiB, then one per power of two. Above the last block lies
 * the "top", which grows with memory.grow; a block freed next to the top is merged into it.
 *
 * Author: Claude.
 */
#ifdef __wasm__
#include "internal.h"

#define INUSE 1u
#define PREV_INUSE 2u
#define SIZE_MASK (~15u)
#define N_SMALL 64u
#define N_BINS (N_SMALL + 22u)
#define PAGE 65536u

extern unsigned char __heap_base;

typedef struct free_block {
  uint32_t prev_size;
  uint32_t head;
  struct free_block *next;
  struct free_block *prev;
} free_block;

static free_block *bins[N_BINS];
static uintptr_t heap_start, top;

static inline uint32_t head_of(uintptr_t b) { return ((free_block *)b)->head; }
static inline uint32_t size_of(uintptr_t b) { return head_of(b) & SIZE_MASK; }

static uint32_t bin_index(uint32_t size) {
  if (size < 1024u) return size / 16u;
  uint32_t log2 = 31u - (uint32_t)__builtin_clz(size);
  uint32_t i = N_SMALL + (log2 - 10u);
  return i < N_BINS ? i : N_BINS - 1;
}

static void bin_insert(free_block *f) {
  uint32_t i = bin_index(f->head & SIZE_MASK);
  f->prev = NULL;
  f->next = bins[i];
  if (bins[i]) bins[i]->prev = f;
  bins[i] = f;
}

static void bin_remove(free_block *f) {
  if (f->prev) f->prev->next = f->next;
  else bins[bin_index(f->head & SIZE_MASK)] = f->next;
  if (f->next) f->next->prev = f->prev;
}

static bool ensure_memory(uintptr_t end) {
  uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * PAGE;
  if (end <= have) return true;
  uintptr_t pages = (end - have + PAGE - 1) / PAGE;
  return __builtin_wasm_memory_grow(0, pages) != (size_t)-1;
}

static void *wasm_malloc(size_t n) {
  if (!heap_start) {
    heap_start = (((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u) + 8u;
    top = heap_start;
  }
  if (n > 0x7ffff000u) return NULL;
  uint32_t need = ((uint32_t)n + 8u + 15u) & SIZE_MASK;
  if (need < 16u) need = 16u;
  /* first fit from the smallest class that can hold `need` */
  for (uint32_t i = bin_index(need); i < N_BINS; i++) {
    for (free_block *f = bins[i]; f; f = f->next) {
      uint32_t size = f->head & SIZE_MASK;
      if (size < need) continue;
      bin_remove(f);
      uintptr_t b = (uintptr_t)f;
      if (size - need >= 32u) {
        free_block *rest = (free_block *)(b + need);
        rest->head = (size - need) | PREV_INUSE;
        ((free_block *)(b + size))->prev_size = size - need;
        bin_insert(rest);
        f->head = need | INUSE | (f->head & PREV_INUSE);
      } else {
        f->head |= INUSE;
        ((free_block *)(b + size))->head |= PREV_INUSE;
      }
      return (void *)(b + 8u);
    }
  }
  /* carve from the top */
  uintptr_t b = top;
  if (!ensure_memory(b + need + 8u)) return NULL;
  top = b + need;
  ((free_block *)b)->head = need | INUSE | PREV_INUSE;
  return (void *)(b + 8u);
}

static void wasm_free(void *p) {
  if (!p) return;
  uintptr_t b = (uintptr_t)p - 8u;
  uint32_t size = size_of(b);
  if (!(head_of(b) & PREV_INUSE)) {
    uint32_t psize = ((free_block *)b)->prev_size;
    b -= psize;
    bin_remove((free_block *)b);
    size += psize;
  }
  uintptr_t next = b + size;
  if (next == top) {
    top = b; /* the block before b is in use: the top always follows a used block */
    return;
  }
  if (!(head_of(next) & INUSE)) {
    uint32_t nsize = size_of(next);
    bin_remove((free_block *)next);
    size += nsize;
    next = b + size;
  } else {
    ((free_block *)next)->head &= ~PREV_INUSE;
  }
  ((free_block *)b)->head = size | PREV_INUSE;
  ((free_block *)next)->prev_size = size;
  bin_insert((free_block *)b);
}

void *bs_zalloc(size_t size) {
  void *p = wasm_malloc(size);
  if (p) __builtin_memset(p, 0, size);
  return p;
}

void bs_free(void *ptr) { wasm_free(ptr); }

/* With -mbulk-memory these builtins become memory.copy / memory.fill instructions, not calls back into here. */
void *memcpy(void *dst, const void *src, size_t n) { return __builtin_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n) { return __builtin_memmove(dst, src, n); }
void *memset(void *dst, int c, size_t n) { return __builtin_memset(dst, c, n); }
int memcmp(const void *a, const void *b, size_t n) { return bs_memcmp(a, b, n); }

#endif /* __wasm__ */

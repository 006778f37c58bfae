/*
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1 value
 * slots (one always empty to tell full from empty). Push with BPF_EXIST on a full map overwrites the oldest
 * element; pop and peek of an empty map zero the output and return -ENOENT. The keyed operations do not apply:
 * lookup, update and delete by key give -EINVAL (user space uses key NULL, which core.c maps to peek/push/pop).
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct qs_map {
  bpfship_map map;
  uint32_t size; /* max_entries + 1 */
  uint32_t head; /* next slot to write */
  uint32_t tail; /* oldest element */
  char *elems;
} qs_map;

#define KMALLOC_MAX_SIZE (1u << 22)

static inline qs_map *as_qs(bpfship_map *m) { return (qs_map *)m; }

/* queue_stack_map_alloc_check */
static int qs_check(const bpfship_map_attr *a) {
  uint32_t allowed = BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY | BPFSHIP_F_RDONLY_PROG |
                     BPFSHIP_F_WRONLY_PROG;
  if (a->max_entries == 0 || a->key_size != 0 || a->value_size == 0 || (a->map_flags & ~allowed) ||
      (a->map_flags & (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG)) ==
          (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG))
    return -BPFSHIP_EINVAL;
  if (a->value_size > KMALLOC_MAX_SIZE) return -BPFSHIP_E2BIG;
  return 0;
}

static int qs_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  qs_map *q = bs_zalloc(sizeof *q);
  if (!q) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&q->map, a);
  q->size = a->max_entries + 1;
  uint64_t bytes = (uint64_t)q->size * a->value_size;
  if (a->max_entries == 0xffffffffu || bytes > (uint64_t)SIZE_MAX / 2 || !(q->elems = bs_zalloc((size_t)bytes))) {
    bs_free(q);
    return -BPFSHIP_ENOMEM;
  }
  *out = &q->map;
  return 0;
}

static void qs_free(bpfship_map *m) {
  bs_free(as_qs(m)->elems);
  bs_free(m);
}

static inline bool qs_empty(const qs_map *q) { return q->head == q->tail; }
static inline bool qs_full(const qs_map *q) {
  uint32_t h = q->head + 1;
  if (h >= q->size) h = 0;
  return h == q->tail;
}

static int qs_push(bpfship_map *m, const void *value, uint64_t flags) {
  qs_map *q = as_qs(m);
  /* BPF_EXIST makes room by dropping the oldest element; BPF_NOEXIST and unknown flags are invalid */
  if ((flags & BPFSHIP_NOEXIST) || flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  bs_lock(&m->lock);
  if (qs_full(q)) {
    if (!(flags & BPFSHIP_EXIST)) {
      bs_unlock(&m->lock);
      return -BPFSHIP_E2BIG;
    }
    if (++q->tail >= q->size) q->tail = 0;
    m->entries--;
  }
  bs_memcpy(q->elems + (size_t)q->head * m->value_size, value, m->value_size);
  if (++q->head >= q->size) q->head = 0;
  m->entries++;
  bs_unlock(&m->lock);
  return 0;
}

/* __queue_map_get / __stack_map_get: a queue takes from the tail (oldest), a stack from the head (newest). */
static int qs_pop(bpfship_map *m, void *value, bool remove) {
  qs_map *q = as_qs(m);
  bs_lock(&m->lock);
  if (qs_empty(q)) {
    bs_unlock(&m->lock);
    bs_memset(value, 0, m->value_size);
    return -BPFSHIP_ENOENT;
  }
  uint32_t slot;
  if (m->map_type == BPFSHIP_MAP_TYPE_QUEUE) {
    slot = q->tail;
    if (remove && ++q->tail >= q->size) q->tail = 0;
  } else {
    slot = q->head == 0 ? q->size - 1 : q->head - 1;
    if (remove) q->head = slot;
  }
  bs_memcpy(value, q->elems + (size_t)slot * m->value_size, m->value_size);
  if (remove) m->entries--;
  bs_unlock(&m->lock);
  return 0;
}

static void *qs_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)m, (void)key, (void)cpu, (void)mark;
  return NULL;
}
static int qs_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  (void)m, (void)key, (void)value, (void)flags, (void)cpu;
  return -BPFSHIP_EINVAL;
}
static int qs_delete(bpfship_map *m, const void *key) {
  (void)m, (void)key;
  return -BPFSHIP_EINVAL;
}
static int qs_get_next_key(bpfship_map *m, const void *key, void *next) {
  (void)m, (void)key, (void)next;
  return -BPFSHIP_EINVAL;
}

const map_ops bs_queue_ops = {
    .check = qs_check,
    .alloc = qs_alloc,
    .free = qs_free,
    .lookup = qs_lookup,
    .update = qs_update,
    .remove = qs_delete,
    .get_next_key = qs_get_next_key,
    .push = qs_push,
    .pop = qs_pop,
};

const map_ops bs_stack_ops = {
    .check = qs_check,
    .alloc = qs_alloc,
    .free = qs_free,
    .lookup = qs_lookup,
    .update = qs_update,
    .remove = qs_delete,
    .get_next_key = qs_get_next_key,
    .push = qs_push,
    .pop = qs_pop,
};

/*
 * Hash maps (kernel/bpf/hashtab.c): hash, percpu_hash, lru_hash, lru_percpu_hash and hash_of_maps.
 *
 * Like Linux's default (preallocated) hash maps, every element is allocated when the map is created and kept on
 * a free list, so programs never allocate: a full map refuses a new key with -E2BIG (Linux's
 * pcpu_freelist_pop failure) while updates of existing keys still succeed. BPF_F_NO_PREALLOC is accepted and
 * behaves the same (Linux allocates lazily then, but enforces the same max_entries with -E2BIG).
 *
 * Buckets: roundup_pow_of_two(max_entries) singly linked chains, new elements at the head, as in Linux, so
 * get_next_key walks bucket by bucket and restarts from the first element when the given key is absent. The hash
 * function is our own, with a fixed seed: iteration order is deterministic across runs and machines (Linux uses
 * jhash with a random seed unless BPF_F_ZERO_SEED).
 *
 * LRU: one list, most recently inserted at the head; lookups from programs set a reference bit (lookups from user
 * space do not, like htab_lru_map_lookup_elem_sys); when no free element is left the list is scanned from the
 * tail, referenced elements get a second chance (bit cleared, moved to the head) and the first unreferenced one is
 * evicted. Linux approximates LRU the same way (active/inactive lists with a ref bit) but evicts in per-CPU
 * batches of up to 128 elements; the core evicts exactly one, so a full LRU map here keeps max_entries elements.
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct htab_elem {
  struct htab_elem *next;     /* bucket chain, or free list */
  struct htab_elem *lru_prev; /* LRU list */
  struct htab_elem *lru_next;
  uint32_t hash;
  uint8_t in_use;
  uint8_t ref; /* LRU: referenced since the last scan */
} htab_elem;

typedef struct htab {
  bpfship_map map;
  htab_elem **buckets;
  uint32_t n_buckets;
  uint32_t elem_bytes;
  uint32_t key_off, value_off;
  char *pool;
  htab_elem *free_list;
  htab_elem *lru_head, *lru_tail;
  bool percpu, lru, of_maps;
} htab;

#define KMALLOC_MAX_SIZE (1u << 22)
#define HTAB_ELEM_KERNEL_SIZE 48u /* sizeof(struct htab_elem) on x86-64, for Linux's size limit */
#define PCPU_MIN_UNIT_SIZE 32768u
#define HTAB_CREATE_FLAG_MASK                                                                                        \
  (BPFSHIP_F_NO_PREALLOC | BPFSHIP_F_NO_COMMON_LRU | BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY |  \
   BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG | BPFSHIP_F_ZERO_SEED)

static inline htab *as_htab(bpfship_map *m) { return (htab *)m; }
static inline char *elem_key(const htab *h, htab_elem *e) { return (char *)e + h->key_off; }
static inline char *elem_value(const htab *h, htab_elem *e) { return (char *)e + h->value_off; }
static inline htab_elem *pool_elem(const htab *h, uint32_t i) {
  return (htab_elem *)(h->pool + (size_t)i * h->elem_bytes);
}

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* A murmur3-style 32-bit hash over the key bytes. */
static uint32_t hash_key(const void *key, uint32_t len) {
  const uint8_t *p = key;
  uint32_t h = 0x9747b28cu ^ len, k;
  for (; len >= 4; len -= 4, p += 4) {
    bs_memcpy(&k, p, 4);
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15) * 0x1b873593u;
    h = rotl32(h ^ k, 13) * 5u + 0xe6546b64u;
  }
  k = 0;
  switch (len) {
  case 3: k ^= (uint32_t)p[2] << 16; /* fall through */
  case 2: k ^= (uint32_t)p[1] << 8;  /* fall through */
  case 1:
    k ^= p[0];
    k *= 0xcc9e2d51u;
    h ^= rotl32(k, 15) * 0x1b873593u;
  }
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}

/* htab_map_alloc_check (+ fd_htab_map_alloc_check for hash_of_maps). */
static int htab_check(const bpfship_map_attr *a) {
  uint32_t t = a->map_type;
  bool percpu = t == BPFSHIP_MAP_TYPE_PERCPU_HASH || t == BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH;
  bool lru = t == BPFSHIP_MAP_TYPE_LRU_HASH || t == BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH;
  bool percpu_lru = a->map_flags & BPFSHIP_F_NO_COMMON_LRU;
  bool prealloc = !(a->map_flags & BPFSHIP_F_NO_PREALLOC);
  bool numa = a->map_flags & BPFSHIP_F_NUMA_NODE;
  if (t == BPFSHIP_MAP_TYPE_HASH_OF_MAPS && a->value_size != 4) return -BPFSHIP_EINVAL;
  if ((a->map_flags & ~HTAB_CREATE_FLAG_MASK) ||
      (a->map_flags & (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG)) ==
          (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG))
    return -BPFSHIP_EINVAL;
  if (!lru && percpu_lru) return -BPFSHIP_EINVAL;
  if (lru && !prealloc) return -BPFSHIP_ENOTSUPP;
  if (numa && (percpu || percpu_lru)) return -BPFSHIP_EINVAL;
  if (a->max_entries == 0 || a->key_size == 0 || a->value_size == 0) return -BPFSHIP_EINVAL;
  if ((uint64_t)a->key_size + a->value_size >= KMALLOC_MAX_SIZE - HTAB_ELEM_KERNEL_SIZE) return -BPFSHIP_E2BIG;
  if (percpu && bs_round_up8(a->value_size) > PCPU_MIN_UNIT_SIZE) return -BPFSHIP_E2BIG;
  if (a->max_entries > (1u << 31)) return -BPFSHIP_E2BIG;
  return 0;
}

static int htab_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  htab *h = bs_zalloc(sizeof *h);
  if (!h) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&h->map, a);
  uint32_t t = a->map_type;
  h->percpu = t == BPFSHIP_MAP_TYPE_PERCPU_HASH || t == BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH;
  h->lru = t == BPFSHIP_MAP_TYPE_LRU_HASH || t == BPFSHIP_MAP_TYPE_LRU_PERCPU_HASH;
  h->of_maps = t == BPFSHIP_MAP_TYPE_HASH_OF_MAPS;
  if (a->map_flags & BPFSHIP_F_NO_COMMON_LRU) {
    /* htab_map_alloc: each CPU's LRU list gets the same share, so max_entries is rounded to a CPU multiple */
    uint32_t n = bs_ncpus();
    uint64_t up = ((uint64_t)a->max_entries + n - 1) / n * n;
    h->map.max_entries = up > 0xffffffffu ? a->max_entries / n * n : (uint32_t)up;
    if (h->map.max_entries == 0 || h->map.max_entries > (1u << 31)) {
      bs_free(h);
      return -BPFSHIP_E2BIG;
    }
  }
  uint32_t max = h->map.max_entries;
  h->n_buckets = 1;
  while (h->n_buckets < max) h->n_buckets <<= 1;
  h->key_off = bs_round_up8((uint32_t)sizeof(htab_elem));
  h->value_off = h->key_off + bs_round_up8(a->key_size);
  uint64_t vbytes = h->percpu ? (uint64_t)h->map.elem_size * bs_ncpus() : h->of_maps ? 8 : h->map.elem_size;
  uint64_t eb = h->value_off + vbytes;
  uint64_t total = eb * max;
  if (eb > 0xffffffffu || total > (uint64_t)SIZE_MAX / 2) {
    bs_free(h);
    return -BPFSHIP_ENOMEM;
  }
  h->elem_bytes = (uint32_t)eb;
  h->buckets = bs_zalloc(sizeof(htab_elem *) * h->n_buckets);
  h->pool = bs_zalloc((size_t)total);
  if (!h->buckets || !h->pool) {
    bs_free(h->buckets);
    bs_free(h->pool);
    bs_free(h);
    return -BPFSHIP_ENOMEM;
  }
  /* free list in pool order, first element first */
  for (uint32_t i = max; i-- > 0;) {
    htab_elem *e = pool_elem(h, i);
    e->next = h->free_list;
    h->free_list = e;
  }
  if (h->of_maps) h->map.user_value_size = 4;
  *out = &h->map;
  return 0;
}

static inline bpfship_map *elem_inner(const htab *h, htab_elem *e) {
  uint64_t p;
  bs_memcpy(&p, elem_value(h, e), 8);
  return (bpfship_map *)(uintptr_t)p;
}

static void htab_free(bpfship_map *m) {
  htab *h = as_htab(m);
  if (h->of_maps) {
    for (uint32_t i = 0; i < m->max_entries; i++) {
      htab_elem *e = pool_elem(h, i);
      if (e->in_use) bs_map_put(elem_inner(h, e));
    }
  }
  bs_free(h->buckets);
  bs_free(h->pool);
  bs_free(h);
}

static htab_elem *find(htab *h, const void *key, uint32_t hash) {
  for (htab_elem *e = h->buckets[hash & (h->n_buckets - 1)]; e; e = e->next)
    if (e->hash == hash && bs_memcmp(elem_key(h, e), key, h->map.key_size) == 0) return e;
  return NULL;
}

static void bucket_unlink(htab *h, htab_elem *e) {
  htab_elem **pp = &h->buckets[e->hash & (h->n_buckets - 1)];
  while (*pp && *pp != e) pp = &(*pp)->next;
  if (*pp) *pp = e->next;
}

static void lru_unlink(htab *h, htab_elem *e) {
  if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
  else h->lru_head = e->lru_next;
  if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
  else h->lru_tail = e->lru_prev;
  e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(htab *h, htab_elem *e) {
  e->lru_prev = NULL;
  e->lru_next = h->lru_head;
  if (h->lru_head) h->lru_head->lru_prev = e;
  h->lru_head = e;
  if (!h->lru_tail) h->lru_tail = e;
}

/* Removes an element from the table and returns it to the free list. */
static void release_elem(htab *h, htab_elem *e) {
  bucket_unlink(h, e);
  if (h->lru) lru_unlink(h, e);
  if (h->of_maps) bs_map_put(elem_inner(h, e));
  e->in_use = 0;
  e->ref = 0;
  e->next = h->free_list;
  h->free_list = e;
  h->map.entries--;
}

/* Second-chance eviction from the LRU tail; returns a free element or NULL. */
static htab_elem *lru_evict(htab *h) {
  for (uint64_t budget = 2ull * h->map.entries + 2; budget > 0 && h->lru_tail; budget--) {
    htab_elem *e = h->lru_tail;
    if (e->ref) {
      e->ref = 0;
      lru_unlink(h, e);
      lru_push_head(h, e);
      continue;
    }
    release_elem(h, e);
    htab_elem *f = h->free_list;
    h->free_list = f->next;
    return f;
  }
  return NULL;
}

static htab_elem *alloc_elem(htab *h) {
  htab_elem *e = h->free_list;
  if (e) h->free_list = e->next;
  else if (h->lru) e = lru_evict(h);
  if (!e) return NULL;
  bs_memset((char *)e + h->key_off, 0, h->elem_bytes - h->key_off);
  return e;
}

static void *htab_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  htab *h = as_htab(m);
  uint32_t hash = hash_key(key, m->key_size);
  bs_lock(&m->lock);
  htab_elem *e = find(h, key, hash);
  void *v = NULL;
  if (e) {
    if (h->lru && mark) e->ref = 1;
    if (h->of_maps) v = elem_inner(h, e);
    else v = elem_value(h, e) + (h->percpu ? (size_t)cpu * m->elem_size : 0);
  }
  bs_unlock(&m->lock);
  return v;
}

/* Writes a value into an element: one CPU's slot (program side), all CPUs (user side of per-CPU maps), or the
 * inner map pointer. `fresh` elements of per-CPU maps start with zeros on the other CPUs (pcpu_init_value). */
static void store_value(htab *h, htab_elem *e, const void *value, uint64_t flags, int cpu, bool fresh) {
  bpfship_map *m = &h->map;
  char *dst = elem_value(h, e);
  if (h->percpu) {
    if (cpu < 0) {
      bs_memcpy(dst, value, (size_t)m->elem_size * bs_ncpus());
    } else {
      if (fresh) bs_memset(dst, 0, (size_t)m->elem_size * bs_ncpus());
      bs_memcpy(dst + (size_t)cpu * m->elem_size, value, m->value_size);
    }
  } else if (flags & BPFSHIP_F_LOCK) {
    bs_copy_value_locked(m, dst, value, false);
  } else {
    bs_copy_value(m, dst, value);
  }
}

/*
 * The update shared by all flavours. cpu >= 0: a program's update of that CPU's value; cpu < 0: user space
 * (all CPUs for per-CPU maps). `inner` is the inner map for hash_of_maps (already referenced by the caller).
 */
static int htab_update_common(bpfship_map *m, const void *key, const void *value, uint64_t flags, int cpu,
                              bpfship_map *inner) {
  htab *h = as_htab(m);
  uint64_t op = flags & ~BPFSHIP_F_LOCK;
  /* htab_map_update_elem allows BPF_F_LOCK; the LRU, per-CPU and fd flavours do not. */
  if (h->lru || h->percpu || h->of_maps ? flags > BPFSHIP_EXIST : op > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  if ((flags & BPFSHIP_F_LOCK) && m->spin_lock_off < 0) return -BPFSHIP_EINVAL;
  uint32_t hash = hash_key(key, m->key_size);
  bs_lock(&m->lock);
  htab_elem *e = find(h, key, hash);
  int err = 0;
  if (e && op == BPFSHIP_NOEXIST) err = -BPFSHIP_EEXIST;
  else if (!e && op == BPFSHIP_EXIST) err = -BPFSHIP_ENOENT;
  if (err) goto out;
  if (e) {
    if (h->of_maps) {
      bpfship_map *old = elem_inner(h, e);
      uint64_t p = BS_U64(inner);
      bs_memcpy(elem_value(h, e), &p, 8);
      bs_unlock(&m->lock);
      bs_map_put(old);
      return 0;
    }
    store_value(h, e, value, flags, cpu, false);
    if (h->lru) e->ref = 1;
    goto out;
  }
  e = alloc_elem(h);
  if (!e) {
    err = h->lru ? -BPFSHIP_ENOMEM : -BPFSHIP_E2BIG;
    goto out;
  }
  bs_memcpy(elem_key(h, e), key, m->key_size);
  e->hash = hash;
  e->in_use = 1;
  e->ref = 0;
  if (h->of_maps) {
    uint64_t p = BS_U64(inner);
    bs_memcpy(elem_value(h, e), &p, 8);
  } else {
    store_value(h, e, value, flags, cpu, true);
  }
  htab_elem **head = &h->buckets[hash & (h->n_buckets - 1)];
  e->next = *head;
  *head = e;
  if (h->lru) lru_push_head(h, e);
  m->entries++;
  inner = NULL; /* now owned by the element */
out:
  bs_unlock(&m->lock);
  if (inner && err) bs_map_put(inner);
  return err;
}

static int htab_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  return htab_update_common(m, key, value, flags, (int)cpu, NULL);
}

static int htab_sys_update(bpfship_map *m, const void *key, const void *value, uint64_t flags) {
  htab *h = as_htab(m);
  if (h->of_maps) {
    /* bpf_fd_htab_map_update_elem: resolve the inner map first (-EBADF / -EINVAL), then the usual flags */
    uint32_t id;
    int err;
    bs_memcpy(&id, value, 4);
    bpfship_map *inner = bs_inner_map_get(m, id, &err);
    if (!inner) return err;
    bs_map_get(inner);
    return htab_update_common(m, key, NULL, flags, -1, inner);
  }
  return htab_update_common(m, key, value, flags, h->percpu ? -1 : 0, NULL);
}

static int htab_delete(bpfship_map *m, const void *key) {
  htab *h = as_htab(m);
  uint32_t hash = hash_key(key, m->key_size);
  bs_lock(&m->lock);
  htab_elem *e = find(h, key, hash);
  if (e) release_elem(h, e);
  bs_unlock(&m->lock);
  return e ? 0 : -BPFSHIP_ENOENT;
}

/* Copies an element's value to user space: all CPUs, the inner map id, or the value without special fields. */
static void copy_out(htab *h, htab_elem *e, void *value, uint64_t flags) {
  bpfship_map *m = &h->map;
  if (h->percpu) {
    bs_memcpy(value, elem_value(h, e), (size_t)m->elem_size * bs_ncpus());
  } else if (h->of_maps) {
    uint32_t id = elem_inner(h, e)->id;
    bs_memcpy(value, &id, 4);
  } else {
    if (flags & BPFSHIP_F_LOCK) bs_copy_value_locked(m, value, elem_value(h, e), true);
    else bs_copy_value(m, value, elem_value(h, e));
    bs_zero_special(m, value);
  }
}

static int htab_sys_lookup(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  htab *h = as_htab(m);
  uint32_t hash = hash_key(key, m->key_size);
  bs_lock(&m->lock);
  htab_elem *e = find(h, key, hash);
  if (e) copy_out(h, e, value, flags);
  bs_unlock(&m->lock);
  return e ? 0 : -BPFSHIP_ENOENT;
}

static int htab_sys_lookup_and_delete(bpfship_map *m, const void *key, void *value, uint64_t flags) {
  htab *h = as_htab(m);
  uint32_t hash = hash_key(key, m->key_size);
  bs_lock(&m->lock);
  htab_elem *e = find(h, key, hash);
  if (e) {
    copy_out(h, e, value, flags);
    release_elem(h, e);
  }
  bs_unlock(&m->lock);
  return e ? 0 : -BPFSHIP_ENOENT;
}

/* htab_map_get_next_key */
static int htab_get_next_key(bpfship_map *m, const void *key, void *next_key) {
  htab *h = as_htab(m);
  uint32_t i = 0;
  int err = -BPFSHIP_ENOENT;
  bs_lock(&m->lock);
  if (key) {
    uint32_t hash = hash_key(key, m->key_size);
    htab_elem *e = find(h, key, hash);
    if (e) {
      if (e->next) {
        bs_memcpy(next_key, elem_key(h, e->next), m->key_size);
        err = 0;
        goto out;
      }
      i = (hash & (h->n_buckets - 1)) + 1;
    }
  }
  for (; i < h->n_buckets; i++) {
    if (h->buckets[i]) {
      bs_memcpy(next_key, elem_key(h, h->buckets[i]), m->key_size);
      err = 0;
      break;
    }
  }
out:
  bs_unlock(&m->lock);
  return err;
}

/* bpf_for_each_hash_elem: callbacks may delete the element they are given. */
static long htab_for_each(bpfship_map *m, uint64_t fn, uint64_t cb_ctx, bpfship_run_ctx *ctx) {
  htab *h = as_htab(m);
  long n = 0;
  for (uint32_t i = 0; i < h->n_buckets; i++) {
    htab_elem *e = h->buckets[i];
    while (e && e->in_use) {
      htab_elem *next = e->next;
      char *v = elem_value(h, e) + (h->percpu ? (size_t)ctx->cpu * m->elem_size : 0);
      n++;
      if (bs_invoke_callback(ctx, fn, BS_U64(m), BS_U64(elem_key(h, e)), BS_U64(v), cb_ctx, 0)) return n;
      e = next;
    }
  }
  return n;
}

/* The four data-holding flavours share every operation; the table differs only in name. */
#define HTAB_DATA_OPS(name)                                                                                          \
  const map_ops name = {                                                                                             \
      .check = htab_check,                                                                                           \
      .alloc = htab_alloc,                                                                                           \
      .free = htab_free,                                                                                             \
      .lookup = htab_lookup,                                                                                         \
      .update = htab_update,                                                                                         \
      .remove = htab_delete,                                                                                         \
      .get_next_key = htab_get_next_key,                                                                             \
      .sys_lookup = htab_sys_lookup,                                                                                 \
      .sys_update = htab_sys_update,                                                                                 \
      .sys_lookup_and_delete = htab_sys_lookup_and_delete,                                                           \
      .for_each = htab_for_each,                                                                                     \
      .batch = true,                                                                                                 \
  }

HTAB_DATA_OPS(bs_hash_ops);
HTAB_DATA_OPS(bs_percpu_hash_ops);
HTAB_DATA_OPS(bs_lru_hash_ops);
HTAB_DATA_OPS(bs_lru_percpu_hash_ops);

/* hash_of_maps: programs only look up (getting the inner map); user space stores inner map ids. */
const map_ops bs_hash_of_maps_ops = {
    .check = htab_check,
    .alloc = htab_alloc,
    .free = htab_free,
    .lookup = htab_lookup,
    .remove = htab_delete,
    .get_next_key = htab_get_next_key,
    .sys_lookup = htab_sys_lookup,
    .sys_update = htab_sys_update,
    .batch = true,
};

/*
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix match over keys {u32 prefixlen; u8 data[]}
 * with data in network order (most significant bit first).
 *
 * The trie has the kernel's shape: each node holds a prefix; a node's children continue with bit `prefixlen`
 * of the data equal to 0 (child[0]) or 1 (child[1]); intermediate nodes (no value) are created where two
 * prefixes diverge and removed when they are left with one child. Keeping the shape makes get_next_key return
 * keys in the kernel's order: a post-order walk (more specific prefixes first, the 0 side before the 1 side),
 * restarting from the leftmost node when the given key is not in the trie.
 *
 * Lookup takes the key's prefixlen as the most bits to match and returns the entry with the longest prefix
 * that matches. Update and delete need an exact prefix; a full trie refuses a new prefix with -ENOSPC.
 *
 * Author: Claude.
 */
#include "internal.h"

typedef struct lpm_node {
  struct lpm_node *child[2];
  uint32_t prefixlen;
  uint32_t intermediate; /* no value: only joins two branches */
  /* data[data_size], then the value at value_off */
} lpm_node;

typedef struct lpm_trie {
  bpfship_map map;
  lpm_node *root;
  uint32_t data_size;
  uint32_t max_prefixlen;
  uint32_t data_off, value_off, node_bytes;
} lpm_trie;

#define LPM_DATA_SIZE_MAX 256u
#define LPM_DATA_SIZE_MIN 1u
#define LPM_KEY_SIZE_MIN (4u + LPM_DATA_SIZE_MIN)
#define LPM_KEY_SIZE_MAX (4u + LPM_DATA_SIZE_MAX)
#define LPM_VAL_SIZE_MAX ((1u << 22) - LPM_DATA_SIZE_MAX - 40u)

static inline lpm_trie *as_trie(bpfship_map *m) { return (lpm_trie *)m; }
static inline uint8_t *node_data(const lpm_trie *t, lpm_node *n) { return (uint8_t *)n + t->data_off; }
static inline char *node_value(const lpm_trie *t, lpm_node *n) { return (char *)n + t->value_off; }
static inline uint32_t key_prefixlen(const void *key) {
  uint32_t p;
  bs_memcpy(&p, key, 4);
  return p;
}
static inline const uint8_t *key_data(const void *key) { return (const uint8_t *)key + 4; }
static inline uint32_t extract_bit(const uint8_t *data, uint32_t index) {
  return (data[index / 8] >> (7 - (index % 8))) & 1u;
}

/* trie_alloc: BPF_F_NO_PREALLOC is mandatory; 1..256 data bytes after the u32 prefix length. */
static int lpm_check(const bpfship_map_attr *a) {
  uint32_t allowed = BPFSHIP_F_NO_PREALLOC | BPFSHIP_F_NUMA_NODE | BPFSHIP_F_RDONLY | BPFSHIP_F_WRONLY |
                     BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG;
  if (a->max_entries == 0 || !(a->map_flags & BPFSHIP_F_NO_PREALLOC) || (a->map_flags & ~allowed) ||
      (a->map_flags & (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG)) ==
          (BPFSHIP_F_RDONLY_PROG | BPFSHIP_F_WRONLY_PROG) ||
      a->key_size < LPM_KEY_SIZE_MIN || a->key_size > LPM_KEY_SIZE_MAX || a->value_size < 1 ||
      a->value_size > LPM_VAL_SIZE_MAX)
    return -BPFSHIP_EINVAL;
  return 0;
}

static int lpm_alloc(const bpfship_map_attr *a, bpfship_map **out) {
  lpm_trie *t = bs_zalloc(sizeof *t);
  if (!t) return -BPFSHIP_ENOMEM;
  bs_map_init_common(&t->map, a);
  t->data_size = a->key_size - 4;
  t->max_prefixlen = t->data_size * 8;
  t->data_off = bs_round_up8((uint32_t)sizeof(lpm_node));
  t->value_off = t->data_off + bs_round_up8(t->data_size);
  t->node_bytes = t->value_off + bs_round_up8(a->value_size);
  *out = &t->map;
  return 0;
}

static void free_subtree(lpm_node *n) {
  if (!n) return;
  free_subtree(n->child[0]);
  free_subtree(n->child[1]);
  bs_free(n);
}

static void lpm_free(bpfship_map *m) {
  free_subtree(as_trie(m)->root);
  bs_free(m);
}

/* The number of leading bits `node` and `key` share, at most min(node->prefixlen, key prefixlen). */
static uint32_t longest_prefix_match(const lpm_trie *t, lpm_node *node, const void *key) {
  uint32_t limit = node->prefixlen < key_prefixlen(key) ? node->prefixlen : key_prefixlen(key);
  const uint8_t *a = node_data(t, node), *b = key_data(key);
  uint32_t bits = 0;
  for (uint32_t i = 0; i < t->data_size && bits < limit; i++) {
    uint8_t diff = a[i] ^ b[i];
    if (diff == 0) {
      bits += 8;
      continue;
    }
    while (!(diff & 0x80)) {
      bits++;
      diff <<= 1;
    }
    break;
  }
  return bits < limit ? bits : limit;
}

/* trie_lookup_elem */
static lpm_node *lpm_find_longest(lpm_trie *t, const void *key) {
  lpm_node *found = NULL;
  for (lpm_node *node = t->root; node;) {
    uint32_t matchlen = longest_prefix_match(t, node, key);
    if (matchlen == t->max_prefixlen) {
      found = node;
      break;
    }
    if (matchlen < node->prefixlen) break;
    if (!node->intermediate) found = node;
    node = node->child[extract_bit(key_data(key), node->prefixlen)];
  }
  return found;
}

static void *lpm_lookup(bpfship_map *m, const void *key, uint32_t cpu, bool mark) {
  (void)cpu, (void)mark;
  lpm_trie *t = as_trie(m);
  bs_lock(&m->lock);
  lpm_node *n = lpm_find_longest(t, key);
  bs_unlock(&m->lock);
  return n ? node_value(t, n) : NULL;
}

/* trie_check_add_elem */
static int check_add(lpm_trie *t, uint64_t flags) {
  if (flags == BPFSHIP_EXIST) return -BPFSHIP_ENOENT;
  if (t->map.entries == t->map.max_entries) return -BPFSHIP_ENOSPC;
  t->map.entries++;
  return 0;
}

static lpm_node *new_node(lpm_trie *t, uint32_t prefixlen, const uint8_t *data, const void *value) {
  lpm_node *n = bs_zalloc(t->node_bytes);
  if (!n) return NULL;
  n->prefixlen = prefixlen;
  bs_memcpy(node_data(t, n), data, t->data_size);
  if (value) bs_copy_value(&t->map, node_value(t, n), value);
  else n->intermediate = 1;
  return n;
}

/* trie_update_elem */
static int lpm_update(bpfship_map *m, const void *key, const void *value, uint64_t flags, uint32_t cpu) {
  (void)cpu;
  lpm_trie *t = as_trie(m);
  if (flags > BPFSHIP_EXIST) return -BPFSHIP_EINVAL;
  uint32_t plen = key_prefixlen(key);
  if (plen > t->max_prefixlen) return -BPFSHIP_EINVAL;
  lpm_node *nn = new_node(t, plen, key_data(key), value);
  if (!nn) return -BPFSHIP_ENOMEM;
  /* the node data keeps only the prefix bits, like the kernel's memcpy of the whole key data */
  bs_lock(&m->lock);
  int err = 0;
  lpm_node **slot = &t->root, *node;
  uint32_t matchlen = 0;
  while ((node = *slot) != NULL) {
    matchlen = longest_prefix_match(t, node, key);
    if (node->prefixlen != matchlen || node->prefixlen == plen) break;
    slot = &node->child[extract_bit(key_data(key), node->prefixlen)];
  }
  if (!node) {
    err = check_add(t, flags);
    if (!err) *slot = nn;
    goto out;
  }
  if (node->prefixlen == matchlen) {
    /* the same prefix: replace the node (a real entry) or give a value to an intermediate one */
    if (!node->intermediate) {
      if (flags == BPFSHIP_NOEXIST) {
        err = -BPFSHIP_EEXIST;
        goto out;
      }
    } else if ((err = check_add(t, flags)) != 0) {
      goto out;
    }
    nn->child[0] = node->child[0];
    nn->child[1] = node->child[1];
    *slot = nn;
    bs_free(node);
    nn = NULL;
    goto out;
  }
  if ((err = check_add(t, flags)) != 0) goto out;
  if (matchlen == plen) {
    /* the new prefix is an ancestor of node */
    nn->child[extract_bit(node_data(t, node), matchlen)] = node;
    *slot = nn;
    nn = NULL;
    goto out;
  }
  {
    lpm_node *im = new_node(t, matchlen, node_data(t, node), NULL);
    if (!im) {
      t->map.entries--;
      err = -BPFSHIP_ENOMEM;
      goto out;
    }
    if (extract_bit(key_data(key), matchlen)) {
      im->child[0] = node;
      im->child[1] = nn;
    } else {
      im->child[0] = nn;
      im->child[1] = node;
    }
    *slot = im;
    nn = NULL;
  }
out:
  bs_unlock(&m->lock);
  if (err || nn != NULL) {
    if (err) bs_free(nn);
  }
  return err;
}

/* trie_delete_elem: exact prefix; collapse intermediate nodes left with fewer than two children. */
static int lpm_delete(bpfship_map *m, const void *key) {
  lpm_trie *t = as_trie(m);
  uint32_t plen = key_prefixlen(key);
  if (plen > t->max_prefixlen) return -BPFSHIP_EINVAL;
  bs_lock(&m->lock);
  lpm_node **trim = &t->root, **trim2 = trim, *parent = NULL, *node;
  uint32_t matchlen = 0;
  while ((node = *trim) != NULL) {
    matchlen = longest_prefix_match(t, node, key);
    if (node->prefixlen != matchlen || node->prefixlen == plen) break;
    parent = node;
    trim2 = trim;
    trim = &node->child[extract_bit(key_data(key), node->prefixlen)];
  }
  if (!node || node->prefixlen != plen || node->prefixlen != matchlen || node->intermediate) {
    bs_unlock(&m->lock);
    return -BPFSHIP_ENOENT;
  }
  m->entries--;
  if (node->child[0] && node->child[1]) {
    /* still joins two branches: keep it as an intermediate node */
    node->intermediate = 1;
  } else if (parent && parent->intermediate && !node->child[0] && !node->child[1]) {
    /* a leaf under an intermediate node: the sibling takes the parent's place */
    *trim2 = node == parent->child[0] ? parent->child[1] : parent->child[0];
    bs_free(parent);
    bs_free(node);
  } else {
    /* zero or one child: the child (or nothing) takes its place */
    *trim = node->child[0] ? node->child[0] : node->child[1];
    bs_free(node);
  }
  bs_unlock(&m->lock);
  return 0;
}

/* trie_get_next_key: post-order successor of the exact key, or the leftmost node. */
static int lpm_get_next_key(bpfship_map *m, const void *key, void *next_key) {
  lpm_trie *t = as_trie(m);
  int err = -BPFSHIP_ENOENT;
  bs_lock(&m->lock);
  lpm_node *search_root = t->root, *node, *next = NULL;
  lpm_node *stack[LPM_DATA_SIZE_MAX * 8 + 1];
  int sp = -1;
  uint32_t matchlen = 0;
  if (!search_root) goto out;
  if (!key || key_prefixlen(key) > t->max_prefixlen) goto leftmost;
  for (node = search_root; node;) {
    stack[++sp] = node;
    matchlen = longest_prefix_match(t, node, key);
    if (node->prefixlen != matchlen || node->prefixlen == key_prefixlen(key)) break;
    node = node->child[extract_bit(key_data(key), node->prefixlen)];
  }
  if (!node || node->prefixlen != matchlen || node->prefixlen != key_prefixlen(key) || node->intermediate)
    goto leftmost;
  node = stack[sp];
  while (sp > 0) {
    lpm_node *parent = stack[sp - 1];
    if (parent->child[0] == node && parent->child[1]) {
      search_root = parent->child[1];
      goto leftmost;
    }
    if (!parent->intermediate) {
      next = parent;
      goto copy;
    }
    node = parent;
    sp--;
  }
  goto out;
leftmost:
  for (node = search_root; node;) {
    if (node->intermediate) {
      node = node->child[0];
    } else {
      next = node;
      node = node->child[0] ? node->child[0] : node->child[1];
    }
  }
copy:
  if (next) {
    bs_memcpy(next_key, &next->prefixlen, 4);
    bs_memcpy((char *)next_key + 4, node_data(t, next), t->data_size);
    err = 0;
  }
out:
  bs_unlock(&m->lock);
  return err;
}

const map_ops bs_lpm_trie_ops = {
    .check = lpm_check,
    .alloc = lpm_alloc,
    .free = lpm_free,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .remove = lpm_delete,
    .get_next_key = lpm_get_next_key,
    .batch = true,
};

/*
 * Packet helpers (net/core/filter.c): checksums, skb byte access, XDP head/tail/meta adjustment, redirects, and
 * what a runtime without sockets or namespaces answers for socket lookups and cookies.
 *
 * They work on the packet the run context describes, whatever context pointer the program passes in r1: the
 * executor keeps data/data_end/data_meta in the run context and bpfship_run_ctx_set_ctx tells the helpers where
 * the program's context struct keeps its copies. skbs are modelled as linear and CHECKSUM_NONE: checksum helpers
 * update the checksum field in the packet and never an skb->csum.
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))
#define ETH_HLEN 14u
#define XDP_METALEN_MAX 32u
#define F_RECOMPUTE_CSUM (1ull << 0)
#define F_INVALIDATE_HASH (1ull << 1)
#define F_HDR_FIELD_MASK 0xfull
#define F_PSEUDO_HDR (1ull << 4)
#define F_MARK_MANGLED_0 (1ull << 5)
#define F_MARK_ENFORCE (1ull << 6)
#define F_IPV6 (1ull << 7)
#define F_INGRESS (1ull << 0)
#define F_BROADCAST (1ull << 3)
#define F_EXCLUDE_INGRESS (1ull << 4)
#define CSUM_MANGLED_0 0xffffu

/* ---- ones' complement arithmetic (include/net/checksum.h), on values in memory byte order ---- */

static inline uint32_t csum_add(uint32_t a, uint32_t b) {
  uint32_t r = a + b;
  return r + (r < b);
}
static inline uint32_t csum_sub(uint32_t a, uint32_t b) { return csum_add(a, ~b); }
static inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return (uint16_t)~sum;
}
static inline uint16_t csum16_add(uint16_t csum, uint16_t addend) {
  uint16_t r = (uint16_t)(csum + addend);
  return (uint16_t)(r + (r < addend));
}
static inline uint16_t csum16_sub(uint16_t csum, uint16_t addend) { return csum16_add(csum, (uint16_t)~addend); }
static inline uint16_t csum_from32to16(uint32_t sum) {
  sum += (sum >> 16) | (sum << 16);
  return (uint16_t)(sum >> 16);
}

/* csum_partial: the 32-bit ones' complement sum of the buffer read as little-endian words, plus `sum`. */
uint32_t bs_csum_partial(const void *buf, uint32_t len, uint32_t sum) {
  const uint8_t *p = buf;
  uint64_t acc = 0;
  uint32_t w;
  for (; len >= 4; len -= 4, p += 4) {
    bs_memcpy(&w, p, 4);
    acc += w;
  }
  w = 0;
  for (uint32_t i = 0; i < len; i++) w |= (uint32_t)p[i] << (8 * i);
  acc += w;
  while (acc >> 32) acc = (acc & 0xffffffffu) + (acc >> 32);
  return csum_add((uint32_t)acc, sum);
}

static inline uint16_t load16(const void *p) {
  uint16_t v;
  bs_memcpy(&v, p, 2);
  return v;
}
static inline void store16(void *p, uint16_t v) { bs_memcpy(p, &v, 2); }

static inline uint64_t pkt_len(const bpfship_run_ctx *ctx) { return ctx->data_end - ctx->data; }

/*
 * bpf_csum_diff(from, from_size, to, to_size, seed), as Linux 6.13+ computes it on every architecture: the
 * checksum of `to` minus the checksum of `from`, folded to 16 bits.
 */
uint64_t bpfship_helper_csum_diff(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                  bpfship_run_ctx *ctx) {
  (void)ctx;
  uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5;
  if (from_size && to_size)
    return csum_from32to16(csum_sub(bs_csum_partial(BS_PTR(r3), to_size, seed),
                                    bs_csum_partial(BS_PTR(r1), from_size, 0)));
  if (to_size) return csum_from32to16(bs_csum_partial(BS_PTR(r3), to_size, seed));
  if (from_size) return csum_from32to16(~bs_csum_partial(BS_PTR(r1), from_size, ~seed));
  return seed;
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags): flags' low bits give the field size (0 = `to` is a diff). */
uint64_t bpfship_helper_l3_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1;
  uint32_t offset = (uint32_t)r2;
  if (r5 & ~F_HDR_FIELD_MASK) return RET(-BPFSHIP_EINVAL);
  if (offset > 0xffffu || (offset & 1u)) return RET(-BPFSHIP_EFAULT);
  if ((uint64_t)offset + 2 > pkt_len(ctx)) return RET(-BPFSHIP_EFAULT);
  char *ptr = (char *)BS_PTR(ctx->data) + offset;
  uint16_t sum = load16(ptr);
  switch (r5 & F_HDR_FIELD_MASK) {
  case 0:
    if (r3 != 0) return RET(-BPFSHIP_EINVAL);
    sum = csum_fold(csum_add((uint32_t)r4, ~(uint32_t)sum));
    break;
  case 2: sum = (uint16_t)~csum16_add(csum16_sub((uint16_t)~sum, (uint16_t)r3), (uint16_t)r4); break;
  case 4: sum = csum_fold(csum_add(csum_sub(~(uint32_t)sum, (uint32_t)r3), (uint32_t)r4)); break;
  default: return RET(-BPFSHIP_EINVAL);
  }
  store16(ptr, sum);
  return 0;
}

/* bpf_l4_csum_replace: like l3, plus BPF_F_MARK_MANGLED_0 (a UDP checksum of 0 means "none" and must stay so
 * unless BPF_F_MARK_ENFORCE; a result of 0 is written as 0xffff). */
uint64_t bpfship_helper_l4_csum_replace(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1;
  uint32_t offset = (uint32_t)r2;
  bool is_mmzero = r5 & F_MARK_MANGLED_0, do_mforce = r5 & F_MARK_ENFORCE;
  if (r5 & ~(F_MARK_MANGLED_0 | F_MARK_ENFORCE | F_PSEUDO_HDR | F_HDR_FIELD_MASK | F_IPV6))
    return RET(-BPFSHIP_EINVAL);
  if (offset > 0xffffu || (offset & 1u)) return RET(-BPFSHIP_EFAULT);
  if ((uint64_t)offset + 2 > pkt_len(ctx)) return RET(-BPFSHIP_EFAULT);
  char *ptr = (char *)BS_PTR(ctx->data) + offset;
  uint16_t sum = load16(ptr);
  if (is_mmzero && !do_mforce && sum == 0) return 0;
  switch (r5 & F_HDR_FIELD_MASK) {
  case 0:
    if (r3 != 0) return RET(-BPFSHIP_EINVAL);
    sum = csum_fold(csum_add((uint32_t)r4, ~(uint32_t)sum));
    break;
  case 2: /* inet_proto_csum_replace2 widens the 16-bit values and replaces as 32-bit ones */
    sum = csum_fold(csum_add(csum_sub(~(uint32_t)sum, (uint16_t)r3), (uint16_t)r4));
    break;
  case 4: sum = csum_fold(csum_add(csum_sub(~(uint32_t)sum, (uint32_t)r3), (uint32_t)r4)); break;
  default: return RET(-BPFSHIP_EINVAL);
  }
  if (is_mmzero && sum == 0) sum = CSUM_MANGLED_0;
  store16(ptr, sum);
  return 0;
}

/* bpf_skb_load_bytes(skb, offset, to, len): -EFAULT (and a zeroed `to`) when the bytes are not in the packet. */
uint64_t bpfship_helper_skb_load_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  (void)r1, (void)r5;
  uint32_t offset = (uint32_t)r2, len = (uint32_t)r4;
  void *to = BS_PTR(r3);
  if (offset > 0x7fffffffu || (uint64_t)offset + len > pkt_len(ctx)) {
    bs_memset(to, 0, len);
    return RET(-BPFSHIP_EFAULT);
  }
  bs_memcpy(to, (char *)BS_PTR(ctx->data) + offset, len);
  return 0;
}

/* bpf_skb_store_bytes(skb, offset, from, len, flags) */
uint64_t bpfship_helper_skb_store_bytes(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1;
  uint32_t offset = (uint32_t)r2, len = (uint32_t)r4;
  if (r5 & ~(F_RECOMPUTE_CSUM | F_INVALIDATE_HASH)) return RET(-BPFSHIP_EINVAL);
  if (offset > 0x7fffffffu) return RET(-BPFSHIP_EFAULT);
  if ((uint64_t)offset + len > pkt_len(ctx)) return RET(-BPFSHIP_EFAULT);
  bs_memmove((char *)BS_PTR(ctx->data) + offset, BS_PTR(r3), len);
  if (r5 & F_INVALIDATE_HASH) bs_skb_clear_hash(ctx);
  return 0;
}

/* bpf_xdp_adjust_head(xdp, delta): moves data (and the metadata before it) within the headroom, keeping at least
 * an Ethernet header. */
uint64_t bpfship_helper_xdp_adjust_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  int64_t off = (int32_t)(uint32_t)r2;
  uint64_t metalen = ctx->data - ctx->data_meta;
  int64_t data_start = (int64_t)(ctx->data_hard_start + ctx->headroom_reserve + metalen);
  int64_t data = (int64_t)ctx->data + off;
  if (data < data_start || data > (int64_t)ctx->data_end - (int64_t)ETH_HLEN) return RET(-BPFSHIP_EINVAL);
  if (metalen) bs_memmove((char *)BS_PTR(ctx->data_meta + (uint64_t)off), BS_PTR(ctx->data_meta), (size_t)metalen);
  ctx->data_meta = (uint64_t)((int64_t)ctx->data_meta + off);
  ctx->data = (uint64_t)data;
  bs_sync_ctx_packet(ctx);
  return 0;
}

/* bpf_xdp_adjust_tail(xdp, delta): grows (zero-filled) up to data_hard_end or shrinks to an Ethernet header. */
uint64_t bpfship_helper_xdp_adjust_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  int64_t off = (int32_t)(uint32_t)r2;
  int64_t end = (int64_t)ctx->data_end + off;
  if (end > (int64_t)ctx->data_hard_end) return RET(-BPFSHIP_EINVAL);
  if (end < (int64_t)(ctx->data + ETH_HLEN)) return RET(-BPFSHIP_EINVAL);
  if (off > 0) bs_memset(BS_PTR(ctx->data_end), 0, (size_t)off);
  ctx->data_end = (uint64_t)end;
  bs_sync_ctx_packet(ctx);
  return 0;
}

/* bpf_xdp_adjust_meta(xdp, delta): metadata of 0..32 bytes, a multiple of 4, between the headroom and data. */
uint64_t bpfship_helper_xdp_adjust_meta(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  int64_t off = (int32_t)(uint32_t)r2;
  int64_t meta = (int64_t)ctx->data_meta + off;
  if (meta < (int64_t)(ctx->data_hard_start + ctx->headroom_reserve) || meta > (int64_t)ctx->data)
    return RET(-BPFSHIP_EINVAL);
  uint64_t metalen = ctx->data - (uint64_t)meta;
  if ((metalen & 3u) || metalen > XDP_METALEN_MAX) return RET(-BPFSHIP_EACCES);
  ctx->data_meta = (uint64_t)meta;
  bs_sync_ctx_packet(ctx);
  return 0;
}

/* bpf_redirect(ifindex, flags): XDP_REDIRECT / XDP_ABORTED for XDP, TC_ACT_REDIRECT / TC_ACT_SHOT otherwise. */
uint64_t bpfship_helper_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5;
  bool xdp = ctx->prog_type == BPFSHIP_PROG_TYPE_XDP;
  if (xdp ? r2 != 0 : (r2 & ~F_INGRESS) != 0) return xdp ? BPFSHIP_XDP_ABORTED : BPFSHIP_TC_ACT_SHOT;
  ctx->redirect_kind = BPFSHIP_REDIRECT_IFINDEX;
  ctx->redirect_ifindex = (uint32_t)r1;
  ctx->redirect_map_id = 0;
  ctx->redirect_key = 0;
  ctx->redirect_flags = r2;
  return xdp ? BPFSHIP_XDP_REDIRECT : BPFSHIP_TC_ACT_REDIRECT;
}

/* bpf_redirect_map(map, key, flags): the low two flag bits are the action when the slot is empty. A devmap slot
 * gives the target ifindex; a cpumap slot a CPU (the key), recorded with ifindex 0. */
uint64_t bpfship_helper_redirect_map(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                     bpfship_run_ctx *ctx) {
  (void)r4, (void)r5;
  bpfship_map *m = (bpfship_map *)BS_PTR(r1);
  uint32_t key = (uint32_t)r2, slot = 0;
  bool devmap = m->map_type == BPFSHIP_MAP_TYPE_DEVMAP;
  const uint64_t action_mask = 3u;
  uint64_t flag_mask = devmap ? (F_BROADCAST | F_EXCLUDE_INGRESS) : 0;
  if (r3 & ~(action_mask | flag_mask)) return BPFSHIP_XDP_ABORTED;
  bool found = (devmap || m->map_type == BPFSHIP_MAP_TYPE_CPUMAP) && bs_fd_array_slot(m, key, &slot) == 0;
  if (!found && !(r3 & F_BROADCAST)) {
    ctx->redirect_kind = BPFSHIP_REDIRECT_NONE;
    ctx->redirect_map_id = 0;
    return r3 & action_mask;
  }
  ctx->redirect_kind = BPFSHIP_REDIRECT_MAP;
  ctx->redirect_map_id = m->id;
  ctx->redirect_key = key;
  ctx->redirect_ifindex = devmap ? slot : 0;
  ctx->redirect_flags = (r3 & F_BROADCAST) ? r3 : 0;
  return BPFSHIP_XDP_REDIRECT;
}

/* The tc redirects through the neighbour subsystem or into a peer namespace: like bpf_redirect, recorded with
 * BPFSHIP_REDIRECT_F_NEIGH/PEER in redirect_flags. The nexthop of bpf_redirect_neigh is not kept (the run context
 * has no room for an IPv6 address); BPFSHIP_REDIRECT_F_NEXTHOP says one was given. */
static uint64_t record_tc_redirect(bpfship_run_ctx *ctx, uint32_t ifindex, uint64_t flags) {
  ctx->redirect_kind = BPFSHIP_REDIRECT_IFINDEX;
  ctx->redirect_ifindex = ifindex;
  ctx->redirect_map_id = 0;
  ctx->redirect_key = 0;
  ctx->redirect_flags = flags;
  return BPFSHIP_TC_ACT_REDIRECT;
}

/* bpf_clone_redirect(skb, ifindex, flags): a copy of the packet leaves through device `ifindex` (or, with
 * BPF_F_INGRESS, is received by it) and the program goes on with the original. The copy goes nowhere a run can see
 * (as a test run's clone leaves the test); the device must be in the core's device table (fib.c: loopback, and what
 * the host adds), else -EINVAL, Linux's answer for an ifindex with no device. */
uint64_t bpfship_helper_clone_redirect(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  (void)r1, (void)r4, (void)r5, (void)ctx;
  if (r3 & ~F_INGRESS) return RET(-BPFSHIP_EINVAL);
  if (!bs_device_exists((uint32_t)r2)) return RET(-BPFSHIP_EINVAL);
  return 0;
}

#define REDIR_NEIGH_SIZE 20u /* struct bpf_redir_neigh */

/* bpf_redirect_neigh(ifindex, params, plen, flags): no flags exist; params are 0 bytes or a whole bpf_redir_neigh. */
uint64_t bpfship_helper_redirect_neigh(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  (void)r2, (void)r5;
  uint32_t plen = (uint32_t)r3;
  if ((plen && plen < REDIR_NEIGH_SIZE) || r4) return BPFSHIP_TC_ACT_SHOT;
  return record_tc_redirect(ctx, (uint32_t)r1, BPFSHIP_REDIRECT_F_NEIGH | (plen ? BPFSHIP_REDIRECT_F_NEXTHOP : 0));
}

/* bpf_redirect_peer(ifindex, flags) */
uint64_t bpfship_helper_redirect_peer(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r3, (void)r4, (void)r5;
  if (r2) return BPFSHIP_TC_ACT_SHOT;
  return record_tc_redirect(ctx, (uint32_t)r1, BPFSHIP_REDIRECT_F_PEER);
}

/* ---- sockets and namespaces: the runtime has none ---- */

/* Every run's packet comes from the same socket in the same namespace (BPF_PROG_TEST_RUN gives an skb a socket of
 * its own): fixed cookies, set by the host. Atomics: native programs may read them while the host sets them. */
static uint64_t g_socket_cookie = 1, g_netns_cookie = 1;

void bpfship_core_set_cookies(uint64_t socket_cookie, uint64_t netns_cookie) {
  __atomic_store_n(&g_socket_cookie, socket_cookie, __ATOMIC_RELAXED);
  __atomic_store_n(&g_netns_cookie, netns_cookie, __ATOMIC_RELAXED);
}

/* bpf_get_socket_cookie(ctx) */
uint64_t bpfship_helper_get_socket_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                          bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return __atomic_load_n(&g_socket_cookie, __ATOMIC_RELAXED);
}

/* bpf_get_netns_cookie(ctx) */
uint64_t bpfship_helper_get_netns_cookie(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                         bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return __atomic_load_n(&g_netns_cookie, __ATOMIC_RELAXED);
}

/* bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp(ctx, tuple, tuple_size, netns, flags): no socket is ever found (NULL),
 * whatever the tuple; Linux gives NULL too for a bad size or flags. */
uint64_t bpfship_helper_sk_lookup_tcp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return 0;
}

uint64_t bpfship_helper_sk_lookup_udp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  return bpfship_helper_sk_lookup_tcp(r1, r2, r3, r4, r5, ctx);
}

uint64_t bpfship_helper_skc_lookup_tcp(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       bpfship_run_ctx *ctx) {
  return bpfship_helper_sk_lookup_tcp(r1, r2, r3, r4, r5, ctx);
}

/* bpf_sk_release(sk): the verifier lets only a looked-up socket reach it, and lookups find none. */
uint64_t bpfship_helper_sk_release(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return 0;
}

/* The socket casts (bpf_sk_fullsock, bpf_tcp_sock, bpf_get_listener_sock, bpf_skc_to_tcp_sock and its kin): the
 * socket as the narrower kind, or NULL. The verifier lets only a socket reach them, and the runtime has none
 * (skb->sk is NULL, lookups find none): NULL, so no pointer is ever handed out. */
uint64_t bpfship_helper_sk_cast(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return 0;
}

/* bpf_sk_assign(ctx, sk, flags): -EINVAL, Linux's answer for a NULL socket or flags (no socket can reach it). */
uint64_t bpfship_helper_sk_assign(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                  bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ctx;
  return RET(-BPFSHIP_EINVAL);
}

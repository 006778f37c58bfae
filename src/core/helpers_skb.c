/*
 * sk_buff helpers (net/core/filter.c): reshaping the packet (skb_pull_data, skb_change_head, skb_change_tail,
 * skb_adjust_room, skb_change_proto) and its metadata (skb_change_type, the flow hash, tunnel keys).
 *
 * The model. The skb is linear: [data, data_end) inside the buffer [data_hard_start, data_hard_end), data at the
 * MAC header as tc sees it (these helpers are tc's). What Linux keeps in the sk_buff and a program reads through
 * __sk_buff (len, pkt_type, protocol, hash) lives in the context struct when ctx_kind says it is a __sk_buff, and
 * the helpers keep it current there; the rest (header offsets, encapsulation, hash validity, whether tunnel
 * metadata is attached) in the run context's skb_* fields. Growing needs room in the buffer: where Linux
 * reallocates the head (pskb_expand_head), the core moves the packet inside its buffer when the other end has
 * room, and fails with -ENOMEM, Linux's errno for a failed allocation, when the buffer is too small.
 *
 * After every reshaping helper the context's packet pointers and len are rewritten, as Linux's
 * bpf_compute_data_pointers does, whether the helper succeeded or not.
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))
#define ETH_HLEN 14u
#define ETH_P_IP 0x0800u
#define ETH_P_IPV6 0x86ddu
#define IPV4_HLEN 20u
#define IPV6_HLEN 40u
#define PACKET_OTHERHOST 3u
#define IPPROTO_TCP 6u
#define IPPROTO_UDP 17u
#define IPPROTO_DCCP 33u
#define IPPROTO_SCTP 132u
#define IPPROTO_UDPLITE 136u

/* Fields of struct __sk_buff the helpers keep current (include/uapi/linux/bpf.h). */
#define SKB_LEN 0u
#define SKB_PKT_TYPE 4u
#define SKB_PROTOCOL 16u
#define SKB_HASH 68u

/* bpf_skb_adjust_room */
#define ADJ_ROOM_NET 0u
#define ADJ_ROOM_MAC 1u
#define F_ADJ_FIXED_GSO (1ull << 0)
#define F_ADJ_ENCAP_L3_IPV4 (1ull << 1)
#define F_ADJ_ENCAP_L3_IPV6 (1ull << 2)
#define F_ADJ_ENCAP_L4_GRE (1ull << 3)
#define F_ADJ_ENCAP_L4_UDP (1ull << 4)
#define F_ADJ_NO_CSUM_RESET (1ull << 5)
#define F_ADJ_ENCAP_L2_ETH (1ull << 6)
#define F_ADJ_DECAP_L3_IPV4 (1ull << 7)
#define F_ADJ_DECAP_L3_IPV6 (1ull << 8)
#define ADJ_ENCAP_L2_SHIFT 56
#define F_ADJ_ENCAP_L2_MASK (0xffull << ADJ_ENCAP_L2_SHIFT)
#define F_ADJ_ENCAP_L3_MASK (F_ADJ_ENCAP_L3_IPV4 | F_ADJ_ENCAP_L3_IPV6)
#define F_ADJ_DECAP_L3_MASK (F_ADJ_DECAP_L3_IPV4 | F_ADJ_DECAP_L3_IPV6)
#define F_ADJ_MASK                                                                                                   \
  (F_ADJ_FIXED_GSO | F_ADJ_ENCAP_L3_MASK | F_ADJ_ENCAP_L4_GRE | F_ADJ_ENCAP_L4_UDP | F_ADJ_ENCAP_L2_ETH |            \
   F_ADJ_ENCAP_L2_MASK | F_ADJ_DECAP_L3_MASK)
#define ADJ_ROOM_MAX_DIFF 0xfffu

/* ---- the sk_buff as the run context and the __sk_buff describe it ---- */

#define SKB_DATA 76u /* __sk_buff.data */

/* Whether *ctx is a __sk_buff to keep current: the run context says so, and where the executor keeps the packet
 * pointer in the struct (if it told) is where __sk_buff has it, so a host's own context is never written. */
static inline bool has_skb_ctx(const bpfship_run_ctx *ctx) {
  return ctx->ctx_kind == BPFSHIP_CTX_KIND_SKB && ctx->ctx != 0 &&
         (ctx->ctx_off_data == BPFSHIP_CTX_OFF_NONE || ctx->ctx_off_data == SKB_DATA);
}

static uint32_t skb_field(const bpfship_run_ctx *ctx, uint32_t off) {
  uint32_t v;
  bs_memcpy(&v, (const char *)BS_PTR(ctx->ctx) + off, 4);
  return v;
}

static void set_skb_field(bpfship_run_ctx *ctx, uint32_t off, uint32_t v) {
  if (has_skb_ctx(ctx)) bs_memcpy((char *)BS_PTR(ctx->ctx) + off, &v, 4);
}

static inline uint32_t pkt_len(const bpfship_run_ctx *ctx) { return (uint32_t)(ctx->data_end - ctx->data); }
static inline uint8_t *pkt(const bpfship_run_ctx *ctx) { return (uint8_t *)BS_PTR(ctx->data); }

/* skb->protocol, host order. __sk_buff.protocol holds the __be16; without a __sk_buff, the Ethernet type. */
static uint16_t skb_protocol(const bpfship_run_ctx *ctx) {
  if (has_skb_ctx(ctx)) return bs_be16((uint16_t)skb_field(ctx, SKB_PROTOCOL));
  return pkt_len(ctx) >= ETH_HLEN ? bs_load_be16(pkt(ctx) + 12) : 0;
}

static void set_skb_protocol(bpfship_run_ctx *ctx, uint16_t proto) { set_skb_field(ctx, SKB_PROTOCOL, bs_be16(proto)); }

/* The network header's offset from data: where BPF_PROG_TEST_RUN put it (after the Ethernet header for tc, at
 * data for the types whose data starts at the network header) until a helper moved it. */
static int32_t network_off(const bpfship_run_ctx *ctx) {
  if (ctx->skb_flags & BPFSHIP_SKB_F_HEADERS) return ctx->skb_network_off;
  bool l2 = ctx->prog_type == BPFSHIP_PROG_TYPE_SCHED_CLS || ctx->prog_type == BPFSHIP_PROG_TYPE_SCHED_ACT;
  return l2 ? (int32_t)ETH_HLEN : 0;
}

static void set_network_off(bpfship_run_ctx *ctx, int32_t off) {
  ctx->skb_network_off = off;
  ctx->skb_flags |= BPFSHIP_SKB_F_HEADERS;
}

static void set_transport_off(bpfship_run_ctx *ctx, int32_t off) {
  ctx->skb_transport_off = off;
  ctx->skb_flags |= BPFSHIP_SKB_F_TRANSPORT;
}

static inline bool transport_set(const bpfship_run_ctx *ctx) { return ctx->skb_flags & BPFSHIP_SKB_F_TRANSPORT; }

/* __bpf_skb_min_len: a packet may not shrink into its headers (the network one, or the transport one if set). */
static uint32_t skb_min_len(const bpfship_run_ctx *ctx) {
  uint32_t min_len = 0;
  int32_t off = network_off(ctx);
  if (off > 0) min_len = (uint32_t)off;
  if (transport_set(ctx) && ctx->skb_transport_off > 0) min_len = (uint32_t)ctx->skb_transport_off;
  return min_len;
}

/* bpf_skb_net_base_len: the smallest network header of the protocol; ~0 for others. */
static uint32_t net_base_len(uint16_t proto) {
  return proto == ETH_P_IP ? IPV4_HLEN : proto == ETH_P_IPV6 ? IPV6_HLEN : ~0u;
}

/* bpf_compute_data_pointers, and the length a program reads. */
static void skb_sync(bpfship_run_ctx *ctx) {
  bs_sync_ctx_packet(ctx);
  set_skb_field(ctx, SKB_LEN, pkt_len(ctx));
}

/*
 * Makes room for `head` more bytes before the packet (its metadata included) and `tail` more after it: where Linux
 * would reallocate, the packet moves inside its buffer when the other end has enough room. 0 or -ENOMEM.
 */
static int skb_make_room(bpfship_run_ctx *ctx, uint64_t head, uint64_t tail) {
  uint64_t floor = ctx->data_hard_start + ctx->headroom_reserve;
  uint64_t headroom = ctx->data_meta > floor ? ctx->data_meta - floor : 0;
  uint64_t tailroom = ctx->data_hard_end > ctx->data_end ? ctx->data_hard_end - ctx->data_end : 0;
  if (headroom >= head && tailroom >= tail) return 0;
  if (headroom + tailroom < head + tail) return -BPFSHIP_ENOMEM;
  uint64_t len = ctx->data_end - ctx->data_meta, metalen = ctx->data - ctx->data_meta;
  uint64_t meta = headroom < head ? ctx->data_meta + (head - headroom) : ctx->data_meta - (tail - tailroom);
  bs_memmove(BS_PTR(meta), BS_PTR(ctx->data_meta), (size_t)len);
  ctx->data_meta = meta;
  ctx->data = meta + metalen;
  ctx->data_end = meta + len;
  return 0;
}

/* __skb_push / __skb_pull on a linear skb with room made: data moves, the metadata before it with it. */
static void skb_push(bpfship_run_ctx *ctx, uint32_t len) {
  uint64_t metalen = ctx->data - ctx->data_meta;
  if (metalen) bs_memmove(BS_PTR(ctx->data_meta - len), BS_PTR(ctx->data_meta), (size_t)metalen);
  ctx->data_meta -= len;
  ctx->data -= len;
}

static void skb_pull(bpfship_run_ctx *ctx, uint32_t len) {
  uint64_t metalen = ctx->data - ctx->data_meta;
  if (metalen) bs_memmove(BS_PTR(ctx->data_meta + len), BS_PTR(ctx->data_meta), (size_t)metalen);
  ctx->data_meta += len;
  ctx->data += len;
}

/*
 * bpf_skb_generic_push: `len` zeroed bytes at `off` from data, the `off` bytes before them moving to the front.
 * Linux does not check `off` against the packet: past the end it moves whatever follows the packet in its
 * buffer. Here that reads as zeros, so nothing outside the packet is read.
 */
static void skb_insert(bpfship_run_ctx *ctx, uint32_t off, uint32_t len) {
  uint32_t old_len = pkt_len(ctx);
  skb_push(ctx, len);
  uint8_t *d = pkt(ctx);
  uint32_t keep = off < old_len ? off : old_len;
  uint64_t zero_end = (uint64_t)off + len < (uint64_t)old_len + len ? (uint64_t)off + len : (uint64_t)old_len + len;
  bs_memmove(d, d + len, keep);
  bs_memset(d + keep, 0, (size_t)(zero_end - keep));
}

/* bpf_skb_generic_pop: removes `len` bytes at `off`; -ENOMEM (pskb_may_pull) when the packet ends before them. */
static int skb_remove(bpfship_run_ctx *ctx, uint32_t off, uint32_t len) {
  if ((uint64_t)off + len > pkt_len(ctx)) return -BPFSHIP_ENOMEM;
  uint8_t *d = pkt(ctx);
  bs_memmove(d + len, d, off);
  skb_pull(ctx, len);
  return 0;
}

/* bpf_skb_net_hdr_push/pop: the MAC and network headers move with data, so their offsets from it stay; a transport
 * header that was not the network header stays where it was in the buffer. */
static void net_hdr_push(bpfship_run_ctx *ctx, uint32_t off, uint32_t len) {
  int32_t net = network_off(ctx);
  bool trans_same = transport_set(ctx) && ctx->skb_transport_off == net;
  skb_insert(ctx, off, len);
  set_network_off(ctx, net);
  if (trans_same) set_transport_off(ctx, net);
  else if (transport_set(ctx)) ctx->skb_transport_off += (int32_t)len;
}

static int net_hdr_pop(bpfship_run_ctx *ctx, uint32_t off, uint32_t len) {
  int32_t net = network_off(ctx);
  bool trans_same = transport_set(ctx) && ctx->skb_transport_off == net;
  int err = skb_remove(ctx, off, len);
  if (err) return err;
  set_network_off(ctx, net);
  if (trans_same) set_transport_off(ctx, net);
  else if (transport_set(ctx)) ctx->skb_transport_off -= (int32_t)len;
  return 0;
}

void bs_skb_clear_hash(bpfship_run_ctx *ctx) {
  ctx->skb_flags &= ~BPFSHIP_SKB_F_HASH;
  set_skb_field(ctx, SKB_HASH, 0);
}

/* ---- reshaping ---- */

/* bpf_skb_pull_data(skb, len): the packet is linear, so everything is pulled already; -ENOMEM past its end. */
uint64_t bpfship_helper_skb_pull_data(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                      bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  uint32_t len = (uint32_t)r2;
  int err = len > pkt_len(ctx) ? -BPFSHIP_ENOMEM : 0;
  skb_sync(ctx);
  return RET(err);
}

/* bpf_skb_change_head(skb, head_room, flags): `head_room` zeroed bytes before the MAC header, which they become;
 * the network header stays where it is. */
uint64_t bpfship_helper_skb_change_head(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r4, (void)r5;
  uint32_t head_room = (uint32_t)r2, len = pkt_len(ctx);
  uint32_t new_len = len + head_room;
  int err = 0;
  if (r3 || new_len > BPFSHIP_SKB_MAX_LEN || new_len < len) err = -BPFSHIP_EINVAL;
  else err = skb_make_room(ctx, head_room, 0);
  if (!err) {
    int32_t net = network_off(ctx);
    skb_push(ctx, head_room);
    bs_memset(pkt(ctx), 0, head_room);
    set_network_off(ctx, net + (int32_t)head_room);
    if (transport_set(ctx)) ctx->skb_transport_off += (int32_t)head_room;
  }
  skb_sync(ctx);
  return RET(err);
}

/* bpf_skb_change_tail(skb, new_len, flags): grows (zero-filled, as Linux's test-run buffer is) or trims. */
uint64_t bpfship_helper_skb_change_tail(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r4, (void)r5;
  uint32_t new_len = (uint32_t)r2, len = pkt_len(ctx);
  int err = 0;
  if (r3 || new_len > BPFSHIP_SKB_MAX_LEN || new_len < skb_min_len(ctx)) err = -BPFSHIP_EINVAL;
  else if (ctx->skb_flags & BPFSHIP_SKB_F_ENCAP) err = -BPFSHIP_ENOTSUPP;
  else if (new_len > len && !(err = skb_make_room(ctx, 0, new_len - len)))
    bs_memset(BS_PTR(ctx->data_end), 0, new_len - len);
  if (!err) ctx->data_end = ctx->data + new_len;
  skb_sync(ctx);
  return RET(err);
}

/* bpf_skb_net_grow: `len` bytes at `off`, and with an ENCAP_L3 flag the headers of an encapsulation. */
static int net_grow(bpfship_run_ctx *ctx, uint32_t off, uint32_t len, uint64_t flags) {
  uint32_t inner_mac_len = (uint32_t)(flags >> ADJ_ENCAP_L2_SHIFT);
  bool encap = flags & F_ADJ_ENCAP_L3_MASK;
  int err = skb_make_room(ctx, len, 0); /* skb_cow_head */
  if (err) return err;
  uint16_t proto = skb_protocol(ctx);
  int32_t mac_len = network_off(ctx);
  if (encap) {
    if (proto != ETH_P_IP && proto != ETH_P_IPV6) return -BPFSHIP_ENOTSUPP;
    if ((flags & F_ADJ_ENCAP_L3_IPV4) && (flags & F_ADJ_ENCAP_L3_IPV6)) return -BPFSHIP_EINVAL;
    if ((flags & F_ADJ_ENCAP_L4_GRE) && (flags & F_ADJ_ENCAP_L4_UDP)) return -BPFSHIP_EINVAL;
    if ((flags & F_ADJ_ENCAP_L2_ETH) && inner_mac_len < ETH_HLEN) return -BPFSHIP_EINVAL;
    if (ctx->skb_flags & BPFSHIP_SKB_F_ENCAP) return -BPFSHIP_EALREADY;
    if (inner_mac_len > len) return -BPFSHIP_EINVAL;
  }
  net_hdr_push(ctx, off, len);
  if (encap) {
    /* the outer headers start where the old network header was; the inner ones are not tracked */
    ctx->skb_flags |= BPFSHIP_SKB_F_ENCAP;
    set_network_off(ctx, mac_len);
    if (flags & (F_ADJ_ENCAP_L4_GRE | F_ADJ_ENCAP_L4_UDP))
      set_transport_off(ctx, mac_len + (int32_t)((flags & F_ADJ_ENCAP_L3_IPV6) ? IPV6_HLEN : IPV4_HLEN));
    if (proto == ETH_P_IP && (flags & F_ADJ_ENCAP_L3_IPV6)) set_skb_protocol(ctx, ETH_P_IPV6);
    else if (proto == ETH_P_IPV6 && (flags & F_ADJ_ENCAP_L3_IPV4)) set_skb_protocol(ctx, ETH_P_IP);
  }
  return 0;
}

/* bpf_skb_net_shrink: `len` bytes removed at `off`; a DECAP_L3 flag names the protocol left outermost. */
static int net_shrink(bpfship_run_ctx *ctx, uint32_t off, uint32_t len, uint64_t flags) {
  if (flags & ~(F_ADJ_FIXED_GSO | F_ADJ_DECAP_L3_MASK | F_ADJ_NO_CSUM_RESET)) return -BPFSHIP_EINVAL;
  int err = net_hdr_pop(ctx, off, len);
  if (err) return err;
  uint16_t proto = skb_protocol(ctx);
  if (proto == ETH_P_IP && (flags & F_ADJ_DECAP_L3_IPV6)) set_skb_protocol(ctx, ETH_P_IPV6);
  else if (proto == ETH_P_IPV6 && (flags & F_ADJ_DECAP_L3_IPV4)) set_skb_protocol(ctx, ETH_P_IP);
  return 0;
}

/* bpf_skb_adjust_room(skb, len_diff, mode, flags): room after the MAC header (BPF_ADJ_ROOM_MAC) or after the base
 * network header (BPF_ADJ_ROOM_NET), for IPv4 and IPv6 packets; the checks in Linux's order. */
static int adjust_room(bpfship_run_ctx *ctx, int32_t len_diff, uint32_t mode, uint64_t flags) {
  uint64_t diff = len_diff < 0 ? (uint64_t)(-(int64_t)len_diff) : (uint64_t)len_diff;
  bool shrink = len_diff < 0;
  uint16_t proto = skb_protocol(ctx);
  uint32_t len_min = net_base_len(proto), len = pkt_len(ctx);
  if (flags & ~(F_ADJ_MASK | F_ADJ_NO_CSUM_RESET)) return -BPFSHIP_EINVAL;
  if (diff > ADJ_ROOM_MAX_DIFF) return -BPFSHIP_EFAULT;
  if (proto != ETH_P_IP && proto != ETH_P_IPV6) return -BPFSHIP_ENOTSUPP;
  uint32_t off = (uint32_t)network_off(ctx); /* skb_mac_header_len: the MAC header is at data */
  if (mode == ADJ_ROOM_NET) off += net_base_len(proto);
  else if (mode != ADJ_ROOM_MAC) return -BPFSHIP_ENOTSUPP;
  if (flags & F_ADJ_DECAP_L3_MASK) {
    if (!shrink) return -BPFSHIP_EINVAL;
    switch (flags & F_ADJ_DECAP_L3_MASK) {
    case F_ADJ_DECAP_L3_IPV4: len_min = IPV4_HLEN; break;
    case F_ADJ_DECAP_L3_IPV6: len_min = IPV6_HLEN; break;
    default: return -BPFSHIP_EINVAL;
    }
  }
  uint32_t len_cur = len - (uint32_t)network_off(ctx); /* u32 as in Linux */
  if ((shrink && (diff >= len_cur || len_cur - diff < len_min)) || (!shrink && len + diff > BPFSHIP_SKB_MAX_LEN))
    return -BPFSHIP_ENOTSUPP;
  return shrink ? net_shrink(ctx, off, (uint32_t)diff, flags) : net_grow(ctx, off, (uint32_t)diff, flags);
}

uint64_t bpfship_helper_skb_adjust_room(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r5;
  int err = adjust_room(ctx, (int32_t)(uint32_t)r2, (uint32_t)r3, r4);
  skb_sync(ctx);
  return RET(err);
}

/* bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 by 20 bytes after the MAC header; the program writes the
 * new header. The hash is cleared. */
uint64_t bpfship_helper_skb_change_proto(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                         bpfship_run_ctx *ctx) {
  (void)r1, (void)r4, (void)r5;
  const uint32_t len_diff = IPV6_HLEN - IPV4_HLEN;
  uint16_t from = skb_protocol(ctx), to = bs_be16((uint16_t)r2);
  uint32_t off = (uint32_t)network_off(ctx);
  int err = 0;
  if (r3) err = -BPFSHIP_EINVAL;
  else if (from == ETH_P_IP && to == ETH_P_IPV6) {
    if (!(err = skb_make_room(ctx, len_diff, 0))) net_hdr_push(ctx, off, len_diff);
  } else if (from == ETH_P_IPV6 && to == ETH_P_IP) {
    err = net_hdr_pop(ctx, off, len_diff);
  } else {
    err = -BPFSHIP_ENOTSUPP;
  }
  if (!err) {
    set_skb_protocol(ctx, to);
    bs_skb_clear_hash(ctx);
  }
  skb_sync(ctx);
  return RET(err);
}

/* ---- metadata ---- */

/* bpf_skb_change_type(skb, pkt_type): only between PACKET_HOST and PACKET_OTHERHOST. */
uint64_t bpfship_helper_skb_change_type(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  uint32_t now = has_skb_ctx(ctx) ? skb_field(ctx, SKB_PKT_TYPE) : 0;
  if (now > PACKET_OTHERHOST || r2 > PACKET_OTHERHOST) return RET(-BPFSHIP_EINVAL);
  set_skb_field(ctx, SKB_PKT_TYPE, (uint32_t)r2);
  return 0;
}

/* A 32-bit mix of one word into the hash (multiply-xorshift), and the final avalanche (murmur3's fmix32). */
static inline uint32_t mix(uint32_t h, uint32_t w) {
  h ^= w * 0xcc9e2d51u;
  h = (h << 13 | h >> 19) * 5u + 0xe6546b64u;
  return h;
}
static inline uint32_t fmix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  return h ^ (h >> 16);
}

/*
 * The flow hash __skb_get_hash computes, in the same spirit: the addresses, ports and protocol of an IPv4 or IPv6
 * packet (ports of TCP, UDP, UDP-Lite, SCTP and DCCP, not of fragments), ordered so both directions of a flow hash
 * alike, never 0. Linux seeds its hash randomly at boot; this one has a fixed seed, so runs are reproducible.
 */
static uint32_t flow_hash(const bpfship_run_ctx *ctx) {
  uint8_t src[16] = {0}, dst[16] = {0};
  uint16_t sport = 0, dport = 0;
  uint8_t ip_proto = 0;
  uint16_t proto = skb_protocol(ctx);
  int32_t net = network_off(ctx);
  uint32_t len = pkt_len(ctx), alen = 0, l4 = 0;
  const uint8_t *p = pkt(ctx);
  bool ports = false;
  if (net >= 0 && proto == ETH_P_IP && (uint64_t)net + IPV4_HLEN <= len) {
    const uint8_t *ip = p + net;
    alen = 4;
    bs_memcpy(src, ip + 12, 4);
    bs_memcpy(dst, ip + 16, 4);
    ip_proto = ip[9];
    l4 = (uint32_t)net + (ip[0] & 0xfu) * 4u;
    ports = (bs_load_be16(ip + 6) & 0x3fffu) == 0; /* neither more fragments nor an offset */
  } else if (net >= 0 && proto == ETH_P_IPV6 && (uint64_t)net + IPV6_HLEN <= len) {
    const uint8_t *ip = p + net;
    alen = 16;
    bs_memcpy(src, ip + 8, 16);
    bs_memcpy(dst, ip + 24, 16);
    ip_proto = ip[6];
    l4 = (uint32_t)net + IPV6_HLEN;
    ports = true;
  }
  ports = ports && (ip_proto == IPPROTO_TCP || ip_proto == IPPROTO_UDP || ip_proto == IPPROTO_UDPLITE ||
                    ip_proto == IPPROTO_SCTP || ip_proto == IPPROTO_DCCP);
  if (ports && (uint64_t)l4 + 4 <= len) {
    sport = bs_load_be16(p + l4);
    dport = bs_load_be16(p + l4 + 2);
  }
  /* __flow_hash_consistentify: the lower address (then port) first */
  int c = bs_memcmp(dst, src, alen);
  if (c < 0 || (c == 0 && dport < sport)) {
    uint8_t t[16];
    bs_memcpy(t, src, 16), bs_memcpy(src, dst, 16), bs_memcpy(dst, t, 16);
    uint16_t tp = sport;
    sport = dport, dport = tp;
  }
  uint32_t h = 0x5f3759dfu;
  for (uint32_t i = 0; i < alen; i += 4) h = mix(h, bs_load_be32(src + i));
  for (uint32_t i = 0; i < alen; i += 4) h = mix(h, bs_load_be32(dst + i));
  h = mix(h, (uint32_t)sport << 16 | dport);
  h = mix(h, (uint32_t)proto << 16 | ip_proto);
  h = fmix(h);
  return h ? h : 1;
}

/* bpf_get_hash_recalc(skb): the flow hash, computed once and kept in __sk_buff.hash until something clears it. */
uint64_t bpfship_helper_get_hash_recalc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                        bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
  if (!has_skb_ctx(ctx)) return flow_hash(ctx);
  if (!(ctx->skb_flags & BPFSHIP_SKB_F_HASH)) {
    set_skb_field(ctx, SKB_HASH, flow_hash(ctx));
    ctx->skb_flags |= BPFSHIP_SKB_F_HASH;
  }
  return skb_field(ctx, SKB_HASH);
}

/* bpf_set_hash_invalid(skb) */
uint64_t bpfship_helper_set_hash_invalid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                         bpfship_run_ctx *ctx) {
  (void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
  bs_skb_clear_hash(ctx);
  return 0;
}

/* bpf_set_hash(skb, hash): a software hash, valid even when 0. */
uint64_t bpfship_helper_set_hash(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 bpfship_run_ctx *ctx) {
  (void)r1, (void)r3, (void)r4, (void)r5;
  set_skb_field(ctx, SKB_HASH, (uint32_t)r2);
  ctx->skb_flags |= BPFSHIP_SKB_F_HASH;
  return 0;
}

/* ---- tunnel keys ---- */

/* struct bpf_tunnel_key: its size, and the sizes of the older layouts Linux still accepts (offsets of the fields
 * that were added since). */
#define TUNKEY_SIZE 44u
#define TUNKEY_UPTO_REMOTE_IPV6_1 8u
#define TUNKEY_UPTO_TUNNEL_EXT 22u
#define TUNKEY_UPTO_TUNNEL_LABEL 24u
#define TUNKEY_UPTO_LOCAL_IPV6 28u
#define TUNKEY_ID 0u
#define TUNKEY_REMOTE 4u
#define TUNKEY_TOS 20u
#define TUNKEY_TTL 21u
#define TUNKEY_EXT 22u
#define TUNKEY_LABEL 24u
#define TUNKEY_LOCAL 28u

#define F_TUNINFO_IPV6 (1ull << 0)
#define F_ZERO_CSUM_TX (1ull << 1)
#define F_DONT_FRAGMENT (1ull << 2)
#define F_SEQ_NUMBER (1ull << 3)
#define F_NO_TUNNEL_KEY (1ull << 4)
#define F_TUNINFO_FLAGS (1ull << 4)
#define IPV6_FLOWLABEL_MASK 0xfffffu

/* Linux keeps tunnel metadata in a per-CPU metadata dst; so does the core (see bpfship_core.h). */
static bpfship_tunnel_info g_tunnel[BPFSHIP_MAX_CPUS];

static bpfship_tunnel_info *tunnel_of(const bpfship_run_ctx *ctx) {
  return &g_tunnel[ctx->cpu < BPFSHIP_MAX_CPUS ? ctx->cpu : 0];
}

static inline uint32_t load_u32(const uint8_t *p) {
  uint32_t v;
  bs_memcpy(&v, p, 4);
  return v;
}
static inline void store_u32(uint8_t *p, uint32_t v) { bs_memcpy(p, &v, 4); }

int bpfship_run_ctx_set_tunnel_info(bpfship_run_ctx *ctx, const bpfship_tunnel_info *info) {
  if (!ctx) return -BPFSHIP_EINVAL;
  if (!info) {
    ctx->skb_flags &= ~BPFSHIP_SKB_F_TUNNEL;
    return 0;
  }
  if ((info->mode & ~(BPFSHIP_TUNNEL_TX | BPFSHIP_TUNNEL_IPV6)) || info->reserved) return -BPFSHIP_EINVAL;
  *tunnel_of(ctx) = *info;
  ctx->skb_flags |= BPFSHIP_SKB_F_TUNNEL;
  return 0;
}

int bpfship_run_ctx_get_tunnel_info(const bpfship_run_ctx *ctx, bpfship_tunnel_info *info) {
  if (!ctx || !(ctx->skb_flags & BPFSHIP_SKB_F_TUNNEL)) return -BPFSHIP_ENOENT;
  if (info) *info = *tunnel_of(ctx);
  return 0;
}

/*
 * bpf_skb_get_tunnel_key(skb, key, size, flags): the received key, so `remote` is the outer source and `local` the
 * outer destination (after bpf_skb_set_tunnel_key they come back swapped, as in Linux). On failure the key is
 * zeroed: -EINVAL without metadata, for unknown flags or a bad size, -EPROTO when the address family differs from
 * BPF_F_TUNINFO_IPV6.
 */
uint64_t bpfship_helper_skb_get_tunnel_key(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                           bpfship_run_ctx *ctx) {
  (void)r1, (void)r5;
  uint8_t *to = BS_PTR(r2);
  uint32_t size = (uint32_t)r3;
  uint64_t flags = r4;
  const bpfship_tunnel_info *info = (ctx->skb_flags & BPFSHIP_SKB_F_TUNNEL) ? tunnel_of(ctx) : NULL;
  int err = -BPFSHIP_EINVAL;
  if (!info || (flags & ~(F_TUNINFO_IPV6 | F_TUNINFO_FLAGS))) goto clear;
  bool v6 = info->mode & BPFSHIP_TUNNEL_IPV6;
  if (v6 != !!(flags & F_TUNINFO_IPV6)) {
    err = -BPFSHIP_EPROTO;
    goto clear;
  }
  switch (size) {
  case TUNKEY_SIZE:
  case TUNKEY_UPTO_LOCAL_IPV6:
  case TUNKEY_UPTO_TUNNEL_LABEL:
  case TUNKEY_UPTO_TUNNEL_EXT: break;
  case TUNKEY_UPTO_REMOTE_IPV6_1:
    if (v6) goto clear; /* the oldest layout had room for an IPv4 remote only */
    break;
  default: goto clear;
  }
  uint8_t key[TUNKEY_SIZE] = {0};
  store_u32(key + TUNKEY_ID, (uint32_t)info->tunnel_id);
  key[TUNKEY_TOS] = info->tos;
  key[TUNKEY_TTL] = info->ttl;
  if (flags & F_TUNINFO_FLAGS) {
    uint16_t be = bs_be16(info->flags);
    bs_memcpy(key + TUNKEY_EXT, &be, 2);
  }
  if (v6) {
    bs_memcpy(key + TUNKEY_REMOTE, info->src, 16);
    bs_memcpy(key + TUNKEY_LOCAL, info->dst, 16);
    store_u32(key + TUNKEY_LABEL, info->label);
  } else {
    store_u32(key + TUNKEY_REMOTE, bs_load_be32(info->src));
    store_u32(key + TUNKEY_LOCAL, bs_load_be32(info->dst));
  }
  bs_memcpy(to, key, size);
  return 0;
clear:
  bs_memset(to, 0, size);
  return RET(err);
}

/*
 * bpf_skb_set_tunnel_key(skb, key, size, flags): metadata for transmission, `remote` the outer destination.
 * Flags: BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER, BPF_F_NO_TUNNEL_KEY.
 */
uint64_t bpfship_helper_skb_set_tunnel_key(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                           bpfship_run_ctx *ctx) {
  (void)r1, (void)r5;
  uint32_t size = (uint32_t)r3;
  uint64_t flags = r4;
  if (flags & ~(F_TUNINFO_IPV6 | F_ZERO_CSUM_TX | F_DONT_FRAGMENT | F_SEQ_NUMBER | F_NO_TUNNEL_KEY))
    return RET(-BPFSHIP_EINVAL);
  switch (size) {
  case TUNKEY_SIZE:
  case TUNKEY_UPTO_LOCAL_IPV6:
  case TUNKEY_UPTO_TUNNEL_LABEL:
  case TUNKEY_UPTO_TUNNEL_EXT:
  case TUNKEY_UPTO_REMOTE_IPV6_1: break;
  default: return RET(-BPFSHIP_EINVAL);
  }
  uint8_t key[TUNKEY_SIZE] = {0}; /* an older layout reads as the new one with its missing fields zero */
  bs_memcpy(key, BS_PTR(r2), size);
  bool v6 = flags & F_TUNINFO_IPV6;
  uint16_t ext;
  bs_memcpy(&ext, key + TUNKEY_EXT, 2);
  if ((!v6 && load_u32(key + TUNKEY_LABEL)) || ext) return RET(-BPFSHIP_EINVAL);
  bpfship_tunnel_info info = {0};
  info.mode = BPFSHIP_TUNNEL_TX | (v6 ? BPFSHIP_TUNNEL_IPV6 : 0);
  info.flags = BPFSHIP_TUNNEL_F_NOCACHE;
  if (flags & F_DONT_FRAGMENT) info.flags |= BPFSHIP_TUNNEL_F_DONT_FRAGMENT;
  if (!(flags & F_ZERO_CSUM_TX)) info.flags |= BPFSHIP_TUNNEL_F_CSUM;
  if (flags & F_SEQ_NUMBER) info.flags |= BPFSHIP_TUNNEL_F_SEQ;
  if (!(flags & F_NO_TUNNEL_KEY)) info.flags |= BPFSHIP_TUNNEL_F_KEY;
  info.tunnel_id = load_u32(key + TUNKEY_ID);
  info.tos = key[TUNKEY_TOS];
  info.ttl = key[TUNKEY_TTL];
  if (v6) {
    bs_memcpy(info.dst, key + TUNKEY_REMOTE, 16);
    bs_memcpy(info.src, key + TUNKEY_LOCAL, 16);
    info.label = load_u32(key + TUNKEY_LABEL) & IPV6_FLOWLABEL_MASK;
  } else {
    bs_store_be32(info.dst, load_u32(key + TUNKEY_REMOTE));
    bs_store_be32(info.src, load_u32(key + TUNKEY_LOCAL));
  }
  *tunnel_of(ctx) = info;
  ctx->skb_flags |= BPFSHIP_SKB_F_TUNNEL;
  return 0;
}

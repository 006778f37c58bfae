/* sk_buff helpers: pull_data, change_head/tail, adjust_room, change_proto, change_type, the hash and tunnel keys,
 * on a fake __sk_buff whose len/pkt_type/protocol/hash fields sit where Linux's do. Expected values are Linux
 * 6.18's, as the kernel-oracle test (src/runtime/testdata/skb_helpers.c) checked them on this machine's kernel.
 *
 * Author: Claude.
 */
#include "test.h"

#define E(x) ((uint64_t)(int64_t)-(x))
#define HEADROOM 64u

/* A __sk_buff (192 bytes); its packet pointers get the low 32 bits of the native ones, as a wasm executor's do. */
typedef struct fake_skb {
  uint8_t b[192];
} fake_skb;

static uint32_t f32(const fake_skb *s, uint32_t off) {
  uint32_t v;
  memcpy(&v, s->b + off, 4);
  return v;
}
static void put32(fake_skb *s, uint32_t off, uint32_t v) { memcpy(s->b + off, &v, 4); }
enum { LEN = 0, PKT_TYPE = 4, PROTOCOL = 16, HASH = 68, DATA = 76, DATA_END = 80, DATA_META = 140 };

static uint8_t buf[512];

/* The frame at buf + HEADROOM, the buffer ending `tailroom` bytes after it; __sk_buff as the tc test run fills it. */
static void setup(bpfship_run_ctx *ctx, fake_skb *s, const uint8_t *frame, uint32_t len, uint32_t tailroom) {
  memset(buf, 0xee, sizeof buf);
  memcpy(buf + HEADROOM, frame, len);
  init_ctx(ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  uint8_t *d = buf + HEADROOM;
  bpfship_run_ctx_set_packet(ctx, P(buf), P(d), P(d + len), P(d + len + tailroom));
  memset(s, 0, sizeof *s);
  put32(s, LEN, len);
  put32(s, PKT_TYPE, 3);
  put32(s, PROTOCOL, (uint32_t)(frame[13] << 8 | frame[12])); /* the __be16 as a little-endian u32 */
  bpfship_run_ctx_set_ctx(ctx, P(s), DATA, DATA_END, DATA_META, 4);
}

static uint8_t *data(const bpfship_run_ctx *ctx) { return (uint8_t *)(uintptr_t)ctx->data; }
static uint32_t plen(const bpfship_run_ctx *ctx) { return (uint32_t)(ctx->data_end - ctx->data); }

/* The context's view is current: data pointers and len. */
static int synced(const bpfship_run_ctx *ctx, const fake_skb *s) {
  return f32(s, DATA) == (uint32_t)ctx->data && f32(s, DATA_END) == (uint32_t)ctx->data_end &&
         f32(s, DATA_META) == (uint32_t)ctx->data && f32(s, LEN) == plen(ctx);
}

static void ipv4(uint8_t *f, uint32_t len, uint8_t proto) {
  memset(f, 0, len);
  memset(f, 0x02, 6);
  memset(f + 6, 0x04, 6);
  f[12] = 0x08, f[13] = 0x00;
  f[14] = 0x45, f[16] = (uint8_t)((len - 14) >> 8), f[17] = (uint8_t)(len - 14), f[22] = 64, f[23] = proto;
  f[26] = 10, f[29] = 1, f[30] = 10, f[33] = 2; /* 10.0.0.1 -> 10.0.0.2 */
  f[34] = 0x9c, f[35] = 0x40, f[36] = 0, f[37] = 53; /* 40000 -> 53 */
}

static void ipv6(uint8_t *f, uint32_t len) {
  memset(f, 0, len);
  memset(f, 0x02, 6);
  memset(f + 6, 0x04, 6);
  f[12] = 0x86, f[13] = 0xdd;
  f[14] = 0x60, f[19] = (uint8_t)(len - 54), f[20] = 17, f[21] = 64;
  f[22] = 0xfd, f[37] = 1, f[38] = 0xfd, f[53] = 2;
  f[54] = 0x9c, f[55] = 0x40, f[57] = 53;
}

static void kinds(void) {
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  CHECK_EQ(ctx.ctx_kind, BPFSHIP_CTX_KIND_SKB);
  CHECK_EQ(ctx.skb_flags, 0);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SOCKET_FILTER, 0);
  CHECK_EQ(ctx.ctx_kind, BPFSHIP_CTX_KIND_SKB);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(ctx.ctx_kind, BPFSHIP_CTX_KIND_OTHER);
  /* a context whose packet pointer is not where __sk_buff has it is the host's own: never written */
  fake_skb s;
  uint8_t f[64] = {0};
  f[12] = 0x08;
  setup(&ctx, &s, f, 64, 0);
  bpfship_run_ctx_set_ctx(&ctx, P(&s), 8, 12, BPFSHIP_CTX_OFF_NONE, 4);
  put32(&s, LEN, 5);
  CHECK_EQ(call_helper(38, P(&s), 40, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(48, P(&s), 99, 0, 0, 0, &ctx), 0);
  CHECK(f32(&s, LEN) == 5 && f32(&s, HASH) == 0);
  CHECK_EQ(f32(&s, 12), (uint32_t)ctx.data_end); /* its own packet pointer fields are kept current */
}

static void pull_and_head(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64];
  ipv4(f, 64, 17);
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(39, P(&s), 0, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(39, P(&s), 64, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(39, P(&s), 65, 0, 0, 0, &ctx), E(BPFSHIP_ENOMEM));

  CHECK_EQ(call_helper(43, P(&s), 14, 1, 0, 0, &ctx), E(BPFSHIP_EINVAL)); /* flags */
  CHECK_EQ(call_helper(43, P(&s), 0xffffffffu, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL)); /* wraps */
  CHECK_EQ(call_helper(43, P(&s), BPFSHIP_SKB_MAX_LEN - 63, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(43, P(&s), 14, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 78);
  CHECK(synced(&ctx, &s));
  CHECK(data(&ctx) == buf + HEADROOM - 14);
  uint8_t zero[14] = {0};
  CHECK(memcmp(data(&ctx), zero, 14) == 0);
  CHECK(memcmp(data(&ctx) + 14, f, 64) == 0);
  /* the network header stayed: change_tail may not cut into it (14 + 14 bytes) */
  CHECK_EQ(call_helper(38, P(&s), 27, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 28, 0, 0, 0, &ctx), 0);
  CHECK_EQ(f32(&s, LEN), 28);

  /* more than the headroom: the packet moves toward the tail room when there is some, else -ENOMEM */
  setup(&ctx, &s, f, 64, 40);
  CHECK_EQ(call_helper(43, P(&s), 100, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 164);
  CHECK(data(&ctx) == buf);
  CHECK(memcmp(data(&ctx) + 100, f, 64) == 0);
  CHECK(synced(&ctx, &s));
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(43, P(&s), 65, 0, 0, 0, &ctx), E(BPFSHIP_ENOMEM));
  CHECK_EQ(plen(&ctx), 64);
  CHECK(memcmp(data(&ctx), f, 64) == 0);
}

static void tail(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64];
  ipv4(f, 64, 17);
  setup(&ctx, &s, f, 64, 32);
  CHECK_EQ(call_helper(38, P(&s), 84, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 84);
  CHECK(synced(&ctx, &s));
  uint8_t zero[20] = {0};
  CHECK(memcmp(data(&ctx) + 64, zero, 20) == 0); /* zero-filled, not the buffer's 0xee */
  CHECK(data(&ctx) == buf + HEADROOM);            /* the tail room sufficed */
  CHECK_EQ(call_helper(38, P(&s), 13, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL)); /* below the network header */
  CHECK_EQ(call_helper(38, P(&s), BPFSHIP_SKB_MAX_LEN + 1, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 40, 1, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 14, 0, 0, 0, &ctx), 0);
  CHECK_EQ(f32(&s, LEN), 14);
  /* growing past the tail room moves the packet into the headroom */
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(38, P(&s), 84, 0, 0, 0, &ctx), 0);
  CHECK(data(&ctx) == buf + HEADROOM - 20);
  CHECK(memcmp(data(&ctx), f, 64) == 0 && memcmp(data(&ctx) + 64, zero, 20) == 0);
  CHECK(synced(&ctx, &s));
  CHECK_EQ(call_helper(38, P(&s), 84 + 45, 0, 0, 0, &ctx), E(BPFSHIP_ENOMEM));
  CHECK_EQ(plen(&ctx), 84);
  CHECK_EQ(call_helper(38, P(&s), 84 + 44, 0, 0, 0, &ctx), 0);
  CHECK(data(&ctx) == buf);
}

static void room(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64], f6[80], arp[60] = {0};
  ipv4(f, 64, 17);
  ipv6(f6, 80);
  arp[12] = 0x08, arp[13] = 0x06;

  /* NET: after the IPv4 header */
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(50, P(&s), 8, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 72);
  CHECK(synced(&ctx, &s));
  uint8_t zero[40] = {0};
  CHECK(memcmp(data(&ctx), f, 34) == 0 && memcmp(data(&ctx) + 34, zero, 8) == 0);
  CHECK(memcmp(data(&ctx) + 42, f + 34, 30) == 0);
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-8, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 64);
  CHECK(memcmp(data(&ctx), f, 64) == 0);
  /* NET on IPv6: after its 40-byte header */
  setup(&ctx, &s, f6, 80, 0);
  CHECK_EQ(call_helper(50, P(&s), 8, 0, 0, 0, &ctx), 0);
  CHECK(memcmp(data(&ctx), f6, 54) == 0 && memcmp(data(&ctx) + 54, zero, 8) == 0);
  /* refusals, in Linux's order: flags, size, protocol, mode, decap on grow */
  setup(&ctx, &s, arp, 60, 0);
  CHECK_EQ(call_helper(50, P(&s), 4, 1, 1u << 9, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(50, P(&s), 0x1000, 1, 0, 0, &ctx), E(BPFSHIP_EFAULT));
  CHECK_EQ(call_helper(50, P(&s), 4, 1, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP)); /* ARP */
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(50, P(&s), 4, 2, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP));
  CHECK_EQ(call_helper(50, P(&s), 4, 1, 1u << 7, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-4, 1, 3u << 7, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-64, 1, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP)); /* all of it */
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-31, 1, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP)); /* < an IPv4 header left */
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-8, 1, 1u << 1, 0, &ctx), E(BPFSHIP_EINVAL)); /* encap on shrink */
  CHECK_EQ(call_helper(50, P(&s), 65, 1, 0, 0, &ctx), E(BPFSHIP_ENOMEM)); /* more than the buffer */
  CHECK_EQ(plen(&ctx), 64);
  CHECK(synced(&ctx, &s));

  /* IP-in-IP: 20 bytes at the MAC layer; encapsulated, so no second encap and no change_tail */
  CHECK_EQ(call_helper(50, P(&s), 20, 1, 1u << 1, 0, &ctx), 0);
  CHECK(memcmp(data(&ctx), f, 14) == 0 && memcmp(data(&ctx) + 14, zero, 20) == 0);
  CHECK(memcmp(data(&ctx) + 34, f + 14, 50) == 0);
  CHECK_EQ(ctx.skb_flags & BPFSHIP_SKB_F_ENCAP, BPFSHIP_SKB_F_ENCAP);
  CHECK_EQ(call_helper(50, P(&s), 20, 1, 1u << 1, 0, &ctx), E(BPFSHIP_EALREADY));
  CHECK_EQ(call_helper(38, P(&s), 13, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 40, 0, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP));
  CHECK_EQ(f32(&s, PROTOCOL), 0x0008);
  /* decapsulating, with the outer protocol named: 20 bytes at the MAC layer go */
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-20, 1, 1u << 7, 0, &ctx), 0);
  CHECK(memcmp(data(&ctx), f, 64) == 0);
  CHECK_EQ(f32(&s, PROTOCOL), 0x0008);
  /* DECAP_L3_IPV6 wants an IPv6 header's 40 bytes left, and makes the protocol IPv6 */
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-20, 1, 1u << 8, 0, &ctx), E(BPFSHIP_ENOTSUPP));
  uint8_t f100[100];
  ipv4(f100, 100, 17);
  setup(&ctx, &s, f100, 100, 0);
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-20, 1, 1u << 8, 0, &ctx), 0);
  CHECK_EQ(f32(&s, PROTOCOL), 0xdd86);

  /* a VXLAN shape over IPv6: protocol becomes IPv6, the transport header follows the outer IPv6 header */
  uint64_t vx = (1u << 2) | (1u << 4) | (1u << 6) | (14ull << 56);
  setup(&ctx, &s, f, 64, 100);
  CHECK_EQ(call_helper(50, P(&s), 76, 1, vx | (1u << 1), 0, &ctx), E(BPFSHIP_EINVAL)); /* two L3 */
  CHECK_EQ(call_helper(50, P(&s), 76, 1, vx | (1u << 3), 0, &ctx), E(BPFSHIP_EINVAL)); /* GRE and UDP */
  CHECK_EQ(call_helper(50, P(&s), 10, 1, vx, 0, &ctx), E(BPFSHIP_EINVAL));             /* inner MAC > room */
  CHECK_EQ(call_helper(50, P(&s), 76, 1, (1u << 2) | (1u << 6) | (8ull << 56), 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(50, P(&s), 76, 1, vx, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 140);
  CHECK_EQ(f32(&s, PROTOCOL), 0xdd86);
  CHECK_EQ(call_helper(38, P(&s), 53, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 54, 0, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP));
  /* 8 bytes out after the outer IPv6 header: the transport header (not the network one) stays put, 8 bytes nearer */
  CHECK_EQ(call_helper(50, P(&s), (uint64_t)-8, 0, 0, 0, &ctx), 0);
  CHECK_EQ(ctx.skb_transport_off, 46);
  CHECK_EQ(call_helper(38, P(&s), 45, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(38, P(&s), 46, 0, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP));

  /* NET grow past the end of a short packet: the header bytes it moves read as zeros beyond the end */
  uint8_t tiny[64];
  ipv4(tiny, 64, 17);
  setup(&ctx, &s, tiny, 20, 0);
  CHECK_EQ(call_helper(50, P(&s), 4, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 24);
  CHECK(memcmp(data(&ctx), tiny, 20) == 0 && memcmp(data(&ctx) + 20, zero, 4) == 0);
}

static void proto(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64], f6[80];
  ipv4(f, 64, 17);
  ipv6(f6, 80);
  setup(&ctx, &s, f, 64, 0);
  put32(&s, HASH, 77);
  ctx.skb_flags |= BPFSHIP_SKB_F_HASH;
  CHECK_EQ(call_helper(31, P(&s), 0xdd86, 1, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(31, P(&s), 0x0008, 0, 0, 0, &ctx), E(BPFSHIP_ENOTSUPP)); /* 4 -> 4 */
  CHECK_EQ(call_helper(31, P(&s), 0xdd86, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 84);
  CHECK_EQ(f32(&s, PROTOCOL), 0xdd86);
  CHECK_EQ(f32(&s, HASH), 0);
  CHECK_EQ(ctx.skb_flags & BPFSHIP_SKB_F_HASH, 0);
  uint8_t zero[20] = {0};
  CHECK(memcmp(data(&ctx), f, 14) == 0 && memcmp(data(&ctx) + 14, zero, 20) == 0);
  CHECK(memcmp(data(&ctx) + 34, f + 14, 50) == 0);
  CHECK_EQ(call_helper(31, P(&s), 0x0008, 0, 0, 0, &ctx), 0);
  CHECK(memcmp(data(&ctx), f, 64) == 0);
  CHECK_EQ(f32(&s, PROTOCOL), 0x0008);
  CHECK(synced(&ctx, &s));
  setup(&ctx, &s, f6, 80, 0);
  CHECK_EQ(call_helper(31, P(&s), 0x0008, 0, 0, 0, &ctx), 0);
  CHECK_EQ(plen(&ctx), 60);
  CHECK(memcmp(data(&ctx) + 14, f6 + 34, 46) == 0);
  uint8_t short6[80];
  ipv6(short6, 80);
  setup(&ctx, &s, short6, 30, 0);
  CHECK_EQ(call_helper(31, P(&s), 0x0008, 0, 0, 0, &ctx), E(BPFSHIP_ENOMEM)); /* no 20 bytes after the MAC header */

  /* change_type: PACKET_HOST..PACKET_OTHERHOST only, from and to */
  setup(&ctx, &s, f, 64, 0);
  CHECK_EQ(call_helper(32, P(&s), 4, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(32, P(&s), 1, 0, 0, 0, &ctx), 0);
  CHECK_EQ(f32(&s, PKT_TYPE), 1);
  put32(&s, PKT_TYPE, 7); /* PACKET_KERNEL */
  CHECK_EQ(call_helper(32, P(&s), 0, 0, 0, 0, &ctx), E(BPFSHIP_EINVAL));
}

static void hash(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64], r[64];
  ipv4(f, 64, 17);
  memcpy(r, f, 64); /* the reply: addresses and ports swapped */
  memcpy(r + 26, f + 30, 4), memcpy(r + 30, f + 26, 4), memcpy(r + 34, f + 36, 2), memcpy(r + 36, f + 34, 2);
  setup(&ctx, &s, r, 64, 0);
  uint32_t hr = (uint32_t)call_helper(34, P(&s), 0, 0, 0, 0, &ctx);
  setup(&ctx, &s, f, 64, 0);
  uint32_t h = (uint32_t)call_helper(34, P(&s), 0, 0, 0, 0, &ctx);
  CHECK(h != 0);
  CHECK_EQ(h, hr);
  CHECK_EQ(f32(&s, HASH), h);
  CHECK_EQ(call_helper(34, P(&s), 0, 0, 0, 0, &ctx), h);
  /* the hash stays until something clears it, even when the packet changes */
  data(&ctx)[37] = 54;
  CHECK_EQ(call_helper(34, P(&s), 0, 0, 0, 0, &ctx), h);
  uint8_t b = 1;
  CHECK_EQ(call_helper(9, P(&s), 40, P(&b), 1, 2, &ctx), 0); /* store_bytes, BPF_F_INVALIDATE_HASH */
  CHECK_EQ(f32(&s, HASH), 0);
  uint32_t h2 = (uint32_t)call_helper(34, P(&s), 0, 0, 0, 0, &ctx);
  CHECK(h2 != h && h2 != 0); /* another flow (port 54) */
  CHECK_EQ(call_helper(41, P(&s), 0, 0, 0, 0, &ctx), 0);
  CHECK_EQ(f32(&s, HASH), 0);
  CHECK_EQ(call_helper(48, P(&s), 0, 0, 0, 0, &ctx), 0); /* a software hash of 0 is valid */
  CHECK_EQ(call_helper(34, P(&s), 0, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(48, P(&s), 0x1234, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(34, P(&s), 0, 0, 0, 0, &ctx), 0x1234);
  /* non-IP packets hash too */
  uint8_t arp[60] = {0};
  arp[12] = 0x08, arp[13] = 0x06;
  setup(&ctx, &s, arp, 60, 0);
  CHECK(call_helper(34, P(&s), 0, 0, 0, 0, &ctx) != 0);
}

static void tunnel(void) {
  bpfship_run_ctx ctx;
  fake_skb s;
  uint8_t f[64];
  ipv4(f, 64, 17);
  setup(&ctx, &s, f, 64, 0);
  uint8_t k[44], g[44];
  memset(g, 0x5a, sizeof g);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 0, 0, &ctx), E(BPFSHIP_EINVAL)); /* none attached */
  uint8_t zero[44] = {0};
  CHECK(memcmp(g, zero, 44) == 0);
  CHECK_EQ(bpfship_run_ctx_get_tunnel_info(&ctx, NULL), -BPFSHIP_ENOENT);

  /* IPv4, with ZERO_CSUM_TX | DONT_FRAGMENT: remote and local come back swapped, flags as a __be16 */
  memset(k, 0, sizeof k);
  uint32_t id = 0x123456, remote = 0x0a000001, local = 0x0a000002;
  memcpy(k, &id, 4), memcpy(k + 4, &remote, 4), memcpy(k + 28, &local, 4);
  k[20] = 3, k[21] = 64;
  CHECK_EQ(call_helper(21, P(&s), P(k), 44, 6, 0, &ctx), 0);
  memset(g, 0x5a, sizeof g);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 1u << 4, 0, &ctx), 0);
  static const uint8_t want4[44] = {0x56, 0x34, 0x12, 0, 2, 0, 0, 10, [20] = 3, 64, 0x21, 0x04, 0, 0, 0, 0, 1, 0, 0,
                                    10};
  CHECK(memcmp(g, want4, 44) == 0);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 1, 0, &ctx), E(BPFSHIP_EPROTO));
  bpfship_tunnel_info info;
  CHECK_EQ(bpfship_run_ctx_get_tunnel_info(&ctx, &info), 0);
  CHECK_EQ(info.mode, BPFSHIP_TUNNEL_TX);
  CHECK(info.dst[0] == 10 && info.dst[3] == 1 && info.src[3] == 2);
  CHECK_EQ(info.flags, BPFSHIP_TUNNEL_F_NOCACHE | BPFSHIP_TUNNEL_F_DONT_FRAGMENT | BPFSHIP_TUNNEL_F_KEY);
  /* the older layouts: 8 bytes (IPv4 only), 22, 24, 28 */
  memset(g, 0x5a, sizeof g);
  CHECK_EQ(call_helper(20, P(&s), P(g), 8, 0, 0, &ctx), 0);
  CHECK(memcmp(g, want4, 8) == 0 && g[8] == 0x5a);
  CHECK_EQ(call_helper(20, P(&s), P(g), 13, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK(g[0] == 0 && g[12] == 0 && g[13] == 0x5a); /* zeroed as far as the size said */
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 2, 0, &ctx), E(BPFSHIP_EINVAL));
  /* set's refusals */
  CHECK_EQ(call_helper(21, P(&s), P(k), 44, 1u << 5, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(21, P(&s), P(k), 7, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(21, P(&s), P(k), 40, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(21, P(&s), P(k), 8, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(21, P(&s), P(k), 24, 0, 0, &ctx), 0);
  k[24] = 5; /* a label needs IPv6 */
  CHECK_EQ(call_helper(21, P(&s), P(k), 44, 0, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(21, P(&s), P(k), 24, 0, 0, &ctx), 0); /* the label is past this layout */
  k[24] = 0, k[22] = 1;                                       /* tunnel_ext must be 0 */
  CHECK_EQ(call_helper(21, P(&s), P(k), 44, 0, 0, &ctx), E(BPFSHIP_EINVAL));

  /* IPv6 with a label (20 bits kept) and SEQ_NUMBER; the 8-byte layout cannot hold it */
  memset(k, 0, sizeof k);
  k[0] = 7, k[4] = 0xfd, k[19] = 1, k[28] = 0xfd, k[43] = 2, k[21] = 9;
  uint32_t label = 0xfffff123;
  memcpy(k + 24, &label, 4);
  CHECK_EQ(call_helper(21, P(&s), P(k), 44, 1 | 8, 0, &ctx), 0);
  CHECK_EQ(call_helper(20, P(&s), P(g), 8, 1, 0, &ctx), E(BPFSHIP_EINVAL));
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 1 | 16, 0, &ctx), 0);
  CHECK(g[0] == 7 && g[4] == 0xfd && g[19] == 2 && g[28] == 0xfd && g[43] == 1 && g[21] == 9);
  CHECK(g[22] == 0x20 && g[23] == 0x0d); /* NOCACHE | SEQ | KEY | CSUM */
  uint32_t got_label;
  memcpy(&got_label, g + 24, 4);
  CHECK_EQ(got_label, 0xff123);

  /* metadata the host attaches, as received: get reports its source as remote */
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 0, 0, &ctx), E(BPFSHIP_EINVAL)); /* a new run has none */
  memset(&info, 0, sizeof info);
  info.tunnel_id = 99;
  info.src[0] = 192, info.src[3] = 1, info.dst[0] = 192, info.dst[3] = 2;
  info.flags = BPFSHIP_TUNNEL_F_KEY;
  info.ttl = 5;
  info.mode = 4;
  CHECK_EQ(bpfship_run_ctx_set_tunnel_info(&ctx, &info), -BPFSHIP_EINVAL);
  info.mode = 0;
  CHECK_EQ(bpfship_run_ctx_set_tunnel_info(&ctx, &info), 0);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 0, 0, &ctx), 0);
  uint32_t rid, rremote, rlocal;
  memcpy(&rid, g, 4), memcpy(&rremote, g + 4, 4), memcpy(&rlocal, g + 28, 4);
  CHECK(rid == 99 && rremote == 0xc0000001u && rlocal == 0xc0000002u && g[21] == 5 && g[22] == 0);
  CHECK_EQ(bpfship_run_ctx_set_tunnel_info(&ctx, NULL), 0);
  CHECK_EQ(call_helper(20, P(&s), P(g), 44, 0, 0, &ctx), E(BPFSHIP_EINVAL));
}

void suite_skb(void) {
  kinds();
  pull_and_head();
  tail();
  room();
  proto();
  hash();
  tunnel();
}

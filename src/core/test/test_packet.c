/* Packet helpers: XDP head/tail/meta adjustment (and the context struct kept in sync), skb byte access,
 * checksum helpers against an independent RFC 1071 computation, redirects, perf output with packet bytes.
 *
 * Author: Claude.
 */
#include "test.h"

/* RFC 1071 checksum of big-endian 16-bit words: the value to store, big-endian. */
static uint16_t rfc1071(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

struct fake_ctx {
  uint64_t data, data_end, data_meta;
};

static void setup(bpfship_run_ctx *ctx, uint8_t *buf, struct fake_ctx *fc, uint32_t prog_type) {
  init_ctx(ctx, prog_type, 0);
  bpfship_run_ctx_set_packet(ctx, P(buf), P(buf + 256), P(buf + 256 + 64), P(buf + 256 + 64 + 100));
  bpfship_run_ctx_set_ctx(ctx, P(fc), 0, 8, 16, 8);
}

static void xdp(void) {
  static uint8_t buf[1024];
  struct fake_ctx fc;
  bpfship_run_ctx ctx;
  setup(&ctx, buf, &fc, BPFSHIP_PROG_TYPE_XDP);
  CHECK(fc.data == P(buf + 256) && fc.data_end == P(buf + 320) && fc.data_meta == fc.data);
  CHECK_EQ(bpfship_run_ctx_set_packet(&ctx, P(buf + 10), P(buf), P(buf + 20), P(buf + 30)), -BPFSHIP_EINVAL);
  /* head: grow by 14, shrink by 20; the program's context follows */
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-14, 0, 0, 0, &ctx), 0);
  CHECK(fc.data == P(buf + 242) && ctx.data == fc.data);
  CHECK_EQ(call_helper(44, P(&fc), 20, 0, 0, 0, &ctx), 0);
  CHECK(fc.data == P(buf + 262));
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-263, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL); /* past the start */
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-262, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(44, P(&fc), 320 - 14 + 1, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL); /* < ETH_HLEN left */
  CHECK_EQ(call_helper(44, P(&fc), 256, 0, 0, 0, &ctx), 0);
  ctx.headroom_reserve = 40; /* Linux keeps room for struct xdp_frame */
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-256, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-216, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(44, P(&fc), 216, 0, 0, 0, &ctx), 0);

  /* meta: 4-byte multiples up to 32 bytes, between the headroom and data */
  CHECK_EQ(call_helper(54, P(&fc), (uint64_t)-8, 0, 0, 0, &ctx), 0);
  CHECK(fc.data_meta == fc.data - 8);
  CHECK_EQ(call_helper(54, P(&fc), (uint64_t)-2, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EACCES);
  CHECK_EQ(call_helper(54, P(&fc), (uint64_t)-28, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EACCES);
  CHECK_EQ(call_helper(54, P(&fc), 16, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL); /* past data */
  /* head adjustment moves the metadata with the packet */
  memset((void *)(uintptr_t)fc.data_meta, 0x77, 8);
  CHECK_EQ(call_helper(44, P(&fc), (uint64_t)-4, 0, 0, 0, &ctx), 0);
  CHECK(fc.data_meta == fc.data - 8 && ((uint8_t *)(uintptr_t)fc.data_meta)[7] == 0x77);
  CHECK_EQ(call_helper(54, P(&fc), 8, 0, 0, 0, &ctx), 0);
  CHECK(fc.data_meta == fc.data);

  /* tail: grow zero-filled up to data_hard_end, shrink down to an Ethernet header */
  uint64_t len = fc.data_end - fc.data;
  memset((void *)(uintptr_t)fc.data_end, 0xee, 16);
  CHECK_EQ(call_helper(65, P(&fc), 16, 0, 0, 0, &ctx), 0);
  CHECK_EQ(fc.data_end - fc.data, len + 16);
  CHECK_EQ(((uint8_t *)(uintptr_t)fc.data_end)[-1], 0);
  CHECK_EQ(call_helper(65, P(&fc), 1000, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(65, P(&fc), (uint64_t)-(int64_t)(len + 16 - 14), 0, 0, 0, &ctx), 0);
  CHECK_EQ(fc.data_end - fc.data, 14);
  CHECK_EQ(call_helper(65, P(&fc), (uint64_t)-1, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);

  /* 4-byte context fields (wasm's xdp_md) get the low 32 bits */
  uint32_t md[6] = {0};
  bpfship_run_ctx_set_ctx(&ctx, P(md), 0, 4, 8, 4);
  CHECK_EQ(md[0], (uint32_t)ctx.data);
  CHECK_EQ(md[1], (uint32_t)ctx.data_end);
}

static void skb(void) {
  static uint8_t buf[1024];
  struct fake_ctx fc;
  bpfship_run_ctx ctx;
  setup(&ctx, buf, &fc, BPFSHIP_PROG_TYPE_SCHED_CLS);
  uint8_t *pkt = buf + 256;
  for (int i = 0; i < 64; i++) pkt[i] = (uint8_t)i;
  uint8_t to[8];
  CHECK_EQ(call_helper(26, P(&fc), 60, P(to), 4, 0, &ctx), 0);
  CHECK_EQ(to[3], 63);
  memset(to, 0x55, sizeof to);
  CHECK_EQ(call_helper(26, P(&fc), 61, P(to), 4, 0, &ctx), (uint64_t)-BPFSHIP_EFAULT);
  CHECK_EQ(to[0], 0); /* cleared on failure */
  uint8_t from[4] = {9, 9, 9, 9};
  CHECK_EQ(call_helper(9, P(&fc), 10, P(from), 4, 0, &ctx), 0);
  CHECK_EQ(pkt[13], 9);
  CHECK_EQ(call_helper(9, P(&fc), 62, P(from), 4, 0, &ctx), (uint64_t)-BPFSHIP_EFAULT);
  CHECK_EQ(call_helper(9, P(&fc), 10, P(from), 4, 4, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(9, P(&fc), 10, P(from), 4, 3, &ctx), 0); /* RECOMPUTE_CSUM | INVALIDATE_HASH */
}

static void checksums(void) {
  static uint8_t buf[1024];
  struct fake_ctx fc;
  bpfship_run_ctx ctx;
  setup(&ctx, buf, &fc, BPFSHIP_PROG_TYPE_SCHED_CLS);
  uint8_t *ip = buf + 256 + 14; /* IPv4 header after an Ethernet header */
  static const uint8_t hdr[20] = {0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7};
  memcpy(ip, hdr, 20);
  CHECK_EQ(rfc1071(ip, 20), 0xb861);
  /* csum_diff over the header with a zero checksum field gives the folded sum; its complement is the checksum */
  uint16_t folded = (uint16_t)call_helper(28, 0, 0, P(ip), 20, 0, &ctx);
  uint16_t csum = (uint16_t)~folded;
  memcpy(ip + 10, &csum, 2);
  CHECK_EQ(ip[10], 0xb8);
  CHECK_EQ(ip[11], 0x61);
  CHECK_EQ(rfc1071(ip, 20), 0);
  CHECK_EQ(call_helper(28, 0, 0, 0, 0, 0x1234, &ctx), 0x1234); /* nothing to sum: the seed */
  /* vectors checked against Linux 6.18's bpf_csum_diff (sizes need not be multiples of 4 any more) */
  uint32_t k1[5] = {0x00004500u | (0x73u << 24), 0x00400000u, 0x00001140u, 0x0100a8c0u, 0xc700a8c0u};
  uint32_t k2[2] = {0x11223344u, 0x55667788u}, k3 = 0x0a000001u, k4 = 0xac100001u;
  CHECK_EQ(call_helper(28, 0, 0, P(k1), 20, 0, &ctx), 58114);
  CHECK_EQ(call_helper(28, 0, 0, P(k2), 6, 0, &ctx), 48110);
  CHECK_EQ(call_helper(28, P(&k3), 4, P(&k4), 4, 0x1234, &ctx), 46148);
  CHECK_EQ(call_helper(28, P(&k3), 4, 0, 0, 0x1234, &ctx), 2099);
  /* change the destination address: l3_csum_replace with 4-byte values keeps the header valid */
  uint32_t old_addr, new_addr;
  memcpy(&old_addr, ip + 16, 4);
  uint8_t na[4] = {10, 0, 0, 7};
  memcpy(&new_addr, na, 4);
  memcpy(ip + 16, na, 4);
  CHECK_EQ(call_helper(10, P(&fc), 14 + 10, old_addr, new_addr, 4, &ctx), 0);
  CHECK_EQ(rfc1071(ip, 20), 0);
  /* change TTL/protocol as a 2-byte field */
  uint16_t old16, new16;
  memcpy(&old16, ip + 8, 2);
  ip[8] = 0x3f;
  memcpy(&new16, ip + 8, 2);
  CHECK_EQ(call_helper(10, P(&fc), 14 + 10, old16, new16, 2, &ctx), 0);
  CHECK_EQ(rfc1071(ip, 20), 0);
  /* a diff from csum_diff (flags 0) */
  uint32_t a4, b4;
  memcpy(&a4, ip + 12, 4);
  uint8_t nb[4] = {172, 16, 0, 1};
  memcpy(&b4, nb, 4);
  uint64_t diff = call_helper(28, P(&a4), 4, P(&b4), 4, 0, &ctx);
  memcpy(ip + 12, nb, 4);
  CHECK_EQ(call_helper(10, P(&fc), 14 + 10, 0, diff, 0, &ctx), 0);
  CHECK_EQ(rfc1071(ip, 20), 0);
  /* errors */
  CHECK_EQ(call_helper(10, P(&fc), 14 + 10, 1, diff, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(10, P(&fc), 25, 0, 0, 2, &ctx), (uint64_t)-BPFSHIP_EFAULT); /* odd offset */
  CHECK_EQ(call_helper(10, P(&fc), 64, 0, 0, 2, &ctx), (uint64_t)-BPFSHIP_EFAULT);
  CHECK_EQ(call_helper(10, P(&fc), 24, 0, 0, 3, &ctx), (uint64_t)-BPFSHIP_EINVAL);
  CHECK_EQ(call_helper(10, P(&fc), 24, 0, 0, 0x10, &ctx), (uint64_t)-BPFSHIP_EINVAL);

  /* l4: a UDP checksum over an 8-byte header + 4 bytes of data (pseudo header left out: any 16-bit sum works) */
  uint8_t *udp = buf + 256 + 34;
  static const uint8_t u[12] = {0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
  memcpy(udp, u, 12);
  uint16_t uc = rfc1071(udp, 12);
  udp[6] = (uint8_t)(uc >> 8);
  udp[7] = (uint8_t)uc;
  memcpy(&old16, udp, 2);
  udp[0] = 0x11;
  memcpy(&new16, udp, 2);
  CHECK_EQ(call_helper(11, P(&fc), 34 + 6, old16, new16, 2, &ctx), 0);
  CHECK_EQ(rfc1071(udp, 12), 0);
  memcpy(&old_addr, udp + 8, 4);
  memcpy(udp + 8, "wxyz", 4);
  memcpy(&new_addr, udp + 8, 4);
  CHECK_EQ(call_helper(11, P(&fc), 34 + 6, old_addr, new_addr, 4 | (1u << 4), &ctx), 0); /* PSEUDO_HDR */
  CHECK_EQ(rfc1071(udp, 12), 0);
  /* MARK_MANGLED_0: a zero checksum means "none" and stays untouched */
  udp[6] = udp[7] = 0;
  CHECK_EQ(call_helper(11, P(&fc), 34 + 6, old_addr, new_addr, 4 | (1u << 5), &ctx), 0);
  CHECK(udp[6] == 0 && udp[7] == 0);
  CHECK_EQ(call_helper(11, P(&fc), 34 + 6, 0, 0, 0x100, &ctx), (uint64_t)-BPFSHIP_EINVAL);
}

static void redirects(void) {
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(call_helper(23, 5, 0, 0, 0, 0, &ctx), BPFSHIP_XDP_REDIRECT);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_IFINDEX);
  CHECK_EQ(ctx.redirect_ifindex, 5);
  CHECK_EQ(call_helper(23, 5, 1, 0, 0, 0, &ctx), BPFSHIP_XDP_ABORTED); /* XDP takes no flags */
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  CHECK_EQ(call_helper(23, 6, 1, 0, 0, 0, &ctx), BPFSHIP_TC_ACT_REDIRECT); /* BPF_F_INGRESS */
  CHECK_EQ(ctx.redirect_flags, 1);
  CHECK_EQ(call_helper(23, 6, 2, 0, 0, 0, &ctx), BPFSHIP_TC_ACT_SHOT);

  bpfship_map *dm = make_map(BPFSHIP_MAP_TYPE_DEVMAP, 4, 4, 4, 0);
  if (!dm) return;
  uint32_t k = 1, ifindex = 9;
  bpfship_map_update(dm, &k, &ifindex, 0);
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(call_helper(51, P(dm), 1, 0, 0, 0, &ctx), BPFSHIP_XDP_REDIRECT);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_MAP);
  CHECK_EQ(ctx.redirect_ifindex, 9);
  CHECK_EQ(ctx.redirect_map_id, bpfship_map_id(dm));
  CHECK_EQ(call_helper(51, P(dm), 2, BPFSHIP_XDP_PASS, 0, 0, &ctx), BPFSHIP_XDP_PASS); /* empty: fallback */
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_NONE);
  CHECK_EQ(call_helper(51, P(dm), 2, 1u << 3, 0, 0, &ctx), BPFSHIP_XDP_REDIRECT); /* broadcast */
  CHECK_EQ(call_helper(51, P(dm), 1, 1u << 5, 0, 0, &ctx), BPFSHIP_XDP_ABORTED);
  bpfship_map_release(dm);
}

/* CPU maps (cpu_map_alloc / cpu_map_update_elem, errno per case as Linux 6.18 gives them), and bpf_redirect_map on
 * one: a present CPU entry redirects, recorded with ifindex 0. */
static void cpumap(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 8, 4, 4, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 4, 12, 4, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 4, 4, 0, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 4, 4, 4, BPFSHIP_F_RDONLY), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 4, 4, BPFSHIP_CPUMAP_MAX_ENTRIES + 1, 0), -BPFSHIP_E2BIG);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_CPUMAP, 4, 8, 64, BPFSHIP_F_NUMA_NODE), 0);
  bpfship_map *cm = make_map(BPFSHIP_MAP_TYPE_CPUMAP, 4, 8, 8, 0);
  if (!cm) return;
  bpfship_map_info info;
  bpfship_map_get_info(cm, &info);
  CHECK_EQ(info.user_value_size, 8);
  uint32_t k = 1, v[2] = {256, 0}, out[2];
  CHECK_EQ(bpfship_map_lookup(cm, &k, out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(bpfship_map_update(cm, &k, v, 4), -BPFSHIP_EINVAL);
  CHECK_EQ(bpfship_map_update(cm, &k, v, BPFSHIP_NOEXIST), -BPFSHIP_EEXIST);
  k = 8;
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), -BPFSHIP_E2BIG);
  k = 4; /* the core has 4 possible CPUs */
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), -BPFSHIP_ENODEV);
  k = 1;
  v[0] = 16385;
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), -BPFSHIP_EOVERFLOW);
  v[0] = 256, v[1] = 3; /* an XDP program for the entry */
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), -BPFSHIP_EINVAL);
  v[1] = 0;
  CHECK_EQ(bpfship_map_update(cm, &k, v, BPFSHIP_EXIST), 0);
  CHECK_EQ(bpfship_map_lookup(cm, &k, out, 0), 0);
  CHECK(out[0] == 256 && out[1] == 0);
  uint32_t next;
  CHECK_EQ(bpfship_map_get_next_key(cm, NULL, &next), 0);
  CHECK_EQ(next, 0);

  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(call_helper(51, P(cm), 1, BPFSHIP_XDP_PASS, 0, 0, &ctx), BPFSHIP_XDP_REDIRECT);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_MAP);
  CHECK_EQ(ctx.redirect_key, 1);
  CHECK_EQ(ctx.redirect_ifindex, 0);
  CHECK_EQ(ctx.redirect_map_id, bpfship_map_id(cm));
  CHECK_EQ(call_helper(51, P(cm), 2, BPFSHIP_XDP_DROP, 0, 0, &ctx), BPFSHIP_XDP_DROP);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_NONE);
  CHECK_EQ(call_helper(51, P(cm), 1, 1u << 3, 0, 0, &ctx), BPFSHIP_XDP_ABORTED); /* broadcast is for devmaps */
  v[0] = 0; /* a queue size of 0 deletes */
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), 0);
  CHECK_EQ(bpfship_map_lookup(cm, &k, out, 0), -BPFSHIP_ENOENT);
  CHECK_EQ(call_helper(51, P(cm), 1, BPFSHIP_XDP_PASS, 0, 0, &ctx), BPFSHIP_XDP_PASS);
  v[0] = 64;
  CHECK_EQ(bpfship_map_update(cm, &k, v, 0), 0);
  CHECK_EQ(bpfship_map_delete(cm, &k), 0);
  CHECK_EQ(bpfship_map_lookup(cm, &k, out, 0), -BPFSHIP_ENOENT);
  k = 8;
  CHECK_EQ(bpfship_map_delete(cm, &k), -BPFSHIP_EINVAL);
  bpfship_map_release(cm);
}

/* redirect_neigh/peer, and what a runtime without sockets or namespaces answers. */
static void tc_redirects_and_sockets(void) {
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  uint8_t nh[20] = {2};
  CHECK_EQ(call_helper(152, 5, 0, 0, 0, 0, &ctx), BPFSHIP_TC_ACT_REDIRECT);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_IFINDEX);
  CHECK_EQ(ctx.redirect_ifindex, 5);
  CHECK_EQ(ctx.redirect_flags, BPFSHIP_REDIRECT_F_NEIGH);
  CHECK_EQ(call_helper(152, 6, P(nh), 20, 0, 0, &ctx), BPFSHIP_TC_ACT_REDIRECT);
  CHECK_EQ(ctx.redirect_flags, BPFSHIP_REDIRECT_F_NEIGH | BPFSHIP_REDIRECT_F_NEXTHOP);
  CHECK_EQ(call_helper(152, 6, P(nh), 4, 0, 0, &ctx), BPFSHIP_TC_ACT_SHOT);
  CHECK_EQ(call_helper(152, 6, 0, 0, 1, 0, &ctx), BPFSHIP_TC_ACT_SHOT);
  CHECK_EQ(call_helper(155, 7, 0, 0, 0, 0, &ctx), BPFSHIP_TC_ACT_REDIRECT);
  CHECK_EQ(ctx.redirect_ifindex, 7);
  CHECK_EQ(ctx.redirect_flags, BPFSHIP_REDIRECT_F_PEER);
  CHECK_EQ(call_helper(155, 7, 1, 0, 0, 0, &ctx), BPFSHIP_TC_ACT_SHOT);

  CHECK_EQ(call_helper(46, 0, 0, 0, 0, 0, &ctx), 1);
  CHECK_EQ(call_helper(122, 0, 0, 0, 0, 0, &ctx), 1);
  bpfship_core_set_cookies(0x1234, 4026531840ull);
  CHECK_EQ(call_helper(46, 0, 0, 0, 0, 0, &ctx), 0x1234);
  CHECK_EQ(call_helper(122, 0, 0, 0, 0, 0, &ctx), 4026531840ull);
  bpfship_core_set_cookies(1, 1);

  uint8_t tuple[12] = {0};
  CHECK_EQ(call_helper(84, 0, P(tuple), 12, (uint64_t)-1, 0, &ctx), 0);
  CHECK_EQ(call_helper(85, 0, P(tuple), 12, (uint64_t)-1, 0, &ctx), 0);
  CHECK_EQ(call_helper(99, 0, P(tuple), 12, (uint64_t)-1, 0, &ctx), 0);
  CHECK_EQ(call_helper(86, 0, 0, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(124, 0, 0, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);
}

static void perf_with_packet(void) {
  static uint8_t buf[1024];
  struct fake_ctx fc;
  bpfship_run_ctx ctx;
  setup(&ctx, buf, &fc, BPFSHIP_PROG_TYPE_XDP);
  bpfship_map *pe = make_map(BPFSHIP_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0);
  if (!pe) return;
  for (uint32_t k = 0; k < 4; k++) bpfship_map_update(pe, &k, &k, 0);
  uint32_t meta = 1;
  CHECK_EQ(call_helper(25, P(&fc), P(pe), 0xffffffffull | (32ull << 32), P(&meta), 4, &ctx), 0);
  CHECK_EQ(last_perf_ctx_size, 32);
  CHECK_EQ(call_helper(25, P(&fc), P(pe), 0xffffffffull | (65ull << 32), P(&meta), 4, &ctx),
           (uint64_t)-BPFSHIP_EFAULT);
  bpfship_map_release(pe);
}

/* AF_XDP socket maps (xsk_map_alloc / _update_elem): they exist, but no socket can be put in one, so a program's
 * lookup gives NULL and bpf_redirect_map falls back, as on Linux with no socket bound to the queue. */
static void xskmap(void) {
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_XSKMAP, 8, 4, 4, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_XSKMAP, 4, 8, 4, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_XSKMAP, 4, 4, 0, 0), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_XSKMAP, 4, 4, 4, BPFSHIP_F_NO_PREALLOC), -BPFSHIP_EINVAL);
  CHECK_EQ(create_err(BPFSHIP_MAP_TYPE_XSKMAP, 4, 4, 4, BPFSHIP_F_RDONLY), 0);
  bpfship_map *xm = make_map(BPFSHIP_MAP_TYPE_XSKMAP, 4, 4, 4, 0);
  if (!xm) return;
  uint32_t k = 1, v = 3, out;
  CHECK_EQ(bpfship_map_update(xm, &k, &v, 0), -BPFSHIP_EOPNOTSUPP); /* no descriptor is an AF_XDP socket */
  CHECK_EQ(bpfship_map_update(xm, &k, &v, 4), -BPFSHIP_EINVAL);
  k = 4;
  CHECK_EQ(bpfship_map_update(xm, &k, &v, 0), -BPFSHIP_E2BIG);
  CHECK_EQ(bpfship_map_delete(xm, &k), -BPFSHIP_EINVAL);
  k = 1;
  CHECK_EQ(bpfship_map_delete(xm, &k), 0);
  CHECK_EQ(bpfship_map_lookup(xm, &k, &out, 0), -BPFSHIP_EOPNOTSUPP);
  uint32_t next;
  CHECK_EQ(bpfship_map_get_next_key(xm, NULL, &next), 0);
  CHECK_EQ(next, 0);

  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_XDP, 0);
  CHECK_EQ(call_helper(1, P(xm), P(&k), 0, 0, 0, &ctx), 0);                                      /* lookup: NULL */
  CHECK_EQ(call_helper(51, P(xm), 1, BPFSHIP_XDP_PASS, 0, 0, &ctx), BPFSHIP_XDP_PASS);           /* fallback */
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_NONE);
  CHECK_EQ(call_helper(51, P(xm), 1, 0, 0, 0, &ctx), BPFSHIP_XDP_ABORTED);
  bpfship_map_release(xm);
}

/* bpf_clone_redirect: to a device the core's table has (loopback; then one the host adds), with 0 or BPF_F_INGRESS. */
static void clone_redirect(void) {
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  bpfship_fib_reset();
  CHECK_EQ(call_helper(13, 0, 1, 0, 0, 0, &ctx), 0);
  CHECK_EQ(call_helper(13, 0, 1, 1, 0, 0, &ctx), 0);                            /* BPF_F_INGRESS */
  CHECK_EQ(call_helper(13, 0, 1, 2, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);     /* unknown flag */
  CHECK_EQ(call_helper(13, 0, 7, 0, 0, 0, &ctx), (uint64_t)-BPFSHIP_EINVAL);     /* no device 7 */
  bpfship_fib_device dev = {7, 1500, {2, 0, 0, 0, 0, 7}, 0};
  CHECK_EQ(bpfship_fib_set_device(&dev), 0);
  CHECK_EQ(call_helper(13, 0, 7, 0, 0, 0, &ctx), 0);
  CHECK_EQ(ctx.redirect_kind, BPFSHIP_REDIRECT_NONE); /* a clone is no redirect of the packet itself */
  bpfship_fib_reset();
}

void suite_packet(void) {
  xdp();
  skb();
  checksums();
  redirects();
  cpumap();
  xskmap();
  clone_redirect();
  tc_redirects_and_sockets();
  perf_with_packet();
}

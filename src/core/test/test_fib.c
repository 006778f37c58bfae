/* bpf_fib_lookup over the core's FIB: the initial namespace (loopback, forwarding off), then devices, routes and
 * neighbours the host adds, through both program types' flavours (XDP always checks the MTU; tc checks the packet).
 *
 * Author: Claude.
 */
#include "test.h"

#define E(x) ((uint64_t)(int64_t)-(x))

enum {
  SUCCESS, BLACKHOLE, UNREACHABLE, PROHIBIT, NOT_FWDED, FWD_DISABLED, UNSUPP_LWT, NO_NEIGH, FRAG_NEEDED, NO_SRC_ADDR
};
enum { DIRECT = 1, OUTPUT = 2, SKIP_NEIGH = 4, TBID = 8, SRC = 16, MARK = 32 };

/* struct bpf_fib_lookup */
typedef struct params {
  uint8_t family, l4_protocol;
  uint16_t sport, dport, tot_len;
  uint32_t ifindex, tos_metric;
  uint8_t src[16], dst[16];
  uint32_t tbid;
  uint8_t smac[6], dmac[6];
} params;

static params v4(uint32_t ifindex, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  params p;
  memset(&p, 0, sizeof p);
  p.family = BPFSHIP_AF_INET;
  p.ifindex = ifindex;
  p.dst[0] = a, p.dst[1] = b, p.dst[2] = c, p.dst[3] = d;
  return p;
}

static params v6(uint32_t ifindex, uint8_t first, uint8_t last) {
  params p;
  memset(&p, 0, sizeof p);
  p.family = BPFSHIP_AF_INET6;
  p.ifindex = ifindex;
  p.dst[0] = first, p.dst[15] = last;
  return p;
}

static bpfship_fib_route route(uint32_t table, uint8_t family, const uint8_t *dst, uint8_t len, uint8_t type,
                               uint32_t ifindex, uint32_t metric) {
  bpfship_fib_route r;
  memset(&r, 0, sizeof r);
  r.table = table, r.family = family, r.prefix_len = len, r.type = type, r.ifindex = ifindex, r.metric = metric;
  memcpy(r.dst, dst, family == BPFSHIP_AF_INET ? 4 : 16);
  return r;
}

static bpfship_fib_neighbour neigh(uint32_t ifindex, uint8_t family, const uint8_t *addr, uint8_t mac_last) {
  bpfship_fib_neighbour n;
  memset(&n, 0, sizeof n);
  n.ifindex = ifindex, n.family = family;
  memcpy(n.addr, addr, family == BPFSHIP_AF_INET ? 4 : 16);
  n.mac[0] = 0x02, n.mac[5] = mac_last;
  return n;
}

static uint8_t pkt[2048];
static bpfship_run_ctx tc, xdp;

static uint64_t lookup(bpfship_run_ctx *ctx, params *p, uint32_t flags) {
  return call_helper(69, 0, P(p), sizeof *p, flags, 0, ctx);
}

static void initial(void) {
  bpfship_fib_reset();
  params p = v4(1, 192, 0, 2, 99);
  CHECK_EQ(lookup(&tc, &p, 0), FWD_DISABLED);
  CHECK_EQ(lookup(&tc, &p, OUTPUT | DIRECT), FWD_DISABLED);
  CHECK_EQ(lookup(&tc, &p, MARK), FWD_DISABLED); /* Linux 6.18 knows BPF_FIB_LOOKUP_MARK */
  CHECK_EQ(call_helper(69, 0, P(&p), 63, 0, 0, &tc), E(BPFSHIP_EINVAL));
  CHECK_EQ(lookup(&tc, &p, 1u << 6), E(BPFSHIP_EINVAL));
  p.ifindex = 4242;
  CHECK_EQ(lookup(&tc, &p, 0), E(BPFSHIP_ENODEV));
  p.family = BPFSHIP_AF_INET6;
  CHECK_EQ(lookup(&xdp, &p, 0), E(BPFSHIP_ENODEV));
  p.ifindex = 1;
  CHECK_EQ(lookup(&xdp, &p, 0), FWD_DISABLED);
  p.family = 7;
  CHECK_EQ(lookup(&tc, &p, 0), E(BPFSHIP_EAFNOSUPPORT));
}

static void host_errors(void) {
  bpfship_fib_device d = {0, 1500, {0}, 0};
  CHECK_EQ(bpfship_fib_set_device(&d), -BPFSHIP_EINVAL);
  d.ifindex = 2, d.mtu = 0;
  CHECK_EQ(bpfship_fib_set_device(&d), -BPFSHIP_EINVAL);
  uint8_t a[16] = {10};
  bpfship_fib_route r = route(0, 3, a, 8, BPFSHIP_RTN_UNICAST, 1, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_EINVAL); /* family */
  r = route(0, BPFSHIP_AF_INET, a, 33, BPFSHIP_RTN_UNICAST, 1, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_EINVAL); /* prefix */
  r = route(0, BPFSHIP_AF_INET, a, 8, 3, 1, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_EINVAL); /* RTN_BROADCAST */
  r = route(0, BPFSHIP_AF_INET, a, 8, BPFSHIP_RTN_UNICAST, 9, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_ENODEV);
  r = route(0, BPFSHIP_AF_INET6, a, 8, BPFSHIP_RTN_UNICAST, 1, 0);
  r.gw_family = BPFSHIP_AF_INET; /* IPv6 route, IPv4 gateway */
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_EINVAL);
  bpfship_fib_neighbour n = neigh(9, BPFSHIP_AF_INET, a, 1);
  CHECK_EQ(bpfship_fib_set_neighbour(&n), -BPFSHIP_ENODEV);
  n = neigh(1, 5, a, 1);
  CHECK_EQ(bpfship_fib_set_neighbour(&n), -BPFSHIP_EINVAL);
}

static void routes(void) {
  bpfship_fib_reset();
  bpfship_fib_device eth = {2, 1500, {0x02, 0, 0, 0, 0, 2}, BPFSHIP_FIB_DEV_FORWARD_V4 | BPFSHIP_FIB_DEV_FORWARD_V6};
  bpfship_fib_device small = {3, 40, {0x02, 0, 0, 0, 0, 3}, BPFSHIP_FIB_DEV_FORWARD_V4};
  CHECK_EQ(bpfship_fib_set_device(&eth), 0);
  CHECK_EQ(bpfship_fib_set_device(&small), 0);
  uint8_t ten[4] = {10, 9, 9, 9}, ten1[4] = {10, 1, 0, 0}, any[4] = {0}, bh[4] = {10, 66, 0, 0}, un[4] = {10, 67, 0, 0},
          pr[4] = {10, 68, 0, 0}, loc[4] = {192, 168, 1, 2}, gw[4] = {192, 168, 1, 1}, dflt_gw[4] = {192, 168, 1, 254};
  bpfship_fib_route r = route(0, BPFSHIP_AF_INET, ten, 8, BPFSHIP_RTN_UNICAST, 2, 100);
  r.gw_family = BPFSHIP_AF_INET;
  memcpy(r.gateway, gw, 4);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  CHECK_EQ(bpfship_fib_add_route(&r), -BPFSHIP_EEXIST); /* same table, prefix (host bits cleared) and metric */
  r.metric = 50;
  r.mtu = 1400;
  CHECK_EQ(bpfship_fib_add_route(&r), 0); /* preferred: lower metric */
  r = route(0, BPFSHIP_AF_INET, ten1, 16, BPFSHIP_RTN_UNICAST, 3, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  r = route(0, BPFSHIP_AF_INET, any, 0, BPFSHIP_RTN_UNICAST, 2, 10);
  r.gw_family = BPFSHIP_AF_INET;
  memcpy(r.gateway, dflt_gw, 4);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  r = route(0, BPFSHIP_AF_INET, bh, 16, BPFSHIP_RTN_BLACKHOLE, 0, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  r = route(0, BPFSHIP_AF_INET, un, 16, BPFSHIP_RTN_UNREACHABLE, 0, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  r = route(0, BPFSHIP_AF_INET, pr, 16, BPFSHIP_RTN_PROHIBIT, 0, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  r = route(BPFSHIP_RT_TABLE_LOCAL, BPFSHIP_AF_INET, loc, 32, BPFSHIP_RTN_LOCAL, 2, 0);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  bpfship_fib_neighbour n = neigh(2, BPFSHIP_AF_INET, gw, 0x11);
  CHECK_EQ(bpfship_fib_set_neighbour(&n), 0);
  n.mac[5] = 0x12; /* replaces */
  CHECK_EQ(bpfship_fib_set_neighbour(&n), 0);

  /* via the gateway of the metric-50 route: its MTU (XDP reports it), the neighbour's and the device's MACs */
  params p = v4(2, 10, 2, 3, 4);
  CHECK_EQ(lookup(&xdp, &p, 0), SUCCESS);
  CHECK(p.ifindex == 2 && p.tos_metric == 50 && memcmp(p.dst, gw, 4) == 0 && p.tot_len == 1400);
  CHECK(p.dmac[0] == 0x02 && p.dmac[5] == 0x12 && p.smac[5] == 2 && p.tbid == 0);
  /* tc without tot_len: the device's MTU, after checking the packet fits it */
  p = v4(2, 10, 2, 3, 4);
  CHECK_EQ(lookup(&tc, &p, 0), SUCCESS);
  CHECK_EQ(p.tot_len, 1500);
  /* tot_len over the route's MTU */
  p = v4(2, 10, 2, 3, 4);
  p.tot_len = 1401;
  CHECK_EQ(lookup(&tc, &p, 0), FRAG_NEEDED);
  CHECK_EQ(p.tot_len, 1400);
  /* the longer prefix, through device 3: no neighbour for a destination on the link, unless skipped */
  p = v4(2, 10, 1, 2, 3);
  CHECK_EQ(lookup(&xdp, &p, 0), NO_NEIGH);
  p = v4(2, 10, 1, 2, 3);
  CHECK_EQ(lookup(&xdp, &p, SKIP_NEIGH), SUCCESS);
  CHECK(p.ifindex == 3 && p.dst[0] == 10 && p.dst[3] == 3 && p.tot_len == 40);
  /* tc: the 100-byte packet does not fit device 3's MTU of 40 (+ 14 + 4) */
  p = v4(2, 10, 1, 2, 3);
  CHECK_EQ(lookup(&tc, &p, SKIP_NEIGH), FRAG_NEEDED);
  CHECK_EQ(p.tot_len, 40);
  /* an output lookup through device 2 skips the route through device 3 */
  p = v4(2, 10, 1, 2, 3);
  CHECK_EQ(lookup(&xdp, &p, OUTPUT), SUCCESS);
  CHECK(p.ifindex == 2 && memcmp(p.dst, gw, 4) == 0);
  /* forwarding is per device and family */
  p = v4(3, 10, 2, 3, 4);
  CHECK_EQ(lookup(&xdp, &p, 0), SUCCESS);
  p = v6(3, 0xfd, 1);
  CHECK_EQ(lookup(&xdp, &p, 0), FWD_DISABLED);
  /* the default route; reject routes; a local address */
  p = v4(2, 8, 8, 8, 8);
  CHECK_EQ(lookup(&xdp, &p, SKIP_NEIGH), SUCCESS);
  CHECK(memcmp(p.dst, dflt_gw, 4) == 0 && p.tos_metric == 10);
  p = v4(2, 10, 66, 1, 1);
  CHECK_EQ(lookup(&xdp, &p, 0), BLACKHOLE);
  p = v4(2, 10, 67, 1, 1);
  CHECK_EQ(lookup(&xdp, &p, OUTPUT), UNREACHABLE); /* rejects match whatever the device */
  p = v4(2, 10, 68, 1, 1);
  CHECK_EQ(lookup(&xdp, &p, 0), PROHIBIT);
  p = v4(2, 192, 168, 1, 2);
  CHECK_EQ(lookup(&xdp, &p, 0), NOT_FWDED);
  p = v4(2, 192, 168, 1, 2);
  CHECK_EQ(lookup(&xdp, &p, DIRECT | SKIP_NEIGH), SUCCESS); /* main only: the default route */
  /* a table of its own, through DIRECT | TBID (tbid zeroed); a table that does not exist */
  r = route(100, BPFSHIP_AF_INET, any, 0, BPFSHIP_RTN_UNICAST, 3, 7);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  p = v4(2, 8, 8, 8, 8);
  p.tbid = 100;
  CHECK_EQ(lookup(&xdp, &p, DIRECT | TBID | SKIP_NEIGH), SUCCESS);
  CHECK(p.ifindex == 3 && p.tos_metric == 7 && p.tbid == 0);
  p = v4(2, 8, 8, 8, 8);
  p.tbid = 77;
  CHECK_EQ(lookup(&xdp, &p, DIRECT | TBID), NOT_FWDED);
  CHECK_EQ(p.tbid, 0);
  /* SRC: the route's preferred source, or 0 for IPv4 */
  p = v4(2, 8, 8, 8, 8);
  memset(p.src, 0xaa, 4);
  CHECK_EQ(lookup(&xdp, &p, SRC | SKIP_NEIGH), SUCCESS);
  CHECK(p.src[0] == 0 && p.src[3] == 0);
  r = route(0, BPFSHIP_AF_INET, ten1, 24, BPFSHIP_RTN_UNICAST, 2, 0);
  r.prefsrc[0] = 192, r.prefsrc[3] = 9;
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  p = v4(2, 10, 1, 0, 5);
  CHECK_EQ(lookup(&xdp, &p, SRC | SKIP_NEIGH), SUCCESS);
  CHECK(p.src[0] == 192 && p.src[3] == 9 && p.ifindex == 2);

  /* IPv6: a /64 on the link with a neighbour; no preferred source gives NO_SRC_ADDR */
  uint8_t net6[16] = {0xfd}, host6[16] = {0xfd, [15] = 5}, gw6[16] = {0xfe, 0x80, [15] = 1};
  r = route(0, BPFSHIP_AF_INET6, net6, 64, BPFSHIP_RTN_UNICAST, 2, 256);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  n = neigh(2, BPFSHIP_AF_INET6, host6, 0x66);
  CHECK_EQ(bpfship_fib_set_neighbour(&n), 0);
  p = v6(2, 0xfd, 5);
  CHECK_EQ(lookup(&xdp, &p, 0), SUCCESS);
  CHECK(p.dmac[5] == 0x66 && p.tos_metric == 256 && p.tot_len == 1500);
  p = v6(2, 0xfd, 5);
  CHECK_EQ(lookup(&xdp, &p, SRC), NO_SRC_ADDR);
  p = v6(2, 0xfe, 5);
  CHECK_EQ(lookup(&xdp, &p, 0), NOT_FWDED);
  /* an IPv4 route through an IPv6 gateway: the result is IPv6 */
  uint8_t v4net[4] = {172, 16, 0, 0};
  r = route(0, BPFSHIP_AF_INET, v4net, 12, BPFSHIP_RTN_UNICAST, 2, 0);
  r.gw_family = BPFSHIP_AF_INET6;
  memcpy(r.gateway, gw6, 16);
  CHECK_EQ(bpfship_fib_add_route(&r), 0);
  n = neigh(2, BPFSHIP_AF_INET6, gw6, 0x77);
  CHECK_EQ(bpfship_fib_set_neighbour(&n), 0);
  p = v4(2, 172, 16, 5, 5);
  CHECK_EQ(lookup(&xdp, &p, 0), SUCCESS);
  CHECK(p.family == BPFSHIP_AF_INET6 && memcmp(p.dst, gw6, 16) == 0 && p.dmac[5] == 0x77);

  bpfship_fib_reset();
  p = v4(2, 10, 2, 3, 4);
  CHECK_EQ(lookup(&xdp, &p, 0), E(BPFSHIP_ENODEV));
}

void suite_fib(void) {
  init_ctx(&tc, BPFSHIP_PROG_TYPE_SCHED_CLS, 0);
  bpfship_run_ctx_set_packet(&tc, P(pkt), P(pkt + 64), P(pkt + 164), P(pkt + 2048));
  init_ctx(&xdp, BPFSHIP_PROG_TYPE_XDP, 0);
  bpfship_run_ctx_set_packet(&xdp, P(pkt), P(pkt + 256), P(pkt + 320), P(pkt + 2048));
  initial();
  host_errors();
  routes();
  bpfship_fib_reset();
}

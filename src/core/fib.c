/*
 * The FIB bpf_fib_lookup consults (net/core/filter.c: bpf_ipv4_fib_lookup, bpf_ipv6_fib_lookup), filled by the
 * host through bpfship_fib_*: devices, routes in numbered tables, neighbours. What it models and what it does not
 * is in bpfship_core.h; the lookup follows Linux's order of checks and answers with its BPF_FIB_LKUP_RET_* codes.
 *
 * The tables are small arrays searched linearly (a test runtime's FIB holds a handful of routes), behind one lock:
 * native programs may look up while the host edits.
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))

/* bpf_fib_lookup flags and results (include/uapi/linux/bpf.h, Linux 6.18) */
#define FIB_LOOKUP_DIRECT (1u << 0)
#define FIB_LOOKUP_OUTPUT (1u << 1)
#define FIB_LOOKUP_SKIP_NEIGH (1u << 2)
#define FIB_LOOKUP_TBID (1u << 3)
#define FIB_LOOKUP_SRC (1u << 4)
#define FIB_LOOKUP_MARK (1u << 5)
#define FIB_LOOKUP_MASK 0x3fu
enum {
  LKUP_RET_SUCCESS,
  LKUP_RET_BLACKHOLE,
  LKUP_RET_UNREACHABLE,
  LKUP_RET_PROHIBIT,
  LKUP_RET_NOT_FWDED,
  LKUP_RET_FWD_DISABLED,
  LKUP_RET_UNSUPP_LWT,
  LKUP_RET_NO_NEIGH,
  LKUP_RET_FRAG_NEEDED,
  LKUP_RET_NO_SRC_ADDR,
};

#define LOOPBACK_MTU 65536u
#define IP_MAX_MTU 0xffffu    /* mtu_result is 16 bits */
#define DEV_HARD_HEADER_LEN 14u /* Ethernet (and loopback) devices */
#define VLAN_HLEN 4u

/* struct bpf_fib_lookup, with the members the lookup reads and writes (unions under their input names). */
typedef struct fib_params {
  uint8_t family;      /*  0 */
  uint8_t l4_protocol; /*  1 */
  uint16_t sport;      /*  2 */
  uint16_t dport;      /*  4 */
  uint16_t tot_len;    /*  6: mtu_result on output */
  uint32_t ifindex;    /*  8 */
  uint32_t tos;        /* 12: flowinfo (IPv6); rt_metric on output */
  uint8_t src[16];     /* 16 */
  uint8_t dst[16];     /* 32 */
  uint32_t tbid;       /* 48: h_vlan_proto, h_vlan_TCI on output */
  uint8_t smac[6];     /* 52: mark (u32) on input */
  uint8_t dmac[6];     /* 58 */
} fib_params;
_Static_assert(sizeof(fib_params) == 64, "struct bpf_fib_lookup layout");

static volatile uint32_t g_lock;
static bool g_ready; /* the initial loopback device was added */
static bpfship_fib_device *g_devs;
static bpfship_fib_route *g_routes;
static bpfship_fib_neighbour *g_neighs;
static uint32_t g_ndevs, g_nroutes, g_nneighs, g_devs_cap, g_routes_cap, g_neighs_cap;

/* Room for one more element of an array of `*cap` elements holding `n`. */
static bool grow(void **arr, uint32_t *cap, uint32_t n, size_t elem) {
  if (n < *cap) return true;
  uint32_t ncap = *cap ? *cap * 2 : 8;
  void *p = bs_zalloc((size_t)ncap * elem);
  if (!p) return false;
  if (*arr) {
    bs_memcpy(p, *arr, (size_t)n * elem);
    bs_free(*arr);
  }
  *arr = p;
  *cap = ncap;
  return true;
}

static bpfship_fib_device *find_dev(uint32_t ifindex) {
  for (uint32_t i = 0; i < g_ndevs; i++)
    if (g_devs[i].ifindex == ifindex) return &g_devs[i];
  return NULL;
}

static int set_dev_locked(const bpfship_fib_device *dev) {
  bpfship_fib_device *d = find_dev(dev->ifindex);
  if (!d) {
    if (!grow((void **)&g_devs, &g_devs_cap, g_ndevs, sizeof *g_devs)) return -BPFSHIP_ENOMEM;
    d = &g_devs[g_ndevs++];
  }
  *d = *dev;
  return 0;
}

/* A fresh namespace's one device: loopback, forwarding off. Called with the lock held. */
static void ensure_ready(void) {
  if (g_ready) return;
  bpfship_fib_device lo = {1, LOOPBACK_MTU, {0}, 0};
  g_ready = set_dev_locked(&lo) == 0;
}

void bpfship_fib_reset(void) {
  bs_lock(&g_lock);
  bs_free(g_devs), bs_free(g_routes), bs_free(g_neighs);
  g_devs = NULL, g_routes = NULL, g_neighs = NULL;
  g_ndevs = g_nroutes = g_nneighs = g_devs_cap = g_routes_cap = g_neighs_cap = 0;
  g_ready = false;
  bs_unlock(&g_lock);
}

int bpfship_fib_set_device(const bpfship_fib_device *dev) {
  if (!dev || dev->ifindex == 0 || dev->mtu == 0) return -BPFSHIP_EINVAL;
  bs_lock(&g_lock);
  ensure_ready();
  int err = set_dev_locked(dev);
  bs_unlock(&g_lock);
  return err;
}

bool bs_device_exists(uint32_t ifindex) {
  bs_lock(&g_lock);
  ensure_ready();
  bool found = find_dev(ifindex) != NULL;
  bs_unlock(&g_lock);
  return found;
}

static inline uint32_t addr_len(uint8_t family) {
  return family == BPFSHIP_AF_INET ? 4 : family == BPFSHIP_AF_INET6 ? 16 : 0;
}

/* Whether the first `bits` bits of a and b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, uint32_t bits) {
  uint32_t bytes = bits / 8, rest = bits % 8;
  if (bs_memcmp(a, b, bytes) != 0) return false;
  if (!rest) return true;
  uint8_t mask = (uint8_t)(0xffu << (8 - rest));
  return ((a[bytes] ^ b[bytes]) & mask) == 0;
}

int bpfship_fib_add_route(const bpfship_fib_route *route) {
  if (!route) return -BPFSHIP_EINVAL;
  bpfship_fib_route r = *route;
  uint32_t alen = addr_len(r.family);
  if (!alen || r.prefix_len > alen * 8 || r.reserved) return -BPFSHIP_EINVAL;
  switch (r.type) {
  case BPFSHIP_RTN_UNICAST:
  case BPFSHIP_RTN_LOCAL:
  case BPFSHIP_RTN_BLACKHOLE:
  case BPFSHIP_RTN_UNREACHABLE:
  case BPFSHIP_RTN_PROHIBIT: break;
  default: return -BPFSHIP_EINVAL;
  }
  /* an IPv4 route may have an IPv6 gateway (RFC 5549), not the other way round */
  if (r.gw_family != 0 && r.gw_family != BPFSHIP_AF_INET6 && !(r.gw_family == BPFSHIP_AF_INET && alen == 4))
    return -BPFSHIP_EINVAL;
  if (r.table == 0) r.table = BPFSHIP_RT_TABLE_MAIN;
  /* the prefix as Linux stores it: host bits cleared */
  for (uint32_t bit = r.prefix_len; bit < 128; bit++) r.dst[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
  bool needs_dev = r.type == BPFSHIP_RTN_UNICAST || r.type == BPFSHIP_RTN_LOCAL;
  int err = 0;
  bs_lock(&g_lock);
  ensure_ready();
  if (needs_dev && !find_dev(r.ifindex)) err = -BPFSHIP_ENODEV;
  for (uint32_t i = 0; !err && i < g_nroutes; i++) {
    const bpfship_fib_route *o = &g_routes[i];
    if (o->table == r.table && o->family == r.family && o->prefix_len == r.prefix_len && o->metric == r.metric &&
        bs_memcmp(o->dst, r.dst, alen) == 0)
      err = -BPFSHIP_EEXIST;
  }
  if (!err && !grow((void **)&g_routes, &g_routes_cap, g_nroutes, sizeof *g_routes)) err = -BPFSHIP_ENOMEM;
  if (!err) g_routes[g_nroutes++] = r;
  bs_unlock(&g_lock);
  return err;
}

static const bpfship_fib_neighbour *find_neigh(uint32_t ifindex, uint8_t family, const uint8_t *addr) {
  uint32_t alen = addr_len(family);
  for (uint32_t i = 0; i < g_nneighs; i++) {
    const bpfship_fib_neighbour *n = &g_neighs[i];
    if (n->ifindex == ifindex && n->family == family && bs_memcmp(n->addr, addr, alen) == 0) return n;
  }
  return NULL;
}

int bpfship_fib_set_neighbour(const bpfship_fib_neighbour *neighbour) {
  if (!neighbour || !addr_len(neighbour->family) || neighbour->reserved) return -BPFSHIP_EINVAL;
  int err = 0;
  bs_lock(&g_lock);
  ensure_ready();
  if (!find_dev(neighbour->ifindex)) err = -BPFSHIP_ENODEV;
  if (!err) {
    bpfship_fib_neighbour *n =
        (bpfship_fib_neighbour *)find_neigh(neighbour->ifindex, neighbour->family, neighbour->addr);
    if (!n && grow((void **)&g_neighs, &g_neighs_cap, g_nneighs, sizeof *g_neighs)) n = &g_neighs[g_nneighs++];
    if (n) *n = *neighbour;
    else err = -BPFSHIP_ENOMEM;
  }
  bs_unlock(&g_lock);
  return err;
}

static bool table_exists(uint32_t table) {
  if (table == BPFSHIP_RT_TABLE_MAIN || table == BPFSHIP_RT_TABLE_LOCAL || table == BPFSHIP_RT_TABLE_DEFAULT)
    return true;
  for (uint32_t i = 0; i < g_nroutes; i++)
    if (g_routes[i].table == table) return true;
  return false;
}

/* The route of `table` for `dst`: the longest prefix, then the lowest metric. With an output device (oif), routes
 * through other devices do not match; routes that reject match whatever the device, as in fib_table_lookup. */
static const bpfship_fib_route *match(uint32_t table, uint8_t family, const uint8_t *dst, uint32_t oif) {
  const bpfship_fib_route *best = NULL;
  for (uint32_t i = 0; i < g_nroutes; i++) {
    const bpfship_fib_route *r = &g_routes[i];
    if (r->table != table || r->family != family || !prefix_match(r->dst, dst, r->prefix_len)) continue;
    bool rejects = r->type != BPFSHIP_RTN_UNICAST && r->type != BPFSHIP_RTN_LOCAL;
    if (oif && !rejects && r->ifindex != oif) continue;
    if (!best || r->prefix_len > best->prefix_len || (r->prefix_len == best->prefix_len && r->metric < best->metric))
      best = r;
  }
  return best;
}

static bool is_zero(const uint8_t *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

/* bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup on the core's FIB. Called with the lock held; *mtu_dev gets the MTU of
 * the device found (for the skb's own MTU check). */
static int lookup_locked(fib_params *p, uint32_t flags, bool check_mtu, uint32_t *mtu_dev) {
  bool v6 = p->family == BPFSHIP_AF_INET6;
  uint32_t alen = v6 ? 16 : 4;
  const bpfship_fib_device *dev = find_dev(p->ifindex);
  if (!dev) return -BPFSHIP_ENODEV;
  if (!(dev->flags & (v6 ? BPFSHIP_FIB_DEV_FORWARD_V6 : BPFSHIP_FIB_DEV_FORWARD_V4))) return LKUP_RET_FWD_DISABLED;
  uint32_t oif = (flags & FIB_LOOKUP_OUTPUT) ? p->ifindex : 0;
  const bpfship_fib_route *rt = NULL;
  if (flags & FIB_LOOKUP_DIRECT) {
    uint32_t table = BPFSHIP_RT_TABLE_MAIN;
    if (flags & FIB_LOOKUP_TBID) {
      table = p->tbid;
      p->tbid = 0; /* zeroed for the VLAN output that shares its place */
    }
    if (!table_exists(table)) return LKUP_RET_NOT_FWDED;
    rt = match(table, p->family, p->dst, oif);
  } else {
    /* the default rules: local, main, default */
    static const uint32_t tables[] = {BPFSHIP_RT_TABLE_LOCAL, BPFSHIP_RT_TABLE_MAIN, BPFSHIP_RT_TABLE_DEFAULT};
    for (uint32_t i = 0; i < 3 && !rt; i++) rt = match(tables[i], p->family, p->dst, oif);
  }
  if (!rt) return LKUP_RET_NOT_FWDED;
  switch (rt->type) {
  case BPFSHIP_RTN_BLACKHOLE: return LKUP_RET_BLACKHOLE;
  case BPFSHIP_RTN_UNREACHABLE: return LKUP_RET_UNREACHABLE;
  case BPFSHIP_RTN_PROHIBIT: return LKUP_RET_PROHIBIT;
  case BPFSHIP_RTN_UNICAST: break;
  default: return LKUP_RET_NOT_FWDED;
  }
  const bpfship_fib_device *odev = find_dev(rt->ifindex);
  if (!odev) return LKUP_RET_NOT_FWDED; /* cannot happen: routes name existing devices, which stay */
  uint32_t mtu = 0;
  if (check_mtu) {
    mtu = rt->mtu ? rt->mtu : odev->mtu;
    if (mtu > IP_MAX_MTU) mtu = IP_MAX_MTU;
    if (p->tot_len > mtu) {
      p->tot_len = (uint16_t)mtu;
      return LKUP_RET_FRAG_NEEDED;
    }
  }
  p->tos = rt->metric;
  p->ifindex = rt->ifindex;
  *mtu_dev = odev->mtu;
  if (flags & FIB_LOOKUP_SRC) {
    if (!is_zero(rt->prefsrc, alen)) bs_memcpy(p->src, rt->prefsrc, alen);
    else if (v6) return LKUP_RET_NO_SRC_ADDR;
    else bs_memset(p->src, 0, 4); /* Linux picks an address of the device; devices have none here */
  }
  if (rt->gw_family == BPFSHIP_AF_INET6) {
    p->family = BPFSHIP_AF_INET6;
    bs_memcpy(p->dst, rt->gateway, 16);
  } else if (rt->gw_family == BPFSHIP_AF_INET) {
    bs_memcpy(p->dst, rt->gateway, 4);
  }
  if (!(flags & FIB_LOOKUP_SKIP_NEIGH)) {
    const bpfship_fib_neighbour *n = find_neigh(odev->ifindex, p->family, p->dst);
    if (!n) return LKUP_RET_NO_NEIGH;
    bs_memcpy(p->dmac, n->mac, 6);
    bs_memcpy(p->smac, odev->mac, 6);
  }
  /* bpf_fib_set_fwd_params */
  p->tbid = 0;
  if (mtu) p->tot_len = (uint16_t)mtu;
  return LKUP_RET_SUCCESS;
}

/*
 * bpf_fib_lookup(ctx, params, plen, flags). XDP always checks the MTU against tot_len; tc only when tot_len is
 * set, and otherwise checks the packet itself against the device found (is_skb_forwardable) and reports the
 * device's MTU.
 */
uint64_t bpfship_helper_fib_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   bpfship_run_ctx *ctx) {
  (void)r1, (void)r5;
  uint32_t plen = (uint32_t)r3, flags = (uint32_t)r4;
  if (plen < sizeof(fib_params)) return RET(-BPFSHIP_EINVAL);
  if (flags & ~FIB_LOOKUP_MASK) return RET(-BPFSHIP_EINVAL);
  fib_params p;
  bs_memcpy(&p, BS_PTR(r2), sizeof p);
  if (p.family != BPFSHIP_AF_INET && p.family != BPFSHIP_AF_INET6) return RET(-BPFSHIP_EAFNOSUPPORT);
  bool xdp = ctx->prog_type == BPFSHIP_PROG_TYPE_XDP;
  bool check_mtu = xdp || p.tot_len != 0;
  uint32_t mtu_dev = 0;
  bs_lock(&g_lock);
  ensure_ready();
  int rc = lookup_locked(&p, flags, check_mtu, &mtu_dev);
  bs_unlock(&g_lock);
  if (rc == LKUP_RET_SUCCESS && !check_mtu) {
    if (ctx->data_end - ctx->data > (uint64_t)mtu_dev + DEV_HARD_HEADER_LEN + VLAN_HLEN) rc = LKUP_RET_FRAG_NEEDED;
    p.tot_len = (uint16_t)mtu_dev;
  }
  bs_memcpy(BS_PTR(r2), &p, sizeof p);
  return RET(rc);
}

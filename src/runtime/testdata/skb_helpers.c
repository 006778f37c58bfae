/* Programs for the helpers that reshape an sk_buff or read its metadata (tc), the FIB lookup, the tc redirects,
 * socket lookups and cookies, and a CPU map: the kernel-oracle test runs each in Linux and in the runtime and
 * compares the return value and the packet out. Results the program cannot return whole are packed: E(x) is the
 * errno of a helper's return as 10 bits (ENOTSUPP, 524, fits), or stored into the packet, which is compared too.
 * All of them load in Linux. Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define E(x) ((__u32)(-(long)(x)) & 0x3ffu)
#define AF_INET 2
#define AF_INET6 10
/* Linux 6.3+ (the UAPI header here is older) */
#define DECAP_L3_IPV4 (1ull << 7)

/* bpf_skb_pull_data: the packet is linear, so only the length matters. */
SEC("tc") int pull(struct __sk_buff *skb) {
  long a = bpf_skb_pull_data(skb, 0);
  long b = bpf_skb_pull_data(skb, skb->len);
  long c = bpf_skb_pull_data(skb, skb->len + 1);
  return E(a) | E(b) << 10 | E(c) << 20;
}

/* bpf_skb_change_head: refused with flags; then 14 zeroed bytes in front, filled with a copy of the Ethernet header. */
SEC("tc") int head(struct __sk_buff *skb) {
  long bad = bpf_skb_change_head(skb, 14, 1);
  long ok = bpf_skb_change_head(skb, 14, 0);
  if (ok)
    return E(bad) | E(ok) << 10;
  unsigned char *d = (void *)(long)skb->data;
  if ((void *)(d + 28) > (void *)(long)skb->data_end)
    return 1 << 30;
  d[0] = 0xaa; /* the rest stays zero, as Linux leaves it */
  __builtin_memcpy(d + 1, d + 14, 12);
  return E(bad) | E(ok) << 10 | (skb->len & 0xffff) << 16;
}

/* bpf_skb_change_head by most of the headroom Linux's test run gives (64 bytes). */
SEC("tc") int head_big(struct __sk_buff *skb) {
  long r = bpf_skb_change_head(skb, 60, 0);
  return E(r) | (skb->len & 0xffff) << 16;
}

/* bpf_skb_change_tail: 20 more bytes (zeroed), and the length the program then reads. */
SEC("tc") int tail_grow(struct __sk_buff *skb) {
  __u32 len = skb->len;
  long r = bpf_skb_change_tail(skb, len + 20, 0);
  return E(r) | (skb->len - len) << 16;
}

/* bpf_skb_change_tail: below the network header, past the maximum, with flags, then down to 34 bytes. */
SEC("tc") int tail_shrink(struct __sk_buff *skb) {
  long a = bpf_skb_change_tail(skb, 13, 0);
  long b = bpf_skb_change_tail(skb, 65536, 0);
  long c = bpf_skb_change_tail(skb, skb->len, 1);
  long d = bpf_skb_change_tail(skb, 34, 0);
  return E(a) | E(b) << 10 | E(c) << 20 | (d != 0) << 30 | (skb->len == 34) << 31;
}

/* bpf_skb_adjust_room at the network layer: 8 bytes after the IP header, marked; the length after. */
SEC("tc") int room_net(struct __sk_buff *skb) {
  long r = bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0);
  if (r == 0) {
    unsigned char *d = (void *)(long)skb->data;
    if ((void *)(d + 35) <= (void *)(long)skb->data_end)
      d[34] = 0xab;
  }
  return E(r) | (skb->len & 0xffff) << 16;
}

/* bpf_skb_adjust_room at the network layer, 8 bytes removed after the IP header, and a decap flag on a grow. */
SEC("tc") int room_net_shrink(struct __sk_buff *skb) {
  long bad = bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, DECAP_L3_IPV4);
  long r = bpf_skb_adjust_room(skb, -8, BPF_ADJ_ROOM_NET, 0);
  return E(bad) | E(r) << 10 | (skb->len & 0xfff) << 20;
}

/* IP-in-IP the way tunnel programs do it: 20 bytes at the MAC layer with ENCAP_L3_IPV4; a second encap fails. */
SEC("tc") int room_encap(struct __sk_buff *skb) {
  long r = bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
  if (r)
    return E(r);
  unsigned char *d = (void *)(long)skb->data;
  if ((void *)(d + 34) > (void *)(long)skb->data_end)
    return 1 << 30;
  d[14] = 0x45;
  d[23] = 4; /* IPPROTO_IPIP */
  long again = bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
  /* encapsulated: change_tail checks its length first, then refuses */
  long t1 = bpf_skb_change_tail(skb, 13, 0);
  long t2 = bpf_skb_change_tail(skb, skb->len, 0);
  return E(again) | (E(t1) == 22) << 10 | (E(t2) == 524) << 11 | (skb->len & 0xffff) << 16;
}

/* An outer IPv6 and UDP header (48 bytes) on any IP packet: the protocol becomes IPv6, and the transport header,
 * now after the outer IPv6 header, is what change_tail may not cut into. */
SEC("tc") int room_encap6(struct __sk_buff *skb) {
  __u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP;
  long bad1 = bpf_skb_adjust_room(skb, 48, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
  long bad2 = bpf_skb_adjust_room(skb, 48, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_ENCAP_L4_GRE);
  long r = bpf_skb_adjust_room(skb, 48, BPF_ADJ_ROOM_MAC, flags);
  long t = bpf_skb_change_tail(skb, 14 + 40 - 1, 0);
  return E(bad1) | E(bad2) << 10 | E(r) << 20 | (skb->protocol == bpf_htons(ETH_P_IPV6)) << 30 | (E(t) == 22) << 31;
}

/* A VXLAN shape (outer IPv4, UDP, an inner Ethernet header named with ENCAP_L2): 50 bytes. */
SEC("tc") int room_vxlan(struct __sk_buff *skb) {
  __u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
                BPF_F_ADJ_ROOM_ENCAP_L2(14);
  long bad1 = bpf_skb_adjust_room(skb, 10, BPF_ADJ_ROOM_MAC, flags); /* the inner MAC header is larger */
  long bad2 = bpf_skb_adjust_room(skb, 50, BPF_ADJ_ROOM_MAC,
                                  BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(8));
  long r = bpf_skb_adjust_room(skb, 50, BPF_ADJ_ROOM_MAC, flags);
  long t = bpf_skb_change_tail(skb, 14 + 20 - 1, 0);
  return E(bad1) | E(bad2) << 10 | E(r) << 20 | (skb->protocol == bpf_htons(ETH_P_IP)) << 30 | (E(t) == 22) << 31;
}

/* Decapsulation at the MAC layer (20 bytes) with DECAP_L3_IPV4, and the refusals: mode, size, flags. */
SEC("tc") int room_decap(struct __sk_buff *skb) {
  long m = bpf_skb_adjust_room(skb, 4, 2, 0);
  long s = bpf_skb_adjust_room(skb, 0x1000, BPF_ADJ_ROOM_MAC, 0);
  long f = bpf_skb_adjust_room(skb, 4, BPF_ADJ_ROOM_MAC, 1ull << 9);
  long big = bpf_skb_adjust_room(skb, -(long)skb->len, BPF_ADJ_ROOM_MAC, 0);
  long r = bpf_skb_adjust_room(skb, -20, BPF_ADJ_ROOM_MAC, DECAP_L3_IPV4);
  return (E(m) == 524) | (E(s) == 14) << 1 | (E(f) == 22) << 2 | (E(big) == 524) << 3 | E(r) << 4 |
         (skb->len & 0xffff) << 16;
}

/* bpf_skb_change_proto IPv4 -> IPv6 (20 zeroed bytes after the MAC header) and the refusals. */
SEC("tc") int proto46(struct __sk_buff *skb) {
  long f = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 1);
  long r = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0);
  long again = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0);
  return E(f) | E(r) << 10 | (E(again) == 524) << 20 | (skb->protocol == bpf_htons(ETH_P_IPV6)) << 21 |
         (skb->len & 0xff) << 22;
}

/* bpf_skb_change_proto IPv6 -> IPv4. */
SEC("tc") int proto64(struct __sk_buff *skb) {
  long r = bpf_skb_change_proto(skb, bpf_htons(ETH_P_IP), 0);
  return E(r) | (skb->protocol == bpf_htons(ETH_P_IP)) << 10 | (skb->len & 0xfff) << 11;
}

/* bpf_skb_change_type: only PACKET_HOST .. PACKET_OTHERHOST. */
SEC("tc") int ptype(struct __sk_buff *skb) {
  __u32 before = skb->pkt_type;
  long a = bpf_skb_change_type(skb, 4);
  long b = bpf_skb_change_type(skb, 1);
  return E(a) | E(b) << 10 | before << 20 | skb->pkt_type << 24;
}

/* bpf_get_hash_recalc (Linux's value is seeded at boot, so only its properties are compared), set_hash(_invalid). */
SEC("tc") int hash(struct __sk_buff *skb) {
  __u32 h0 = skb->hash;
  __u32 h = bpf_get_hash_recalc(skb);
  __u32 ok = h != 0 && h == skb->hash;
  __u32 again = bpf_get_hash_recalc(skb) == h;
  bpf_set_hash_invalid(skb);
  __u32 cleared = skb->hash == 0;
  bpf_set_hash(skb, 0x1234);
  __u32 set = bpf_get_hash_recalc(skb) == 0x1234;
  return (h0 == 0) | ok << 1 | again << 2 | cleared << 3 | set << 4;
}

/* Stores `size` bytes of a tunnel key into the packet after the Ethernet header, where the oracle compares them. */
static __always_inline void put(struct __sk_buff *skb, void *p, __u32 size) { bpf_skb_store_bytes(skb, 14, p, size, 0); }

/* No tunnel metadata on a test-run skb: get fails (and zeroes the key). */
SEC("tc") int tunnel_none(struct __sk_buff *skb) {
  struct bpf_tunnel_key k;
  __builtin_memset(&k, 0x5a, sizeof k);
  long r = bpf_skb_get_tunnel_key(skb, &k, sizeof k, 0);
  put(skb, &k, sizeof k);
  return E(r);
}

/* An IPv4 key set, then read back whole (with the flags), into the packet. */
SEC("tc") int tunnel_v4(struct __sk_buff *skb) {
  struct bpf_tunnel_key k = {};
  k.tunnel_id = 0x123456;
  k.remote_ipv4 = 0x0a000001;
  k.local_ipv4 = 0x0a000002;
  k.tunnel_tos = 3;
  k.tunnel_ttl = 64;
  long s = bpf_skb_set_tunnel_key(skb, &k, sizeof k, BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT);
  struct bpf_tunnel_key g;
  __builtin_memset(&g, 0x5a, sizeof g);
  long r = bpf_skb_get_tunnel_key(skb, &g, sizeof g, BPF_F_TUNINFO_FLAGS);
  put(skb, &g, sizeof g);
  long p = bpf_skb_get_tunnel_key(skb, &g, sizeof g, BPF_F_TUNINFO_IPV6);
  return E(s) | E(r) << 10 | E(p) << 20;
}

/* An IPv6 key with a flow label; read back through the old 28-byte layout (refused: not IPv4) and whole. */
SEC("tc") int tunnel_v6(struct __sk_buff *skb) {
  struct bpf_tunnel_key k = {};
  k.tunnel_id = 7;
  k.remote_ipv6[0] = bpf_htonl(0xfd000000);
  k.remote_ipv6[3] = bpf_htonl(1);
  k.local_ipv6[0] = bpf_htonl(0xfd000000);
  k.local_ipv6[3] = bpf_htonl(2);
  k.tunnel_label = 0xfffff123; /* masked to 20 bits */
  k.tunnel_ttl = 9;
  long s = bpf_skb_set_tunnel_key(skb, &k, sizeof k, BPF_F_TUNINFO_IPV6 | BPF_F_SEQ_NUMBER);
  struct bpf_tunnel_key g;
  __builtin_memset(&g, 0x5a, sizeof g);
  long old = bpf_skb_get_tunnel_key(skb, &g, 8, BPF_F_TUNINFO_IPV6);
  long r = bpf_skb_get_tunnel_key(skb, &g, sizeof g, BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS);
  put(skb, &g, sizeof g);
  return E(s) | E(old) << 10 | E(r) << 20;
}

/* set's refusals (flags, sizes, a label on IPv4, a non-zero tunnel_ext) and the older layouts it takes; get through
 * the oldest layout. Each bit is one expectation met (all 12 in Linux 6.18). */
SEC("tc") int tunnel_sizes(struct __sk_buff *skb) {
  struct bpf_tunnel_key k = {};
  k.tunnel_id = 1;
  k.remote_ipv4 = 0x01020304;
  __u32 bits = 0;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, sizeof k, 1ull << 5) == -22) << 0;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, 7, 0) == -22) << 1;
  /* the older layouts: up to remote_ipv6[1], tunnel_label, local_ipv6; not any size */
  bits |= (bpf_skb_set_tunnel_key(skb, &k, 8, 0) == 0) << 2;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, 24, 0) == 0) << 3;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, 28, 0) == 0) << 4;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, 40, 0) == -22) << 5;
  k.tunnel_label = 5;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, sizeof k, 0) == -22) << 6;
  k.tunnel_label = 0;
  k.tunnel_ext = 1;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, sizeof k, 0) == -22) << 7;
  k.tunnel_ext = 0;
  bits |= (bpf_skb_set_tunnel_key(skb, &k, sizeof k, 0) == 0) << 8;
  struct bpf_tunnel_key g;
  __builtin_memset(&g, 0x5a, sizeof g);
  bits |= (bpf_skb_get_tunnel_key(skb, &g, 8, 0) == 0) << 9; /* the old layout up to remote_ipv6[1] */
  put(skb, &g, sizeof g);
  bits |= (bpf_skb_get_tunnel_key(skb, &g, 13, 0) == -22) << 10;
  bits |= (bpf_skb_get_tunnel_key(skb, &g, sizeof g, 1ull << 1) == -22) << 11;
  return bits;
}

/* bpf_fib_lookup's refusals, and what Linux says for the loopback device (forwarding off) and a missing one. */
static __always_inline __u32 fib(void *ctx, int xdp) {
  struct bpf_fib_lookup p = {};
  p.family = AF_INET;
  p.ifindex = 1;
  p.ipv4_dst = bpf_htonl(0xc0000263);
  __u32 bits = 0;
  bits |= (bpf_fib_lookup(ctx, &p, sizeof p - 1, 0) == -22) << 0;
  bits |= (bpf_fib_lookup(ctx, &p, sizeof p, 1u << 6) == -22) << 1;
  long lo = bpf_fib_lookup(ctx, &p, sizeof p, 0);
  long lo_out = bpf_fib_lookup(ctx, &p, sizeof p, BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_DIRECT);
  p.ifindex = 4242;
  long nodev = bpf_fib_lookup(ctx, &p, sizeof p, 0);
  p.family = AF_INET6;
  long nodev6 = bpf_fib_lookup(ctx, &p, sizeof p, 0);
  p.ifindex = 1;
  long lo6 = bpf_fib_lookup(ctx, &p, sizeof p, 0);
  p.family = 7;
  long fam = bpf_fib_lookup(ctx, &p, sizeof p, 0);
  return bits | (lo & 0xf) << 2 | (lo_out & 0xf) << 6 | E(nodev) << 10 | (E(nodev6) == 19) << 20 | (lo6 & 0xf) << 21 |
         (E(fam) == 97) << 25 | xdp << 26;
}

SEC("tc") int fib_tc(struct __sk_buff *skb) { return fib(skb, 0); }
SEC("xdp") int fib_xdp(struct xdp_md *ctx) { return fib(ctx, 1); }

/* bpf_redirect_neigh and bpf_redirect_peer: TC_ACT_REDIRECT, or TC_ACT_SHOT for flags and a short nexthop. */
SEC("tc") int neigh(struct __sk_buff *skb) {
  struct bpf_redir_neigh nh = {AF_INET, {bpf_htonl(0x0a000001)}};
  long a = bpf_redirect_neigh(1, 0, 0, 0);
  long b = bpf_redirect_neigh(1, &nh, 4, 0);
  long c = bpf_redirect_neigh(1, 0, 0, 1);
  long d = bpf_redirect_peer(1, 1);
  long e = bpf_redirect_peer(1, 0);
  long f = bpf_redirect_neigh(1, &nh, sizeof nh, 0);
  return a | b << 4 | c << 8 | d << 12 | e << 16 | f << 20;
}

/* Socket and namespace cookies: a test-run skb has a socket, so both are non-zero (their values differ by machine). */
SEC("tc") int cookies(struct __sk_buff *skb) {
  __u64 s = bpf_get_socket_cookie(skb);
  __u64 n = bpf_get_netns_cookie(skb);
  return (s != 0) | (n != 0) << 1;
}

/* Socket lookups find nothing listening on port 1 of a documentation address. */
SEC("tc") int sk_none(struct __sk_buff *skb) {
  struct bpf_sock_tuple t = {};
  t.ipv4.daddr = bpf_htonl(0xc0000263);
  t.ipv4.saddr = bpf_htonl(0xc0000264);
  t.ipv4.dport = bpf_htons(1);
  t.ipv4.sport = bpf_htons(2);
  __u32 r = 0;
  struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, &t, sizeof t.ipv4, BPF_F_CURRENT_NETNS, 0);
  if (sk) {
    r |= 1;
    bpf_sk_release(sk);
  }
  sk = bpf_sk_lookup_tcp(skb, &t, sizeof t.ipv4, BPF_F_CURRENT_NETNS, 0);
  if (sk) {
    r |= 2;
    bpf_sk_release(sk);
  }
  sk = bpf_sk_lookup_udp(skb, &t, sizeof t.ipv4, BPF_F_CURRENT_NETNS, 0);
  if (sk) {
    r |= 4;
    bpf_sk_release(sk);
  }
  sk = bpf_skc_lookup_tcp(skb, &t, 3, BPF_F_CURRENT_NETNS, 0); /* not a tuple size */
  if (sk) {
    r |= 8;
    bpf_sk_release(sk);
  }
  return r | 16;
}

struct {
  __uint(type, BPF_MAP_TYPE_CPUMAP);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

/* bpf_redirect_map on an empty CPU map: the fallback action in the flags. */
SEC("xdp") int cpu_redirect(struct xdp_md *ctx) { return bpf_redirect_map(&cpus, 1, XDP_PASS) * 10 + bpf_redirect_map(&cpus, 9, XDP_DROP); }

/* bpf_clone_redirect: a copy out through loopback (or received by it) leaves the original alone; an unknown device
 * or flag is -EINVAL. The packet's first byte carries the result, the return value sums the four. */
SEC("tc") int clone_redirect(struct __sk_buff *skb) {
  long a = bpf_clone_redirect(skb, 1, 0);
  long b = bpf_clone_redirect(skb, 1, BPF_F_INGRESS);
  long c = bpf_clone_redirect(skb, 777, 0);
  long d = bpf_clone_redirect(skb, 1, 2);
  return (int)(a + 10 * b + 100 * c + 1000 * d);
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

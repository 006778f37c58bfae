/* Tunnel metadata in and out of a test run (tunnel-info.test.ts): read what the packet arrived with, answer back to
 * the same remote end with the next tunnel id. Build: ./build.sh (clang -target bpf -O2 -g). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc") int tunnel_echo(struct __sk_buff *skb) {
  struct bpf_tunnel_key in = {};
  if (bpf_skb_get_tunnel_key(skb, &in, sizeof(in), 0) != 0)
    return 1;
  struct bpf_tunnel_key out = {};
  out.tunnel_id = in.tunnel_id + 1;
  out.remote_ipv4 = in.remote_ipv4;
  out.tunnel_ttl = 64;
  if (bpf_skb_set_tunnel_key(skb, &out, sizeof(out), 0) != 0)
    return 2;
  return (in.tunnel_id & 0xffff) | ((in.remote_ipv4 & 0xff) << 16);
}

char LICENSE[] SEC("license") = "GPL";
/* Author: Claude. */

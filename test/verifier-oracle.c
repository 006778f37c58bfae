/*
 * The kernel as an oracle for the verifier's tests: loads one linked program into the running kernel and prints
 * the kernel verifier's verdict. Built by test/verifier-oracle.ts with `cc -O1 -o ... -lbpf`; needs root.
 *
 * Input (stdin), one item per line:
 *   prog <program type name> <attach type name or -> <license, the rest of the line, or ->
 *   map <map type> <key size> <value size> <max entries> <flags> <inner map index or -1> <frozen 0|1> <hex contents or ->
 *   insn <16 hex digits: the 8 bytes of one instruction slot, as in the object file>
 * lddw src 5 (map by index) and src 6 (map value by index) are rewritten to the created maps' descriptors.
 * A program that takes a function's address (lddw src 4: a callback) is given BTF func_info, which Linux requires
 * of such programs ("missing btf func_info"): a minimal BTF with one static `int f(void)` per function.
 *
 * Output: `verdict pass` or `verdict fail <errno>`, `processed <n>` and `usec <n>` (the kernel's "verification
 * time") when the kernel says, then `log` and the tail
 * of the verifier log on failure. `oracle-error <what>` when the oracle itself could not run (a map the kernel
 * refuses to create, say).
 *
 * Author: Claude.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct name_value { const char *name; int value; };

static const struct name_value prog_types[] = {
  {"socket_filter", BPF_PROG_TYPE_SOCKET_FILTER}, {"kprobe", BPF_PROG_TYPE_KPROBE},
  {"sched_cls", BPF_PROG_TYPE_SCHED_CLS}, {"sched_act", BPF_PROG_TYPE_SCHED_ACT},
  {"tracepoint", BPF_PROG_TYPE_TRACEPOINT}, {"xdp", BPF_PROG_TYPE_XDP}, {"perf_event", BPF_PROG_TYPE_PERF_EVENT},
  {"cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB}, {"cgroup_sock", BPF_PROG_TYPE_CGROUP_SOCK},
  {"lwt_in", BPF_PROG_TYPE_LWT_IN}, {"lwt_out", BPF_PROG_TYPE_LWT_OUT}, {"lwt_xmit", BPF_PROG_TYPE_LWT_XMIT},
  {"sock_ops", BPF_PROG_TYPE_SOCK_OPS}, {"sk_skb", BPF_PROG_TYPE_SK_SKB}, {"cgroup_device", BPF_PROG_TYPE_CGROUP_DEVICE},
  {"sk_msg", BPF_PROG_TYPE_SK_MSG}, {"raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT},
  {"cgroup_sock_addr", BPF_PROG_TYPE_CGROUP_SOCK_ADDR}, {"lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL},
  {"raw_tracepoint_writable", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE}, {"cgroup_sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL},
  {"cgroup_sockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT}, {"tracing", BPF_PROG_TYPE_TRACING},
  {NULL, 0},
};

static const struct name_value attach_types[] = {
  {"cgroup_inet_ingress", BPF_CGROUP_INET_INGRESS}, {"cgroup_inet_egress", BPF_CGROUP_INET_EGRESS},
  {"cgroup_inet_sock_create", BPF_CGROUP_INET_SOCK_CREATE}, {"cgroup_sock_ops", BPF_CGROUP_SOCK_OPS},
  {"sk_skb_stream_parser", BPF_SK_SKB_STREAM_PARSER}, {"sk_skb_stream_verdict", BPF_SK_SKB_STREAM_VERDICT},
  {"cgroup_device", BPF_CGROUP_DEVICE}, {"sk_msg_verdict", BPF_SK_MSG_VERDICT},
  {"cgroup_inet4_bind", BPF_CGROUP_INET4_BIND}, {"cgroup_inet6_bind", BPF_CGROUP_INET6_BIND},
  {"cgroup_inet4_connect", BPF_CGROUP_INET4_CONNECT}, {"cgroup_inet6_connect", BPF_CGROUP_INET6_CONNECT},
  {"cgroup_inet4_post_bind", BPF_CGROUP_INET4_POST_BIND}, {"cgroup_inet6_post_bind", BPF_CGROUP_INET6_POST_BIND},
  {"cgroup_udp4_sendmsg", BPF_CGROUP_UDP4_SENDMSG}, {"cgroup_udp6_sendmsg", BPF_CGROUP_UDP6_SENDMSG},
  {"cgroup_sysctl", BPF_CGROUP_SYSCTL}, {"cgroup_udp4_recvmsg", BPF_CGROUP_UDP4_RECVMSG},
  {"cgroup_udp6_recvmsg", BPF_CGROUP_UDP6_RECVMSG}, {"cgroup_getsockopt", BPF_CGROUP_GETSOCKOPT},
  {"cgroup_setsockopt", BPF_CGROUP_SETSOCKOPT}, {"cgroup_inet4_getpeername", BPF_CGROUP_INET4_GETPEERNAME},
  {"cgroup_inet6_getpeername", BPF_CGROUP_INET6_GETPEERNAME}, {"cgroup_inet4_getsockname", BPF_CGROUP_INET4_GETSOCKNAME},
  {"cgroup_inet6_getsockname", BPF_CGROUP_INET6_GETSOCKNAME}, {"cgroup_inet_sock_release", BPF_CGROUP_INET_SOCK_RELEASE},
  {"xdp", BPF_XDP}, {"sk_skb_verdict", BPF_SK_SKB_VERDICT},
  {NULL, 0},
};

static int lookup(const struct name_value *t, const char *name) {
  for (; t->name != NULL; t++) if (strcmp(t->name, name) == 0) return t->value;
  return -1;
}

struct map_def { int type, key, value, max, flags, inner, frozen; unsigned char *contents; int len; int fd; };

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int create_map(struct map_def *maps, int i, int depth) {
  struct map_def *m = &maps[i];
  if (m->fd >= 0) return m->fd;
  if (depth > 4) return -1;
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = (unsigned)m->flags);
  if (m->inner >= 0) {
    int ifd = create_map(maps, m->inner, depth + 1);
    if (ifd < 0) return -1;
    opts.inner_map_fd = ifd;
  }
  int max = m->max;
  /* Loaders size per-CPU arrays (max_entries 0) to the number of CPUs. */
  if (max == 0) max = (int)sysconf(_SC_NPROCESSORS_CONF);
  m->fd = bpf_map_create(m->type, NULL, m->key, m->value, max, &opts);
  if (m->fd < 0) return -1;
  if (m->contents != NULL) {
    unsigned key = 0;
    if (bpf_map_update_elem(m->fd, &key, m->contents, 0) < 0) return -1;
  }
  if (m->frozen && bpf_map_freeze(m->fd) < 0) return -1;
  return m->fd;
}

/* Function starts: slot 0 and the targets of BPF-to-BPF calls and of function addresses, sorted. */
static int function_starts(const struct bpf_insn *insns, int n, int *starts, int max) {
  unsigned char *is = calloc((size_t)n, 1);
  if (is == NULL) return -1;
  is[0] = 1;
  for (int i = 0; i < n; i++) {
    const struct bpf_insn *in = &insns[i];
    int target = -1;
    if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) target = i + 1 + in->imm;
    if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == BPF_PSEUDO_FUNC) target = i + 1 + in->imm;
    if (target >= 0 && target < n) is[target] = 1;
  }
  int count = 0;
  for (int i = 0; i < n && count < max; i++) if (is[i]) starts[count++] = i;
  free(is);
  return count;
}

/* Loads a BTF of `int` and one static `int fN(void)` per function; returns its fd, or -1. */
static int load_function_btf(int nfuncs) {
  size_t strs_len = 5 + (size_t)nfuncs * 8;
  size_t types_len = 16 + 12 + (size_t)nfuncs * 12;
  size_t total = 24 + types_len + strs_len;
  unsigned char *blob = calloc(total, 1);
  if (blob == NULL) return -1;
  uint32_t *h = (uint32_t *)blob;
  ((uint16_t *)blob)[0] = 0xeB9F;
  blob[2] = 1; /* version */
  h[1] = 24;   /* hdr_len */
  h[2] = 0;    /* type_off */
  h[3] = (uint32_t)types_len;
  h[4] = (uint32_t)types_len; /* str_off */
  uint32_t *t = (uint32_t *)(blob + 24);
  char *strs = (char *)(blob + 24 + types_len);
  memcpy(strs, "\0int", 5);
  size_t str_used = 5;
  /* [1] INT int: name, info, size, encoding (signed, 32 bits) */
  *t++ = 1; *t++ = 1u << 24; *t++ = 4; *t++ = (1u << 24) | 32;
  /* [2] FUNC_PROTO int (void) */
  *t++ = 0; *t++ = 13u << 24; *t++ = 1;
  for (int i = 0; i < nfuncs; i++) {
    /* [3 + i] FUNC fI, static */
    int len = snprintf(strs + str_used, 8, "f%d", i);
    *t++ = (uint32_t)str_used; *t++ = 12u << 24; *t++ = 2;
    str_used += (size_t)len + 1;
  }
  h[5] = (uint32_t)str_used; /* str_len */
  int fd = bpf_btf_load(blob, 24 + types_len + str_used, NULL);
  free(blob);
  return fd;
}

int main(void) {
  static char line[1 << 20];
  char ptype[64] = "", atype[64] = "-", license[128] = "GPL";
  struct map_def maps[512];
  int nmaps = 0;
  struct bpf_insn *insns = calloc(1 << 20, sizeof(struct bpf_insn));
  int ninsns = 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strncmp(line, "prog ", 5) == 0) {
      int used = 0;
      sscanf(line + 5, "%63s %63s %n", ptype, atype, &used);
      snprintf(license, sizeof license, "%s", line + 5 + used);
      license[strcspn(license, "\n")] = 0;
    } else if (strncmp(line, "map ", 4) == 0 && nmaps < 512) {
      struct map_def *m = &maps[nmaps++];
      memset(m, 0, sizeof *m);
      m->fd = -1;
      static char big[1 << 20];
      big[0] = 0;
      sscanf(line + 4, "%d %d %d %d %d %d %d %1048575s", &m->type, &m->key, &m->value, &m->max, &m->flags, &m->inner, &m->frozen, big);
      if (strcmp(big, "-") != 0 && big[0] != 0) {
        int n = (int)strlen(big) / 2;
        m->contents = calloc((size_t)(n > m->value ? n : m->value) + 1, 1);
        for (int i = 0; i < n; i++) m->contents[i] = (unsigned char)(hexval(big[2 * i]) * 16 + hexval(big[2 * i + 1]));
        m->len = n;
      }
    } else if (strncmp(line, "insn ", 5) == 0 && ninsns < (1 << 20)) {
      unsigned char b[8];
      for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hexval(line[5 + 2 * i]) * 16 + hexval(line[6 + 2 * i]));
      memcpy(&insns[ninsns++], b, 8);
    }
  }
  int pt = lookup(prog_types, ptype);
  if (pt < 0) { printf("oracle-error unknown program type %s\n", ptype); return 0; }
  int at = strcmp(atype, "-") == 0 ? 0 : lookup(attach_types, atype);
  if (at < 0) at = 0;
  for (int i = 0; i < nmaps; i++) {
    if (create_map(maps, i, 0) < 0) { printf("oracle-error cannot create map %d (type %d): %s\n", i, maps[i].type, strerror(errno)); return 0; }
  }
  for (int i = 0; i < ninsns; i++) {
    struct bpf_insn *in = &insns[i];
    if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < ninsns) {
      if (in->src_reg == 5 || in->src_reg == 6) {
        int idx = in->imm;
        if (idx < 0 || idx >= nmaps) { printf("oracle-error lddw names map %d of %d\n", idx, nmaps); return 0; }
        in->src_reg = in->src_reg == 5 ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
        in->imm = maps[idx].fd;
      }
      i++;
    }
  }
  size_t log_size = 64u << 20;
  char *log = calloc(log_size, 1);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)at, .log_level = 4, .log_buf = log, .log_size = (unsigned)log_size);
  int takes_address = 0;
  for (int i = 0; i < ninsns; i++) if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_FUNC) takes_address = 1;
  static int starts[4096];
  static struct bpf_func_info finfo[4096];
  if (takes_address) {
    int n = function_starts(insns, ninsns, starts, 4096);
    int btf_fd = n > 0 ? load_function_btf(n) : -1;
    if (btf_fd < 0) { printf("oracle-error cannot load the function BTF: %s\n", strerror(errno)); return 0; }
    for (int i = 0; i < n; i++) { finfo[i].insn_off = (uint32_t)starts[i]; finfo[i].type_id = (uint32_t)(3 + i); }
    opts.prog_btf_fd = (uint32_t)btf_fd;
    opts.func_info = finfo;
    opts.func_info_rec_size = sizeof(struct bpf_func_info);
    opts.func_info_cnt = (uint32_t)n;
  }
  int fd = bpf_prog_load((enum bpf_prog_type)pt, "oracle", strcmp(license, "-") == 0 ? "" : license, insns, (size_t)ninsns, &opts);
  int err = errno;
  const char *p = strstr(log, "processed ");
  /* BPF_LOG_STATS (log_level 4): "verification time N usec", the kernel's own measure. */
  const char *vt = strstr(log, "verification time ");
  if (fd >= 0) {
    printf("verdict pass\n");
    if (p != NULL) printf("processed %ld\n", strtol(p + 10, NULL, 10));
    if (vt != NULL) printf("usec %ld\n", strtol(vt + 18, NULL, 10));
    return 0;
  }
  printf("verdict fail %d\n", err);
  if (vt != NULL) printf("usec %ld\n", strtol(vt + 18, NULL, 10));
  memset(log, 0, log_size);
  opts.log_level = 1;
  bpf_prog_load((enum bpf_prog_type)pt, "oracle", strcmp(license, "-") == 0 ? "" : license, insns, (size_t)ninsns, &opts);
  p = strstr(log, "processed ");
  if (p != NULL) printf("processed %ld\n", strtol(p + 10, NULL, 10));
  size_t len = strlen(log);
  const char *tail = len > 4000 ? log + len - 4000 : log;
  printf("log\n%s\n", tail);
  return 0;
}

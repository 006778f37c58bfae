/*
 * Asks the running kernel's verifier what abi/ records as data, so the tests can compare (program-types.test.ts).
 * Loads tiny programs with bpf(BPF_PROG_LOAD) and prints one line per question; needs CAP_BPF and CAP_PERFMON.
 *
 *   kernel-probe helpers TYPE ATTACH FLAGS MAXID
 *       for each helper id 0..MAXID, loads "r1..r5 = 0; call id; r0 = 1; exit" and prints
 *       "id verdict", where verdict is "denied" (the type's get_func_proto refused it: "program of this type
 *       cannot use helper"), "invalid" (no such helper), "error:N" (the load failed before verification, errno N)
 *       or "allowed" (the call passed the proto lookup; argument checks may still have failed), followed by the
 *       verifier's complaint about an argument register when there was one ("R1 type=scalar expected=ctx").
 *   kernel-probe context TYPE ATTACH LIMIT
 *       for each offset below LIMIT and width 1, 2, 4, 8 with offset % width == 0, loads a context load and a
 *       context store of that width and prints "offset width load store" with 1 (accepted), 0 (refused) or
 *       -errno (the load failed before verification).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char log_buf[1 << 16];

static int load(int type, int attach, int flags, const struct bpf_insn *insns, int count) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = type;
  attr.expected_attach_type = attach;
  attr.prog_flags = flags;
  attr.insns = (unsigned long)insns;
  attr.insn_cnt = count;
  attr.license = (unsigned long)"GPL";
  attr.log_buf = (unsigned long)log_buf;
  attr.log_size = sizeof log_buf;
  attr.log_level = 1;
  log_buf[0] = 0;
  int fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  if (fd >= 0) close(fd);
  return fd >= 0 ? 0 : errno;
}

static struct bpf_insn mov_imm(int reg, int imm) {
  struct bpf_insn i = { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = reg, .imm = imm };
  return i;
}

static int probe_helpers(int type, int attach, int flags, int max_id) {
  for (int id = 0; id <= max_id; id++) {
    struct bpf_insn insns[8] = { mov_imm(1, 0), mov_imm(2, 0), mov_imm(3, 0), mov_imm(4, 0), mov_imm(5, 0) };
    insns[5] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = id };
    insns[6] = mov_imm(0, 1);
    insns[7] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
    int err = load(type, attach, flags, insns, 8);
    if (err != 0 && log_buf[0] == 0) printf("%d error:%d\n", id, err);
    else if (strstr(log_buf, "program of this type cannot use helper") || strstr(log_buf, "unknown func")) printf("%d denied\n", id);
    else if (strstr(log_buf, "invalid func")) printf("%d invalid\n", id);
    else {
      const char *complaint = strstr(log_buf, "R1 type=");
      for (int r = 2; complaint == NULL && r <= 5; r++) {
        char needle[16];
        snprintf(needle, sizeof needle, "R%d type=", r);
        complaint = strstr(log_buf, needle);
      }
      if (complaint == NULL) complaint = "";
      int len = (int)strcspn(complaint, "\n");
      printf("%d allowed %.*s\n", id, len, complaint);
    }
  }
  return 0;
}

static int verdict(int type, int attach, const struct bpf_insn *insns, int count) {
  int err = load(type, attach, 0, insns, count);
  if (err == 0) return 1;
  return log_buf[0] != 0 ? 0 : -err;
}

static int probe_context(int type, int attach, int limit) {
  static const int sizes[4] = { BPF_B, BPF_H, BPF_W, BPF_DW };
  for (int off = 0; off < limit; off++) {
    for (int s = 0; s < 4; s++) {
      int width = 1 << s;
      if (off % width != 0) continue;
      struct bpf_insn rd[3] = {
        { .code = BPF_LDX | BPF_MEM | sizes[s], .dst_reg = 0, .src_reg = 1, .off = off },
        mov_imm(0, 1),
        { .code = BPF_JMP | BPF_EXIT },
      };
      struct bpf_insn wr[4] = {
        mov_imm(2, 0),
        { .code = BPF_STX | BPF_MEM | sizes[s], .dst_reg = 1, .src_reg = 2, .off = off },
        mov_imm(0, 1),
        { .code = BPF_JMP | BPF_EXIT },
      };
      printf("%d %d %d %d\n", off, width, verdict(type, attach, rd, 3), verdict(type, attach, wr, 4));
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "helpers") == 0)
    return probe_helpers(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  if (argc == 5 && strcmp(argv[1], "context") == 0)
    return probe_context(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: kernel-probe helpers TYPE ATTACH FLAGS MAXID | context TYPE ATTACH LIMIT\n");
  return 2;
}
/* Author: Claude. */

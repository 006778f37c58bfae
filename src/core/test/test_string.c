/*
 * bpf_strtol and bpf_strtoul against Linux's semantics (kernel/bpf/helpers.c), the probe reads (every read
 * faults: dst zeroed, -EFAULT) and bpf_sk_fullsock (no sockets: NULL).
 *
 * Author: Claude.
 */
#include "test.h"

static int64_t strtox(uint32_t id, const char *s, uint64_t len, uint64_t flags, uint64_t *res) {
  *res = 0xdeadbeefull;
  return (int64_t)call_helper(id, P(s), len, flags, P(res), 0, NULL);
}

#define STRTOUL 106
#define STRTOL 105

void suite_string(void) {
  uint64_t res;
  bpfship_run_ctx ctx;
  init_ctx(&ctx, BPFSHIP_PROG_TYPE_SOCKET_FILTER, 0);

  /* bases: 0 detects 0x and 0; 16 skips a 0x; digits stop at the first one past the base */
  CHECK_EQ(strtox(STRTOUL, "123", 3, 0, &res), 3);
  CHECK_EQ(res, 123);
  CHECK_EQ(strtox(STRTOUL, "0x1fz", 5, 0, &res), 4);
  CHECK_EQ(res, 0x1f);
  CHECK_EQ(strtox(STRTOUL, "0755", 4, 0, &res), 4);
  CHECK_EQ(res, 0755);
  CHECK_EQ(strtox(STRTOUL, "0x", 2, 0, &res), 1); /* no hex digit after 0x: octal 0, one character */
  CHECK_EQ(res, 0);
  CHECK_EQ(strtox(STRTOUL, "0xAB", 4, 16, &res), 4);
  CHECK_EQ(res, 0xab);
  CHECK_EQ(strtox(STRTOUL, "ff", 2, 16, &res), 2);
  CHECK_EQ(res, 0xff);
  CHECK_EQ(strtox(STRTOUL, "89", 2, 8, &res), -BPFSHIP_EINVAL); /* no octal digit */
  CHECK_EQ(res, 0);                                              /* zeroed on error */
  CHECK_EQ(strtox(STRTOUL, "17", 2, 8, &res), 2);
  CHECK_EQ(res, 15);
  CHECK_EQ(strtox(STRTOUL, "0x10", 4, 10, &res), 1); /* base 10: "0", then 'x' stops */
  CHECK_EQ(res, 0);
  /* the buffer's length bounds the parse, NUL or not */
  CHECK_EQ(strtox(STRTOUL, "12345", 2, 10, &res), 2);
  CHECK_EQ(res, 12);
  CHECK_EQ(strtox(STRTOUL, "7\0" "9", 3, 10, &res), 1);
  CHECK_EQ(res, 7);
  /* white space and sign */
  CHECK_EQ(strtox(STRTOUL, " \t\n42", 5, 0, &res), 5);
  CHECK_EQ(res, 42);
  CHECK_EQ(strtox(STRTOUL, "-1", 2, 0, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(res, 0);
  CHECK_EQ(strtox(STRTOUL, "+1", 2, 0, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(strtox(STRTOUL, "   ", 3, 0, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(strtox(STRTOUL, "-", 1, 0, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(strtox(STRTOUL, "1", 0, 0, &res), -BPFSHIP_EINVAL);
  /* flags: a base other than 0, 8, 10, 16, or any bit above the base */
  CHECK_EQ(strtox(STRTOUL, "1", 1, 2, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(strtox(STRTOUL, "1", 1, 10 | 0x20, &res), -BPFSHIP_EINVAL);
  CHECK_EQ(strtox(STRTOUL, "1", 1, 1ull << 40, &res), -BPFSHIP_EINVAL);
  /* range: 64 bits */
  CHECK_EQ(strtox(STRTOUL, "18446744073709551615", 20, 10, &res), 20);
  CHECK_EQ(res, UINT64_MAX);
  CHECK_EQ(strtox(STRTOUL, "18446744073709551616", 20, 10, &res), -BPFSHIP_ERANGE);
  CHECK_EQ(res, 0);
  CHECK_EQ(strtox(STRTOUL, "0xffffffffffffffff", 18, 0, &res), 18);
  CHECK_EQ(res, UINT64_MAX);
  CHECK_EQ(strtox(STRTOUL, "0x10000000000000000", 19, 0, &res), -BPFSHIP_ERANGE);
  /* at most 63 characters after the sign are read (the kernel's 64-byte copy) */
  char zeros[80];
  memset(zeros, '0', sizeof zeros);
  zeros[70] = '5';
  CHECK_EQ(strtox(STRTOUL, zeros, 80, 10, &res), 63);
  CHECK_EQ(res, 0);
  char spaced[80];
  memset(spaced, ' ', 10);
  memset(spaced + 10, '1', 70);
  CHECK_EQ(strtox(STRTOUL, spaced, 80, 10, &res), -BPFSHIP_ERANGE);

  /* strtol: the sign, and the signed range */
  CHECK_EQ(strtox(STRTOL, "-42", 3, 0, &res), 3);
  CHECK_EQ((int64_t)res, -42);
  CHECK_EQ(strtox(STRTOL, "-0", 2, 0, &res), 2);
  CHECK_EQ(res, 0);
  CHECK_EQ(strtox(STRTOL, "9223372036854775807", 19, 10, &res), 19);
  CHECK_EQ((int64_t)res, INT64_MAX);
  CHECK_EQ(strtox(STRTOL, "9223372036854775808", 19, 10, &res), -BPFSHIP_ERANGE);
  CHECK_EQ(res, 0);
  CHECK_EQ(strtox(STRTOL, "-9223372036854775808", 20, 10, &res), 20);
  CHECK_EQ((int64_t)res, INT64_MIN);
  CHECK_EQ(strtox(STRTOL, "-9223372036854775809", 20, 10, &res), -BPFSHIP_ERANGE);
  CHECK_EQ(strtox(STRTOL, " -0x10", 6, 0, &res), 6);
  CHECK_EQ((int64_t)res, -16);
  CHECK_EQ(strtox(STRTOL, "x", 1, 0, &res), -BPFSHIP_EINVAL);

  /* probe reads: every one faults, dst zeroed; the _str ones read nothing for size 0 */
  static const uint32_t plain[] = {4, 112, 113}, str[] = {45, 114, 115};
  char buf[16];
  for (int i = 0; i < 3; i++) {
    memset(buf, 'X', sizeof buf);
    CHECK_EQ((int64_t)call_helper(plain[i], P(buf), 8, P("kernel"), 0, 0, &ctx), -BPFSHIP_EFAULT);
    CHECK_EQ(buf[0], 0);
    CHECK_EQ(buf[7], 0);
    CHECK_EQ(buf[8], 'X');
    memset(buf, 'X', sizeof buf);
    CHECK_EQ((int64_t)call_helper(str[i], P(buf), 8, P("kernel"), 0, 0, &ctx), -BPFSHIP_EFAULT);
    CHECK_EQ(buf[7], 0);
    CHECK_EQ(buf[8], 'X');
    CHECK_EQ(call_helper(str[i], P(buf), 0, P("kernel"), 0, 0, &ctx), 0);
    CHECK_EQ(buf[8], 'X');
  }

  /* sk_fullsock and the socket casts: the runtime has no sockets */
  CHECK_EQ(call_helper(95, P(buf), 0, 0, 0, 0, &ctx), 0);
  static const uint32_t casts[] = {96, 98, 136, 137, 138, 139, 140};
  for (size_t i = 0; i < sizeof casts / sizeof casts[0]; i++) CHECK_EQ(call_helper(casts[i], P(buf), 0, 0, 0, 0, &ctx), 0);
}

/* bpf_trace_printk / bpf_snprintf formatting: accepted conversions and their output, and the rejections.
 * Author: Claude.
 */
#include "test.h"

static const char *fmt1(const char *fmt, uint64_t a, uint64_t b, uint64_t c) {
  static char out[1100];
  uint64_t args[3] = {a, b, c};
  int n = bpfship_bprintf(out, sizeof out, fmt, (uint32_t)strlen(fmt) + 1, args, 3);
  if (n < 0) snprintf(out, sizeof out, "error %d", n);
  return out;
}

static int err1(const char *fmt, uint32_t nargs) {
  char out[64];
  uint64_t args[12] = {0};
  int n = bpfship_bprintf(out, sizeof out, fmt, (uint32_t)strlen(fmt) + 1, args, nargs);
  return n < 0 ? n : 0;
}

void suite_printk(void) {
  CHECK_STR(fmt1("hello", 0, 0, 0), "hello");
  CHECK_STR(fmt1("%d %i %u", (uint64_t)-5, 7, (uint64_t)-1), "-5 7 4294967295");
  CHECK_STR(fmt1("%x %X %lx", 0xbeef, 0xbeef, 0x1234567890ull), "beef BEEF 1234567890");
  CHECK_STR(fmt1("%ld %lld %llu", (uint64_t)-3, (uint64_t)-4000000000ll, 18446744073709551615ull),
            "-3 -4000000000 18446744073709551615");
  CHECK_STR(fmt1("%li %lu %llx", (uint64_t)-1, 5, 255), "-1 5 ff");
  CHECK_STR(fmt1("%d", 0x1ffffffffull, 0, 0), "-1"); /* %d takes the low 32 bits */
  CHECK_STR(fmt1("[%5d|%-5d|%05d]", 42, 42, 42), "[   42|42   |00042]");
  CHECK_STR(fmt1("[%+d|% d|%+d]", 7, 7, (uint64_t)-7), "[+7| 7|-7]");
  CHECK_STR(fmt1("[%-05d|%+05d|%08x]", 3, 3, 0xab), "[3    |+0003|000000ab]");
  CHECK_STR(fmt1("[%+u]", 3, 0, 0), "[3]"); /* no sign for unsigned conversions */
  CHECK_STR(fmt1("%c%c%c", 'a', 'b', 'c'), "abc");
  CHECK_STR(fmt1("[%3c|%-3c]", 'x', 'y', 0), "[  x|y  ]");
  CHECK_STR(fmt1("100%% sure", 0, 0, 0), "100% sure");
  CHECK_STR(fmt1("%s!", P("world"), 0, 0), "world!");
  CHECK_STR(fmt1("[%8s|%-8s]", P("ab"), P("cd"), 0), "[      ab|cd      ]");
  CHECK_STR(fmt1("[%s]", 0, 0, 0), "[]"); /* an unreadable string prints as empty */
  CHECK_STR(fmt1("%p", 0x1234, 0, 0), "0000000000001234");
  CHECK_STR(fmt1("%px %pK", 0xffff888012345678ull, 0, 0), "ffff888012345678 0000000000000000");
  CHECK_STR(fmt1("%pS %ps", 0xffffffff81000000ull, 0x10, 0), "0xffffffff81000000 0x10");
  CHECK_STR(fmt1("%pB", 0xabc, 0, 0), "0xabc");
  uint8_t ip4[4] = {192, 168, 1, 20};
  CHECK_STR(fmt1("%pI4 %pi4", P(ip4), P(ip4), 0), "192.168.1.20 192.168.001.020");
  uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK_STR(fmt1("%pI6", P(ip6), 0, 0), "2001:0db8:0000:0000:0000:0000:0000:0001");
  CHECK_STR(fmt1("%pi6", P(ip6), 0, 0), "20010db8000000000000000000000001");
  CHECK_STR(fmt1("%pI6c|", P(ip6), 0, 0), "2001:0db8:0000:0000:0000:0000:0000:0001|"); /* 'c' is swallowed */
  CHECK_STR(fmt1("%pks %pus", P("k"), P("u"), 0), "k u");
  CHECK_STR(fmt1("%p.", 1, 0, 0), "0000000000000001.");
  CHECK_STR(fmt1("caf\xc3\xa9 %d", 1, 0, 0), "caf\xc3\xa9 1"); /* UTF-8 text passes through */
  CHECK_STR(fmt1("tab\there\n", 0, 0, 0), "tab\there\n");

  /* Vectors checked against Linux 6.18's bpf_snprintf (output and return value) */
  CHECK_STR(fmt1("[%-05d|%+d|% d]", 3, (uint64_t)-7, 7), "[3    |-7| 7]");
  CHECK_STR(fmt1("%lX [%3c|%-3c]", 0x1234567890ull, 'x', 'y'), "1234567890 [  x|y  ]");
  CHECK_STR(fmt1("%pS %ps %pB|", 0x1234, 0x10, 0xabc), "0x1234 0x10 0xabc|");
  CHECK_STR(fmt1("%px %+u caf\xc3\xa9", 0, 16, 0), "0000000000000000 16 caf\xc3\xa9");
  /* wild pointers never fault: strings read as empty, addresses as zeros */
  CHECK_STR(fmt1("[%s|%pI4|%pI6c]", 0x1234567890ull, 0x1234567890ull, 0x10),
            "[|0.0.0.0|0000:0000:0000:0000:0000:0000:0000:0000]");

  /* rejections: -EINVAL */
  CHECK_EQ(err1("%d %d %d %d", 3), -BPFSHIP_EINVAL); /* more conversions than arguments */
  CHECK_EQ(err1("%d", 0), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%d %d %d %d", 4), 0);
  CHECK_EQ(err1("%.2d", 1), -BPFSHIP_EINVAL); /* no precision */
  CHECK_EQ(err1("%#x", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%hd", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%n", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%f", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%lf", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%lllx", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%5%", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%sabc", 1), -BPFSHIP_EINVAL); /* %s must be followed by space, punctuation or the end */
  CHECK_EQ(err1("%s.abc", 1), 0);
  CHECK_EQ(err1("%pz", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%pI5", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("%pksx", 1), -BPFSHIP_EINVAL);
  CHECK_EQ(err1("bell\a", 0), -BPFSHIP_EINVAL); /* control characters */
  CHECK_EQ(err1("%\xc3", 1), -BPFSHIP_EINVAL);  /* non-ASCII right after % */
  char unterminated[4] = {'a', 'b', 'c', 'd'};
  CHECK_EQ(bpfship_bprintf(NULL, 0, unterminated, 4, NULL, 0), -BPFSHIP_EINVAL);

  /* truncation: the return value is the full length */
  char small[6];
  uint64_t a[1] = {123456789};
  CHECK_EQ(bpfship_bprintf(small, sizeof small, "n=%d", 5, a, 1), 11);
  CHECK_STR(small, "n=123");
  CHECK_EQ(bpfship_bprintf(NULL, 0, "n=%d", 5, a, 1), 11);
  /* the kernel's 512-byte argument buffer: long strings eat it */
  char big[600];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = 0;
  uint64_t s2[2] = {P(big), 5};
  char out[1100];
  CHECK_EQ(bpfship_bprintf(out, sizeof out, "%s", 3, s2, 1), 511); /* copied up to the buffer's end */
  CHECK_EQ(bpfship_bprintf(out, sizeof out, "%s%d", 5, s2, 2), -BPFSHIP_ENOSPC);
}

/*
 * bpf_strtol and bpf_strtoul, as Linux's kernel/bpf/helpers.c defines them (__bpf_strtoull over the kernel's
 * _parse_integer_fixup_radix and _parse_integer):
 *
 * 1. flags holds only the base (bits 0-4): 0 (auto: 0x.. hex, 0.. octal, else decimal), 8, 10 or 16; any other
 *    base or flag bit gives -EINVAL;
 * 2. leading white space (the kernel's isspace: \t \n \v \f \r, space and 0xa0) is skipped, then one '-' (no '+');
 * 3. at most 63 characters after that are parsed (the kernel copies them to a 64-byte string); no digit: -EINVAL;
 *    a value past 64 bits: -ERANGE; strtol: past the signed range, -ERANGE; strtoul: a '-', -EINVAL;
 * 4. *res is zeroed first and set on success; the return value is the number of characters consumed.
 *
 * Author: Claude.
 */
#include "internal.h"

#define RET(err) ((uint64_t)(int64_t)(err))
#define STRTOX_BASE_MASK 0x1fu
#define STRTOX_MAX_CHARS 63u

static bool k_isspace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0; }
static unsigned char k_tolower(unsigned char c) { return (unsigned char)(c | 0x20); }
static bool k_isxdigit(unsigned char c) {
  return (c >= '0' && c <= '9') || (k_tolower(c) >= 'a' && k_tolower(c) <= 'f');
}

/* __bpf_strtoull: characters consumed (> 0), or -EINVAL / -ERANGE. */
static int64_t strtoull_common(const unsigned char *buf, uint64_t buf_len, uint64_t flags, uint64_t *res,
                               bool *negative) {
  unsigned base = (unsigned)(flags & STRTOX_BASE_MASK);
  if (buf_len == 0) return -BPFSHIP_EINVAL;
  if (base != 0 && base != 8 && base != 10 && base != 16) return -BPFSHIP_EINVAL;
  if (flags & ~(uint64_t)STRTOX_BASE_MASK) return -BPFSHIP_EINVAL;

  /* 1. White space and sign, within the buffer. */
  uint64_t consumed = 0;
  while (consumed < buf_len && k_isspace(buf[consumed])) consumed++;
  *negative = consumed < buf_len && buf[consumed] == '-';
  if (*negative) consumed++;
  uint64_t len = buf_len - consumed;
  if (len == 0) return -BPFSHIP_EINVAL;

  /* 2. The kernel's copy: at most 63 characters, NUL-terminated. */
  unsigned char str[STRTOX_MAX_CHARS + 1];
  if (len > STRTOX_MAX_CHARS) len = STRTOX_MAX_CHARS;
  bs_memcpy(str, buf + consumed, len);
  str[len] = 0;
  const unsigned char *s = str;

  /* 3. _parse_integer_fixup_radix. */
  if (base == 0) {
    if (s[0] == '0')
      base = (k_tolower(s[1]) == 'x' && k_isxdigit(s[2])) ? 16 : 8;
    else
      base = 10;
  }
  if (base == 16 && s[0] == '0' && k_tolower(s[1]) == 'x') s += 2;

  /* 4. _parse_integer: digits below the base; overflow is flagged and parsing goes on. */
  uint64_t value = 0;
  unsigned digits = 0;
  bool overflow = false;
  for (;; s++) {
    unsigned c = *s, lc = k_tolower(*s), val;
    if (c >= '0' && c <= '9')
      val = c - '0';
    else if (lc >= 'a' && lc <= 'f')
      val = lc - 'a' + 10;
    else
      break;
    if (val >= base) break;
    if (value & (~0ull << 60)) {
      if (value > (UINT64_MAX - val) / base) overflow = true;
    }
    value = value * base + val;
    digits++;
  }
  if (overflow) return -BPFSHIP_ERANGE;
  if (digits == 0) return -BPFSHIP_EINVAL;
  *res = value;
  return (int64_t)(consumed + (uint64_t)(s - str));
}

/* bpf_strtol(buf, buf_len, flags, s64 *res) */
uint64_t bpfship_helper_strtol(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                               bpfship_run_ctx *ctx) {
  (void)r5, (void)ctx;
  int64_t *res = BS_PTR(r4);
  uint64_t value;
  bool negative;
  *res = 0;
  int64_t n = strtoull_common(BS_PTR(r1), r2, r3, &value, &negative);
  if (n < 0) return RET(n);
  if (negative) {
    if ((int64_t)(0 - value) > 0) return RET(-BPFSHIP_ERANGE);
    *res = (int64_t)(0 - value);
  } else {
    if ((int64_t)value < 0) return RET(-BPFSHIP_ERANGE);
    *res = (int64_t)value;
  }
  return RET(n);
}

/* bpf_strtoul(buf, buf_len, flags, u64 *res) */
uint64_t bpfship_helper_strtoul(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                bpfship_run_ctx *ctx) {
  (void)r5, (void)ctx;
  uint64_t *res = BS_PTR(r4);
  uint64_t value;
  bool negative;
  *res = 0;
  int64_t n = strtoull_common(BS_PTR(r1), r2, r3, &value, &negative);
  if (n < 0) return RET(n);
  if (negative) return RET(-BPFSHIP_EINVAL);
  *res = value;
  return RET(n);
}

/*
 * The formatter behind bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: the kernel's bpf_bprintf_prepare
 * (which decides what a format may contain and copies string arguments into a 512-byte argument buffer) followed
 * by bstr_printf (vsnprintf's rules for flags and width).
 *
 * Accepted: plain text (ASCII printable or space, and bytes >= 0x80 since the kernel now passes UTF-8 through),
 * "%%", and conversions %[0+- ]*[1-9][0-9]* followed by d i u x X (optionally l or ll), c, s, or p with the
 * suffixes K x s S B, I4 i4 I6 i6, ks us. Rejected with -EINVAL: control characters, precision, '#', 'h',
 * 'n', unknown %p suffixes, %s or %pks followed by a letter or digit, more conversions than arguments.
 *
 * Pointers print as their real value (16 hex digits) where the kernel prints a per-boot hash, and %ps/%pS/%pB
 * print "0x<address>" (what the kernel prints when kallsyms has no symbol): there is no kernel to hide here.
 * As in bstr_printf, letters and digits right after a %p conversion are swallowed ("%pI6c" prints like "%pI6").
 *
 * Author: Claude.
 */
#include "internal.h"

#define MAX_BPRINTF_BIN_ARGS 512u

#define F_LEFT 1u
#define F_PLUS 2u
#define F_SPACE 4u
#define F_ZERO 8u

static bool is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool is_print(int c) { return c >= 0x20 && c <= 0x7e; }
static bool is_alnum(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_punct(int c) { return is_print(c) && c != ' ' && !is_alnum(c); }
/* What may follow %s, %pks, %pus and a plain %p: end of string, space or punctuation. */
static bool ends_conversion(int c) { return c == 0 || is_space(c) || is_punct(c); }

/* The output sink: writes what fits, counts everything. */
typedef struct sink {
  char *out;
  uint32_t size;
  uint32_t len; /* would-be length */
} sink;

static void put(sink *s, char c) {
  if (s->len + 1 < s->size) s->out[s->len] = c;
  if (s->len < 0x7fffffffu) s->len++;
}
static void put_n(sink *s, char c, uint32_t n) {
  while (n-- > 0) put(s, c);
}
static void put_str(sink *s, const char *str, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) put(s, str[i]);
}

/* Width-padded string, as the kernel's string()/widen_string(): spaces only. */
static void put_field(sink *s, const char *str, uint32_t n, uint32_t flags, uint32_t width) {
  uint32_t pad = width > n ? width - n : 0;
  if (!(flags & F_LEFT)) put_n(s, ' ', pad);
  put_str(s, str, n);
  if (flags & F_LEFT) put_n(s, ' ', pad);
}

/* The kernel's number() without precision or '#'. */
static void put_number(sink *s, uint64_t num, bool is_signed, int base, bool upper, uint32_t flags, uint32_t width) {
  char sign = 0, digits[24];
  const char *alpha = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (flags & F_LEFT) flags &= ~F_ZERO;
  if (is_signed) {
    if ((int64_t)num < 0) {
      sign = '-';
      num = (uint64_t)(-(int64_t)num);
    } else if (flags & F_PLUS) {
      sign = '+';
    } else if (flags & F_SPACE) {
      sign = ' ';
    }
  }
  uint32_t n = 0;
  do {
    digits[n++] = alpha[num % (uint64_t)base];
    num /= (uint64_t)base;
  } while (num != 0);
  uint32_t total = n + (sign ? 1 : 0);
  uint32_t pad = width > total ? width - total : 0;
  if (!(flags & (F_LEFT | F_ZERO))) put_n(s, ' ', pad);
  if (sign) put(s, sign);
  if (flags & F_ZERO) put_n(s, '0', pad);
  while (n > 0) put(s, digits[--n]);
  if (flags & F_LEFT) put_n(s, ' ', pad);
}

/* Formats into a small buffer (for the pre-formatted %pI4/%pB forms). */
static uint32_t fmt_hex(char *buf, uint64_t v, uint32_t min_digits) {
  char tmp[16];
  uint32_t n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  uint32_t len = 0;
  while (n + len < min_digits) buf[len++] = '0';
  while (n > 0) buf[len++] = tmp[--n];
  return len;
}

static uint32_t fmt_dec(char *buf, uint32_t v, uint32_t min_digits) {
  char tmp[10];
  uint32_t n = 0, len = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n + len < min_digits) buf[len++] = '0';
  while (n > 0) buf[len++] = tmp[--n];
  return len;
}

/* %pI4 %pi4 %pI6 %pi6 from the bytes at `p` (zeros when unreadable, as after a failed nofault copy). */
static uint32_t fmt_ip(char *buf, const void *p, char kind, char ver) {
  uint8_t ip[16] = {0};
  uint32_t n = ver == '4' ? 4 : 16, len = 0;
  if (!bs_copy_nofault(ip, p, n)) bs_memset(ip, 0, sizeof ip);
  if (ver == '4') {
    for (uint32_t i = 0; i < 4; i++) {
      if (i) buf[len++] = '.';
      len += fmt_dec(buf + len, ip[i], kind == 'i' ? 3 : 1);
    }
  } else {
    for (uint32_t i = 0; i < 16; i += 2) {
      if (i && kind == 'I') buf[len++] = ':';
      len += fmt_hex(buf + len, ((uint32_t)ip[i] << 8) | ip[i + 1], 4);
    }
  }
  return len;
}

static inline uint32_t room(uint32_t used) { return used < MAX_BPRINTF_BIN_ARGS ? MAX_BPRINTF_BIN_ARGS - used : 0; }

/* Reads a string argument into buf: at most max - 1 bytes (the room left in the kernel's argument buffer);
 * an unreadable address reads as "" (the kernel prints what its failed nofault copy left: nothing). */
static uint32_t read_string(char *buf, uint64_t addr, uint32_t max) {
  return (uint32_t)bs_strncpy_nofault(buf, (const char *)BS_PTR(addr), max);
}

/*
 * Pass 1, bpf_bprintf_prepare's checks: returns 0 when `fmt` (fmt_size bytes, NUL at fmt[len]) is acceptable with
 * nargs arguments, else -EINVAL.
 */
static int check_format(const char *fmt, uint32_t len, uint32_t nargs) {
  uint32_t num_spec = 0;
  for (uint32_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)fmt[i];
    if (c < 0x80 && !is_print(c) && !is_space(c)) return -BPFSHIP_EINVAL;
    if (c != '%') continue;
    if (fmt[i + 1] == '%') {
      i++;
      continue;
    }
    if (num_spec >= nargs) return -BPFSHIP_EINVAL;
    i++;
    if ((unsigned char)fmt[i] >= 0x80) return -BPFSHIP_EINVAL;
    while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ') i++;
    if (fmt[i] >= '1' && fmt[i] <= '9') {
      i++;
      while (fmt[i] >= '0' && fmt[i] <= '9') i++;
    }
    if (fmt[i] == 'p') {
      char n1 = fmt[i + 1];
      if (ends_conversion(n1)) {
        /* plain %p */
      } else if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
        i += 2;
        if (!ends_conversion(fmt[i + 1])) return -BPFSHIP_EINVAL;
      } else if (n1 == 'K' || n1 == 'x' || n1 == 's' || n1 == 'S' || n1 == 'B') {
        i++;
      } else if ((n1 == 'i' || n1 == 'I') && (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
        i += 2;
      } else {
        return -BPFSHIP_EINVAL;
      }
      num_spec++;
      continue;
    }
    if (fmt[i] == 's') {
      if (!ends_conversion(fmt[i + 1])) return -BPFSHIP_EINVAL;
      num_spec++;
      continue;
    }
    if (fmt[i] == 'c') {
      num_spec++;
      continue;
    }
    if (fmt[i] == 'l') i++;
    if (fmt[i] == 'l') i++;
    char t = fmt[i];
    if (t != 'i' && t != 'd' && t != 'u' && t != 'x' && t != 'X') return -BPFSHIP_EINVAL;
    num_spec++;
  }
  return 0;
}

int bpfship_bprintf(char *out, uint32_t out_size, const char *fmt, uint32_t fmt_size, const uint64_t *args,
                    uint32_t nargs) {
  if (!fmt) return -BPFSHIP_EINVAL;
  uint32_t len = (uint32_t)bs_strnlen(fmt, fmt_size);
  if (len == fmt_size) return -BPFSHIP_EINVAL; /* no NUL within fmt_size */
  int err = check_format(fmt, len, nargs);
  if (err) return err;

  sink s = {out, out ? out_size : 0, 0};
  uint32_t used = 0, arg = 0; /* bytes of the kernel's argument buffer the conversions so far would take */
  char tmp[64], str[MAX_BPRINTF_BIN_ARGS];
  for (uint32_t i = 0; i < len; i++) {
    char c = fmt[i];
    if (c != '%') {
      put(&s, c);
      continue;
    }
    if (fmt[i + 1] == '%') {
      put(&s, '%');
      i++;
      continue;
    }
    i++;
    uint32_t flags = 0, width = 0;
    for (;; i++) {
      if (fmt[i] == '0') flags |= F_ZERO;
      else if (fmt[i] == '+') flags |= F_PLUS;
      else if (fmt[i] == '-') flags |= F_LEFT;
      else if (fmt[i] == ' ') flags |= F_SPACE;
      else break;
    }
    while (fmt[i] >= '0' && fmt[i] <= '9') {
      if (width < (1u << 23)) width = width * 10 + (uint32_t)(fmt[i] - '0');
      i++;
    }
    uint64_t v = args[arg++];
    if (fmt[i] == 'p') {
      char n1 = fmt[i + 1], n2 = n1 ? fmt[i + 2] : 0;
      if (n1 == 'k' || n1 == 'u') {
        /* pre-formatted by prepare: strings and IP addresses are printed without width */
        if (room(used) == 0) goto nospace;
        uint32_t n = read_string(str, v, room(used));
        put_str(&s, str, n);
        used += n + 1;
      } else if (n1 == 'i' || n1 == 'I') {
        if (room(used) < (n2 == '4' ? 4u : 16u)) goto nospace;
        uint32_t n = fmt_ip(tmp, BS_PTR(v), n1, n2);
        put_str(&s, tmp, n);
        used += n + 1;
      } else if (n1 == 'B') {
        tmp[0] = '0';
        tmp[1] = 'x';
        uint32_t n = 2 + fmt_hex(tmp + 2, v, 1);
        put_str(&s, tmp, n);
        used += n + 1;
      } else {
        used = (used + 3) & ~3u;
        if (room(used) < 8) goto nospace;
        used += 8;
        if (n1 == 's' || n1 == 'S') {
          tmp[0] = '0';
          tmp[1] = 'x';
          uint32_t n = 2 + fmt_hex(tmp + 2, v, 1);
          put_field(&s, tmp, n, flags, width);
        } else if (width == 0) {
          /* %p, %pK, %px: the pointer's value, 16 hex digits unless a width is given */
          put_number(&s, v, false, 16, false, F_ZERO, 16);
        } else {
          put_number(&s, v, false, 16, false, flags, width);
        }
      }
      while (is_alnum(fmt[i + 1])) i++; /* bstr_printf swallows the letters and digits after %p */
      continue;
    }
    if (fmt[i] == 's') {
      if (room(used) == 0) goto nospace;
      uint32_t n = read_string(str, v, room(used));
      put_field(&s, str, n, flags, width);
      used += n + 1;
      continue;
    }
    if (fmt[i] == 'c') {
      if (room(used) == 0) goto nospace;
      char ch = (char)v;
      put_field(&s, &ch, 1, flags, width);
      used += 1;
      continue;
    }
    bool wide = false;
    if (fmt[i] == 'l') {
      wide = true;
      i++;
      if (fmt[i] == 'l') i++;
    }
    char t = fmt[i];
    used = (used + 3) & ~3u;
    if (room(used) < (wide ? 8u : 4u)) goto nospace;
    used += wide ? 8 : 4;
    bool is_signed = t == 'd' || t == 'i';
    uint64_t num = v;
    if (!wide) num = is_signed ? (uint64_t)(int64_t)(int32_t)(uint32_t)v : (uint64_t)(uint32_t)v;
    put_number(&s, num, is_signed, (t == 'x' || t == 'X') ? 16 : 10, t == 'X', flags, width);
  }
  if (s.size > 0) s.out[s.len < s.size ? s.len : s.size - 1] = 0;
  return (int)s.len;
nospace:
  if (s.size > 0) s.out[0] = 0;
  return -BPFSHIP_ENOSPC;
}

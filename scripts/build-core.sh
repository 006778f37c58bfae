#!/usr/bin/env bash
# Builds the runtime core (src/core/*.c) twice, reproducibly:
#   build/core/libbpfship_core.so   native shared library (gcc, or $CC)
#   build/core/bpfship_core.wasm    WebAssembly module (clang-19 --target=wasm32, wasm-ld-19), no imports but
#                                   the "bpfship_host" hooks, exporting its memory and function table
# Options:
#   --test    also build and run the C unit tests (src/core/test/*.c) against the native library
#   --bench   also build build/core/bench-native (hash map lookup microbenchmark, see scripts/bench-core.ts)
#   --sanitize  also build the core and its tests with AddressSanitizer + UBSan and run them (slower)
#   --clean   remove build/core first
# Outputs only change when inputs do: fixed flags, -ffile-prefix-map, sorted inputs, no timestamps.
# Author: Claude.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
SRC=src/core
OUT=build/core
CC="${CC:-gcc}"
CLANG="${CLANG:-clang-19}"
WASM_LD="${WASM_LD:-wasm-ld-19}"

run_tests=0
run_bench=0
run_sanitize=0
for arg in "$@"; do
  case "$arg" in
    --test) run_tests=1 ;;
    --bench) run_bench=1 ;;
    --sanitize) run_sanitize=1 ;;
    --clean) rm -rf "$OUT" ;;
    *) echo "build-core: unknown option $arg (expected --test, --bench, --sanitize, --clean)" >&2; exit 2 ;;
  esac
done

for tool in "$CC" "$CLANG" "$WASM_LD"; do
  command -v "$tool" >/dev/null || { echo "build-core: $tool not found (Debian: apt-get install gcc clang-19 lld-19)" >&2; exit 1; }
done

mkdir -p "$OUT"
# Objects go to a private directory and outputs are renamed into place, so concurrent builds (two test files
# starting at once) never see or leave a half-written library.
TMP="$(mktemp -d "$OUT/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/obj-native" "$TMP/obj-wasm"
mapfile -t sources < <(cd "$SRC" && ls -1 *.c | LC_ALL=C sort)
WARN=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
COMMON=(-std=gnu11 -O2 -fvisibility=hidden -fno-strict-aliasing "-ffile-prefix-map=$ROOT=." -I"$SRC")

# --- native: one object per source, built in parallel, then linked ---
pids=()
for s in "${sources[@]}"; do
  [ "$s" = alloc_wasm.c ] && continue
  "$CC" "${COMMON[@]}" "${WARN[@]}" -g -fPIC -c "$SRC/$s" -o "$TMP/obj-native/${s%.c}.o" &
  pids+=($!)
done
# --- wasm: freestanding, bulk-memory so memcpy/memset are instructions ---
WASM_FLAGS=(--target=wasm32 -nostdlib -ffreestanding -mbulk-memory -mmutable-globals -msign-ext)
for s in "${sources[@]}"; do
  "$CLANG" "${COMMON[@]}" "${WARN[@]}" "${WASM_FLAGS[@]}" -c "$SRC/$s" -o "$TMP/obj-wasm/${s%.c}.o" &
  pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" -eq 0 ] || { echo "build-core: compilation failed" >&2; exit 1; }

native_objs=()
wasm_objs=()
for s in "${sources[@]}"; do
  [ "$s" = alloc_wasm.c ] || native_objs+=("$TMP/obj-native/${s%.c}.o")
  wasm_objs+=("$TMP/obj-wasm/${s%.c}.o")
done

"$CC" -shared -g -Wl,-soname,libbpfship_core.so -Wl,--build-id=sha1 -o "$TMP/libbpfship_core.so" "${native_objs[@]}"

# Memory: the C stack (1 MiB) first, so a stack overflow traps below address 0 and nothing lives at offset 0;
# then data and the heap, which grows up to 2 GiB (eBPF pointers stay below 2^31).
"$WASM_LD" --no-entry --export-dynamic --export-table --stack-first -z stack-size=1048576 \
  --initial-memory=2097152 --max-memory=2147483648 --gc-sections \
  -o "$TMP/bpfship_core.wasm" "${wasm_objs[@]}"
mv -f "$TMP/libbpfship_core.so" "$OUT/libbpfship_core.so"
mv -f "$TMP/bpfship_core.wasm" "$OUT/bpfship_core.wasm"

echo "build-core: $OUT/libbpfship_core.so ($(stat -c %s "$OUT/libbpfship_core.so") bytes), $OUT/bpfship_core.wasm ($(stat -c %s "$OUT/bpfship_core.wasm") bytes)"

if [ "$run_tests" -eq 1 ]; then
  mapfile -t tests < <(ls -1 "$SRC"/test/*.c | LC_ALL=C sort)
  "$CC" -std=gnu11 -O1 -g "${WARN[@]}" -I"$SRC" "${tests[@]}" -o "$TMP/core-tests" \
    -L"$OUT" -lbpfship_core -Wl,-rpath,"$ROOT/$OUT"
  mv -f "$TMP/core-tests" "$OUT/core-tests"
  "$OUT/core-tests"
fi

if [ "$run_bench" -eq 1 ]; then
  "$CC" -std=gnu11 -O2 "${WARN[@]}" -I"$SRC" scripts/bench-core-native.c -o "$OUT/bench-native" \
    -L"$OUT" -lbpfship_core -Wl,-rpath,"$ROOT/$OUT"
fi

if [ "$run_sanitize" -eq 1 ]; then
  mapfile -t tests < <(ls -1 "$SRC"/test/*.c | LC_ALL=C sort)
  native_srcs=()
  for s in "${sources[@]}"; do [ "$s" = alloc_wasm.c ] || native_srcs+=("$SRC/$s"); done
  "$CC" -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    "${WARN[@]}" -I"$SRC" "${native_srcs[@]}" "${tests[@]}" -o "$TMP/core-tests-asan"
  "$TMP/core-tests-asan"
fi

#!/bin/sh
# Rebuilds the compiled fixtures beside their sources (clang-19 -target bpf -O2 -g), reproducibly.
# Author: Claude.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
for f in *.c; do
  "$CLANG" -target bpf -O2 -g -fdebug-compilation-dir=. -I"$ARCH_INC" -c "$f" -o "${f%.c}.o"
done

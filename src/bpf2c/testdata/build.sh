#!/bin/sh
# Rebuilds the bpf2c test objects from their C sources (clang -target bpf -O2 -g, paths made relative).
# Author: Claude.
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-$(command -v clang-19 || command -v clang)}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
for f in *.c; do
  "$CLANG" -target bpf -O2 -g -fdebug-compilation-dir=. -ffile-prefix-map="$PWD"=. -I"$ARCH_INC" -c "$f" -o "${f%.c}.o"
done

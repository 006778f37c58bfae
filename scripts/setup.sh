#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for bpfship and builds it: Debian packages (compilers, LLVM tools, bpftool,
# libbpf headers; python3, make and g++ for better-sqlite3, which npm compiles from source; the distribution
# registry, PostgreSQL 15 and skopeo, which the build service's tests start themselves on loopback, and openssl for
# their TLS certificate; Chromium and a font for the explorer page's browser tests; libbpf1, the library `bpfship
# deploy` loads programs into the kernel with, and iproute2 for the namespaces and veth pairs its tests make), npm
# packages, then the TypeScript build and the page's bundle. Safe to run again.
# Author: Claude.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs="clang-19 llvm-19 lld-19 libbpf-dev libbpf1 iproute2 bpftool gcc make gdb python3 g++ docker-registry postgresql-15 skopeo openssl chromium fonts-dejavu-core curl"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  # The packages' own services are not wanted (the tests start theirs in temporary directories): stop them where
  # the install started them.
  for svc in docker-registry postgresql; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then $SUDO systemctl stop "$svc" || true; fi
  done
fi
npm ci --no-fund --no-audit
npm run build
# Put `bpfship` and `bpf2c` on PATH (symlinks to this checkout's bin/), as installing the package would.
npm link --no-fund --no-audit

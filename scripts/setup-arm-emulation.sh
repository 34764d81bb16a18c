#!/usr/bin/env bash
# Installs what the ARM64 kernel test needs on an x86-64 Debian host (NEONEmulationTests): qemu-user (qemu-aarch64),
# the AArch64 C library and libgcc (libc6-dev-arm64-cross, libgcc-12-dev-arm64-cross). The compiler is the Swift
# toolchain's clang (--target=aarch64-linux-gnu) and its ld.lld. Idempotent: installed packages cost one dpkg query.
# Exit 0 when everything is there afterwards, 1 when it could not be installed (the test then skips and says why).
set -euo pipefail
packages=(qemu-user libc6-dev-arm64-cross libgcc-12-dev-arm64-cross)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    echo "[setup-arm-emulation] installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || true
        apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
            echo "[setup-arm-emulation] could not install ${missing[*]}" >&2
            exit 1
        }
    fi
fi
for tool in qemu-aarch64 clang ld.lld; do
    command -v "$tool" >/dev/null || { echo "[setup-arm-emulation] $tool not found" >&2; exit 1; }
done
echo "[setup-arm-emulation] ready: $(qemu-aarch64 --version | head -1)" >&2

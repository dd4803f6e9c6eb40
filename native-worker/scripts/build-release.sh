#!/usr/bin/env bash
# Builds the release `scopecloud-worker` for x86_64 Linux linked against glibc 2.34 (stock
# Amazon Linux 2023) with cargo-zigbuild, then checks the symbol versions.
# Installs cargo-zigbuild (crates.io) and ziglang (PyPI) when missing.
# Usage: scripts/build-release.sh            -> prints the path of the built binary last
# Env:   GLIBC (default 2.34), CARGO_TARGET_DIR (default native-worker/target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
GLIBC="${GLIBC:-2.34}"
TARGET=x86_64-unknown-linux-gnu

if ! command -v cargo-zigbuild >/dev/null 2>&1; then
  cargo install --locked cargo-zigbuild >&2
fi
if ! command -v zig >/dev/null 2>&1 && ! python3 -c 'import ziglang' >/dev/null 2>&1; then
  python3 -m pip install --quiet ziglang >&2
fi
rustup target add "$TARGET" >/dev/null 2>&1 || true

cargo zigbuild --release --target "$TARGET.$GLIBC" -p scopecloud-worker >&2

bin="${CARGO_TARGET_DIR:-target}/$TARGET/release/scopecloud-worker"
"$here/check-glibc.sh" "$bin" "$GLIBC" >&2
echo "$bin"

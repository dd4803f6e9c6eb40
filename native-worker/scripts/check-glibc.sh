#!/usr/bin/env bash
# Fails if the binary needs a GLIBC_x.y symbol version newer than the given maximum
# (default 2.34, Amazon Linux 2023). Uses objdump -T, or readelf when objdump is absent.
# Usage: scripts/check-glibc.sh <binary> [max-version]
set -euo pipefail
bin="${1:?usage: check-glibc.sh <binary> [max-version]}"
max="${2:-2.34}"
[ -f "$bin" ] || { echo "check-glibc: no such file: $bin" >&2; exit 2; }
if command -v objdump >/dev/null 2>&1; then
  syms=$(objdump -T "$bin")
elif command -v readelf >/dev/null 2>&1; then
  syms=$(readelf --dyn-syms -W "$bin")
else
  echo "check-glibc: need objdump or readelf (binutils)" >&2; exit 2
fi
versions=$(grep -o 'GLIBC_[0-9][0-9.]*' <<<"$syms" | sed 's/GLIBC_//' | sort -uV || true)
if [ -z "$versions" ]; then
  echo "check-glibc: $bin has no GLIBC symbol versions (static or not glibc-linked)"; exit 0
fi
newest=$(tail -n1 <<<"$versions")
if [ "$(printf '%s\n%s\n' "$newest" "$max" | sort -V | tail -n1)" != "$max" ]; then
  echo "check-glibc: FAIL: $bin needs GLIBC_$newest > $max; symbols:" >&2
  grep -E "GLIBC_($(printf '%s\n' $versions | awk -v m="$max" 'BEGIN{split(m,M,".")} {split($0,V,"."); if (V[1]>M[1] || (V[1]==M[1] && V[2]>M[2])) print $0}' | sed 's/\./\\./g' | paste -sd'|'))" <<<"$syms" | head -20 >&2 || true
  exit 1
fi
echo "check-glibc: OK: newest GLIBC symbol version in $bin is $newest (<= $max)"

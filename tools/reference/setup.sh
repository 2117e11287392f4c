#!/usr/bin/env bash
# Installs the reference data and native libraries dlm's tests and benchmarks use.
#   - npm packages of tools/reference/package.json into .cache/reference/ (ignored by git)
#   - on Debian as root: libopenblas0-pthread (optional GEMM backend), chromium + chromium-driver + curl (the dlm serve page and curl tests),
#     python3-numpy (a data test reads our .npy index files with NumPy)
#   - with --torch: python3-torch and python3-numpy (only to regenerate fixtures / run bench_torch.py)
#   - with --spm: python3-sentencepiece and python3-protobuf (only for spm_fixtures.py / bench_sentencepiece.py)
# Idempotent: a repeat run with nothing changed touches no network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="$root/.cache/reference"
want_torch=0
want_spm=0
for a in "$@"; do
  case "$a" in
    --torch) want_torch=1 ;;
    --spm) want_spm=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

say() { echo "[setup] $*" >&2; }

# --- Debian packages (only as root on Debian; skipped silently elsewhere) ---
# chromium + chromium-driver: the chat page test of dlm serve runs headless Chromium (Selenium).
debs=(libopenblas0-pthread chromium chromium-driver curl python3-numpy)
[ "$want_torch" = 1 ] && debs+=(python3-torch python3-numpy)
[ "$want_spm" = 1 ] && debs+=(python3-sentencepiece python3-protobuf)
if [ "$(id -u)" = 0 ] && command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
  missing=()
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || say "apt-get update failed; trying the install anyway"
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
      # OpenBLAS is optional (dlm falls back to its managed GEMM); torch only matters with --torch;
      # without Chromium the chat page test fails and says how to install it.
      say "warning: could not install ${missing[*]}"
      [ "$want_torch" = 1 ] || [ "$want_spm" = 1 ] && exit 1
    fi
  fi
fi

# --- npm reference packages ---
stamp="$dest/.installed-$(sha256sum "$root/tools/reference/package.json" | cut -c1-16)"
if [ -f "$stamp" ]; then
  say "reference packages up to date in ${dest#$root/}"
  exit 0
fi
command -v npm >/dev/null || { echo "setup.sh: npm is required (install Node.js 20+)" >&2; exit 1; }
mkdir -p "$dest"
cp "$root/tools/reference/package.json" "$dest/package.json"
say "installing reference npm packages into ${dest#$root/}"
(cd "$dest" && npm install --no-audit --no-fund --loglevel=error >&2)
rm -f "$dest"/.installed-*
touch "$stamp"
say "done"

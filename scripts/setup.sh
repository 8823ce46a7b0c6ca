#!/usr/bin/env bash
# Installs what PoseScope needs from Debian 12's packages (only what is missing), then configures
# and builds it in Release into build/. Safe to run again: a second run only rebuilds what changed.
#   scripts/setup.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread          # LibTorch 1.13 (CPU); OpenBLAS: the reference BLAS is ~14x slower
  qt6-base-dev qt6-svg-dev qt6-qpa-plugins libqcustomplot-dev
  fonts-dejavu-core xvfb xauth                # figure text headless; the GUI test of the real app under Xvfb
  libopencv-dev libhdf5-dev hdf5-tools libsimdjson-dev libyaml-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev clang libclang-rt-14-dev clang-format
  python3-torch python3-h5py                 # tests check our files with Python's torch.load and h5py
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" </dev/null
fi

# ccache speeds up rebuilds; these settings let it cache precompiled-header builds too.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"


#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds in Release, runs every test with ctest
# (unit, integration, gui under the offscreen platform, and a bounded fuzzing run).
#   scripts/test.sh [ctest options...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"

#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds in Release, starts the PoseScope app.
#   scripts/start.sh [checkpoint.pth]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "start: built build/gui/posescope, but there is no display to show it on." >&2
  echo "start: run this from a desktop session, or use the headless build/analysis/posescope-cli." >&2
  exit 1
fi
exec build/gui/posescope "$@"

#!/usr/bin/env bash
# tests/gui/screenshots.sh BUILD_DIR OUT_DIR [MODEL_DIR]: pictures of every panel of the desktop app, in English and
# 简体中文, under Xvfb at 1280x800 with a fresh config folder and data made through the panels
# (tests/gui/screenshot_tour.cpp). Saves OUT_DIR/<lang>-<panel>.png and prints the panels the app does not have yet.
# Look at every picture before calling GUI work done.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [MODEL_DIR]" >&2
  exit 2
fi
TOUR=$1/tests/gui/screenshot_tour
[ -x "$TOUR" ] || { echo "screenshots: $TOUR is not built (cmake --build $1)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "screenshots: xvfb-run is missing (installers/setup-debian.sh)" >&2; exit 1; }
mkdir -p "$2"
# A private session bus, so that the keychain lookup fails fast instead of trying to autolaunch one.
exec xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb DBUS_SESSION_BUS_ADDRESS=disabled: \
  "$TOUR" "$2" "${3:-}"

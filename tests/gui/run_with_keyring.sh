#!/bin/sh
# Runs a test inside a private D-Bus session with an unlocked gnome-keyring (Secret Service). Without
# dbus-run-session or gnome-keyring-daemon the test runs as is (and skips when no keychain is reachable).
if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  export SMARTBOT_KEYRING_HOME="$(mktemp -d)"
  exec env HOME="$SMARTBOT_KEYRING_HOME" XDG_DATA_HOME="$SMARTBOT_KEYRING_HOME" dbus-run-session -- sh -c \
    'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "$@"; rc=$?; rm -rf "$SMARTBOT_KEYRING_HOME"; exit $rc' sh "$@"
fi
exec "$@"

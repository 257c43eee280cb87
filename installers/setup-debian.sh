#!/usr/bin/env bash
# Installs every build, run and test dependency of SmartBot on Debian 12 (idempotent).
# Usage: sudo bash installers/setup-debian.sh      (as root: plain bash)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl clang-format
  clang libclang-rt-14-dev libomp-dev llvm  # tests/sanitize: ASan/UBSan + libFuzzer build (OpenMP, symbolizer)
  # Qt 6.4
  qt6-base-dev qt6-httpserver-dev qt6-websockets-dev qt6-tools-dev qt6-l10n-tools qt6-charts-dev
  libqt6sql6-sqlite libqt6sql6-psql qtkeychain-qt6-dev libgl-dev
  libqt6opengl6-dev  # Qt6Charts' CMake package needs Qt6OpenGL's, which qt6-charts-dev does not pull in
  # the desktop app in 简体中文: Qt's own strings (standard dialogs and buttons) and a CJK font to draw them
  qt6-translations-l10n fonts-wqy-microhei
  # engine: libtorch (CPU) with a fast BLAS, JSON, regex
  libtorch-dev libopenblas0-openmp nlohmann-json3-dev libpcre2-dev
  # crypto, JWT, archives
  libssl-dev libjwt-dev libarchive-dev libsqlite3-dev sqlite3 zlib1g-dev  # sqlite3: backups (online backup API), tests
  # tests: offscreen/xvfb GUI, HTTP peers
  xvfb xauth python3 prometheus
  # tests: the .deb (desktop entry check) and the nginx in front of SmartBot (packaging, blue-green upgrades)
  desktop-file-utils nginx-light bc
  # tests: the desktop keychain (a private D-Bus session with gnome-keyring's Secret Service)
  dbus dbus-daemon gnome-keyring
  # storage: PostgreSQL server for [database] driver = postgresql; the tests start their own cluster (initdb + pg_ctl)
  postgresql
  # tests: TLS (test CA and certificates, s_client), HTTPS client (curl is in the toolchain line)
  openssl
  # benchmarks: HTTP load generators for tests/bench/bench_chat_qps.sh
  hey wrk
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm run the official OpenAI client in the tests. Machines that already have a Node.js with its own npm
# (e.g. a NodeSource build) keep it: Debian's npm package would conflict with it.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup-debian: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

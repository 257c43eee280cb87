#!/usr/bin/env bash
# The .deb, built and checked the way an operator meets it (issue 11):
#  1. cmake --build BUILD --target package;
#  2. its control data (Depends, conffiles, maintainer scripts) and its file list with owners and modes;
#  3. the desktop entry (desktop-file-validate), the nginx sample (nginx -t with a test certificate);
#  4. installed for real with dpkg -i into a throwaway copy of this machine (an overlay over / in a private mount
#     namespace, so nothing here changes): the smartbot user, the folders and their modes, systemd-analyze verify and
#     security on the installed unit; then the packaged smartbotd run as user smartbot exactly as the unit runs it,
#     answering chat on the demo model with /etc/smartbot read-only to it; SIGHUP; a drain on SIGTERM (exit 0); the
#     log file; dpkg -r keeps the data, dpkg --purge removes it. Step 4 needs root (CI runs as root); without it the
#     packaged smartbotd runs from the extracted tree instead.
# Usage: test_deb_package.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
WORK=$(mktemp -d /tmp/smartbot-deb-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. Build.
start=$(date +%s.%N)
cmake --build "$BUILD" --target package >"$WORK/package.log" 2>&1 || { cat "$WORK/package.log"; fail "package target"; }
VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
DEB="$BUILD/smartbot_${VERSION}_$(dpkg --print-architecture).deb"
[ -f "$DEB" ] || fail "no $DEB"
printf 'ok: built %s (%s bytes) in %.1f s\n' "$(basename "$DEB")" "$(stat -c %s "$DEB")" \
    "$(echo "$(date +%s.%N) - $start" | bc)"

# 2. Control data.
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = smartbot ] || fail "Package: $(field Package)"
DEPENDS=$(field Depends)
for dep in libtorch1.13 libqt6core6 libqt6httpserver6 libqt6sql6-sqlite qt6-qpa-plugins libqt6keychain1 libssl3 \
    libarchive13 libjwt0 passwd init-system-helpers; do
    grep -q "\b$dep\b" <<<"$DEPENDS" || fail "Depends lacks $dep: $DEPENDS"
done
! grep -q "opencv" <<<"$DEPENDS" || fail "Depends names OpenCV (the highgui stand-in is in the package): $DEPENDS"
# apt install ./smartbot_*.deb on a clean Debian 12 resolves each of them from Debian's archive.
for dep in $(tr ',' '\n' <<<"$DEPENDS" | sed 's/(.*//; s/|.*//' | tr -d ' '); do
    apt-cache show "$dep" >/dev/null 2>&1 || fail "Depends names $dep, which apt does not know"
done
ok "Depends: $(tr ',' '\n' <<<"$DEPENDS" | wc -l) packages, libtorch and Qt 6 among them, no OpenCV"
mkdir -p "$WORK/control"
dpkg-deb -e "$DEB" "$WORK/control"
[ "$(cat "$WORK/control/conffiles")" = /etc/smartbot/server.conf ] || fail "conffiles: $(cat "$WORK/control/conffiles")"
for s in postinst prerm postrm; do
    [ "$(stat -c %a "$WORK/control/$s")" = 755 ] || fail "$s mode $(stat -c %a "$WORK/control/$s")"
    sh -n "$WORK/control/$s" || fail "$s: shell syntax"
done
ok "conffiles and maintainer scripts"

# The file list: owner, mode and path of every regular file, against what the package must hold, exactly.
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print $1, $2, $6}' | sort -k3 >"$WORK/files"
cat >"$WORK/expected" <<'LIST'
-rw-r----- root/root ./etc/smartbot/server.conf
-rw-r--r-- root/root ./lib/systemd/system/smartbotd.service
-rwxr-xr-x root/root ./usr/bin/smartbot
-rwxr-xr-x root/root ./usr/bin/smartbotd
-rw-r--r-- root/root ./usr/lib/smartbot/libopencv_highgui.so.406
-rw-r--r-- root/root ./usr/share/applications/smartbot.desktop
-rw-r--r-- root/root ./usr/share/doc/smartbot/README.md
-rw-r--r-- root/root ./usr/share/doc/smartbot/copyright
-rw-r--r-- root/root ./usr/share/doc/smartbot/examples/nginx-smartbot.conf
-rw-r--r-- root/root ./usr/share/icons/hicolor/256x256/apps/smartbot.png
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/LICENSE
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/README.md
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/config.json
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/generation_config.json
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/model.safetensors
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/special_tokens_map.json
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/tokenizer.json
-rw-r--r-- root/root ./usr/share/smartbot/models/stories260K/tokenizer_config.json
LIST
if ! grep -q libopencv_highgui "$WORK/files" && ! readelf -d "$BUILD/server/daemon/smartbotd" | grep -q highgui; then
    sed -i '/libopencv_highgui/d' "$WORK/expected" # a libtorch without the OpenCV over-linking needs no stand-in
fi
diff -u "$WORK/expected" "$WORK/files" || fail "the package's files differ from the expected list (above)"
ok "$(wc -l <"$WORK/files") files with their owners and modes"

ROOT="$WORK/root"
dpkg-deb -x "$DEB" "$ROOT"
for exe in smartbot smartbotd; do
    runpath=$(readelf -d "$ROOT/usr/bin/$exe" | sed -n 's/.*RUNPATH.*\[\(.*\)\]/\1/p')
    [ -z "$runpath" ] || [ "$runpath" = '$ORIGIN/../lib/smartbot' ] || fail "$exe RUNPATH $runpath (a build path?)"
    ! readelf -S "$ROOT/usr/bin/$exe" | grep -q '\.debug_info' || fail "$exe is not stripped"
done
ok "binaries stripped, RUNPATH relative"

# 3. Desktop entry and nginx sample.
desktop-file-validate "$ROOT/usr/share/applications/smartbot.desktop" || fail "desktop entry"
ok "desktop entry valid"
NG="$WORK/nginx"
mkdir -p "$NG/logs" "$NG/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -keyout "$NG/key.pem" -out "$NG/cert.pem" 2>/dev/null
sed -e "s#/etc/ssl/smartbot/fullchain.pem#$NG/cert.pem#; s#/etc/ssl/smartbot/privkey.pem#$NG/key.pem#" \
    "$ROOT/usr/share/doc/smartbot/examples/nginx-smartbot.conf" >"$NG/site.conf"
cat >"$NG/nginx.conf" <<CONF
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $NG/tmp/body;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    include $NG/site.conf;
}
CONF
nginx -t -q -p "$NG" -c "$NG/nginx.conf" 2>"$NG/t.log" || { cat "$NG/t.log"; fail "nginx -t on the sample"; }
ok "nginx -t accepts the sample site"

# 4. The packaged daemon, as the service runs it.
chat_demo() { # PORT DATA_DIR: a token from the admin key, then one chat reply on the demo model
    local port=$1 data=$2 admin token reply
    admin=$(cat "$data/admin.key")
    token=$(curl -sf -H "X-API-Key: $admin" -H 'Content-Type: application/json' -d '{"username":"deb-test"}' \
        "http://127.0.0.1:$port/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    reply=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d '{"message":"Once upon a time","max_tokens":8}' "http://127.0.0.1:$port/api/v1/chat")
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["reply"].strip(), r; print("reply:", r["reply"][:60])' \
        "$reply"
}
wait_ready() { # PORT
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
    echo "note: not root: dpkg -i into an overlay needs it; running the extracted smartbotd instead"
    ETC="$WORK/etc"
    mkdir -p "$ETC"
    sed -e "s#/var/lib/smartbot#$WORK/var/lib/smartbot#g; s#/var/log/smartbot#$WORK/var/log/smartbot#g" \
        "$ROOT/etc/smartbot/server.conf" >"$ETC/server.conf"
    chmod 555 "$ETC"
    PORT=$(free_port)
    "$ROOT/usr/bin/smartbotd" serve --config "$ETC" --port "$PORT" >"$WORK/serve.log" 2>&1 &
    PIDS+=($!)
    wait_ready "$PORT" || { cat "$WORK/serve.log"; fail "extracted smartbotd not ready"; }
    chat_demo "$PORT" "$WORK/var/lib/smartbot" || { cat "$WORK/serve.log"; fail "chat"; }
    ok "extracted smartbotd serves the demo model"
    exit 0
fi

export DEB SRC PORT=$(free_port)
unshare --mount --fork bash -euo pipefail -s "$WORK" <<'INNER' || fail "dpkg -i into an overlay (above)"
WORK=$1
O="$WORK/overlay"
mkdir -p "$O"
mount -t tmpfs tmpfs "$O"
mkdir -p "$O/upper" "$O/work" "$O/merged"
mount -t overlay overlay -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$O/merged"
M="$O/merged"
mount -t proc proc "$M/proc"
mount --rbind /dev "$M/dev"
mount -t tmpfs tmpfs "$M/run"
mount -t tmpfs tmpfs "$M/tmp"
cp "$DEB" "$M/tmp/smartbot.deb"
in_root() { chroot "$M" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

in_root dpkg -i /tmp/smartbot.deb >"$WORK/dpkg-i.log" 2>&1 || { cat "$WORK/dpkg-i.log"; fail "dpkg -i"; }
ok "dpkg -i"
in_root getent passwd smartbot | grep -q ':/var/lib/smartbot:/usr/sbin/nologin$' || fail "user smartbot: $(in_root getent passwd smartbot)"
[ "$(in_root id -u smartbot)" -lt 1000 ] || fail "smartbot is not a system user"
check_mode() { # PATH MODE OWNER:GROUP
    local got
    got="$(in_root stat -c '%a %U:%G' "$1")"
    [ "$got" = "$2 $3" ] || fail "$1 is $got, not $2 $3"
}
check_mode /etc/smartbot 750 root:smartbot
check_mode /etc/smartbot/server.conf 640 root:smartbot
check_mode /var/lib/smartbot 700 smartbot:smartbot
check_mode /var/lib/smartbot/models 700 smartbot:smartbot
check_mode /var/lib/smartbot/backups 700 smartbot:smartbot
check_mode /var/log/smartbot 2750 smartbot:adm
ok "user smartbot (system, no login) and the folders' owners and modes"

in_root systemd-analyze verify /lib/systemd/system/smartbotd.service 2>"$WORK/verify.log" || true
if grep -v "^$" "$WORK/verify.log" | grep -q .; then cat "$WORK/verify.log"; fail "systemd-analyze verify"; fi
ok "systemd-analyze verify: no complaint"
exposure=$(in_root systemd-analyze security --offline=yes /lib/systemd/system/smartbotd.service 2>/dev/null |
    sed -n 's/.*Overall exposure level for smartbotd.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure level"
awk "BEGIN { exit !($exposure <= 2.0) }" || fail "exposure $exposure (more than 2.0)"
ok "systemd-analyze security: exposure $exposure of 10 (lower is safer)"

# The service's command line, as its user, with its umask; the port moved off 18789 for the test.
exec_start=$(sed -n 's/^ExecStart=//p' "$M/lib/systemd/system/smartbotd.service")
[ "$exec_start" = "/usr/bin/smartbotd serve --config /etc/smartbot" ] || fail "ExecStart=$exec_start"
conf_before=$(sha256sum "$M/etc/smartbot/server.conf")
chroot "$M" setpriv --reuid=smartbot --regid=smartbot --init-groups --reset-env -- bash -c \
    "umask 0027; exec $exec_start --port $PORT" >"$WORK/service.log" 2>&1 &
SERVICE=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$WORK/service.log"; fail "the service did not get ready"; }
admin=$(cat "$M/var/lib/smartbot/admin.key")
token=$(curl -sf -H "X-API-Key: $admin" -H 'Content-Type: application/json' -d '{"username":"deb-test"}' \
    "http://127.0.0.1:$PORT/admin/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
reply=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"message":"Once upon a time","max_tokens":8}' "http://127.0.0.1:$PORT/api/v1/chat")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["reply"].strip(), r; print("ok: chat on the demo model:", repr(r["reply"][:50]))' "$reply"
check_mode /var/lib/smartbot/admin.key 600 smartbot:smartbot
check_mode /var/lib/smartbot/auth/secret.key 400 smartbot:smartbot
check_mode /var/lib/smartbot/smartbot.db 600 smartbot:smartbot
[ "$(sha256sum "$M/etc/smartbot/server.conf")" = "$conf_before" ] || fail "the service changed server.conf"
[ "$(ls -A "$M/etc/smartbot")" = server.conf ] || fail "the service wrote into /etc/smartbot: $(ls -A "$M/etc/smartbot")"
ok "state in /var/lib/smartbot with private modes; /etc/smartbot untouched"
kill -HUP "$SERVICE"
sleep 0.5
grep -q "SIGHUP: server.conf: nothing to apply; TLS is off" "$WORK/service.log" || { cat "$WORK/service.log"; fail "no SIGHUP answer in the log"; }
kill -0 "$SERVICE" || fail "SIGHUP ended the service"
kill -TERM "$SERVICE"
rc=0
wait "$SERVICE" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/service.log"; fail "SIGTERM: exit $rc, not a clean drain"; }
grep -q "request .* /api/v1/chat 200" "$M/var/log/smartbot/smartbot.log" || fail "no request line in /var/log/smartbot/smartbot.log"
check_mode /var/log/smartbot/smartbot.log 640 smartbot:adm
ok "SIGHUP answered, SIGTERM drained (exit 0), request lines in /var/log/smartbot/smartbot.log (640, group adm)"

in_root dpkg -r smartbot >"$WORK/dpkg-r.log" 2>&1 || { cat "$WORK/dpkg-r.log"; fail "dpkg -r"; }
[ ! -e "$M/usr/bin/smartbotd" ] || fail "dpkg -r left /usr/bin/smartbotd"
[ -f "$M/var/lib/smartbot/smartbot.db" ] && [ -f "$M/etc/smartbot/server.conf" ] || fail "dpkg -r removed data or the conffile"
in_root dpkg --purge smartbot >"$WORK/dpkg-p.log" 2>&1 || { cat "$WORK/dpkg-p.log"; fail "dpkg --purge"; }
[ ! -e "$M/var/lib/smartbot" ] && [ ! -e "$M/var/log/smartbot" ] && [ ! -e "$M/etc/smartbot" ] || fail "purge left state behind"
ok "dpkg -r keeps the data and server.conf; dpkg --purge removes them"
INNER
ok "all package checks passed"

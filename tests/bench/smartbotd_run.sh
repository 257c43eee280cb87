# shellcheck shell=bash
# Sourced by the load scripts in tests/bench (bench_chat_qps.sh, soak.sh): one way to start a throw-away smartbotd on
# a loopback port, get a chat token from it and stop it on exit.
#
#   source "$(dirname "$0")/smartbotd_run.sh"
#   smartbotd_prepare                 # CONF, WORK, LOG: temporary folders/file; the EXIT trap stops and removes all
#   cat >"$CONF/server.conf" <<...    # optional settings
#   smartbotd_start SMARTBOTD MODEL   # PID, PORT, BASE once the model is ready (30 s at most), else exits 1
#   TOKEN=$(smartbotd_token NAME)     # a JWT from POST /admin/token, or exits 1
# Callers may add background loaders to the LOADERS array; they are killed first on exit.

smartbotd_prepare() {
    CONF=$(mktemp -d)
    WORK=$(mktemp -d)
    LOG=$WORK/smartbotd.log
    PID=""
    LOADERS=()
    chmod 700 "$CONF"
    trap _smartbotd_cleanup EXIT
    trap 'exit 130' INT TERM
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
_smartbotd_cleanup() {
    local rc=$?
    for p in "${LOADERS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        # Bounded wait for the drain, then force.
        for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$PID" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    if [ "$rc" -ne 0 ] && [ -f "$LOG" ]; then
        echo "--- smartbotd log (last 20 lines) ---" >&2
        tail -n 20 "$LOG" >&2 || true
    fi
    rm -rf "$CONF" "$WORK"
    exit "$rc"
}

smartbotd_start() {
    "$1" serve --config "$CONF" --model "$2" --port 0 >"$WORK/stdout.log" 2>"$LOG" &
    PID=$!
    PORT=""
    for _ in $(seq 1 300); do # up to 30 s
        kill -0 "$PID" 2>/dev/null || { echo "error: smartbotd exited during startup" >&2; exit 1; }
        if grep -q ' ready' "$LOG" 2>/dev/null; then
            PORT=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$LOG" | head -n 1)
            break
        fi
        sleep 0.1
    done
    [ -n "$PORT" ] || { echo "error: smartbotd did not report ready / its port within 30 s" >&2; exit 1; }
    BASE=http://127.0.0.1:$PORT
}

smartbotd_token() {
    local json token
    json=$(curl -s -X POST "$BASE/admin/token" -H "X-API-Key: $(cat "$CONF/admin.key")" \
        -H 'Content-Type: application/json' -d "{\"username\":\"$1\"}")
    token=$(printf '%s' "$json" | sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
    [ -n "$token" ] || { echo "error: no token from /admin/token: $json" >&2; exit 1; }
    printf '%s' "$token"
}

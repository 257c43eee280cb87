#!/usr/bin/env bash
# Soak: a mixed load on smartbotd for a while, printing its memory and file descriptors every 30 s, so that growth
# that only shows over minutes (issue 16, item 10) can be seen. Prints figures; asserts nothing.
#
#   tests/bench/soak.sh build/server/daemon/smartbotd ../shared/models/stories260K [SECONDS]   (default 600)
#
# Load, all on loopback and bounded by SECONDS:
#   - hey: POST /api/v1/chat (32 tokens), concurrency SOAK_CHAT_CONCURRENCY (16);
#   - streamed chat requests that the client drops after the first bytes, SOAK_DROP_CONCURRENCY (4) at a time;
#   - a new keep-alive client every few seconds that sends half a request and goes silent.
# Each line: elapsed s, RSS MiB, peak RSS MiB, open fds, threads, KV cache in use (running sequences + prefix cache,
# from /metrics), requests answered so far. SMARTBOT_SOAK_CONF: extra server.conf lines (e.g. "[model]\nprefix_cache = false").
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SMARTBOTD MODEL_DIR [SECONDS]" >&2
    exit 2
fi
SMARTBOTD=$1
MODEL_DIR=$2
SECONDS_TOTAL=${3:-600}
INTERVAL=${SOAK_INTERVAL:-30}
CHAT_C=${SOAK_CHAT_CONCURRENCY:-16}
DROP_C=${SOAK_DROP_CONCURRENCY:-4}

[ -d "$MODEL_DIR" ] || { echo "SKIP: model folder $MODEL_DIR not found"; exit 0; }
command -v hey >/dev/null 2>&1 || { echo "SKIP: hey not installed (apt-get install hey)"; exit 0; }
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is needed" >&2; exit 2; }
[ -x "$SMARTBOTD" ] || { echo "error: $SMARTBOTD is not an executable" >&2; exit 2; }

# shellcheck source=tests/bench/smartbotd_run.sh
source "$(dirname "$0")/smartbotd_run.sh"
smartbotd_prepare

cat >"$CONF/server.conf" <<'CONF'
[limits]
max_queue = 4096
[network]
max_connections = 2048
max_connections_per_address = 2048
CONF
[ -n "${SMARTBOT_SOAK_CONF:-}" ] && printf '%b\n' "$SMARTBOT_SOAK_CONF" >>"$CONF/server.conf"

smartbotd_start "$SMARTBOTD" "$MODEL_DIR"
TOKEN=$(smartbotd_token soak) || exit 1

hey -z "${SECONDS_TOTAL}s" -c "$CHAT_C" -m POST -H "Authorization: Bearer $TOKEN" -T application/json \
    -d '{"message":"Once upon a time","max_tokens":32}' "$BASE/api/v1/chat" >"$WORK/hey.txt" 2>&1 &
LOADERS+=($!)

# Dropped streams and half-sent requests, from one Python process (bounded by SECONDS_TOTAL).
python3 - "$PORT" "$TOKEN" "$SECONDS_TOTAL" "$DROP_C" >"$WORK/drops.txt" 2>&1 <<'PY' &
import json, socket, sys, threading, time
port, token, total, workers = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
end = time.time() + total
body = json.dumps({"message": "Once upon a time", "max_tokens": 200, "stream": True, "temperature": 1.0}).encode()
head = (f"POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
dropped = 0
lock = threading.Lock()
def drop_loop():
    global dropped
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head + body)
            s.recv(256)  # the first bytes of the stream, then gone
            s.close()
            with lock:
                dropped += 1
        except OSError:
            time.sleep(0.1)
def half_loop():
    held = []
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")
            held.append(s)
        except OSError:
            pass
        held = held[-50:]
        time.sleep(2)
threads = [threading.Thread(target=drop_loop) for _ in range(workers)] + [threading.Thread(target=half_loop)]
for t in threads: t.start()
for t in threads: t.join()
print(f"dropped streams: {dropped}")
PY
LOADERS+=($!)

sample() {
    local rss hwm fds threads metrics requests kv
    metrics=$(curl -s "$BASE/metrics")
    requests=$(printf '%s\n' "$metrics" | awk '/^smartbot_http_requests_total/ {s += $NF} END {printf "%d", s}')
    kv=$(printf '%s\n' "$metrics" | awk '/^smartbot_kv_cache_bytes/ {s += $NF} END {printf "%.1f", s / 1048576}')
    rss=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status")
    hwm=$(awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PID/status")
    threads=$(awk '/^Threads/ {print $2}' "/proc/$PID/status")
    fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    printf '%6d s  RSS %7s MiB  peak %7s MiB  fds %5d  threads %3d  KV cache %6s MiB  requests %s\n' "$1" "$rss" \
        "$hwm" "$fds" "$threads" "$kv" "$requests"
}
echo "soak: smartbotd pid $PID on port $PORT for ${SECONDS_TOTAL} s (chat c=$CHAT_C, dropped streams c=$DROP_C)"
sample 0
START=$(date +%s)
while :; do
    NOW=$(date +%s)
    ELAPSED=$((NOW - START))
    [ "$ELAPSED" -ge "$SECONDS_TOTAL" ] && break
    sleep $((INTERVAL < SECONDS_TOTAL - ELAPSED ? INTERVAL : SECONDS_TOTAL - ELAPSED))
    sample $(($(date +%s) - START))
done
wait "${LOADERS[@]}" 2>/dev/null || true
sleep 2
echo "after the load:"
sample $(($(date +%s) - START))
grep -E 'Requests/sec|Status code distribution' -A3 "$WORK/hey.txt" | head -n 8 || true
cat "$WORK/drops.txt"

#!/usr/bin/env bash
# Load benchmark for smartbotd over loopback. Prints figures; asserts nothing about speed.
#
#   tests/bench/bench_chat_qps.sh build/server/daemon/smartbotd ../shared/models/stories260K
#
# 1. POST /api/v1/chat, concurrency 64, 10 s: requests/s, p50, p99, non-200 count
# 2. POST /api/v1/chat at a fixed ~500 QPS (hey -c 50 -q 10), 10 s: p50, p99, non-200 count
# 3. GET /healthz, concurrency 64, 5 s: requests/s (wrk when installed, otherwise hey)
# Needs hey (Debian package `hey`); wrk (package `wrk`) is optional. Prints "SKIP: ..." and
# exits 0 when the model folder or hey is missing. The daemon is killed on exit.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 SMARTBOTD MODEL_DIR" >&2
    exit 2
fi
SMARTBOTD=$1
MODEL_DIR=$2

if [ ! -d "$MODEL_DIR" ]; then
    echo "SKIP: model folder $MODEL_DIR not found"
    exit 0
fi
if ! command -v hey >/dev/null 2>&1; then
    echo "SKIP: hey not installed (apt-get install hey)"
    exit 0
fi
if [ ! -x "$SMARTBOTD" ]; then
    echo "error: $SMARTBOTD is not an executable" >&2
    exit 2
fi
command -v curl >/dev/null 2>&1 || { echo "error: curl is needed" >&2; exit 2; }

CHAT_C=${BENCH_CHAT_CONCURRENCY:-64}
CHAT_S=${BENCH_CHAT_SECONDS:-10}
RATE_C=${BENCH_RATE_WORKERS:-50}
RATE_Q=${BENCH_RATE_PER_WORKER:-10}
RATE_S=${BENCH_RATE_SECONDS:-10}
HEALTH_C=${BENCH_HEALTH_CONCURRENCY:-64}
HEALTH_S=${BENCH_HEALTH_SECONDS:-5}

# shellcheck source=tests/bench/smartbotd_run.sh
source "$(dirname "$0")/smartbotd_run.sh"
smartbotd_prepare

# Lift the queue and connection caps so the server's limits do not shape the figures.
# Rate limits ([limits] requests_per_minute / tokens_per_minute) are off by default.
cat >"$CONF/server.conf" <<'EOF'
[limits]
max_queue = 4096

[network]
max_connections = 2048
EOF

smartbotd_start "$SMARTBOTD" "$MODEL_DIR"
TOKEN=$(smartbotd_token bench) || exit 1

BODY='{"message":"Once upon a time","max_tokens":32}'
# A sanity request: fail early with a readable answer rather than 10 s of errors.
CODE=$(curl -s -o "$WORK/first.json" -w '%{http_code}' -X POST "$BASE/api/v1/chat" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$BODY")
if [ "$CODE" != 200 ]; then
    echo "error: first chat request answered $CODE: $(cat "$WORK/first.json")" >&2
    exit 1
fi

# hey summary helpers (hey prints latencies in seconds).
hey_rps() { sed -n 's/^[[:space:]]*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
hey_pct_ms() { # file percent
    local s
    s=$(sed -n "s/^[[:space:]]*$2% in \([0-9.]*\) secs.*/\1/p" "$1" | head -n 1)
    if [ -n "$s" ]; then awk -v s="$s" 'BEGIN { printf "%.2f", s * 1000 }'; else echo "n/a"; fi
}
hey_total() { # answered + transport errors
    awk '/^Status code distribution:/ { st = 1; next }
         /^Error distribution:/ { er = 1; st = 0; next }
         st && /\[[0-9]+\]/ { n += $2 }
         er && /\[[0-9]+\]/ { gsub(/[][]/, "", $1); n += $1 }
         END { print n + 0 }' "$1"
}
hey_non200() { # non-200 answers + transport errors
    awk '/^Status code distribution:/ { st = 1; next }
         /^Error distribution:/ { er = 1; st = 0; next }
         st && /\[[0-9]+\]/ && $1 != "[200]" { n += $2 }
         er && /\[[0-9]+\]/ { gsub(/[][]/, "", $1); n += $1 }
         END { print n + 0 }' "$1"
}
hey_codes() { # e.g. "200:1234 503:5"
    awk '/^Status code distribution:/ { st = 1; next }
         /^Error distribution:/ { st = 0; next }
         st && /\[[0-9]+\]/ { gsub(/[][]/, "", $1); printf "%s%s:%s", sep, $1, $2; sep = " " }' "$1"
}

echo "== 1. chat, concurrency $CHAT_C, ${CHAT_S} s"
hey -z "${CHAT_S}s" -c "$CHAT_C" -m POST -T application/json \
    -H "Authorization: Bearer $TOKEN" -d "$BODY" "$BASE/api/v1/chat" >"$WORK/chat.txt" 2>&1
cat "$WORK/chat.txt"

echo "== 2. chat at ~$((RATE_C * RATE_Q)) QPS (hey -c $RATE_C -q $RATE_Q), ${RATE_S} s"
hey -z "${RATE_S}s" -c "$RATE_C" -q "$RATE_Q" -m POST -T application/json \
    -H "Authorization: Bearer $TOKEN" -d "$BODY" "$BASE/api/v1/chat" >"$WORK/rate.txt" 2>&1
cat "$WORK/rate.txt"

echo "== 3. /healthz, concurrency $HEALTH_C, ${HEALTH_S} s"
HEALTH_TOOL=hey
if command -v wrk >/dev/null 2>&1; then
    HEALTH_TOOL=wrk
    THREADS=$(nproc 2>/dev/null || echo 4)
    [ "$THREADS" -gt 8 ] && THREADS=8
    [ "$THREADS" -gt "$HEALTH_C" ] && THREADS=$HEALTH_C
    wrk -t "$THREADS" -c "$HEALTH_C" -d "${HEALTH_S}s" --latency "$BASE/healthz" >"$WORK/health.txt" 2>&1
    cat "$WORK/health.txt"
    HEALTH_RPS=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p' "$WORK/health.txt" | head -n 1)
    HEALTH_BAD=$(sed -n 's/^[[:space:]]*Non-2xx or 3xx responses:[[:space:]]*\([0-9]*\).*/\1/p' "$WORK/health.txt" | head -n 1)
    HEALTH_BAD=${HEALTH_BAD:-0}
    if grep -q 'Socket errors:' "$WORK/health.txt"; then
        HEALTH_SOCK=$(grep 'Socket errors:' "$WORK/health.txt" | grep -o '[0-9][0-9]*' | awk '{ n += $1 } END { print n + 0 }')
        HEALTH_BAD=$((HEALTH_BAD + HEALTH_SOCK))
    fi
else
    hey -z "${HEALTH_S}s" -c "$HEALTH_C" "$BASE/healthz" >"$WORK/health.txt" 2>&1
    cat "$WORK/health.txt"
    HEALTH_RPS=$(hey_rps "$WORK/health.txt")
    HEALTH_BAD=$(hey_non200 "$WORK/health.txt")
fi

echo
echo "RESULT chat_c${CHAT_C}: rps=$(hey_rps "$WORK/chat.txt") p50_ms=$(hey_pct_ms "$WORK/chat.txt" 50) p99_ms=$(hey_pct_ms "$WORK/chat.txt" 99) requests=$(hey_total "$WORK/chat.txt") non200=$(hey_non200 "$WORK/chat.txt") codes=[$(hey_codes "$WORK/chat.txt")]"
echo "RESULT chat_rate$((RATE_C * RATE_Q)): rps=$(hey_rps "$WORK/rate.txt") p50_ms=$(hey_pct_ms "$WORK/rate.txt" 50) p99_ms=$(hey_pct_ms "$WORK/rate.txt" 99) requests=$(hey_total "$WORK/rate.txt") non200=$(hey_non200 "$WORK/rate.txt") codes=[$(hey_codes "$WORK/rate.txt")]"
echo "RESULT healthz_c${HEALTH_C}: rps=${HEALTH_RPS:-n/a} non2xx_or_errors=${HEALTH_BAD:-n/a} tool=$HEALTH_TOOL"
echo "RESULT setup: model=$(basename "$MODEL_DIR") max_tokens=32 port=$PORT cpus=$(nproc 2>/dev/null || echo '?')"
exit 0

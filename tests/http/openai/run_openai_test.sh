#!/usr/bin/env bash
# Runs openai_compat.test.mjs (official OpenAI Node client), ai_sdk.test.mjs (Vercel AI SDK, LangChain JS) and
# agents.test.mjs (OpenAI Agents SDK, LlamaIndex) against a real smartbotd.
# Usage: run_openai_test.sh SMARTBOTD MODEL_DIR WORK_DIR
set -euo pipefail
SMARTBOTD=$1 MODEL_DIR=$2 WORK=$3
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$MODEL_DIR/config.json" ]; then echo "SKIP: $MODEL_DIR is absent"; exit 0; fi
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$NODE_MAJOR" -lt 18 ]; then echo "FAIL: Node.js 18 or newer is needed (installers/setup-debian.sh installs it)"; exit 1; fi
mkdir -p "$WORK"
cp "$HERE/package.json" "$HERE"/*.test.mjs "$WORK/"
cd "$WORK"
if [ ! -d node_modules/openai ] || [ ! -d node_modules/ai ] || [ ! -d node_modules/ajv ] ||
   [ ! -d node_modules/@openai/agents ] || [ ! -d node_modules/@llamaindex/openai ]; then
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
CONF=$(mktemp -d)
LOG="$CONF/smartbotd.log"
printf '[network]\ncors_origins = http://app.example\n[model]\naliases = gpt-4o-mini: default, gpt-3.5-turbo: %s\n' \
  "$(basename "$MODEL_DIR")" >"$CONF/server.conf"
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$CONF"' EXIT
SMARTBOT_ADMIN_KEY= "$SMARTBOTD" serve --config "$CONF" --model "$MODEL_DIR" --port 0 2>"$LOG" &
PID=$!
for _ in $(seq 100); do grep -q " ready" "$LOG" 2>/dev/null && break; sleep 0.1; done
PORT=$(grep -o 'listening on http://[^ ]*' "$LOG" | sed 's/.*://')
URL="http://127.0.0.1:$PORT"
TOKEN=$(curl -sf -X POST "$URL/admin/token" -H "X-API-Key: $(cat "$CONF/admin.key")" \
          -H 'Content-Type: application/json' -d '{"username":"openai-test"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
SMARTBOT_LOG=$LOG SMARTBOT_URL=$URL SMARTBOT_TOKEN=$TOKEN SMARTBOT_MODEL=$(basename "$MODEL_DIR") node --test openai_compat.test.mjs ai_sdk.test.mjs agents.test.mjs

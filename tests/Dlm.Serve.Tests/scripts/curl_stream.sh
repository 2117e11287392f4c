#!/usr/bin/env bash
# curl -N against a running `dlm serve`: health, models, a streamed chat reply in OpenAI's SSE
# chunk format ending with data: [DONE], and an error in OpenAI's JSON. Usage: curl_stream.sh BASE_URL
set -euo pipefail
base="${1:?usage: curl_stream.sh BASE_URL}"
fail() { echo "curl_stream.sh: $*" >&2; exit 1; }

curl -sf --max-time 10 "$base/health" | grep -q '"status":"ok"' || fail "health is not ok"
model=$(curl -sf --max-time 10 "$base/v1/models" | sed -n 's/.*"data":\[{"id":"\([^"]*\)".*/\1/p')
[ -n "$model" ] || fail "no model in /v1/models"

out=$(curl -sN --max-time 30 "$base/v1/chat/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$model\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"temperature\": 0, \"max_tokens\": 8, \"stream\": true}")
events=$(printf '%s\n' "$out" | grep -c '^data: ' || true)
[ "$events" -ge 3 ] || fail "expected several SSE events, got $events: $out"
[ "$(printf '%s\n' "$out" | grep '^data: ' | tail -n 1)" = "data: [DONE]" ] || fail "the stream does not end with data: [DONE]"
printf '%s\n' "$out" | grep -q '"object":"chat.completion.chunk"' || fail "no chat.completion.chunk"
printf '%s\n' "$out" | grep -q '"delta":{"role":"assistant"' || fail "no role delta first"
printf '%s\n' "$out" | grep -Eq '"finish_reason":"(stop|length)"' || fail "no finish_reason"

code=$(curl -s -o /tmp/dlm-curl-err.$$ -w '%{http_code}' --max-time 10 "$base/v1/chat/completions" -H 'Content-Type: application/json' -d '{"messages": [{"role": "robot", "content": "x"}]}')
[ "$code" = 400 ] || fail "unknown role answered $code"
grep -q '"param":"messages\[0\].role"' /tmp/dlm-curl-err.$$ || fail "the error does not name messages[0].role: $(cat /tmp/dlm-curl-err.$$)"
rm -f /tmp/dlm-curl-err.$$
echo "ok: $events events, ends with [DONE]"

#!/usr/bin/env bash
# Two terminal chats in tmux against a real soketi and the chat backend: each sees the other
# online, typing shows and expires, a message crosses, the read receipt turns ✓✓, and a
# SIGKILLed soketi shows the reconnect countdown and recovers without losing either chat.
#
# Env: PUSHER_CHAT (the binary), PUSHER_INTEROP_DIR, CHAT_BACKEND (server.mjs).
# Exit 77 (skip) only when tmux is missing and cannot be installed.
set -euo pipefail

if ! command -v tmux >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null 2>&1 || true
  fi
  command -v tmux >/dev/null || { echo "tmux is not installed and cannot be: skipping"; exit 77; }
fi

: "${PUSHER_CHAT:?}" "${PUSHER_INTEROP_DIR:?}" "${CHAT_BACKEND:?}"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
sock="pusher-e2e-$$"
work=$(mktemp -d)
pids=()

cleanup() {
  tmux -L "$sock" kill-server >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for s in alice bob; do
    echo "---- $s's screen ----"
    tmux -L "$sock" capture-pane -p -t "$s" 2>/dev/null || true
  done
  echo "---- soketi ----"; tail -5 "$work/soketi.log" 2>/dev/null || true
  echo "---- backend ----"; tail -5 "$work/backend.log" 2>/dev/null || true
  exit 1
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

soketi_port=$(free_port)
metrics_port=$(free_port)
start_soketi() {
  (cd "$PUSHER_INTEROP_DIR" && exec env SOKETI_HOST=127.0.0.1 SOKETI_PORT="$soketi_port" \
    SOKETI_METRICS_ENABLED=false SOKETI_METRICS_HOST=127.0.0.1 SOKETI_METRICS_SERVER_PORT="$metrics_port" \
    SOKETI_DEFAULT_APP_ID=app-id SOKETI_DEFAULT_APP_KEY=app-key SOKETI_DEFAULT_APP_SECRET=app-secret \
    SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=true SOKETI_SHUTDOWN_GRACE_PERIOD=100 \
    node node_modules/@soketi/soketi/bin/server.js start >>"$work/soketi.log" 2>&1) &
  soketi_pid=$!
  pids+=("$soketi_pid")
  for _ in $(seq 1 300); do
    curl -fs --noproxy '*' "http://127.0.0.1:$soketi_port/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "soketi did not become ready"
}
start_soketi

node "$CHAT_BACKEND" --port 0 --soketi-port "$soketi_port" >"$work/backend.out" 2>"$work/backend.log" </dev/null &
pids+=("$!")
for _ in $(seq 1 300); do
  backend_port=$(sed -n 's/^READY //p' "$work/backend.out")
  [ -n "$backend_port" ] && break
  sleep 0.1
done
[ -n "${backend_port:-}" ] || fail "the backend did not start"

chat() {  # chat NAME: a chat in its own tmux session, 100x30
  tmux -u -L "$sock" -f /dev/null new-session -d -s "$1" -x 100 -y 30 \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color '$PUSHER_CHAT' --name $1 --host 127.0.0.1 \
     --port $soketi_port --no-tls --key app-key --backend http://127.0.0.1:$backend_port \
     2>>'$work/$1.stderr'"
}
screen() { tmux -u -L "$sock" capture-pane -p -t "$1"; }
wait_for() {  # wait_for NAME TEXT SECONDS
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    screen "$1" | grep -qF -- "$2" && return 0
    sleep 0.2
  done
  fail "$1 never showed '$2' within $3 s"
}
wait_gone() {  # wait_gone NAME TEXT SECONDS
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    screen "$1" | grep -qF -- "$2" || return 0
    sleep 0.2
  done
  fail "$1 still showed '$2' after $3 s"
}
keys() { tmux -u -L "$sock" send-keys -t "$1" -l "$2"; }
enter() { tmux -u -L "$sock" send-keys -t "$1" Enter; }

chat alice
chat bob
echo "online lists"
wait_for alice "Online (2)" 30
wait_for bob "Online (2)" 30

echo "typing shows, then expires"
keys bob "hel"
wait_for alice "bob is typing..." 10
wait_gone alice "bob is typing..." 10

echo "a message crosses, the receipt turns ✓✓"
keys bob "lo from bob"
enter bob
wait_for alice "hello from bob" 10
wait_for bob "hello from bob" 10
wait_for bob "✓✓" 15

echo "soketi SIGKILLed: countdown, then both recover"
kill -9 "$soketi_pid"
wait_for alice "reconnecting in" 15
wait_for bob "reconnecting in" 15
start_soketi
wait_for alice "Online (2)" 45
wait_for bob "Online (2)" 45
keys alice "back again"
enter alice
wait_for bob "back again" 15
keys bob "welcome back"
enter bob
wait_for alice "welcome back" 15
echo "1 passed, 0 failed"

#!/usr/bin/env bash
# Renders docs/screen.png (and .svg) from the real TUI: builds kycwatch, runs
# it in tmux, sends a signed lifecycle with curl, plays a simulated session
# from the keyboard (n, enter, a), captures the pane with its
# colours and draws it. Needs tmux, curl, openssl, and rsvg-convert
# (Debian: librsvg2-bin) for the PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${W:-120} H=${H:-34}
tmp=$(mktemp -d)
trap 'tmux -S "$tmp/sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/kycwatch" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=demo-secret key=0b6c7ad2-1111-2222-3333-9a8b7c6d5e4f
tmux -S "$tmp/sock" new-session -d -s shot -x "$W" -y "$H" \
  "env -u NGROK_AUTHTOKEN HOME=$tmp COLORTERM=truecolor TERM=xterm-256color $tmp/kycwatch --addr 127.0.0.1:$port --db $tmp/k.db --secret $secret --api-key $key --sim-start-after 700ms --sim-submit-after 1500ms"
sleep 1
send() { # file path [secret]
  local sig; sig=$(openssl dgst -sha256 -hmac "${3:-$secret}" -r < "$1" | cut -d' ' -f1)
  curl -s -o /dev/null -X POST "http://127.0.0.1:$port$2" -H 'Content-Type: application/json' \
    -H "X-AUTH-CLIENT: $key" -H "X-HMAC-SIGNATURE: $sig" --data-binary @"$1"
}
p=testdata/payloads
send $p/veriff-decision-review.json /veriff/decisions; sleep 0.3
send $p/veriff-watchlist-camel.json /veriff/watchlist; sleep 0.3
send $p/veriff-event-7001-started.json /veriff/events; sleep 1.2
send $p/veriff-event-7002-submitted.json /veriff/events; sleep 0.4
send $p/veriff-decision-declined.json /veriff/decisions wrong-secret; sleep 0.3
send $p/veriff-event-7002-submitted.json /veriff/events; sleep 0.5
send $p/veriff-decision-approved.json /veriff/decisions; sleep 0.5
# A simulated session from the keyboard (N: with keys set, n would call
# Veriff's API), enter, then approve it.
tmux -S "$tmp/sock" send-keys -t shot N; sleep 0.3
tmux -S "$tmp/sock" send-keys -t shot Enter; sleep 2.8
tmux -S "$tmp/sock" send-keys -t shot a; sleep 1
tmux -S "$tmp/sock" capture-pane -e -p -t shot > "$tmp/screen.ans"
go run ./internal/ansisvg -title "kycwatch — $W×$H" < "$tmp/screen.ans" > docs/screen.svg
if command -v rsvg-convert >/dev/null; then
  rsvg-convert -o docs/screen.png docs/screen.svg
fi
echo "wrote docs/screen.svg$(command -v rsvg-convert >/dev/null && echo " and docs/screen.png")"

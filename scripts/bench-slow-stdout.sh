#!/usr/bin/env bash
# Headless kycwatch whose stdout stops reading for 4 s: a flood of 3 s (16
# connections, unpaced) must still be answered at once, and every line must
# come out afterwards. Run from the project root (needs ../shared/bench/load,
# python3, curl). Prints the load result and the lines counted.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
go build -o "$tmp/kycwatch" "$here" || exit 1
(cd "$here/../shared/bench/load" && go build -o "$tmp/load" .) || exit 1
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
# The reader sleeps 4 s before reading anything, then counts the lines.
( "$tmp/kycwatch" --headless --no-tunnel --addr 127.0.0.1:$port --secret load-secret --api-key load-key --db "$tmp/k.db" 2>"$tmp/err" \
  | (sleep 4; wc -l > "$tmp/lines") ) &
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.1; done
"$tmp/load" -url http://127.0.0.1:$port/veriff/events -c 16 -d 3s > "$tmp/load.json"
sleep 3 # the reader wakes, and catches up
pkill -INT -f -- "--db $tmp/k.db"
for i in $(seq 100); do [ -s "$tmp/lines" ] && break; sleep 0.1; done
echo "load $(cat "$tmp/load.json"); lines printed $(cat "$tmp/lines")"
rm -rf "$tmp"

#!/usr/bin/env bash
# The floor of ../shared/bench/tui-flood.sh's key-to-screen figure on this
# machine: under the same flood (16 connections, unpaced, against headless
# kycwatch, so no TUI at all), the time its probe takes at the least, one
# `tmux send-keys` and one `tmux capture-pane | grep`, on an idle pane that
# has nothing to draw. Whatever an app does, tui-flood.sh cannot measure it
# below this. Run from the project root (needs ../shared/bench/load, tmux,
# python3, curl). N=20 probes.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); N=${N:-20}
go build -o "$tmp/kycwatch" "$here" || exit 1
(cd "$here/../shared/bench/load" && go build -o "$tmp/load" .) || exit 1
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$tmp/kycwatch" --headless --no-tunnel --addr 127.0.0.1:$port --secret load-secret --api-key load-key --db "$tmp/k.db" >/dev/null 2>&1 & k=$!
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
tmux kill-session -t kwfloor 2>/dev/null
tmux new-session -d -s kwfloor -x 160 -y 45 "cat"
"$tmp/load" -url "http://127.0.0.1:$port/veriff/events" -c 16 -d $((N / 2 + 4))s > "$tmp/load.json" & lp=$!
sleep 2
for i in $(seq "$N"); do
  t0=$(date +%s%N); tmux send-keys -t kwfloor x; tmux capture-pane -p -t kwfloor | grep -q x
  echo $(( ($(date +%s%N) - t0) / 1000000 )); sleep 0.4
done > "$tmp/lat"
wait $lp; kill $k; wait $k 2>/dev/null
tmux kill-session -t kwfloor
echo "load $(cat "$tmp/load.json")"
sort -n "$tmp/lat" | awk '{a[NR]=$1} END {printf "tmux probe floor under the flood (send-keys + one capture, idle pane): ms median %s max %s (n=%d)\n", a[int((NR+1)/2)], a[NR], NR}'
rm -rf "$tmp"

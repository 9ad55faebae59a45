#!/usr/bin/env bash
# Ingest with the TUI open against headless, under the same flood as
# ../shared/bench/tui-flood.sh (16 connections, unpaced, D=12 s, the TUI in
# tmux at 160x45), alternating ROUNDS times so the two share the machine's
# noise. Run from the project root (needs ../shared/bench/load, tmux, python3,
# curl). Prints each round and the mean shortfall of the TUI against headless.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); D=${D:-12}; C=${C:-16}; ROUNDS=${ROUNDS:-2}
go build -o "$tmp/kycwatch" "$here" || exit 1
(cd "$here/../shared/bench/load" && go build -o "$tmp/load" .) || exit 1
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
up() { for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; return 1; }
flags() { echo "--no-tunnel --addr 127.0.0.1:$1 --secret load-secret --api-key load-key --db $tmp/$2.db"; }
for r in $(seq "$ROUNDS"); do
  p=$(free_port)
  "$tmp/kycwatch" --headless $(flags "$p" h$r) >/dev/null 2>"$tmp/err" & k=$!
  up "$p"
  "$tmp/load" -url "http://127.0.0.1:$p/veriff/events" -c "$C" -d "${D}s" > "$tmp/h.$r"
  kill $k; wait $k 2>/dev/null
  p=$(free_port)
  tmux kill-session -t kwvs 2>/dev/null
  tmux new-session -d -s kwvs -x 160 -y 45 "$tmp/kycwatch $(flags "$p" t$r); sleep 30"
  up "$p"
  "$tmp/load" -url "http://127.0.0.1:$p/veriff/events" -c "$C" -d "${D}s" > "$tmp/t.$r"
  tmux send-keys -t kwvs q; sleep 1; tmux kill-session -t kwvs 2>/dev/null
  echo "round $r: headless $(cat "$tmp/h.$r") tui $(cat "$tmp/t.$r") (load $(cut -d' ' -f1 /proc/loadavg))"
done
python3 - "$tmp" "$ROUNDS" <<'PY'
import json,sys
t,n=sys.argv[1],int(sys.argv[2])
h=[json.load(open("%s/h.%d"%(t,r)))["rps"] for r in range(1,n+1)]
u=[json.load(open("%s/t.%d"%(t,r)))["rps"] for r in range(1,n+1)]
s=[1-b/a for a,b in zip(h,u)]
print("tui vs headless: headless %s/s, tui %s/s; the TUI is %s lower (mean %.0f %%)" % (h, u, ["%.0f %%"%(100*x) for x in s], 100*sum(s)/n))
PY
rm -rf "$tmp"

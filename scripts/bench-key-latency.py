#!/usr/bin/env python3
"""Key to screen under a flood, measured at the terminal: kycwatch runs in a
pseudo-terminal of 160x45 that this script reads all the time, as a terminal
emulator would, while ../shared/bench/load floods it (16 connections,
unpaced). It presses ? and / in turn (Escape between) and times each from the
byte written to the moment the help screen or the filter line (its placeholder) has been
written back. Unlike ../shared/bench/tui-flood.sh, no tmux client process is
started per probe, so the figure is kycwatch's own, not the time tmux takes
to spawn under load.

Run from the project root:  python3 scripts/bench-key-latency.py [N=20]
Needs go (it builds kycwatch and the load tool) and a free port.
"""
import fcntl, json, os, pty, re, socket, statistics, struct, subprocess, sys, tempfile, termios, threading, time

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
load_dir = os.path.join(here, "..", "shared", "bench", "load")
n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
tmp = tempfile.mkdtemp()
kw, load = os.path.join(tmp, "kycwatch"), os.path.join(tmp, "load")
subprocess.run(["go", "build", "-o", kw, "."], cwd=here, check=True)
subprocess.run(["go", "build", "-o", load, "."], cwd=load_dir, check=True)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()

pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm-256color"
    os.execv(kw, [kw, "--no-tunnel", "--addr", "127.0.0.1:%d" % port, "--secret", "load-secret",
                  "--api-key", "load-key", "--db", os.path.join(tmp, "k.db")])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, 0, 0))

ansi = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
lock = threading.Lock()
seen = bytearray()  # the output since the last probe, escape sequences removed
wrote = [0]


def reader():
    while True:
        try:
            b = os.read(fd, 1 << 16)
        except OSError:
            return
        if not b:
            return
        with lock:
            seen.extend(ansi.sub(b"", b))


threading.Thread(target=reader, daemon=True).start()


def wait_for(text, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with lock:
            if text in seen:
                return True
        time.sleep(0.0005)
    return False


if not wait_for(b"127.0.0.1:%d" % port, 10):
    sys.exit("kycwatch did not start")
flood = subprocess.Popen([load, "-url", "http://127.0.0.1:%d/veriff/events" % port, "-c", "16",
                          "-d", "%ds" % (n + 6)], stdout=subprocess.PIPE)
time.sleep(2)
lat = []
for i in range(n):
    key, text = (b"?", b"marks") if i % 2 == 0 else (b"/", b"kind:dec")
    with lock:
        seen.clear()
    t0 = time.monotonic()
    os.write(fd, key)
    ok = wait_for(text)
    lat.append((time.monotonic() - t0) * 1000 if ok else float("inf"))
    os.write(fd, b"\x1b")
    time.sleep(0.4)
out = json.loads(flood.communicate()[0])
os.write(fd, b"q")
time.sleep(0.5)
lat.sort()
print("load %s" % json.dumps(out))
print("key to screen at the terminal under the flood: ms median %.1f p90 %.1f max %.1f (n=%d)" %
      (statistics.median(lat), lat[int(0.9 * (len(lat) - 1))], lat[-1], len(lat)))
subprocess.run(["rm", "-rf", tmp])

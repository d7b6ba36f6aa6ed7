#!/usr/bin/env python3
"""Startup-to-first-frame of the console with the endpoint down and a cache present.

    benches/startup-offline.py [RUNS] [BIN]     (default 5 runs, target/debug/ssmdeck)

Fills the cache once against `ssmdeck sim --seed 7`, stops the simulator (connection refused),
then starts the console RUNS times in a pseudo-terminal and prints, per run, the time from
spawn to the first frame and to the first frame showing the cached fleet ("cached" + node ids).
"""
import fcntl, os, pty, select, signal, struct, subprocess, sys, tempfile, termios, time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BIN = sys.argv[2] if len(sys.argv) > 2 else "target/debug/ssmdeck"
tmp = tempfile.mkdtemp()
env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="x",
           AWS_REGION="us-east-1", SSMDECK_CACHE_DIR=f"{tmp}/cache",
           SSMDECK_CONFIG_DIR=f"{tmp}/config", SSMDECK_DATA_DIR=f"{tmp}/data",
           TERM="xterm-256color")
for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    env.pop(k, None)


def console(url):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, "--endpoint-url", url, "--regions",
                        "us-east-1,eu-west-1,ap-southeast-2", "--refresh", "3600"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    return pid, fd


def read_until(fd, pred, timeout):
    buf, start = b"", time.monotonic()
    while time.monotonic() - start < timeout:
        r, _, _ = select.select([fd], [], [], 0.01)
        if r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
            if pred(buf):
                return buf
    raise SystemExit(f"timed out; last output: {buf[-400:]!r}")


def stop(pid, fd):
    os.write(fd, b"q")
    for _ in range(100):
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


sim = subprocess.Popen([BIN, "sim", "--seed", "7"], stdout=subprocess.PIPE, text=True)
url = sim.stdout.readline().split()[-1]
pid, fd = console(url)
cache = f"{tmp}/cache"
start = time.monotonic()
while not (os.path.isdir(cache) and any(n.endswith(".bin") for n in os.listdir(cache))):
    read_until(fd, lambda b: True, 1) if select.select([fd], [], [], 0.1)[0] else None
    if time.monotonic() - start > 120:
        raise SystemExit("no cache written")
stop(pid, fd)
sim.terminate()
sim.wait()
print(f"cache filled; endpoint {url} is now down (connection refused)")
print("run first-frame-ms cached-fleet-ms")
for i in range(1, RUNS + 1):
    t0 = time.monotonic()
    pid, fd = console(url)
    out = read_until(fd, lambda b: b"ssmdeck" in b, 10)
    t1 = time.monotonic()
    read_until(fd, lambda b: b"cached" in b and b"i-0" in b, 10)
    t2 = time.monotonic()
    print(f"{i} {1000 * (t1 - t0):.0f} {1000 * (t2 - t0):.0f}")
    stop(pid, fd)

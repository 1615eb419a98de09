"""Start-up to a listening socket: spawns a server command and connects in a tight loop until the
port accepts; prints the best and median of N runs in ms. Usage: startup.py N PORT CMD..."""
import socket
import statistics
import subprocess
import sys
import time

runs, port, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while time.perf_counter() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.05).close()
            break
        except OSError:
            time.sleep(0.0002)
    times.append((time.perf_counter() - t0) * 1000)
    p.kill()
    p.wait()
print("best_ms=%.2f median_ms=%.2f" % (min(times), statistics.median(times)))

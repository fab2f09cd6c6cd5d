"""The web service: POST /v1/query to a running `plan-check serve`, from N keep-alive clients.

    python3 http_query.py PORT SITES_DIR [--clients N] [--limit N] [--server-pid PID]
                          [--answers-dir DIR --answers N] [--at YYYY-MM-DD]

Each client (a thread with one http.client connection, kept alive) takes every N-th site and
POSTs its bytes (read into memory before) to /v1/query?at=DATE with Content-Type
application/geo+json; the latency is from sending the request to the last byte of the answer.
Every answer must be 200. The first --answers answers go to DIR (to compare with the command
line's). Prints the summary line and the server's peak RSS (VmHWM from /proc, since it started).
"""
import http.client
import os
import sys
import threading
import time

import benchlib

port, sites = sys.argv[1:3]
opt = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
clients = int(opt("--clients", "1"))
limit = int(opt("--limit", "0")) or None
server_pid = opt("--server-pid", None)
answers_dir = opt("--answers-dir", None)
keep = int(opt("--answers", "0"))
at = opt("--at", "2026-12-01")

bodies = [(os.path.basename(p), open(p, "rb").read()) for p in benchlib.site_paths(sites, limit)]
latencies = [None] * len(bodies)
errors = []


def client(c, warmup):
    connection = http.client.HTTPConnection("127.0.0.1", int(port))
    mine = range(c, len(bodies), clients)
    for i in (list(mine)[:warmup] if warmup else mine):
        name, body = bodies[i]
        t = time.perf_counter()
        connection.request("POST", f"/v1/query?at={at}", body=body, headers={"Content-Type": "application/geo+json"})
        response = connection.getresponse()
        answer = response.read()
        if warmup:
            continue
        latencies[i] = (time.perf_counter() - t) * 1000
        if response.status != 200:
            errors.append(f"{name}: HTTP {response.status}: {answer[:200]!r}")
        elif answers_dir and i < keep:
            with open(os.path.join(answers_dir, name.replace(".geojson", ".json")), "wb") as f:
                f.write(answer)
    connection.close()


if answers_dir:
    os.makedirs(answers_dir, exist_ok=True)
for warm in (5, 0):
    threads = [threading.Thread(target=client, args=(c, warm)) for c in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
if errors:
    sys.exit("\n".join(errors[:5]))
print(benchlib.summary(latencies, wall, clients=clients,
                       server_peak_rss_kb=benchlib.proc_peak_rss_kb(server_pid) if server_pid else -1))

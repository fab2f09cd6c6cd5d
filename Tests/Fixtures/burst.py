#!/usr/bin/env python3
"""Load for the serve tests: many concurrent raw HTTP/1.1 requests on loopback (stdlib only).

usage: burst.py --port P --pid PID [--concurrency N] [--seconds S | --requests R] SPEC...
SPEC is NAME=FILE: POST /v1/query?at=2026-12-01 with FILE as the body; requests cycle through the
specs. With --requests, that many requests are sent at once (a burst); with --seconds, N clients
each send requests one after another until the time is up (a soak).

Prints one JSON object: statuses, per-spec latencies (ms) of 200 answers, every non-200 answer's
status, Retry-After and the first bytes of its body, and the server's fds (all, and those that
are not sockets) and RSS (kB) sampled every 50 ms while the load runs.
"""
import argparse
import asyncio
import json
import os
import time


def server_state(pid):
    fds = os.listdir(f"/proc/{pid}/fd")
    files = 0
    for fd in fds:
        try:
            if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith(("socket:", "anon_inode:", "pipe:")):
                files += 1
        except OSError:
            pass
    rss = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"fds": len(fds), "file_fds": files, "rss_kb": rss}


async def post(port, body, query):
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (f"POST /v1/query?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/geo+json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        writer.write(head + body)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    elapsed = (time.perf_counter() - start) * 1000
    header, _, payload = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1]) if lines and lines[0].startswith("HTTP/1.1 ") else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, elapsed, headers, payload


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--query", default="at=2026-12-01")
    parser.add_argument("specs", nargs="+")
    args = parser.parse_args()
    specs = [(name, open(path, "rb").read()) for name, _, path in (s.partition("=") for s in args.specs)]

    samples = []
    done = asyncio.Event()

    async def sample():
        while not done.is_set():
            samples.append(server_state(args.pid))
            try:
                await asyncio.wait_for(done.wait(), 0.05)
            except asyncio.TimeoutError:
                pass

    results = []

    async def one(index):
        name, body = specs[index % len(specs)]
        try:
            status, ms, headers, payload = await post(args.port, body, args.query)
        except Exception as error:  # a refused or reset connection is a result too
            status, ms, headers, payload = 0, 0.0, {}, repr(error).encode()
        results.append((name, status, ms, headers.get("retry-after"), headers.get("content-type"), payload[:300]))

    async def client(index, until):
        n = index
        while time.perf_counter() < until:
            await one(n)
            n += args.concurrency

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    if args.requests:
        await asyncio.gather(*(one(i) for i in range(args.requests)))
    else:
        until = started + args.seconds
        await asyncio.gather(*(client(i, until) for i in range(args.concurrency)))
    wall = time.perf_counter() - started
    done.set()
    await sampler

    statuses = {}
    latencies = {}
    others = []
    for name, status, ms, retry, ctype, payload in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 200:
            latencies.setdefault(name, []).append(ms)
        else:
            others.append({"spec": name, "status": status, "retry_after": retry, "content_type": ctype,
                           "body": payload.decode("utf-8", "replace")})

    def percentile(values, p):
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * p))] if values else None

    print(json.dumps({
        "wall_seconds": wall,
        "statuses": statuses,
        "latency_ms": {name: {"n": len(v), "p50": percentile(v, 0.5), "p99": percentile(v, 0.99)}
                       for name, v in latencies.items()},
        "others": others[:50],
        "other_count": len(others),
        "peak": {key: max((s[key] for s in samples), default=0) for key in ("fds", "file_fds", "rss_kb")},
    }))


asyncio.run(main())

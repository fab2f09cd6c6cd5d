"""Soak load for a running `plan-check serve`: N concurrent keep-alive clients per level, each
POSTing a mix of sites to /v1/query for a bounded time; answers/s, latency per site kind, errors by
status, and the server's memory and open files before, during and after each level.

    python3 soak.py --url http://127.0.0.1:PORT --server-pid PID --sites SampleLayers/sites
                    [--levels 1,16,64,1000] [--duration 20] [--settle 5] [--at 2026-12-01]
                    [--seed 1] [--json OUT.json] [--command TEXT]

Standard library only (asyncio streams and a minimal HTTP/1.1 client), loopback only: the URL
must be on 127.0.0.1, ::1 or localhost.

The mix (seeded, the same for every run): the projected sample sites (EPSG:4529, SampleLayers/
sites/ but conditional.geojson), the lon/lat one (conditional.geojson, WGS 84), and two generated
sites inside region R1, 500 and 5 000 small squares (EPSG:4529), drawn with the weights in KINDS.
chemical.geojson is sent with project_type=chemical, as `make sample` queries it. The page's own
GETs are in the mix too: the page, its script and stylesheet, and the outcome zones around region
R1 (GET /v1/zones?bbox=…), as the page's map asks them.

Per request: latency from the first byte sent to the last byte of the answer (connecting is
timed apart). A 503 with Retry-After is counted as shed load, apart from errors, and the client
waits as told (at most until the level ends) before its next request; every other status but
200, a broken connection and a timeout is an error. Clients reconnect after a closed connection.

Server figures come from /proc/PID: VmRSS from status, the entries of fd/, Threads from status;
sampled every 0.25 s during a level (its peak), just before it, and --settle seconds after its
clients have closed their connections.
"""
import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
import urllib.parse

# Kind -> share of the requests. Applicants' sites are mostly one or a few parcels; the generated
# sites of 500 and 5 000 squares are the rare large uploads (one answer of 5 000 squares costs
# about as much CPU as 500 of the sample sites).
# The applicants' page adds GETs of its own: the page and its assets (served from memory, as a
# browser without a cache asks them) and the outcome zones around a site, as the page's map asks.
KINDS = {"projected": 0.55, "lonlat": 0.25, "squares-500": 0.07, "squares-5000": 0.02, "page": 0.06, "zones": 0.05}
LONLAT_SITE = "conditional.geojson"
# Inside region R1 of the sample district (EPSG:4529 metres): the generated sites' squares.
R1_BOX = (41483650.0, 4374800.0, 41485300.0, 4375480.0)
REQUEST_TIMEOUT_S = 120


def squares_site(n):
    """n squares on a grid filling R1_BOX, each half its cell wide, as one FeatureCollection."""
    x0, y0, x1, y1 = R1_BOX
    cols = math.ceil(math.sqrt(n * (x1 - x0) / (y1 - y0)))
    rows = math.ceil(n / cols)
    cell = min((x1 - x0) / cols, (y1 - y0) / rows)
    side = cell / 2
    features = []
    for i in range(n):
        x = x0 + (i % cols) * cell + side / 2
        y = y0 + (i // cols) * cell + side / 2
        ring = [[round(x, 3), round(y, 3)], [round(x + side, 3), round(y, 3)], [round(x + side, 3), round(y + side, 3)],
                [round(x, 3), round(y + side, 3)], [round(x, 3), round(y, 3)]]
        features.append({"type": "Feature", "id": i + 1, "properties": {"N": i + 1},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return json.dumps({"type": "FeatureCollection", "name": f"squares-{n}",
                       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4529"}},
                       "features": features}, separators=(",", ":")).encode()


def load_sites(directory):
    """kind -> [(name, query string, body)]."""
    sites = {kind: [] for kind in KINDS}
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".geojson"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            body = f.read()
        query = "project_type=chemical&" if name == "chemical.geojson" else ""
        sites["lonlat" if name == LONLAT_SITE else "projected"].append((name, query, body))
    for n in (500, 5000):
        sites[f"squares-{n}"].append((f"squares-{n}", "", squares_site(n)))
    # GETs: body None, the query string is the whole path.
    sites["page"] = [(name, path, None) for name, path in (("page", "/"), ("page.js", "/assets/page.js"), ("page.css", "/assets/page.css"))]
    x0, y0, x1, y1 = R1_BOX
    sites["zones"] = [("zones", f"/v1/zones?bbox={x0 - 500},{y0 - 500},{x1 + 500},{y1 + 500}&limit=5000", None)]
    for kind, found in sites.items():
        if not found:
            sys.exit(f"soak.py: no {kind} site in {directory}")
    return sites


def percentile(sorted_values, p):
    """Nearest rank (as the query benchmark computes it)."""
    if not sorted_values:
        return None
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


# --- the server's process ------------------------------------------------------------------------

def server_cpu_s(pid):
    """User + system CPU seconds the process has used (utime and stime of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def server_figures(pid):
    """{"rss_kb", "fds", "threads"} of the process now (None for what cannot be read)."""
    figures = {"rss_kb": None, "fds": None, "threads": None}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    figures["rss_kb"] = int(line.split()[1])
                elif line.startswith("Threads:"):
                    figures["threads"] = int(line.split()[1])
        figures["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return figures


async def sample_peak(pid, stop, peak):
    while not stop.is_set():
        now = server_figures(pid)
        for key, value in now.items():
            if value is not None and (peak.get(key) is None or value > peak[key]):
                peak[key] = value
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except asyncio.TimeoutError:
            pass


# --- HTTP/1.1 client -----------------------------------------------------------------------------

class Closed(Exception):
    """The server closed the connection before a whole answer."""


async def read_answer(reader):
    """(status, headers with lower-cased names, body) of one answer framed by Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise Closed(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(parts[1]), headers, body


class Client:
    def __init__(self, host, port, at, sites, rng, deadline, record):
        self.host, self.port, self.at = host, port, at
        self.sites, self.rng, self.deadline, self.record = sites, rng, deadline, record
        self.reader = self.writer = None
        self.kinds = list(KINDS)
        self.weights = [KINDS[k] for k in self.kinds]

    async def connect(self):
        start = time.perf_counter()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.record["connect_ms"].append((time.perf_counter() - start) * 1000)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.reader = self.writer = None

    async def run(self):
        while time.monotonic() < self.deadline:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            name, query, body = self.rng.choice(self.sites[kind])
            if body is None:
                request = f"GET {query} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
            else:
                request = (f"POST /v1/query?{query}at={self.at} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                           f"Content-Type: application/geo+json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
            phase = "connect"
            try:
                if self.writer is None:
                    await self.connect()
                phase = "request"
                start = time.perf_counter()
                self.writer.write(request)
                await self.writer.drain()
                status, headers, answer = await asyncio.wait_for(read_answer(self.reader), REQUEST_TIMEOUT_S)
                elapsed = (time.perf_counter() - start) * 1000
            except asyncio.TimeoutError:
                self.record["errors"]["timeout"] = self.record["errors"].get("timeout", 0) + 1
                await self.close()
                continue
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, Closed) as error:
                key = f"{phase}: {type(error).__name__}"
                self.record["errors"][key] = self.record["errors"].get(key, 0) + 1
                await self.close()
                await asyncio.sleep(0.05)
                continue
            if status == 200:
                self.record["latency_ms"][kind].append(elapsed)
            elif status == 503 and "retry-after" in headers:
                self.record["shed"] += 1
                wait = min(float(headers["retry-after"] or 1), max(0.0, self.deadline - time.monotonic()))
                await asyncio.sleep(wait)
            else:
                key = f"HTTP {status}"
                self.record["errors"][key] = self.record["errors"].get(key, 0) + 1
                if len(self.record["examples"]) < 5:
                    self.record["examples"].append(f"{name}: HTTP {status}: {answer[:200]!r}")
            if headers.get("connection", "").lower() == "close":
                await self.close()
        await self.close()


async def run_level(clients, args, sites, host, port):
    record = {"latency_ms": {kind: [] for kind in KINDS}, "errors": {}, "shed": 0, "connect_ms": [], "examples": []}
    before = server_figures(args.server_pid)
    cpu_before = server_cpu_s(args.server_pid)
    peak = dict(before)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(args.server_pid, stop, peak))
    start = time.monotonic()
    deadline = start + args.duration
    workers = [Client(host, port, args.at, sites, random.Random(args.seed * 100_003 + c), deadline, record)
               for c in range(clients)]
    await asyncio.gather(*(w.run() for w in workers))
    wall = time.monotonic() - start
    cpu = server_cpu_s(args.server_pid)
    stop.set()
    await sampler
    await asyncio.sleep(args.settle)
    after = server_figures(args.server_pid)

    everything = sorted(v for values in record["latency_ms"].values() for v in values)
    answers = len(everything)
    level = {
        "clients": clients, "seconds": round(wall, 3), "answers": answers,
        "answers_per_s": round(answers / wall, 1),
        "p50_ms": percentile(everything, 50), "p99_ms": percentile(everything, 99), "max_ms": everything[-1] if everything else None,
        "by_kind": {}, "errors": record["errors"], "error_count": sum(record["errors"].values()),
        "shed_503_retry_after": record["shed"], "error_examples": record["examples"],
        "connects": len(record["connect_ms"]),
        "connect_p99_ms": percentile(sorted(record["connect_ms"]), 99),
        "server": {"before": before, "peak": peak, "after": after},
        # Cores the server kept busy on average during the level (1.0 = one core all the time).
        "server_cores_busy": None if cpu is None or cpu_before is None else round((cpu - cpu_before) / wall, 2),
    }
    for kind, values in record["latency_ms"].items():
        values.sort()
        level["by_kind"][kind] = {"answers": len(values), "p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99)}
    return level


# --- report --------------------------------------------------------------------------------------

def ms(value):
    return "–" if value is None else (f"{value:.1f}" if value >= 10 else f"{value:.2f}")


def mb(kb):
    return "?" if kb is None else f"{kb / 1024:.0f}"


def markdown(levels):
    lines = ["| clients | answers | answers/s | p50 ms | p99 ms | errors | 503 + Retry-After | connect p99 ms | server cores busy | RSS MB before / peak / after | fds before / peak / after | threads peak |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--|--|--:|"]
    for level in levels:
        s = level["server"]
        busy = "?" if level["server_cores_busy"] is None else f"{level['server_cores_busy']:.2f}"
        errors = str(level["error_count"]) + ("" if not level["errors"] else " (" + ", ".join(f"{k}: {v}" for k, v in sorted(level["errors"].items())) + ")")
        lines.append(
            f"| {level['clients']} | {level['answers']} | {level['answers_per_s']:.0f} | {ms(level['p50_ms'])} | {ms(level['p99_ms'])} | "
            f"{errors} | {level['shed_503_retry_after']} | {ms(level['connect_p99_ms'])} | "
            f"{busy} | "
            f"{mb(s['before']['rss_kb'])} / {mb(s['peak']['rss_kb'])} / {mb(s['after']['rss_kb'])} | "
            f"{s['before']['fds']} / {s['peak']['fds']} / {s['after']['fds']} | {s['peak']['threads']} |")
    lines += ["", "| clients | " + " | ".join(f"{k} p50 / p99 ms (answers)" for k in KINDS) + " |",
              "|--:|" + "--|" * len(KINDS)]
    for level in levels:
        cells = [f"{ms(b['p50_ms'])} / {ms(b['p99_ms'])} ({b['answers']})" for b in (level["by_kind"][k] for k in KINDS)]
        lines.append(f"| {level['clients']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--sites", required=True)
    parser.add_argument("--levels", default="1,16,64,1000")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--at", default="2026-12-01")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json")
    parser.add_argument("--command", default="")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    if url.hostname not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"soak.py: {args.url}: the soak runs on loopback only")
    sites = load_sites(args.sites)
    levels = [int(n) for n in args.levels.split(",")]
    results = []
    client_cpu = time.process_time()
    for clients in levels:
        print(f"soak: {clients} clients for {args.duration:g} s", file=sys.stderr, flush=True)
        level = asyncio.run(run_level(clients, args, sites, url.hostname, url.port))
        print(f"soak:   {level['answers_per_s']:.0f} answers/s, p50 {ms(level['p50_ms'])} ms, p99 {ms(level['p99_ms'])} ms, "
              f"errors {level['error_count']}, 503 {level['shed_503_retry_after']}, "
              f"RSS peak {mb(level['server']['peak']['rss_kb'])} MB, fds peak {level['server']['peak']['fds']}",
              file=sys.stderr, flush=True)
        for example in level["error_examples"]:
            print(f"soak:   {example}", file=sys.stderr)
        results.append(level)
    report = {
        "command": args.command, "url": args.url, "levels": results,
        "duration_s": args.duration, "settle_s": args.settle, "at": args.at, "seed": args.seed,
        "mix": KINDS, "site_bytes": {k: [len(b or b"") for _, _, b in v] for k, v in sites.items()},
        "load_generator_cpu_s": round(time.process_time() - client_cpu, 2),
    }
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
    print(markdown(results))
    print(f"\nload generator CPU: {report['load_generator_cpu_s']} s (one Python process on the same cores)")


if __name__ == "__main__":
    main()

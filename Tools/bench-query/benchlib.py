"""What the Python drivers of the query benchmark share: the site files, percentiles and the one
summary line every tool prints (the same keys as plan-check-bench-query's)."""
import json
import math
import os
import resource


def site_paths(directory, limit=None):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".geojson"))
    return [os.path.join(directory, n) for n in names[:limit]]


def percentile(sorted_values, p):
    """Nearest rank, as plan-check-bench-query computes it."""
    if not sorted_values:
        return float("nan")
    rank = math.ceil(p / 100 * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def summary(latencies_ms, wall_s, **extra):
    """`queries=N p50_ms=… p90_ms=… p99_ms=… max_ms=… mean_ms=… qps=… wall_s=…` and the extras."""
    v = sorted(latencies_ms)
    fields = {
        "queries": len(v),
        "p50_ms": f"{percentile(v, 50):.3f}", "p90_ms": f"{percentile(v, 90):.3f}",
        "p99_ms": f"{percentile(v, 99):.3f}", "max_ms": f"{v[-1]:.3f}" if v else "nan",
        "mean_ms": f"{sum(v) / max(1, len(v)):.3f}", "qps": f"{len(v) / wall_s:.1f}", "wall_s": f"{wall_s:.3f}",
    }
    fields.update(extra)
    return " ".join(f"{k}={v}" for k, v in fields.items())


def own_peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def proc_peak_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def site_geometry_json(path):
    """The site file's geometry as GeoJSON text (the generated sites have one feature each)."""
    with open(path, encoding="utf-8") as f:
        fc = json.load(f)
    features = fc["features"] if fc.get("type") == "FeatureCollection" else [fc]
    assert len(features) == 1, f"{path}: the peers take one-feature sites"
    return json.dumps(features[0]["geometry"])

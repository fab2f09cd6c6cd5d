#!/usr/bin/env python3
"""The overlay as tile slices on Apache Spark: one Spark task per slice, then `plan-check merge`.

    Tools/spark/.venv/bin/python Tools/spark/plan_check_spark.py --rules RULES --out OUT.geojson \
        --tiles N [--tile-size METRES] [--summary OUT.json] [--master URL] [--plan-check BIN] \
        [--layer NAME=PATH ...] [--work-dir DIR] [--max-attempts A] [--jobs-per-task J] \
        [--crs EPSG:N] [--engine clipper|geos] [--invalid repair|reject|fail] [--keep-work]

Slice K of N (K = 1..N, one partition each) runs `plan-check overlay --tile K/N` on an executor,
writing into a folder of its own attempt (`WORK/.attempt-K-TASKID-HOST-PID/`); only a run that
ended with exit 0 is renamed into the slice's final names (`WORK/slice-K-of-N.geojson`, then
`.json`: the summary last, so a summary on disk always has its patch file beside it). A failed or
killed attempt's files are never renamed: Spark retries the slice (up to --max-attempts), and the
next attempt starts from nothing. Exit 64, 65 and 66 (bad usage, bad input, missing input) are not
retried: the same inputs give the same error on every attempt, so the job stops at once with
plan-check's code and message. The driver then runs `plan-check merge` on the N slice summaries,
which checks the slices belong together and writes OUT (and --summary), byte for byte the output
of `plan-check overlay` without --tile.

Inputs, the plan-check binary and the work folder must be at the same path on every executor
(shared storage); see docs/scale-out.md. Exit status: 0, or plan-check's status when a slice or
the merge failed (128 + N when plan-check was killed by signal N on its last attempt), 64 for a
bad argument of this script, 70 when Spark itself failed.
"""
import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import uuid

# plan-check's exit statuses that the same inputs give again on every attempt (docs/overlay.md).
NOT_RETRIED = {64: "usage error", 65: "bad input data", 66: "an input file is missing or unreadable"}
# (A slice whose executor does not see the work folder is not retried either: exit 74.)
EXIT_USAGE, EXIT_NO_INPUT, EXIT_SOFTWARE, EXIT_CANNOT_WRITE = 64, 66, 70, 74
STDERR_TAIL = 4000  # characters of plan-check's stderr carried into an error message
FAILURE_TAG = re.compile(r"\[plan-check exit (-?\d+)\]")


class JobError(Exception):
    """A failure of the job with the exit status it ends with."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------------------------
# Arguments


class ArgumentParser(argparse.ArgumentParser):
    """argparse with plan-check's usage status, 64, instead of 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def parse_arguments(argv):
    parser = ArgumentParser(
        prog="plan_check_spark.py",
        description="Run `plan-check overlay` as N tile slices on Spark, then merge them.")
    parser.add_argument("--rules", required=True, help="the rule set (YAML), on storage every executor sees")
    parser.add_argument("--out", required=True, help="the merged patch file (GeoJSON), written by the driver")
    parser.add_argument("--tiles", required=True, type=int, help="number of slices N (one Spark task each)")
    parser.add_argument("--tile-size", type=float, help="side of a tile, metres (plan-check's default: 1000)")
    parser.add_argument("--summary", help="the merged summary (JSON)")
    parser.add_argument("--master", default="local[2]", help="Spark master URL (default local[2])")
    parser.add_argument("--plan-check", dest="plan_check", help="the plan-check binary, at this path on every executor "
                        "(default: plan-check on PATH, else .build/release or .build/debug of this repository)")
    parser.add_argument("--layer", action="append", default=[], metavar="NAME=PATH", help="a layer file (repeatable)")
    parser.add_argument("--work-dir", help="folder for the slices, on storage every executor sees "
                        "(default: the folder of --out)")
    parser.add_argument("--max-attempts", type=int, default=4, help="attempts per slice (spark.task.maxFailures; default 4)")
    parser.add_argument("--jobs-per-task", type=int, help="plan-check --jobs of each slice (default: spark.task.cpus)")
    parser.add_argument("--crs", help="working CRS, passed to every slice")
    parser.add_argument("--engine", choices=["clipper", "geos"], help="overlay kernel, passed to every slice")
    parser.add_argument("--invalid", choices=["repair", "reject", "fail"], help="invalid-feature policy, passed to every slice")
    parser.add_argument("--keep-work", action="store_true", help="keep the slices' folder after the run")
    args = parser.parse_args(argv)
    if args.tiles < 1:
        parser.error(f"--tiles {args.tiles}: give a whole number of slices, at least 1")
    if args.tile_size is not None and not (args.tile_size > 0 and args.tile_size != float("inf")):
        parser.error(f"--tile-size {args.tile_size}: give a positive number of metres")
    if args.max_attempts < 1:
        parser.error(f"--max-attempts {args.max_attempts}: give at least 1")
    if args.jobs_per_task is not None and args.jobs_per_task < 1:
        parser.error(f"--jobs-per-task {args.jobs_per_task}: give at least 1")
    for layer in args.layer:
        if "=" not in layer:
            parser.error(f"--layer {layer}: give NAME=PATH")
    return args


def find_plan_check(given):
    """The absolute path of the plan-check binary the executors run."""
    if given:
        path = os.path.abspath(given)
    else:
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        candidates = [shutil.which("plan-check")] + [os.path.join(repo, ".build", kind, "plan-check") for kind in ("release", "debug")]
        path = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
        if path is None:
            raise JobError("no plan-check binary: give --plan-check PATH (build one with `swift build -c release`)", EXIT_USAGE)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise JobError(f"--plan-check {path}: not an executable file", EXIT_USAGE)
    return path


def check_inputs_exist(args):
    """The rule set and --layer files, before Spark starts (the driver runs the merge on the same
    shared storage, so it sees them where the executors do)."""
    paths = [("--rules", args.rules)] + [("--layer", layer.split("=", 1)[1]) for layer in args.layer]
    for option, path in paths:
        if not os.path.exists(path):
            raise JobError(f"{option} {path}: no such file (every executor must see it at the same path)", EXIT_NO_INPUT)


def check_outputs(args):
    """--out and --summary, before Spark starts: merge writes GeoJSON, into folders that exist."""
    if not args.out.lower().endswith((".geojson", ".json")):
        raise JobError(f"--out {args.out}: the merged patches are GeoJSON (.geojson or .json); "
                       "convert the merged file for another format (e.g. ogr2ogr)", EXIT_USAGE)
    for option, path in (("--out", args.out), ("--summary", args.summary)):
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not os.path.isdir(folder):
            raise JobError(f"{option} {path}: folder {folder} does not exist", EXIT_CANNOT_WRITE)


def overlay_options(args):
    """The options every slice's `plan-check overlay` gets besides --tile, --out and --summary
    (paths made absolute: executors do not share the driver's working folder)."""
    options = ["--rules", os.path.abspath(args.rules)]
    for layer in args.layer:
        name, path = layer.split("=", 1)
        options += ["--layer", f"{name}={os.path.abspath(path)}"]
    if args.tile_size is not None:
        options += ["--tile-size", repr(args.tile_size)]
    for flag, value in (("--crs", args.crs), ("--engine", args.engine), ("--invalid", args.invalid)):
        if value is not None:
            options += [flag, value]
    return options


def local_master_with_retries(master, attempts):
    """`local[N]` (or `local`, `local[*]`) as `local[N,attempts]`: Spark's local mode tries each
    task once unless the master names a number of attempts. Other masters are returned as given."""
    match = re.fullmatch(r"local(?:\[(\*|\d+)\])?", master)
    if not match:
        return master
    return f"local[{match.group(1) or 1},{attempts}]"


# ---------------------------------------------------------------------------------------------
# One slice (runs on an executor; also callable without Spark)


def slice_names(k, n):
    """The final patch and summary file names of slice k of n, zero-padded so they sort."""
    width = len(str(n))
    stem = f"slice-{k:0{width}d}-of-{n}"
    return stem + ".geojson", stem + ".json"


def kill_with_parent():
    """In the child, before exec: SIGKILL plan-check when the Python worker that started it dies
    (Spark kills the worker of a cancelled or lost task), so no orphan keeps computing."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_with_usage(child):
    """Waits for a child process; returns its status as subprocess gives it (-N for signal N) and
    its resource usage (CPU seconds, peak resident memory in KiB)."""
    while True:
        try:
            _, raw, usage = os.wait4(child.pid, 0)
            break
        except InterruptedError:
            continue
    child.returncode = os.waitstatus_to_exitcode(raw)
    return child.returncode, usage


def run_slice(k, config, attempt_id, attempt_number):
    """Runs slice k of the job in `config` as one attempt. Returns a record of the finished slice
    (status 0), or of a failure that retrying cannot cure (status 64-66); raises RuntimeError on
    any other failure, so that Spark tries again."""
    n, work = config["tiles"], config["work"]
    patch_name, summary_name = slice_names(k, n)
    host = socket.gethostname()
    if not os.path.isdir(work):
        # Not retried: this executor does not see the driver's work folder, and will not.
        return {"slice": k, "status": EXIT_CANNOT_WRITE, "attempt": attempt_number, "host": host, "seconds": 0.0,
                "cpu_seconds": 0.0, "max_rss_mb": 0.0,
                "stderr": f"the work folder {work} is not there on {host}: --work-dir must be on storage "
                          "every executor sees at the same path (docs/scale-out.md)"}
    attempt_dir = os.path.join(work, f".attempt-{k}-{attempt_id}-{host}-{os.getpid()}")
    os.makedirs(attempt_dir)
    started = time.monotonic()
    try:
        command = [config["plan_check"], "overlay"] + config["options"] + [
            "--tile", f"{k}/{n}", "--jobs", str(config["jobs"]), "--quiet",
            "--out", os.path.join(attempt_dir, patch_name), "--summary", os.path.join(attempt_dir, summary_name)]
        stderr_path = os.path.join(attempt_dir, "stderr.txt")
        with open(stderr_path, "wb") as stderr:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                     preexec_fn=kill_with_parent)
            status, usage = wait_with_usage(child)
        with open(stderr_path, "rb") as stderr:
            message = stderr.read().decode("utf-8", "replace")
        seconds = time.monotonic() - started
        record = {"slice": k, "status": status, "attempt": attempt_number, "host": host, "seconds": seconds,
                  "cpu_seconds": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
                  "stderr": message[-STDERR_TAIL:]}
        if status == 0:
            # The patch file first, the summary last: a summary in the work folder always has
            # its patch file beside it. Each rename is atomic; a retry or a speculative copy
            # writes the same bytes.
            os.replace(os.path.join(attempt_dir, patch_name), os.path.join(work, patch_name))
            os.replace(os.path.join(attempt_dir, summary_name), os.path.join(work, summary_name))
            return record
        if status in NOT_RETRIED:
            return record
        what = f"killed by signal {-status}" if status < 0 else f"exited with {status}"
        raise RuntimeError(f"[plan-check exit {status}] slice {k}/{n} (attempt {attempt_number + 1}, {host}): "
                           f"plan-check overlay {what}\n{message[-STDERR_TAIL:]}")
    finally:
        shutil.rmtree(attempt_dir, ignore_errors=True)


def slice_task(config):
    """The mapPartitions function: runs each slice of its partition (one per partition)."""
    def run(slices):
        from pyspark import TaskContext
        context = TaskContext.get()
        for k in slices:
            yield run_slice(k, config, context.taskAttemptId(), context.attemptNumber())
    return run


# ---------------------------------------------------------------------------------------------
# The driver


def exit_status_of(spark_error):
    """plan-check's exit status carried in the message of a task that failed on its last attempt
    (128 + N for signal N); 70 when the failure was Spark's own."""
    tags = FAILURE_TAG.findall(str(spark_error))
    if not tags:
        return EXIT_SOFTWARE
    status = int(tags[-1])
    return 128 - status if status < 0 else status


def first_line(error):
    """The first line of an exception's text that says something (Java's come with a stack)."""
    lines = [line.strip(" :\t") for line in str(error).splitlines() if line.strip(" :\t")]
    return next((line for line in lines if not line.startswith(("at ", "An error occurred"))), repr(error))


def task_failure_text(spark_error):
    """The part of a Spark job failure that says which slice failed and why."""
    text = str(spark_error)
    match = re.search(r"RuntimeError: (\[plan-check exit -?\d+\].*?)(?:\n\tat |\n\n|$)", text, re.S)
    return match.group(1) if match else first_line(spark_error)


def run_slices(args, config, stages):
    """Runs the N slices on Spark; returns their records in slice order. Adds the seconds Spark
    took to start and to run the slices to `stages`."""
    began = time.monotonic()
    if args.master.startswith("local"):
        # Local executors are this machine: they run this Python (the venv's). On a cluster the
        # executors' Python is PYSPARK_PYTHON as the cluster sets it (docs/scale-out.md).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    master = local_master_with_retries(args.master, args.max_attempts)
    try:
        spark = (SparkSession.builder.master(master).appName("plan-check overlay --tiles")
                 .config("spark.task.maxFailures", str(args.max_attempts))
                 .config("spark.ui.showConsoleProgress", "false")
                 .getOrCreate())
    except Exception as error:  # Py4JJavaError, or the JVM that would not start
        raise JobError(f"Spark did not start on master {master} (is it running, and reachable from here?): "
                       f"{first_line(error)}", EXIT_SOFTWARE) from None
    context = spark.sparkContext
    context.setLogLevel("ERROR")
    stages["start"] = time.monotonic() - began
    try:
        if config["jobs"] is None:
            config["jobs"] = int(context.getConf().get("spark.task.cpus", "1"))
        n, slices_began = args.tiles, time.monotonic()
        try:
            records = context.parallelize(range(1, n + 1), n).mapPartitions(slice_task(config)).collect()
        except Exception as error:  # py4j's Py4JJavaError: a slice failed on its last attempt, or Spark did
            tried = f"failed {args.max_attempts} times; " if FAILURE_TAG.search(str(error)) else ""
            raise JobError(f"{task_failure_text(error)}\n({tried}Spark master {master})", exit_status_of(error)) from None
        stages["slices"] = time.monotonic() - slices_began
    finally:
        spark.stop()
    return sorted(records, key=lambda record: record["slice"])


def merge_slices(plan_check, work, n, out, summary):
    """`plan-check merge` on the N slice summaries; raises JobError with its status on failure."""
    summaries = [os.path.join(work, slice_names(k, n)[1]) for k in range(1, n + 1)]
    # merge keeps every slice's patch file open at once.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = n + 256 if hard == resource.RLIM_INFINITY else min(hard, n + 256)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    command = [plan_check, "merge", "--out", out] + (["--summary", summary] if summary else []) + summaries
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        raise JobError(f"plan-check merge exited with {result.returncode}:\n{result.stderr.strip()}", result.returncode)
    sys.stderr.write(result.stderr)


def report(records, stages):
    """One line: the slices, what each stage of the job took, and the slices Spark retried."""
    def spread(key, unit):
        values = sorted(record[key] for record in records)
        return f"{values[0]:.2f} / {values[len(values) // 2]:.2f} / {values[-1]:.2f} {unit}"
    retried = [str(record["slice"]) for record in records if record["attempt"] > 0]
    cpu = sum(record["cpu_seconds"] for record in records)
    print(f"spark: {len(records)} slices, per slice {spread('seconds', 's')}, CPU {spread('cpu_seconds', 's')}, "
          f"peak memory {spread('max_rss_mb', 'MB')} (min / median / max), CPU in all slices {cpu:.2f} s; "
          f"Spark start {stages['start']:.2f} s, slices {stages['slices']:.2f} s, "
          f"merge {stages['merge']:.2f} s, total {stages['total']:.2f} s"
          + (f"; retried slices {', '.join(retried)}" if retried else ""))


def main(argv=None):
    began = time.monotonic()
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    run_dir = None
    try:
        plan_check = find_plan_check(args.plan_check)
        check_inputs_exist(args)
        check_outputs(args)
        out_dir = os.path.dirname(os.path.abspath(args.out))
        work = os.path.abspath(args.work_dir or out_dir)
        if not os.path.isdir(work):
            raise JobError(f"--work-dir {work}: not a folder", EXIT_CANNOT_WRITE)
        run_dir = os.path.join(work, f".plan-check-spark-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}")
        try:
            os.makedirs(run_dir)
        except OSError as error:
            raise JobError(f"--work-dir {work}: cannot create a folder there: {error.strerror}", EXIT_CANNOT_WRITE)
        config = {"tiles": args.tiles, "work": run_dir, "plan_check": plan_check,
                  "options": overlay_options(args), "jobs": args.jobs_per_task}
        stages = {}
        records = run_slices(args, config, stages)
        for record in records:
            print(f"slice {record['slice']}/{args.tiles}: {record['seconds']:.2f} s ({record['cpu_seconds']:.2f} s CPU, "
                  f"{record['max_rss_mb']:.0f} MB) on {record['host']} (attempt {record['attempt'] + 1})", file=sys.stderr)
        failed = [record for record in records if record["status"] != 0]
        if failed:
            first = failed[0]
            slices = ", ".join(str(record["slice"]) for record in failed)
            what = (f"plan-check overlay exited with {first['status']} ({NOT_RETRIED[first['status']]})"
                    if first["status"] in NOT_RETRIED else f"exit {first['status']} (the work folder is not shared)")
            raise JobError(f"slice {first['slice']}/{args.tiles}: {what}; not retried: the same inputs fail the same "
                           f"way on every attempt; slices failed: {slices}:\n{first['stderr'].strip()}", first["status"])
        merge_began = time.monotonic()
        merge_slices(plan_check, run_dir, args.tiles, os.path.abspath(args.out),
                     os.path.abspath(args.summary) if args.summary else None)
        stages["merge"] = time.monotonic() - merge_began
        stages["total"] = time.monotonic() - began
        report(records, stages)
        return 0
    except JobError as error:
        print(f"plan_check_spark.py: error: {error}", file=sys.stderr)
        return error.status
    finally:
        if run_dir and not args.keep_work:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif run_dir:
            print(f"slices kept in {run_dir}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark script in benchmarks/ and summarise what they print.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--skip NAME ...] [--timeout 1800]
        [--args bench_index.py="--skip-wiki"] [--list]

Each `benchmarks/bench_*.py` runs in its own process (the repo's Python, cwd = the repo root,
OMP_NUM_THREADS=1 unless set). Its stdout and stderr are captured; from stdout, every line that is
a JSON object or array is collected, and so is a trailing JSON document (a script that ends with
`print(json.dumps(...))`); JSON files a script writes into `benchmarks/results/` during its run
are collected too. Wall time, exit code and peak memory (max RSS of the process) are recorded.

Writes `benchmarks/results/summary.json` and `summary.md`. Scripts run one after another (the
machine has 2 cores shared with others); a failing or timed-out script is recorded, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SKIP_FILES = {"run_all.py"}


def discover() -> list[Path]:
    return sorted(p for p in HERE.glob("bench_*.py") if p.name not in SKIP_FILES)


def parse_json_output(stdout: str) -> list:
    """JSON objects/arrays printed one per line, plus a trailing multi-line JSON document."""
    found = []
    lines = stdout.splitlines()
    for line in lines:
        text = line.strip()
        if text[:1] in "{[" and text[-1:] in "}]":
            try:
                found.append(json.loads(text))
            except json.JSONDecodeError:
                pass
    # a trailing pretty-printed document: the last line that starts a JSON value at column 0
    for start in range(len(lines) - 1, -1, -1):
        if lines[start][:1] in "{[":
            block = "\n".join(lines[start:]).strip()
            if "\n" in block:
                try:
                    doc = json.loads(block)
                    if doc not in found:
                        found.append(doc)
                except json.JSONDecodeError:
                    pass
            break
    return found


def figure_lines(stdout: str, limit: int = 60) -> list[str]:
    """Printed lines that carry a number (the figures), without progress-bar noise."""
    out = []
    for line in stdout.splitlines():
        text = line.rstrip()
        if not text or "\r" in text or "it/s]" in text:
            continue
        if any(ch.isdigit() for ch in text):
            out.append(text)
    return out[-limit:]


def run_one(script: Path, extra: list[str], timeout: float) -> dict:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    before = {p: p.stat().st_mtime for p in RESULTS.glob("*.json")} if RESULTS.exists() else {}
    started = time.time()
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen([sys.executable, str(script), *extra], cwd=REPO, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    seconds = time.time() - started
    written = {}
    if RESULTS.exists():
        for p in sorted(RESULTS.glob("*.json")):
            if p.name.startswith("summary"):
                continue
            if p not in before or p.stat().st_mtime > before[p]:
                try:
                    written[p.name] = json.loads(p.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError):
                    written[p.name] = "(unreadable)"
    return {
        "script": script.name,
        "args": extra,
        "returncode": proc.returncode,
        "status": "timeout" if timed_out.is_set() else ("ok" if proc.returncode == 0 else "failed"),
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "json": parse_json_output(stdout),
        "result_files": written,
        "figures": figure_lines(stdout),
        "stdout_tail": stdout.splitlines()[-80:],
        "stderr_tail": [l for l in stderr.splitlines() if "\r" not in l][-20:],
    }


def markdown(summary: dict) -> str:
    lines = ["# Benchmark summary", "",
             f"{summary['started']} on {summary['machine']}; {summary['seconds']} s in all.", "",
             "| script | status | seconds | peak RSS (MiB) | JSON collected |", "|---|---|---|---|---|"]
    for r in summary["runs"]:
        n_json = len(r["json"]) + len(r["result_files"])
        lines.append(f"| {r['script']} {' '.join(r['args'])} | {r['status']} | {r['seconds']} | {r['peak_rss_mib']} | {n_json} |")
    for r in summary["runs"]:
        lines += ["", f"## {r['script']}", ""]
        if r["status"] != "ok":
            lines += [f"**{r['status']}** (exit code {r['returncode']}).", ""]
            if r["stderr_tail"]:
                lines += ["```", *r["stderr_tail"][-10:], "```", ""]
        if r["figures"]:
            lines += ["Figures as printed:", "", "```", *r["figures"], "```"]
        if r["result_files"]:
            lines += ["", "Result files: " + ", ".join(f"`benchmarks/results/{n}`" for n in r["result_files"])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (name with or without .py)")
    parser.add_argument("--skip", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per script (default 1800)")
    parser.add_argument("--args", action="append", default=[], metavar="SCRIPT=ARGS",
                        help='extra arguments for one script, e.g. --args bench_index.py="--skip-wiki"')
    parser.add_argument("--list", action="store_true", help="list the scripts and exit")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    def norm(name: str) -> str:
        return name if name.endswith(".py") else name + ".py"

    scripts = discover()
    if args.only:
        wanted = {norm(n) for n in args.only}
        missing = wanted - {s.name for s in scripts}
        if missing:
            parser.error(f"no such benchmark script(s): {', '.join(sorted(missing))}")
        scripts = [s for s in scripts if s.name in wanted]
    skip = {norm(n) for n in args.skip}
    scripts = [s for s in scripts if s.name not in skip]
    if args.list:
        print("\n".join(s.name for s in scripts))
        return 0
    extra: dict[str, list[str]] = {}
    for item in args.args:
        name, _, rest = item.partition("=")
        extra[norm(name)] = rest.split()

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    runs = []
    for script in scripts:
        print(f"== {script.name} {' '.join(extra.get(script.name, []))}", flush=True)
        r = run_one(script, extra.get(script.name, []), args.timeout)
        runs.append(r)
        for line in r["figures"][-15:]:
            print(f"   {line}")
        print(f"   -> {r['status']} in {r['seconds']} s, peak RSS {r['peak_rss_mib']} MiB, "
              f"{len(r['json']) + len(r['result_files'])} JSON result(s)", flush=True)
    summary = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "seconds": round(time.time() - started, 1),
        "runs": runs,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    (args.out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    print(f"written {args.out / 'summary.json'} and {args.out / 'summary.md'}")
    return 0 if all(r["status"] == "ok" for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())

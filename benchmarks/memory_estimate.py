"""The memory estimate (``spiking_direct.memory``) against the measured peak of real runs.

    python benchmarks/memory_estimate.py            # every case that fits this machine now
    python benchmarks/memory_estimate.py --quick    # the short ones (a few minutes)
    python benchmarks/memory_estimate.py --only alzheimer-rate --only asia-spiking
    python benchmarks/memory_estimate.py --list

Each case runs ``spiking-direct run MODEL --engine ... --no-figures --quiet
--set ...`` in a child process while this script polls ``/proc`` every 10 ms:
the Python process and the simulation binary (``main``, a child process;
compilers are not counted), and the result files the binary writes into
``/dev/shm``. Measured:

``python_hwm``
    the Python process's own peak (``VmHWM``, read at its exit by an
    ``atexit`` hook, so exact)
``binary_hwm``
    the simulation binary's peak (its ``VmHWM``, polled)
``concurrent``
    the largest sum, at one poll, of the resident memory of the Python
    process and the binary (``RssAnon + RssFile``: shared memory is counted
    once, as files) and of the run's files in ``/dev/shm``
``peak``
    ``max(python_hwm, concurrent)``: what the run held at its peak, the
    quantity :func:`spiking_direct.memory.estimate` predicts (``total``)

A case whose estimate exceeds 80 % of the available memory is skipped (and
recorded as such). Writes ``benchmarks/results/memory_estimate.csv`` (the rows
of earlier runs of other cases are kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "results" / "memory_estimate.csv"
MiB = 1 << 20

#: (name, model, engine, --set items, quick)
CASES = [
    ("alzheimer-spiking", "alzheimer", "spiking", [], True),
    ("alzheimer-spiking-cortical", "alzheimer", "spiking", ["spiking.network=cortical"], False),
    ("alzheimer-spiking-n2000", "alzheimer", "spiking", ["n=2000"], False),
    ("alzheimer-rate", "alzheimer", "rate", [], True),
    ("alzheimer-rate-n4000", "alzheimer", "rate", ["n=4000"], True),
    ("asia-spiking", "asia", "spiking", [], True),
    ("asia-rate", "asia", "rate", [], True),
    ("sachs-rate", "sachs", "rate", [], True),
    ("sachs-spiking-linked", "sachs", "spiking", ["spiking.connectivity=linked"], False),
    ("child-rate", "child", "rate", [], True),
    ("child-spiking-n500", "child", "spiking", ["n=500"], False),
    ("hepar2-rate-n500", "hepar2", "rate", ["n=500"], True),
    ("hepar2-rate-linked", "hepar2", "rate", ["rate.connectivity=linked"], True),
    ("hepar2-rate", "hepar2", "rate", [], False),
    ("win95pts-rate-linked", "win95pts", "rate", ["rate.connectivity=linked"], True),
    ("win95pts-spiking-linked-n250", "win95pts", "spiking", ["n=250", "spiking.connectivity=linked"], False),
    ("andes-rate-linked", "andes", "rate", ["rate.connectivity=linked"], False),
    ("andes-rate-linked-n100", "andes", "rate", ["n=100", "rate.connectivity=linked"], True),
    ("andes-spiking-linked-n100", "andes", "spiking", ["n=100", "spiking.connectivity=linked"], False),
]

_WRAPPER = """
import atexit, json, resource, sys
REPORT = sys.argv[1]
def _report():
    st = {l.split(':')[0]: int(l.split()[1]) * 1024 for l in open('/proc/self/status')
          if l.startswith(('VmHWM', 'VmRSS'))}
    st['children_maxrss'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    open(REPORT, 'w').write(json.dumps(st))
atexit.register(_report)
from spiking_direct.cli import main
sys.exit(main(sys.argv[2:]))
"""


def measure(model: str, engine: str, sets: list[str], timeout: float) -> dict:
    from spiking_direct.peak_memory import PeakMemory

    with tempfile.TemporaryDirectory(prefix="memory_estimate_") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-c",
            _WRAPPER,
            str(report),
            "run",
            model,
            "--engine",
            engine,
            "--no-figures",
            "--quiet",
            "--out",
            str(Path(tmp) / "out"),
        ]
        for item in sets:
            cmd += ["--set", item]
        # the run's results go to a folder of its own on /dev/shm (as they would to /dev/shm itself),
        # so that other processes' result files are not counted
        scratch = Path(tempfile.mkdtemp(prefix="memory_estimate_", dir="/dev/shm"))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "SPIKING_DIRECT_SCRATCH": str(scratch),
        }
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        mon = PeakMemory(proc.pid, scratch, period=0.01)
        mon.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            out = f"timed out after {timeout:.0f} s\n" + (out or "")
        mon.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        wall = time.perf_counter() - t0
        row = {"wall_s": round(wall, 1), "rc": proc.returncode}
        if proc.returncode != 0 or not report.exists():
            row["error"] = (out or "")[-300:].replace("\n", " | ")
            return row
        rep = json.loads(report.read_text())
        row.update(
            {
                "python_hwm_mb": rep["VmHWM"] / MiB,
                "binary_hwm_mb": mon.binary_hwm / MiB,
                "shm_mb": mon.scratch_bytes / MiB,
                "concurrent_mb": mon.total / MiB,
                "python_at_concurrent_mb": mon.python_at_peak / MiB,
                "peak_mb": max(rep["VmHWM"], mon.total) / MiB,
            }
        )
        return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the short cases")
    ap.add_argument("--only", action="append", default=[], help="case name (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the cases and their estimates")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run (default 900)")
    ap.add_argument(
        "--margin",
        type=float,
        default=0.8,
        help="skip a case whose estimate exceeds this fraction of the available memory (0.8)",
    )
    ap.add_argument("--page-only", action="store_true", help="rewrite the results page from the CSVs")
    args = ap.parse_args(argv)
    if args.page_only:
        page()
        return 0

    from spiking_direct import memory
    from spiking_direct.causal import get_model
    from spiking_direct.config import RunConfig, apply_overrides
    from spiking_direct.results import machine

    cases = [c for c in CASES if (not args.only or c[0] in args.only) and (not args.quick or c[4] or args.only)]
    models: dict = {}
    rows = []
    for name, model, engine, sets, _ in cases:
        if model not in models:
            models[model] = get_model(model)
        cfg = apply_overrides(RunConfig(model=model, engine=engine), sets)
        cfg.validate()
        est = memory.estimate(cfg, models[model])
        avail = memory.available_memory()
        row = {
            "case": name,
            "model": model,
            "engine": engine,
            "settings": " ".join(sets),
            "n_areas": est.n_areas,
            "n_windows": est.n_windows,
            "n_synapses": est.n_synapses,
            "n_spikes_est": est.n_spikes,
            "estimate_mb": round(est.total / MiB, 1),
            "estimate_peak": est.peak,
            "estimate_parts_mb": json.dumps({k: round(v / MiB, 1) for k, v in est.parts.items()}),
            "available_mb": round(avail / MiB),
            "load1_before": round(os.getloadavg()[0], 2),
        }
        print(f"{name}: estimate {est} [{est.peak}], available {memory.format_bytes(avail)}", flush=True)
        if args.list:
            continue
        if est.total > args.margin * avail:
            row["error"] = f"skipped: estimate above {args.margin:.0%} of the available memory"
            print("  skipped", flush=True)
        else:
            row.update(measure(model, engine, sets, args.timeout))
            if "peak_mb" in row:
                row["ratio"] = round(row["estimate_mb"] / row["peak_mb"], 3)
                for key in (
                    "python_hwm_mb",
                    "binary_hwm_mb",
                    "shm_mb",
                    "concurrent_mb",
                    "python_at_concurrent_mb",
                    "peak_mb",
                ):
                    row[key] = round(row[key], 1)
                print(
                    f"  measured peak {row['peak_mb']:.0f} MiB (python {row['python_hwm_mb']:.0f}, binary "
                    f"{row['binary_hwm_mb']:.0f}, shm {row['shm_mb']:.0f}, concurrent {row['concurrent_mb']:.0f}), "
                    f"estimate / measured = {row['ratio']:.3f}, {row['wall_s']} s",
                    flush=True,
                )
            else:
                print(f"  failed: {row.get('error')}", flush=True)
        row["machine"] = machine()
        rows.append(row)
    if args.list or not rows:
        return 0
    old = []
    if OUT.exists():
        with open(OUT) as fh:
            old = [r for r in csv.DictReader(fh) if r["case"] not in {r["case"] for r in rows}]
    keys: list = []
    for r in old + rows:
        keys += [k for k in r if k not in keys]
    order = {c[0]: i for i, c in enumerate(CASES)}
    allrows = sorted(old + rows, key=lambda r: order.get(r["case"], len(order)))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(allrows)
    print(f"wrote {OUT}")
    page()
    return 0


def page() -> None:
    """``docs/results/memory_estimate.rst`` from ``memory_estimate.csv``."""
    import pandas as pd

    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, rng

    df = pd.read_csv(OUT)
    m = df[df.ratio.notna()]
    p = Page(
        "memory_estimate",
        "Memory estimate against the measured peak",
        command="python benchmarks/memory_estimate.py",
        intro=(
            "Before anything is built, every run estimates its peak memory (``spiking_direct.memory``) and a run "
            "that does not fit is refused. Each case below is run in a fresh process and its peak measured "
            "(Python process, simulation binary and result files in shared memory, at the moment they add up most)."
        ),
    )
    p.text(
        f"Over the {len(m)} measured cases the estimate is {rng(m.ratio.min(), m.ratio.max(), 3)} of the "
        f"measured peak ({int((m.ratio >= 1).sum())} cases at or above 1)."
        + (f" {len(df) - len(m)} case(s) not measured (see ``error``)." if len(df) > len(m) else "")
    )
    p.table(
        df,
        "benchmarks/results/memory_estimate.csv",
        columns={
            "case": "case",
            "n_synapses": "synapses",
            "estimate_mb": "estimate (MiB)",
            "peak_mb": "measured peak (MiB)",
            "ratio": "estimate / measured",
            "wall_s": "wall (s)",
        },
        formats={
            "n_synapses": "{:.2e}",
            "estimate_mb": "{:.0f}",
            "peak_mb": "{:.0f}",
            "ratio": "{:.3f}",
            "wall_s": "{:.0f}",
        },
    )
    p.write()


if __name__ == "__main__":
    sys.exit(main())

"""The sweep command line: ``spiking-direct sweep`` (:func:`add_parser`, :func:`cmd_sweep`) and
``python -m spiking_direct.sweep`` (:func:`main`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import SpikingDirectError, SweepError
from .execute import SCHEDULER_ENV, run_sweep
from .grid import Sweep


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="sweep description (TOML, see spiking_direct.sweep)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=f"running Dask scheduler, tcp://HOST:PORT (default: ${SCHEDULER_ENV}, else a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument(
        "--out", default=None, metavar="DIR", help="output folder (default: 'out' in the file, else sweeps/<file name>)"
    )
    p.add_argument("--retry-failed", action="store_true", help="re-run the runs that failed before")
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` on the ``spiking-direct`` command line."""
    p = subparsers.add_parser(
        "sweep", help="run a sweep of DIRECT runs (models x engines x parameters x seeds) on Dask; resumable"
    )
    _add_arguments(p)
    p.set_defaults(func=cmd_sweep)
    return p


def cmd_sweep(args) -> int:
    """Run the sweep file; exit code 0 when every run succeeded, 1 when some failed."""
    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers must be >= 1, got {args.workers}")
    sweep = Sweep.from_toml(args.file)
    out = args.out or sweep.out or str(Path("sweeps") / Path(args.file).stem)
    t0 = time.perf_counter()

    def report(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", file=sys.stderr, flush=True)

    df = run_sweep(
        sweep,
        out,
        scheduler=args.scheduler,
        workers=args.workers,
        retry_failed=args.retry_failed,
        progress=None if args.quiet else report,
    )
    n_failed = int((df["status"] == "failed").sum())
    print(
        f"{int((df['status'] == 'ok').sum())} ok, {n_failed} failed of {len(df)} runs: {Path(out) / 'summary.csv'}",
        flush=True,
    )
    return 1 if n_failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m spiking_direct.sweep FILE.toml [--out DIR] ...``"""
    p = argparse.ArgumentParser(
        prog="python -m spiking_direct.sweep", description="Run a sweep of DIRECT runs on Dask (resumable)."
    )
    _add_arguments(p)
    args = p.parse_args(argv)
    try:
        return cmd_sweep(args)
    except SpikingDirectError as exc:
        print(f"spiking-direct sweep: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spiking-direct sweep: interrupted (rerun to resume)", file=sys.stderr)
        return 130

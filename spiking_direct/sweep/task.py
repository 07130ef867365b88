"""One run of a sweep on a Dask worker (:func:`execute_run`) and the files of its folder:
``error.json`` of a failed run (:func:`write_error`), temporary files a killed writer left, and
the status a folder records (``ok``, ``stale``, ``failed``, ``pending``)."""

from __future__ import annotations

import json
import os
import re
import time
import traceback
from pathlib import Path
from typing import Mapping

from .spec import RunSpec

_TEMP = re.compile(r"^\.(result\.json|recording\.npz|value_readout_rows\.json\.gz|error\.json|spec\.json)\..+")


def _clean_temp(run_dir: Path) -> None:
    """Remove temporary files a killed writer left behind (``.result.json.XXXX``)."""
    if run_dir.is_dir():
        for p in run_dir.iterdir():
            if _TEMP.match(p.name):
                try:
                    p.unlink()
                except OSError:
                    pass


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name)
    except Exception:
        return f"pid {os.getpid()}"


def _previous_attempts(run_dir: Path) -> int:
    try:
        return int(json.loads((run_dir / "error.json").read_text()).get("attempt", 0))
    except Exception:
        return 0


def write_error(run_dir: Path, spec: Mapping, exc: BaseException | str, tb: str = "", worker: str = "") -> dict:
    """Record a failed run in ``run_dir/error.json``."""
    import platform

    from ..results import write_json

    run_dir = Path(run_dir)
    err = {
        "key": spec.get("key"),
        "spec": dict(spec),
        "type": type(exc).__name__ if isinstance(exc, BaseException) else "Error",
        "message": str(exc),
        "traceback": tb,
        "worker": worker,
        "host": platform.node(),
        "attempt": _previous_attempts(run_dir) + 1,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(run_dir / "error.json", err)
    return err


def execute_run(spec: dict, run_dir: str, figures: bool = False) -> dict:
    """Run one spec into ``run_dir`` (the task each worker executes); never raises for a failed run:
    it writes ``error.json`` and returns ``{"status": "failed", ...}``."""
    from .. import pipeline

    t0 = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _clean_temp(run_dir)
    worker = _worker_name()
    try:
        res = pipeline.run(RunSpec.from_dict(spec).config(), out=run_dir, figures=figures)
    except Exception as exc:
        write_error(run_dir, spec, exc, traceback.format_exc(), worker)
        return {
            "key": spec["key"],
            "status": "failed",
            "message": f"{type(exc).__name__}: {exc}",
            "wall_s": time.perf_counter() - t0,
            "worker": worker,
        }
    try:
        (run_dir / "error.json").unlink()
    except FileNotFoundError:
        pass
    t = res.get("timing", {})
    return {
        "key": spec["key"],
        "status": "ok",
        "wall_s": time.perf_counter() - t0,
        "worker": worker,
        "reused_build": t.get("reused_build"),
        "build_s": t.get("build_s"),
        "auroc_prop": res["metrics_delta_prop"]["auroc"],
    }


def _status_of(run_dir: Path, params: dict | None = None) -> str:
    """``ok`` (a readable ``result.json``), ``stale`` (one whose recorded parameters differ
    from ``params``, the run's fully resolved ``RunConfig.to_dict()``: computed under other
    package defaults, so it must not be reused), ``failed`` or ``pending``."""
    from ..results import as_written, read_json

    if (run_dir / "result.json").is_file():
        try:
            res = read_json(run_dir / "result.json")
            # compare as written (the same serialisation as results.write_json)
            if params is not None and res.get("params") != as_written(params):
                return "stale"
            return "ok"
        except (OSError, ValueError):
            pass
    if (run_dir / "error.json").is_file():
        return "failed"
    return "pending"

"""Result files: ``result.json`` (schema versioned) and ``recording.npz``, written atomically."""

from __future__ import annotations

import functools
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

SCHEMA_VERSION = 1


def machine() -> str:
    """The CPU model, cores, memory and OS of this machine (for benchmark tables and result files)."""
    import subprocess
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    fam = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fam = f", family {info.get('CPU family', '?').strip()} model {info.get('Model', '?').strip()}"
    except (OSError, ValueError):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}{fam}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def versions() -> dict:
    """Python, platform, machine and package versions (a fresh dict; looked up once per process:
    ``lscpu`` and the package metadata cost about 30 ms, which every run in a sweep paid)."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform(), "machine": machine()}
    for pkg in ("spiking_direct", "brian2", "brian2cuda", "numpy", "scipy", "networkx", "pgmpy", "scikit-learn",
                "pandas", "matplotlib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _clean(obj):
    """Replace non-finite floats by None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    return obj


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: Path, obj: dict) -> None:
    atomic_write_bytes(path, json.dumps(_clean(obj), indent=1, default=_default).encode())


def as_written(obj):
    """``obj`` as :func:`write_json` writes it and :func:`read_json` reads it back
    (non-finite floats as None, NumPy values as plain ones): for comparing a live
    object with a stored one."""
    return json.loads(json.dumps(_clean(obj), default=_default))


def write_csv(path: Path, frame) -> None:
    """A ``pandas.DataFrame`` as CSV (no index), written atomically."""
    atomic_write_bytes(path, frame.to_csv(index=False).encode())


def read_json(path: Path) -> dict:
    with open(path) as fh:
        return json.load(fh)


def write_npz(path: Path, **arrays) -> None:
    import io

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


class Result(dict):
    """One run's result: the dict :func:`spiking_direct.pipeline.run` returns (also what
    ``result.json`` holds), with its do() answers.

    ``Result.load(run_dir)`` reads a run folder (``result.json`` and, when the run had an
    intervene phase, ``interventions.json``).
    """

    @classmethod
    def load(cls, run_dir: str | Path) -> "Result":
        run_dir = Path(run_dir)
        path = run_dir / "result.json"
        if not path.exists():
            from .interventions import InterventionError

            raise InterventionError(f"{run_dir} is not a run folder (no result.json)")
        res = cls(read_json(path))
        if (run_dir / "interventions.json").exists():
            res["interventions"] = read_json(run_dir / "interventions.json")
        return res

    def intervene(self, do: dict):
        """What the trained network answers to ``do(X = x)`` (one variable), beside the exact
        interventional distribution: a ``pandas.DataFrame`` with columns variable, value,
        predicted, exact, answered. ``result.intervene({"APOE4": "Carrier"})``."""
        import pandas as pd

        from .interventions import RERUN_HINT, InterventionError, answer

        iv = self.get("interventions")
        if iv is None:
            raise InterventionError(f"this run has no intervene phase; {RERUN_HINT}")
        return pd.DataFrame(answer(iv, do))

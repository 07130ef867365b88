"""The summary of a sweep: one row per run (spec, status, metrics, timing) read from the run
folders (:func:`summarize`), written as ``summary.csv`` and ``summary.parquet`` (:func:`write_table`)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .grid import Sweep
from .spec import _set_text
from .task import _status_of

METRICS = ("precision_at_k", "recall_at_k", "auroc", "average_precision", "shd")
TIMING = ("build_s", "simulate_s", "analyse_s", "total_s", "reused_build")


def _override_columns(sweep: Sweep) -> list[str]:
    cols: list[str] = []
    for s in sweep:
        for k, _ in s.overrides:
            if k not in cols:
                cols.append(k)
    return cols


BASE_COLUMNS = ("key", "model", "engine", "backend", "seed")


def summarize(sweep: Sweep, out: str | Path):
    """One row per run of ``sweep`` from the files under ``out/runs``."""
    import pandas as pd

    from ..results import read_json

    out = Path(out)
    ov_cols = _override_columns(sweep)
    rename = {k: (f"set:{k}" if k in BASE_COLUMNS or k in ("status", "error", "dir") else k) for k in ov_cols}
    rows = []
    for s in sweep:
        run_dir = out / "runs" / s.key
        row: dict[str, Any] = {
            "key": s.key,
            "model": s.model,
            "engine": s.engine,
            "backend": s.backend,
            "seed": int(s.seed),
        }
        ov = dict(s.overrides)
        for k in ov_cols:
            row[rename[k]] = ov.get(k)
        st = _status_of(run_dir)
        row["status"] = st
        row["error"] = None
        if st == "ok":
            res = read_json(run_dir / "result.json")
            for name, m in (("delta", res.get("metrics_delta", {})), ("delta_prop", res.get("metrics_delta_prop", {}))):
                for metric in METRICS:
                    row[f"{name}_{metric}"] = m.get(metric)
            for k, v in (res.get("summary") or {}).items():
                row[k] = v
            t = res.get("timing") or {}
            for k in TIMING:
                row[k] = t.get(k)
        elif st == "failed":
            try:
                err = read_json(run_dir / "error.json")
                row["error"] = f"{err.get('type')}: {err.get('message')}"
            except (OSError, ValueError):
                row["error"] = "unreadable error.json"
        row["dir"] = str(Path("runs") / s.key)
        rows.append(row)
    metric_cols = [f"{n}_{m}" for n in ("delta", "delta_prop") for m in METRICS]
    extra = [k for row in rows for k in row if k not in metric_cols and k not in TIMING and k != "dir"]
    columns = list(
        dict.fromkeys(
            list(BASE_COLUMNS)
            + [rename[k] for k in ov_cols]
            + ["status", "error"]
            + metric_cols
            + extra
            + list(TIMING)
            + ["dir"]
        )
    )
    df = pd.DataFrame(rows, columns=columns)
    # mixed-type override columns (numbers and text) become text so parquet can store them
    for k in ov_cols:
        col = rename[k]
        kinds = {type(v) for v in df[col] if v is not None and v == v}
        if len(kinds) > 1 and not kinds <= {int, float}:
            df[col] = [None if v is None else _set_text(k, v) for v in df[col]]
    return df


def write_table(df, out: str | Path) -> None:
    """``summary.csv`` and ``summary.parquet`` (both written atomically)."""
    from ..results import atomic_write_bytes, write_csv

    out = Path(out)
    write_csv(out / "summary.csv", df)
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write_bytes(out / "summary.parquet", buf.getvalue())

"""The sweep figure ``sweep.png`` (:func:`sweep_figure`): swept metrics, mean +- sd over seeds
per grid point and model/engine/backend."""

from __future__ import annotations

import io
from pathlib import Path

from .summary import BASE_COLUMNS, METRICS

PANELS = (
    ("delta_prop_auroc", "delta_prop AUROC", 0.5),
    ("delta_prop_precision_at_k", "delta_prop precision@k", None),
    ("delta_auroc", "delta AUROC", 0.5),
    ("delta_precision_at_k", "delta precision@k", None),
)


def _fmt_value(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def sweep_figure(df, path: str | Path) -> Path | None:
    """Swept metrics: mean +- sd over seeds per grid point (x) and model/engine/backend (colour)."""
    import numpy as np
    from matplotlib.figure import Figure

    from ..results import atomic_write_bytes

    ok = df[df["status"] == "ok"]
    if ok.empty:
        return None
    fixed = (
        set(BASE_COLUMNS) | {"status", "error", "dir"} | {f"{n}_{m}" for n in ("delta", "delta_prop") for m in METRICS}
    )
    cols = list(df.columns)
    ov_cols = [c for c in cols[cols.index("seed") + 1 : cols.index("status")] if c not in fixed]
    varying = [c for c in ov_cols if df[c].astype(str).nunique() > 1]
    series_cols = [c for c in ("model", "engine", "backend") if df[c].astype(str).nunique() > 1] or ["engine"]

    def point_of(row):
        return tuple(row[c] for c in varying)

    points = list(dict.fromkeys(point_of(r) for _, r in df.iterrows()))
    labels = ["\n".join(f"{c}={_fmt_value(v)}" for c, v in zip(varying, p)) or "all" for p in points]
    series = list(dict.fromkeys(tuple(r[c] for c in series_cols) for _, r in df.iterrows()))
    fig = Figure(figsize=(max(6.5, 2.2 + 1.1 * len(points) * 2), 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    width = 0.7 / max(1, len(series))
    for ax, (col, title, chance) in zip(axes.flat, PANELS):
        for si, ser in enumerate(series):
            sel = ok
            for c, v in zip(series_cols, ser):
                sel = sel[sel[c].astype(str) == str(v)]
            xs, means, sds, ns = [], [], [], []
            for pi, p in enumerate(points):
                sub = sel
                for c, v in zip(varying, p):
                    sub = sub[sub[c].astype(str) == str(v)]
                vals = sub[col].dropna().astype(float).to_numpy() if col in sub else np.array([])
                if len(vals):
                    xs.append(pi + (si - (len(series) - 1) / 2) * width)
                    means.append(vals.mean())
                    sds.append(vals.std(ddof=1) if len(vals) > 1 else 0.0)
                    ns.append(len(vals))
            name = " ".join(str(v) for v in ser if v is not None)
            if xs:
                ax.errorbar(
                    xs,
                    means,
                    yerr=sds,
                    fmt="o-" if len(points) > 1 else "o",
                    capsize=3,
                    label=f"{name} (n={min(ns)}-{max(ns)})" if min(ns) != max(ns) else f"{name} (n={ns[0]})",
                )
        if chance is not None:
            ax.axhline(chance, color="0.6", ls="--", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xticks(range(len(points)), labels, fontsize=8)
        ax.set_xlim(-0.5, len(points) - 0.5)
    axes.flat[0].legend(fontsize=8, loc="lower left")
    n_failed = int((df["status"] == "failed").sum())
    fig.suptitle(
        f"sweep: {len(ok)} ok run(s)" + (f", {n_failed} failed" if n_failed else "") + " - mean +- sd over seeds",
        fontsize=11,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path

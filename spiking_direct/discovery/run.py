"""``discover``: the assembly protocol on a time series, written as a run folder.

The series is the user's (a CSV with a time column, or a DataFrame) or simulated from a dynamic
version of a causal model (:func:`spiking_direct.causal.dynamic`, lag-1 links). The protocol
(:mod:`.assemblies`) scores every ordered pair of variables from the series alone, and each
score is calibrated by ``null_runs`` runs on the same series with its time order shuffled (the
permutation null: who precedes whom destroyed, values and their co-occurrence within a step kept):
a pair's score is its raw score over its mean in those runs (:func:`.assemblies.calibrate`). The
learned graph keeps the pairs whose calibrated score exceeds every calibrated score of the null
runs (each null run calibrated by the mean of the others, :func:`.assemblies.calibrated_null`), so
a pair is a link at level about ``1 / (null_runs + 1)``. When a
model is given its lag-1 links are the truth for AUROC, average precision and Precision@K;
nothing of it is shown to the protocol.

Writes ``result.json`` (scores, learned graph, metrics, parameters, seed, engine, versions),
``scores.csv`` and ``figures/discovery.png`` in ``out``.
"""

from __future__ import annotations

import time as _time
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..results import versions, write_csv, write_json
from . import evaluate
from .assemblies import RULES, DiscoveryParams, calibrate, calibrated_null, encode, learn_scores, null_scores

__all__ = ["discover", "DiscoveryResult", "ENGINES"]

#: Engines of the discovery protocol.
ENGINES = ("rate", "spiking")


class DiscoveryResult(dict):
    """What ``result.json`` holds, with ``scores`` (a DataFrame: rows the cause, columns the
    effect), ``graph`` (the learned links, a list of ``(cause, effect)``), ``metrics`` (against
    the model's lag-1 links, or None) and ``folder``."""

    folder: Path | None = None

    @property
    def scores(self) -> pd.DataFrame:
        v = self["variables"]
        return pd.DataFrame(np.asarray(self["scores"], dtype=float), index=v, columns=v)

    @property
    def graph(self) -> list[tuple[str, str]]:
        return [tuple(e) for e in self["graph"]]

    @property
    def metrics(self) -> dict | None:
        return self.get("metrics")


def _series(model, data, T: int, autocorrelation: float, seed: int, time: str):
    """``(series, dynamic model or None)``."""
    from ..causal import check_series, dynamic, from_csv, get_model

    dyn = None
    if model is not None:
        m = get_model(model) if isinstance(model, str) else model
        dyn = dynamic(m, lags=1, autocorrelation=autocorrelation)
    if data is not None:
        values = dict(dyn.values) if dyn is not None else None
        variables = list(dyn.variables) if dyn is not None else None
        if isinstance(data, (str, Path)):
            series = from_csv(data, time=time, values=values, variables=variables)
        elif isinstance(data, pd.DataFrame):
            series = check_series(data, time=time, values=values, variables=variables)
        else:
            raise ConfigError(f"data must be a CSV path or a pandas DataFrame, got {type(data).__name__}")
        return series, dyn
    if dyn is None:
        raise ConfigError("give a causal model to simulate from, or data=SERIES.csv (or both)")
    return dyn.simulate(T, np.random.default_rng(seed)), dyn


def discover(
    model=None,
    data=None,
    *,
    T: int = 1000,
    autocorrelation: float = 0.0,
    engine: str = "rate",
    rule: str = "predictive",
    seed: int = 0,
    null_runs: int = 19,
    params: DiscoveryParams | None = None,
    out=None,
    figures: bool = True,
    progress=None,
    time: str = "time",
    **engine_kwargs,
) -> DiscoveryResult:
    """Learn who drives whom from a time series with the assembly protocol (see the module doc).

    ``model``: a causal model or its name (simulated from when ``data`` is None: ``T`` steps,
    ``autocorrelation`` rho, ``seed``; else it declares the variables and values and gives the
    truth); ``data``: a CSV path or DataFrame with a ``time`` column; ``engine``: ``rate`` or
    ``spiking``; ``rule``: ``predictive`` (conditions) or ``hebbian``; ``null_runs``: runs on
    time-shuffled copies that calibrate the scores and set the graph's threshold (0: raw
    scores and no graph; else at least 2); ``out``: the run folder
    (None: nothing written)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if rule not in RULES:
        raise ConfigError(f"unknown plasticity rule {rule!r}; choose one of: {', '.join(RULES)}")
    for name, v, lo in (("T", T, 3), ("null_runs", null_runs, 0), ("seed", seed, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ConfigError(f"{name} must be an int >= {lo}, got {v!r}")
    if null_runs == 1:
        raise ConfigError("null_runs must be 0 (raw scores, no graph) or at least 2 (calibrated scores and a graph)")
    if not 0.0 <= float(autocorrelation) < 1.0:
        raise ConfigError(f"autocorrelation must be in [0, 1), got {autocorrelation!r}")
    say = progress if callable(progress) else (lambda _m: None)
    params = params or DiscoveryParams()
    series, dyn = _series(model, data, T, autocorrelation, seed, time)
    enc = encode(series, time=time)
    t0 = _time.perf_counter()
    say(
        f"{engine} engine, {rule} rule: {len(enc.variables)} variables, {enc.n_values} value assemblies, "
        f"{len(series)} steps"
    )
    kw = dict(rule=rule, engine=engine, params=params, **engine_kwargs)
    raw = learn_scores(enc, seed=seed, **kw)
    null = null_scores(enc, null_runs, seed=seed, progress=say, **kw)
    seconds = _time.perf_counter() - t0
    n = len(enc.variables)
    off = ~np.eye(n, dtype=bool)
    if null_runs:
        scores = calibrate(raw, null)
        threshold = float(calibrated_null(null)[:, off].max())
    else:
        scores, threshold = raw, None
    graph = (
        [(enc.variables[i], enc.variables[j]) for i, j in zip(*np.nonzero((scores > threshold) & off), strict=True)]
        if threshold is not None
        else []
    )
    metrics = None
    if dyn is not None:
        truth = dyn.adjacency(contemporaneous=False)
        idx = [list(dyn.variables).index(v) for v in enc.variables]
        truth = truth[np.ix_(idx, idx)]
        metrics = evaluate(scores, truth)
        if threshold is not None:
            learned = (scores > threshold) & off
            tp = int((learned & truth).sum())
            metrics |= {
                "graph_true_positives": tp,
                "graph_false_positives": int((learned & ~truth).sum()),
                "graph_missed": int((truth & ~learned).sum()),
            }
    res = DiscoveryResult(
        {
            "kind": "discover",
            "model": None if dyn is None else dyn.name,
            "data": str(data) if isinstance(data, (str, Path)) else ("DataFrame" if data is not None else None),
            "engine": engine,
            "rule": rule,
            "seed": int(seed),
            "T": int(len(series)),
            "autocorrelation": float(autocorrelation) if data is None else None,
            "params": params.to_dict() | {k: str(v) for k, v in engine_kwargs.items()},
            "null_runs": int(null_runs),
            "variables": list(enc.variables),
            "values": {v: int(c) for v, c in zip(enc.variables, enc.cards, strict=True)},
            "scores": scores.tolist(),
            "raw_scores": raw.tolist(),
            "threshold": threshold,
            "graph": [list(e) for e in graph],
            "metrics": metrics,
            "truth": None if dyn is None else [list(e[:2]) for e in dyn.lagged_links() if e[2] >= 1 and e[0] != e[1]],
            "seconds": seconds,
            "versions": versions(),
        }
    )
    say(f"done in {seconds:.1f} s: {len(graph)} links learned")
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "result.json", dict(res))
        write_csv(folder / "scores.csv", res.scores.rename_axis("cause").reset_index())
        res.folder = folder
        if figures:
            plot_discovery(res, folder)
    return res


def plot_discovery(res: DiscoveryResult, folder: Path) -> Path:
    """``figures/discovery.png``: the score matrix (true lag-1 links outlined when known, learned
    links dotted) beside the scores of the true links and of the other pairs against the null's
    threshold."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    s = res.scores
    what = "calibrated score (raw / null mean)" if res.get("threshold") is not None else "raw score"
    v = list(s.index)
    n = len(v)
    truth = {tuple(e) for e in (res.get("truth") or [])}
    learned = set(res.graph)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax, bx = fig.subplots(1, 2, width_ratios=[1.1, 1])
    from matplotlib.colors import PowerNorm

    im = ax.imshow(s.to_numpy(), cmap="viridis", norm=PowerNorm(0.4, vmin=0.0))
    fig.colorbar(im, ax=ax, label=f"{what}, power-law colour")
    ax.set_xticks(range(n), v, rotation=90, fontsize=7)
    ax.set_yticks(range(n), v, fontsize=7)
    for i, a in enumerate(v):
        for j, b in enumerate(v):
            if (a, b) in truth:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
            if (a, b) in learned:
                ax.plot(j, i, "w.", ms=4)
    ax.set_title("cause row -> effect column (red: true lag-1 link; white dot: learned)", fontsize=9)
    vals = [(s.iloc[i, j], (v[i], v[j]) in truth) for i in range(n) for j in range(n) if i != j]
    x = np.array([a for a, _ in vals])
    is_true = np.array([t for _, t in vals])
    order = np.argsort(-x)
    colours = np.where(is_true[order], "tab:red", "0.6") if truth else np.full(len(x), "tab:blue")
    bx.bar(np.arange(len(x)), x[order], color=colours, width=1.0)
    if res.get("threshold") is not None:
        label = f"largest calibrated score of {res['null_runs']} time-shuffled runs"
        bx.axhline(res["threshold"], color="k", ls="--", lw=1, label=label)
        bx.legend(fontsize=8)
    bx.set_yscale("log")
    positive = x[x > 0]
    if positive.size:
        bx.set_ylim(bottom=max(positive.min(), positive.max() * 1e-4) / 2)
    bx.set_xlabel("ordered pairs, by score")
    bx.set_ylabel(what)
    m = res.metrics
    title = f"{res['engine']} engine, {res['rule']} rule, T = {res['T']}, seed {res['seed']}"
    if m:
        title += f"\nAUROC {m['auroc']:.3f}, P@K {m['precision_at_k']:.2f} (red bars: true links)"
    bx.set_title(title, fontsize=9)
    out = Path(folder) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "discovery.png"
    fig.savefig(path, dpi=110)
    return path

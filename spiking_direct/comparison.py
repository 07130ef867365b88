"""Rate-based against spiking DIRECT on the same causal model and seeds.

Both engines run the same protocol (same seed: same data table, same value
pairs) and go through the same readout; the comparison puts their per-link
readouts side by side and measures how far they agree (:func:`agreement`).

Agreement (the headline, ``comparison.json["agreement"]``), over the forward
links, for ``delta_prop`` and for ``delta``, per link the mean over seeds:

* ``ccc``: Lin's concordance correlation coefficient of the two engines'
  per-link values, :func:`ccc`; 1 only when they lie on the identity line
  (it penalises a shift and a scale difference, unlike a correlation).
  ``delta`` is in each engine's own weight unit (1 for rate, mV for spiking),
  so its CCC is computed on ``delta`` divided by the engine's mean over the
  links and seeds (the scale removed, the differences between links kept).
* ``ccc_ci95``: the 2.5 and 97.5 percentiles of the CCC over bootstrap
  resamples of the seeds (drawn with replacement, the same seeds for both
  engines, :data:`N_BOOTSTRAP` resamples from a generator seeded
  :data:`BOOTSTRAP_SEED`).
* ``reliability``: each engine's split-half reliability across seeds: the
  seeds split into two halves at random, the CCC of the two halves' per-link
  means, averaged over splits (every split when there are at most
  :data:`N_SPLITS`, else :data:`N_SPLITS` random ones), then Spearman-Brown
  corrected to the full number of seeds, ``2 r / (1 + r)``
  (:func:`split_half_reliability`). 1: the seeds agree on every link; about
  0: the link-to-link differences are seed noise.
* ``ccc_corrected``: the agreement corrected for those reliabilities
  (disattenuated), ``ccc / sqrt(rel_rate * rel_spiking)``; the ceiling that
  seed noise alone sets on ``ccc`` is ``sqrt(rel_rate * rel_spiking)``. NaN
  when a reliability is <= 0 or undefined (fewer than 2 seeds); beyond +-1
  when the reliabilities are low and estimated from few seeds (the correction
  then says little). The two engines share each seed's data table and value
  pairs, so what varies from seed to seed in the same way in both counts as
  agreement in ``ccc`` and as noise in the split-half reliability: ``ccc``
  can then exceed the ceiling, and the corrected value 1.
* ``pearson``, ``bias_factor`` (``ccc = pearson * bias_factor``),
  ``mean_difference`` (spiking - rate) and ``sd_ratio``: where a low CCC comes
  from, a different order of the links or a shift or scale between engines.
* ``per_link``: per link both engines' mean, sd and standard error over seeds,
  and the difference in units of its standard error (``z``).

The all-pairs Spearman correlation of the earlier comparison stays in the
JSON (``spearman_*``) as a secondary number: it mostly measures the split into
links, unlinked pairs and reverses that the protocol fixes.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from math import comb
from pathlib import Path

import numpy as np

from . import pipeline
from .config import RunConfig
from .metrics import spearman
from .results import write_json


def compare(
    config: RunConfig, seeds: list[int], out: str | Path, progress=None, figures: bool = True, model=None
) -> dict:
    """Run both engines for every seed; write ``out/comparison.json`` and figures (``model``: a
    CausalModel object in place of ``config.model``)."""
    out = Path(out)
    progress = progress or (lambda msg: None)
    runs = {"rate": [], "spiking": []}
    for seed in seeds:
        for engine in ("rate", "spiking"):
            cfg = replace(config, engine=engine, seed=seed)
            res = pipeline.run(cfg, out=out / engine / f"seed_{seed}", progress=progress, figures=False, model=model)
            runs[engine].append(res)
            progress(
                f"{engine} seed {seed}: delta P@K {res['metrics_delta']['precision_at_k']:.2f}, "
                f"delta_prop P@K {res['metrics_delta_prop']['precision_at_k']:.2f}"
            )
    per_seed = []
    for r, s in zip(runs["rate"], runs["spiking"]):
        dp_r, dp_s = (np.array(x["matrices"]["delta_prop"], dtype=float) for x in (r, s))
        d_r, d_s = (np.array(x["matrices"]["delta"], dtype=float) for x in (r, s))
        truth = np.array(r["matrices"]["truth"], dtype=bool)
        K = int(truth.sum())
        per_seed.append(
            {
                "seed": r["seed"],
                "spearman_delta_prop": spearman(np.nan_to_num(dp_r), np.nan_to_num(dp_s)),
                **_unlinked_diagnostics(np.nan_to_num(dp_r), np.nan_to_num(dp_s), truth),
                "spearman_delta": spearman(np.nan_to_num(d_r), np.nan_to_num(d_s)),
                "same_top_k_links_delta": _top_k_set(d_r, K) == _top_k_set(d_s, K),
                "same_top_k_links_delta_prop": _top_k_set(dp_r, K) == _top_k_set(dp_s, K),
                "metrics": {
                    e: {
                        "delta": x["metrics_delta"],
                        "delta_prop": x["metrics_delta_prop"],
                        "summary": x["summary"],
                        "timing": x["timing"],
                    }
                    for e, x in (("rate", r), ("spiking", s))
                },
            }
        )
    links = []
    for i, link in enumerate(runs["rate"][0]["links"]):
        row = {"source": link["source"], "target": link["target"]}
        for engine in ("rate", "spiking"):
            for key in ("delta", "delta_prop", "overlap_forward", "overlap_reverse"):
                vals = [res["links"][i][key] for res in runs[engine]]
                row[f"{engine}_{key}_mean"] = float(np.mean(vals))
                row[f"{engine}_{key}_sd"] = float(np.std(vals))
        links.append(row)
    agree = agreement(runs, [f"{l['source']}→{l['target']}" for l in links])
    comparison = {
        "scm": runs["rate"][0]["scm"],
        "seeds": list(seeds),
        "agreement": agree,
        "spearman_delta_prop_mean": float(np.mean([p["spearman_delta_prop"] for p in per_seed])),
        "spearman_delta_mean": float(np.mean([p["spearman_delta"] for p in per_seed])),
        "spearman_delta_prop_link_pairs_mean": float(np.mean([p["spearman_delta_prop_link_pairs"] for p in per_seed])),
        "spearman_delta_prop_unlinked_zeroed_mean": float(
            np.mean([p["spearman_delta_prop_unlinked_zeroed"] for p in per_seed])
        ),
        "per_seed": per_seed,
        "links": links,
        "timing_total_s": {e: float(np.sum([x["timing"]["total_s"] for x in runs[e]])) for e in runs},
        "params": {e: runs[e][0]["params"] for e in runs},
        "backend": runs["spiking"][0].get("backend"),
        "versions": runs["spiking"][0]["versions"],
    }
    write_json(out / "comparison.json", comparison)
    if figures:
        plot_comparison(comparison, runs, out / "comparison.png")
        plot_agreement(comparison, out / "agreement.png")
    return comparison


# --------------------------------------------------------------------------
# Agreement statistics
# --------------------------------------------------------------------------
#: bootstrap resamples of the seeds for the interval of the CCC
N_BOOTSTRAP = 2000
#: seed of the generator of the bootstrap resamples and the random splits
BOOTSTRAP_SEED = 0
#: random half splits of the seeds for the split-half reliability (all splits when there are fewer)
N_SPLITS = 200


def ccc(x, y) -> float:
    """Lin's concordance correlation coefficient of two equally long vectors:
    ``2 cov(x, y) / (var(x) + var(y) + (mean(x) - mean(y))^2)``, with the
    population (``1/n``) moments. NaN when the denominator is 0 (both constant
    and equal)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"ccc needs two vectors of the same length >= 2, got shapes {x.shape} and {y.shape}")
    mx, my = x.mean(), y.mean()
    den = x.var() + y.var() + (mx - my) ** 2
    if den == 0:
        return float("nan")
    return float(2.0 * np.mean((x - mx) * (y - my)) / den)


def bootstrap_ccc(a: np.ndarray, b: np.ndarray, n: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED, scale=None):
    """CCC of the seed means of ``a`` and ``b`` ((seeds, links) arrays of paired seeds) and its
    bootstrap 95 % interval over resamples of the seeds (the same resample for both).
    ``scale``: a function applied to each (seeds, links) array before the means (e.g. division by
    its overall mean). Returns ``(ccc, (lo, hi))``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must be (seeds, links) arrays of the same shape, got {a.shape} and {b.shape}")
    f = scale or (lambda m: m)
    point = ccc(f(a).mean(axis=0), f(b).mean(axis=0))
    rng = np.random.default_rng(seed)
    S = a.shape[0]
    boots = np.empty(int(n))
    for i in range(int(n)):
        idx = rng.integers(0, S, S)
        boots[i] = ccc(f(a[idx]).mean(axis=0), f(b[idx]).mean(axis=0))
    boots = boots[np.isfinite(boots)]
    if boots.size == 0:
        return point, (float("nan"), float("nan"))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return point, (float(lo), float(hi))


def _splits(S: int, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Half splits of ``S`` seeds (the first half's indices): all distinct ones when there are at
    most ``n``, else ``n`` random ones."""
    h = S // 2
    distinct = comb(S, h) // (2 if S % 2 == 0 else 1)  # {A, B} and {B, A} are the same split
    if distinct > n:
        return [np.sort(rng.permutation(S)[:h]) for _ in range(n)]
    every = [np.array(c) for c in combinations(range(S), h)]
    return [c for c in every if 0 in c] if S % 2 == 0 else every


def split_half_reliability(x: np.ndarray, n_splits: int = N_SPLITS, seed: int = BOOTSTRAP_SEED) -> dict:
    """Split-half reliability of the per-link means of ``x`` ((seeds, links)): the CCC of the
    means of two halves of the seeds, averaged over splits (:func:`_splits`), and that
    average Spearman-Brown corrected to the full number of seeds, ``2 r / (1 + r)``.
    ``{"half": r, "spearman_brown": rel, "n_splits": m}``; NaN with fewer than 2 seeds."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be a (seeds, links) array, got shape {x.shape}")
    S = x.shape[0]
    if S < 2:
        return {"half": float("nan"), "spearman_brown": float("nan"), "n_splits": 0}
    rng = np.random.default_rng(seed)
    rs = []
    for first in _splits(S, n_splits, rng):
        second = np.setdiff1d(np.arange(S), first)
        rs.append(ccc(x[first].mean(axis=0), x[second].mean(axis=0)))
    r = float(np.nanmean(rs)) if np.isfinite(rs).any() else float("nan")
    rel = 2 * r / (1 + r) if np.isfinite(r) and r > -1 else float("nan")
    return {"half": r, "spearman_brown": float(rel), "n_splits": len(rs)}


def _mean_scaled(m: np.ndarray) -> np.ndarray:
    """``m`` divided by its overall mean (the scale of a weight unit removed)."""
    mu = float(np.mean(m))
    return m / mu if mu != 0 else m


def agreement_of(a: np.ndarray, b: np.ndarray, names: list[str], scale=None) -> dict:
    """The agreement of two engines' (seeds, links) arrays of one readout (see the module doc)."""
    point, ci = bootstrap_ccc(a, b, scale=scale)
    f = scale or (lambda m: m)
    a, b = f(a), f(b)  # per link and for the reliabilities: in the scaled units
    rel = {"rate": split_half_reliability(a), "spiking": split_half_reliability(b)}
    ra, rb = rel["rate"]["spearman_brown"], rel["spiking"]["spearman_brown"]
    corrected = point / np.sqrt(ra * rb) if ra > 0 and rb > 0 else float("nan")
    S = a.shape[0]
    per_link = []
    for i, name in enumerate(names):
        ma, mb = float(a[:, i].mean()), float(b[:, i].mean())
        sa, sb = (float(v[:, i].std(ddof=1)) if S > 1 else float("nan") for v in (a, b))
        se = np.sqrt((sa**2 + sb**2) / S) if S > 1 else float("nan")
        per_link.append(
            {
                "link": name,
                "rate_mean": ma,
                "rate_sd": sa,
                "spiking_mean": mb,
                "spiking_sd": sb,
                "difference": mb - ma,
                "z": float((mb - ma) / se) if S > 1 and se > 0 else float("nan"),
            }
        )
    ma, mb = a.mean(axis=0), b.mean(axis=0)
    pearson = float(np.corrcoef(ma, mb)[0, 1]) if ma.std() > 0 and mb.std() > 0 else float("nan")
    return {
        "ccc": point,
        "ccc_ci95": list(ci),
        # CCC = pearson * bias_factor: the correlation of the link orders times how far the means
        # and the spreads of the two engines' values coincide (1: the same location and scale)
        "pearson": pearson,
        "bias_factor": float(point / pearson) if np.isfinite(pearson) and pearson != 0 else float("nan"),
        "mean_difference": float(mb.mean() - ma.mean()),
        "sd_ratio": float(mb.std() / ma.std()) if ma.std() > 0 else float("nan"),
        "reliability": rel,
        "ceiling": float(np.sqrt(ra * rb)) if ra > 0 and rb > 0 else float("nan"),
        "ccc_corrected": float(corrected),
        "per_link": per_link,
    }


def agreement(runs: dict, names: list[str]) -> dict:
    """Agreement of the rate and spiking runs (``runs[engine]``: one result per seed, paired)
    over the forward links, for ``delta_prop`` and (scaled by its mean) ``delta``."""
    out = {
        "links": "forward (true) links",
        "n_seeds": len(runs["rate"]),
        "n_bootstrap": N_BOOTSTRAP,
        "bootstrap_seed": BOOTSTRAP_SEED,
        "reliability": "split-half CCC of per-link seed means, averaged over splits, Spearman-Brown corrected",
        "corrected": "ccc / sqrt(rel_rate * rel_spiking)",
    }
    for key, scale in (("delta_prop", None), ("delta", _mean_scaled)):
        a, b = (
            np.array([[lk[key] for lk in res["links"]] for res in runs[e]], dtype=float) for e in ("rate", "spiking")
        )
        out[key] = agreement_of(a, b, names, scale=scale)
    out["delta"]["scaled"] = "each engine's delta divided by its mean over the links and seeds"
    return out


def _unlinked_diagnostics(a: np.ndarray, b: np.ndarray, truth: np.ndarray) -> dict:
    """Where the all-pairs rank correlation of two engines' ``delta_prop`` comes from.

    Most ordered pairs of a sparse model are unlinked (70 of 90 for the
    Alzheimer SCM). An engine whose targets stay silent there ties them all at
    exactly 0; one whose k-cap always elects ``k`` cells gives them chance-level
    noise. Against such ties the all-pairs Spearman correlation is bounded
    (about 0.73 for 10 links, 10 reverses and 70 unlinked pairs, however well
    the links agree), so beside it this reports the correlation over the links
    and their reverses only, the correlation with the unlinked pairs set to 0
    in both engines, and how many unlinked pairs each engine leaves exactly 0."""
    A = len(truth)
    off = ~np.eye(A, dtype=bool)
    linked = off & (truth | truth.T)
    unlinked = off & ~linked
    a0, b0 = a.copy(), b.copy()
    a0[unlinked] = b0[unlinked] = 0.0
    return {
        "spearman_delta_prop_link_pairs": spearman(a, b, pairs=linked),
        "spearman_delta_prop_unlinked_zeroed": spearman(a0, b0),
        "unlinked_pairs": int(unlinked.sum()),
        "unlinked_exact_zero": [int(np.sum(a[unlinked] == 0)), int(np.sum(b[unlinked] == 0))],
    }


def _top_k_set(scores: np.ndarray, k: int) -> set:
    from .metrics import rank_pairs

    return set(rank_pairs(np.nan_to_num(scores))[:k])


def plot_agreement(comparison: dict, path: Path) -> Path:
    """Left: per forward link, the spiking engine's mean ``delta_prop`` against the rate
    engine's (seed sd as error bars), the identity line and the band around it that seed noise
    alone would fill (+-1.96 standard errors of the difference, median over links), with the
    CCC and its interval, both reliabilities and the ceiling they set. Right: per link, the
    difference spiking - rate with its 95 % interval (the per-link diagnostic)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ag = comparison["agreement"]["delta_prop"]
    pl = ag["per_link"]
    S = len(comparison["seeds"])
    x = np.array([p["rate_mean"] for p in pl])
    y = np.array([p["spiking_mean"] for p in pl])
    sx = np.nan_to_num(np.array([p["rate_sd"] for p in pl], dtype=float))
    sy = np.nan_to_num(np.array([p["spiking_sd"] for p in pl], dtype=float))
    se = np.sqrt((sx**2 + sy**2) / S)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.8), constrained_layout=True)
    ax.errorbar(x, y, xerr=sx, yerr=sy, fmt="o", ms=4, capsize=2, color="tab:blue", label="link (mean ± sd)")
    for i, (xi, yi) in enumerate(zip(x, y)):
        ax.annotate(str(i + 1), (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    # a square view around the links and their error bars (identity included), not the whole 0-1 range
    lo = float(np.nanmin(np.concatenate([x - sx, y - sy])))
    hi = float(np.nanmax(np.concatenate([x + sx, y + sy])))
    pad = 0.08 * max(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    line = np.array([lo, hi])
    band = 1.96 * float(np.median(se)) if S > 1 else 0.0
    ax.fill_between(line, line - band, line + band, color="grey", alpha=0.25, label="identity ± seed noise (95 %)")
    ax.plot(line, line, color="k", lw=0.7, label="identity (perfect agreement)")
    rel = ag["reliability"]
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("rate engine Δprop")
    ax.set_ylabel("spiking engine Δprop")
    ax.legend(fontsize=8, loc="lower right")

    def f2(v) -> str:  # undefined values are NaN in memory and null once read back from comparison.json
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.2f}"

    ax.set_title(
        f"{comparison['scm']}, forward links, {S} seeds\n"
        f"CCC {f2(ag['ccc'])} [{f2(ag['ccc_ci95'][0])}, {f2(ag['ccc_ci95'][1])}]; split-half reliability rate "
        f"{f2(rel['rate']['spearman_brown'])}, spiking {f2(rel['spiking']['spearman_brown'])}\n"
        f"ceiling sqrt(rel_rate rel_spiking) {f2(ag['ceiling'])}; corrected CCC {f2(ag['ccc_corrected'])}",
        fontsize=9,
    )
    d = y - x
    pos = np.arange(len(pl))
    bx.errorbar(pos, d, yerr=1.96 * se, fmt="o", capsize=3, color="tab:purple")
    bx.axhline(0, color="k", lw=0.7)
    bx.axhline(float(d.mean()), color="tab:purple", lw=0.7, ls="--", label=f"mean difference {d.mean():.3f}")
    bx.set_xticks(pos, [f"{i + 1} {p['link']}" for i, p in enumerate(pl)], rotation=60, ha="right", fontsize=8)
    bx.set_ylabel("Δprop spiking − rate (mean, 95 % interval over seeds)")
    bx.set_title("per link: the difference between the engines", fontsize=9)
    bx.legend(fontsize=8)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_comparison(comparison: dict, runs: dict, path: Path) -> Path:
    """``comparison.png``: per-link delta and delta_prop of both engines with seed error bars; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    links = comparison["links"]
    names = [f"{l['source']}→{l['target']}" for l in links]
    x = np.arange(len(links))
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.3), constrained_layout=True)
    for ax, key, label in (
        (axes[0], "delta_prop", "Δprop (overlap fwd − rev)"),
        (axes[1], "overlap_forward", "forward overlap"),
    ):
        for off, engine, colour in ((-0.2, "rate", "tab:orange"), (0.2, "spiking", "tab:blue")):
            ax.bar(
                x + off,
                [l[f"{engine}_{key}_mean"] for l in links],
                0.4,
                yerr=[l[f"{engine}_{key}_sd"] for l in links],
                color=colour,
                label=engine,
                capsize=2,
            )
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=8)
        ax.set_ylim(0, 1.22)  # room above the bars for the legend
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_ylabel(label)
        ax.set_title(f"{label} per true link (mean ± sd, {len(comparison['seeds'])} seeds)")
        ax.legend(fontsize=8, loc="upper center", ncol=2)
    ax = axes[2]
    for res_r, res_s in zip(runs["rate"], runs["spiking"]):
        pr = np.array(res_r["matrices"]["delta_prop"], dtype=float)
        ps = np.array(res_s["matrices"]["delta_prop"], dtype=float)
        truth = np.array(res_r["matrices"]["truth"], dtype=bool)
        off = ~np.eye(len(pr), dtype=bool)
        for mask, colour, label in (
            (off & truth, "tab:green", "true link u→v"),
            (off & truth.T, "tab:red", "reverse of a link"),
            (off & ~truth & ~truth.T, "tab:grey", "unlinked pair"),
        ):
            ax.scatter(pr[mask], ps[mask], s=14, c=colour, alpha=0.7, label=label if res_r is runs["rate"][0] else None)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("rate engine Δprop")
    ax.set_ylabel("spiking engine Δprop")
    ax.set_title(
        f"every ordered pair: Spearman ρ = {comparison['spearman_delta_prop_mean']:.2f} (mean over seeds)\n"
        f"links + reverses only {comparison['spearman_delta_prop_link_pairs_mean']:.2f}; "
        f"unlinked set to 0 in both {comparison['spearman_delta_prop_unlinked_zeroed_mean']:.2f}",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    fig.suptitle(f"Rate-based vs spiking DIRECT, {comparison['scm']}")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path

"""Robustness of DIRECT to the encoding separation (the DIRECT paper's robustness table).

Claim: on the Alzheimer SCM with the value-to-firing-rate code (the positive
value fires 15x, 10x or 6.7x as strongly as the other), both engines keep
Precision@K = Recall@K = 1 and a propagation pass rate (true links with
delta_prop > 0) of 1 over 6 seeds, with the mean delta_prop per separation
reported beside the published rate-based values (0.801 +- 0.030,
0.811 +- 0.026, 0.787 +- 0.062).

The rate engine runs twice: with its default ``sampled`` stimulus (a weaker
value fires that fraction of its input cells, a spike count as in the
spiking engine) and with ``rate.stimulus=graded`` (every cell fires at that
fraction of the rate: the input is scaled, and a k-cap, invariant to scale,
elects the same assembly for every value). The published numbers lie between
the two; neither is tuned to them.

All 36 runs go through one Dask sweep (``experiments/sweeps/robustness.toml``;
resumable). ``--sequential`` also runs the same 36 runs one after another
in this process, for the sweep's speed-up.

    python experiments/robustness.py [--out sweeps/robustness] [--sequential]

Writes ``experiments/results/robustness.csv`` and ``figures/robustness.png``.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import tomllib

from spiking_direct import pipeline
from spiking_direct.config import apply_overrides
from spiking_direct.results import versions, write_csv, write_json
from spiking_direct.sweep import Sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "experiments" / "sweeps" / "robustness.toml"
PUBLISHED = {15.0: (0.801, 0.030), 10.0: (0.811, 0.026), 6.7: (0.787, 0.062)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "sweeps" / "robustness"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--sequential", action="store_true", help="also run the same runs one after another")
    ap.add_argument("--plot-only", action="store_true", help="redraw the figure from the saved table")
    ap.add_argument("--page-only", action="store_true", help="rewrite docs/results/robustness.rst from the table")
    args = ap.parse_args()
    if args.page_only:
        page()
        return
    if args.plot_only:
        plot(pd.read_csv(ROOT / "experiments" / "results" / "robustness.csv"))
        return

    # ------------------------------------------------------------- Run (Dask)
    sweep = Sweep.from_toml(SWEEP)
    t0 = time.perf_counter()
    table = run_sweep(sweep, args.out, workers=args.workers)
    sweep_s = time.perf_counter() - t0
    timing = {"sweep_wall_s": sweep_s, "runs": len(table)}
    # the rate engine with graded stimuli: 18 runs of about a second, in this process
    graded = []
    for spec in sweep:
        if spec.engine != "rate":
            continue
        cfg = apply_overrides(spec.config(), ["rate.stimulus=graded"])
        res = pipeline.run(cfg, figures=False)
        graded.append(
            {
                "engine": "rate (graded)",
                "separation": cfg.separation,
                "status": "ok",
                **{f"delta_{k}": res["metrics_delta"][k] for k in ("precision_at_k", "recall_at_k")},
                "delta_prop_precision_at_k": res["metrics_delta_prop"]["precision_at_k"],
                **{
                    k: res["summary"][k]
                    for k in (
                        "delta_prop_positive_links",
                        "n_links",
                        "delta_prop_links_mean",
                        "overlap_forward_mean",
                        "overlap_reverse_mean",
                    )
                },
                "total_s": res["timing"]["total_s"],
            }
        )
    table = pd.concat([table, pd.DataFrame(graded)], ignore_index=True)
    if args.sequential:
        t0 = time.perf_counter()
        for spec in sweep:
            pipeline.run(spec.config(), figures=False)
        timing["sequential_wall_s"] = time.perf_counter() - t0
        timing["speedup"] = timing["sequential_wall_s"] / sweep_s

    # ------------------------------------------------------------------ Save
    ok = table[table["status"] == "ok"].copy()
    rows = []
    for (engine, sep), g in ok.groupby(["engine", "separation"]):
        rows.append(
            {
                "engine": engine,
                "separation": float(sep),
                "seeds": len(g),
                "precision_at_k": g["delta_precision_at_k"].mean(),
                "recall_at_k": g["delta_recall_at_k"].mean(),
                "prop_precision_at_k": g["delta_prop_precision_at_k"].mean(),
                "pass_rate": (g["delta_prop_positive_links"] / g["n_links"]).mean(),
                "delta_prop_mean": g["delta_prop_links_mean"].mean(),
                "delta_prop_sd": g["delta_prop_links_mean"].std(),
                "published_delta_prop": PUBLISHED.get(round(float(sep), 1), (np.nan,))[0],
                "overlap_forward": g["overlap_forward_mean"].mean(),
                "overlap_reverse": g["overlap_reverse_mean"].mean(),
                "total_s_mean": g["total_s"].mean(),
            }
        )
    res = pd.DataFrame(rows)
    out = ROOT / "experiments" / "results"
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "robustness.csv", res)
    write_json(  # what the table was run with
        out / "robustness.json",
        {
            "sweep": tomllib.loads(SWEEP.read_text()),
            "sweep_file": SWEEP.relative_to(ROOT).as_posix(),
            "graded_rate_runs": "the sweep's rate runs again with rate.stimulus=graded",
            "model": "alzheimer",
            "engines": sorted(set(ok["engine"])),
            "seeds": sorted({int(s) for s in table["seed"].dropna()}) if "seed" in table else None,
            "runs": len(table),
            "failed": int((table["status"] != "ok").sum()),
            "date": datetime.now(timezone.utc).isoformat(),
            "versions": versions(),
        },
    )
    pd.set_option("display.width", 200)
    print(res.round(3).to_string(index=False))
    print("timing:", {k: round(v, 1) if isinstance(v, float) else v for k, v in timing.items()})
    write_csv(out / "robustness_timing.csv", pd.DataFrame([timing]))
    plot(res)
    page()


def page() -> None:
    """``docs/results/robustness.rst`` from ``robustness.csv`` (every number formatted from it)."""
    import sys

    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, rng
    from _pages import fmt as num

    res = pd.read_csv(ROOT / "experiments" / "results" / "robustness.csv")
    by = {e: g.set_index("separation") for e, g in res.groupby("engine")}
    spk, rate, graded = by["spiking"], by["rate"], by["rate (graded)"]
    digits = 0
    a, b = spk.loc[10.0, "delta_prop_mean"], spk.loc[15.0, "delta_prop_mean"]
    while digits < 12 and round(a, digits + 1) == round(b, digits + 1):
        digits += 1
    p = Page(
        "robustness",
        "Robustness to the encoding separation (single-volley stimulus)",
        command="python experiments/robustness.py",
        intro=(
            "Alzheimer with the value-to-firing-rate code: the positive value drives its input set at full "
            "strength, the other value at 1 / separation, in a single volley (each input cell fires at most once: "
            "the short-time limit of the rate code). Both engines, separations 15, 10 and 6.7, "
            f"{int(res.seeds.max())} seeds each; the rate engine also with the graded stimulus (every cell at the "
            "mean, the long-time limit). The published rate-based Δprop (0.801, 0.811, 0.787; another model) "
            "is quoted beside. The Poisson stimulus, where both engines get the same spike counts, is on "
            ":doc:`poisson_rate_code`."
        ),
    )
    p.section("What this shows, and what it does not")
    p.bullets(
        [
            f"Δ Precision@K {rng(res.precision_at_k.min(), res.precision_at_k.max())} in every condition: the "
            "protocol gives the lead, so this shows the lead written into the coupled links (null given the "
            "skeleton 0.5), not a direction learned from the data.",
            "The spiking engine's mean Δprop at 10x and 15x "
            + (f"is identical ({num(a, 4)})" if a == b else f"agrees to {digits} decimals ({num(a, 4)}, {num(b, 4)})")
            + ": the weak value's volley stays below the clocked cap's input floor at both separations, so its area "
            "stays silent and the sweep measures a presence/absence code, not a rate code. How often the weak "
            "value's area fires is measured under the Poisson stimulus on :doc:`poisson_rate_code`.",
            f"The graded rate engine gives Δprop {num(graded.delta_prop_mean.min(), 3)} at every separation: a "
            "k-cap without a floor is blind to the scale of its input, so every value elects the same assembly.",
            f"The sampled rate engine's Δprop ({rng(rate.delta_prop_mean.min(), rate.delta_prop_mean.max())}) and "
            f"the spiking engine's ({rng(spk.delta_prop_mean.min(), spk.delta_prop_mean.max())}) are not tuned to "
            "the published values; the published model is a different one.",
        ]
    )
    show = res.copy()
    show["pk"] = [f"{num(x)} / {num(y)}" for x, y in zip(show.precision_at_k, show.prop_precision_at_k)]
    show["dprop"] = [f"{x:.3f} ± {y:.3f}" for x, y in zip(show.delta_prop_mean, show.delta_prop_sd)]
    p.table(
        show,
        "experiments/results/robustness.csv",
        raw=res,
        columns={
            "engine": "engine",
            "separation": "separation",
            "pk": "Δ / Δprop P@K",
            "pass_rate": "links with Δprop > 0",
            "dprop": "Δprop (true links)",
            "published_delta_prop": "published Δprop",
            "overlap_forward": "forward overlap",
            "overlap_reverse": "reverse overlap",
        },
        formats={"separation": "{:g}", "pass_rate": "{:.2f}", "published_delta_prop": "{:.3f}"},
        caption=f"mean over {int(res.seeds.max())} seeds",
    )
    p.figure("figures/robustness.png", "Δprop per engine and separation, with the published values.")
    p.write()


# ---------------------------------------------------------------------- Plot
def plot(res: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.6), constrained_layout=True)
    seps = sorted(res["separation"].unique(), reverse=True)
    x = np.arange(len(seps))
    bars = (
        (-0.3, "rate", "tab:orange", "rate engine, sampled"),
        (-0.1, "rate (graded)", "tab:red", "rate engine, graded"),
        (0.1, "spiking", "tab:blue", "spiking engine"),
    )
    for off, engine, colour, label in bars:
        sub = res[res["engine"] == engine].set_index("separation").reindex(seps)
        if sub["delta_prop_mean"].isna().all():
            continue
        ax.bar(
            x + off,
            sub["delta_prop_mean"],
            0.2,
            yerr=sub["delta_prop_sd"],
            color=colour,
            capsize=3,
            label=f"{label} (P@K {sub['precision_at_k'].min():.2f}-{sub['precision_at_k'].max():.2f})",
        )
    pub = [PUBLISHED.get(round(s, 1), (np.nan, np.nan)) for s in seps]
    ax.bar(
        x + 0.3,
        [p[0] for p in pub],
        0.2,
        yerr=[p[1] for p in pub],
        color="tab:grey",
        capsize=3,
        label="published (rate-based)",
    )
    ax.set_xticks(x, [f"{s:g}x" for s in seps])
    ax.set_xlabel("encoding separation (positive : other value firing ratio)")
    ax.set_ylabel("mean Δprop over true links")
    ax.set_ylim(0, 1.25)
    ax.set_title("Robustness to the encoding separation (Alzheimer, 6 seeds, mean ± sd)")
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    fig.savefig(ROOT / "figures" / "robustness.png", dpi=130)
    print("wrote figures/robustness.png")


if __name__ == "__main__":
    main()

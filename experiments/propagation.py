"""Where the network stays contained: the full protocol under stronger inter-area coupling.

Claim
-----
With the window clock and the counting cap, the full DIRECT protocol on the
Alzheimer SCM stays *contained* as the inter-area connection probability
``p_inter`` and the weight bound ``w_max`` are raised: forward propagation
overlap stays high, reverse overlap <= 0.15, non-linked overlap <= 0.05, no
area the protocol holds silent fires, probe responders never exceed ``k``
and no active area fires more than 1.5 k winners in a window. (The
feasibility prototype without the window clock ran away at p_inter 0.35 or
w_max 15 mV.)

Sweep: ``p_inter`` in {0.1, 0.2, 0.3, 0.4} x ``w_max`` in {5, 10, 15, 20} mV
(package defaults 0.2 and 10 mV), seed 0, everything else at the package
defaults. Each combination is its own cpp_standalone build (``p_inter`` sets
the connectivity, ``w_max`` is a compiled constant).

Recorded per combination: forward overlap (mean and min over the true links),
reverse overlap (max), non-linked overlap (mean), Delta and Delta_prop
Precision@K and AUROC, the cap statistics of every phase (mean, max, fraction
of windows within +-25 % of k, the most winners of a silent area),
responders_max and fired_max (probe readout), run times.

Note: in this protocol the fibres transmit only in the probe phase (coupling
windows co-activate both areas with their own inputs and closed fibres;
probe targets get no input of their own), so the winner counts of the
stimulated areas do not depend on ``w_max``; what inter-area drive does to
the target areas shows in the propagation columns (fired, responders,
overlaps). An area driven by its own input *and* an open fibre at once is
the case ``experiments/cap_drive.py`` measures.

Usage
-----
    python experiments/propagation.py           # the 4 x 4 sweep (16 builds, ~4 min on 2 cores)
    python experiments/propagation.py --quick   # the 2 x 2 corners only
    python experiments/propagation.py --replot  # redraw the figure from the CSV
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from brian2 import mV

from spiking_direct import pipeline
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.models import STDPParams
from spiking_direct.protocol import PHASES
from spiking_direct.results import versions, write_json

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))  # _pages, the results-page writer
RESULTS = ROOT / "experiments" / "results"
FIGURES = ROOT / "figures"

# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------
P_INTER = (0.1, 0.2, 0.3, 0.4)
W_MAX_MV = (5, 10, 15, 20)
SEED = 0
MODEL = "alzheimer"
REVERSE_MAX, NONLINKED_MAX, CAP_FACTOR = 0.15, 0.05, 1.5
DEFAULT = (STDPParams().p_inter, float(STDPParams().w_max / mV))  # (p_inter, w_max in mV)


def contained(row: dict) -> bool:
    """The claim's containment criteria for one run."""
    return (
        row["reverse_max"] <= REVERSE_MAX
        and row["nonlinked_mean"] <= NONLINKED_MAX
        and row["silent_max"] == 0
        and row["responders_max"] <= row["k"]
        and row["winners_max_over_k"] <= CAP_FACTOR
    )


# --------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------
def run_one(p_inter: float, w_max_mv: float) -> dict:
    cfg = apply_overrides(
        RunConfig(model=MODEL, engine="spiking", backend="cpp_standalone", seed=SEED),
        [f"spiking.stdp.p_inter={p_inter}", f"spiking.stdp.w_max={w_max_mv}mV"],
    )
    t0 = time.perf_counter()
    res = pipeline.run(cfg, figures=False)
    wall = time.perf_counter() - t0
    s, cap, md, mp = res["summary"], res["cap"], res["metrics_delta"], res["metrics_delta_prop"]
    k = cap["k"]
    row = {
        "p_inter": p_inter,
        "w_max_mV": w_max_mv,
        "seed": SEED,
        "k": k,
        "forward_mean": s["overlap_forward_mean"],
        "forward_min": s["overlap_forward_min"],
        "reverse_max": s["overlap_reverse_max"],
        "nonlinked_mean": s["overlap_nonlinked_mean"],
        "delta_p_at_k": md["precision_at_k"],
        "delta_auroc": md["auroc"],
        "delta_prop_p_at_k": mp["precision_at_k"],
        "delta_prop_auroc": mp["auroc"],
        "responders_max": s["responders_max"],
        "fired_max": s["fired_max"],
        "fired_forward_mean": s["fired_forward_mean"],
    }
    for ph in PHASES:
        c = cap.get(ph, {})
        for key in ("mean", "max", "within_25pct", "silent_max"):
            row[f"{ph}_{key}"] = c.get(key, np.nan)
    row["silent_max"] = max(int(cap[ph]["silent_max"]) for ph in PHASES if ph in cap)
    row["winners_max_over_k"] = max(cap[ph]["max"] for ph in PHASES if ph in cap) / k
    row["n_synapses_ee"] = res["engine_info"].get("n_synapses_ee")
    row["build_s"] = res["timing"].get("build_s")
    row["simulate_s"] = res["timing"].get("simulate_s")
    row["wall_s"] = wall
    row["contained"] = contained(row)
    return row


# --------------------------------------------------------------------------
# Save
# --------------------------------------------------------------------------
def save(rows, path):
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        for r in rows:
            wr.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
    write_json(path.with_suffix(".json"), sidecar(rows))


def sidecar(rows) -> dict:
    """What the CSV beside it was run with: the sweep, the seed, the engine, the versions and the machine."""
    return {
        "model": MODEL,
        "engine": "spiking",
        "backend": "cpp_standalone",
        "seed": SEED,
        "params": {
            "p_inter": sorted({r["p_inter"] for r in rows}),
            "w_max_mV": sorted({r["w_max_mV"] for r in rows}),
            "package_defaults": {"p_inter": DEFAULT[0], "w_max_mV": DEFAULT[1]},
            "criteria": {"reverse_max": REVERSE_MAX, "nonlinked_max": NONLINKED_MAX, "cap_factor": CAP_FACTOR},
            "overrides": ["spiking.stdp.p_inter=P_INTER", "spiking.stdp.w_max=W_MAX mV"],
            "config": RunConfig(model=MODEL, engine="spiking", backend="cpp_standalone", seed=SEED).to_dict(),
        },
        "runs": len(rows),
        "date": datetime.now(timezone.utc).isoformat(),
        "versions": versions(),
    }


def load(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            rows.append(
                {
                    k: (v == "True" if k == "contained" else float(v) if v not in ("", "nan") else np.nan)
                    for k, v in r.items()
                }
            )
    return rows


HEADER = (
    f"{'p_inter':>7} {'w_max':>5} {'fwd mean':>8} {'fwd min':>7} {'rev max':>7} {'nonlink':>7} "
    f"{'D P@K':>5} {'D AUC':>5} {'Dp P@K':>6} {'Dp AUC':>6} {'resp max':>8} {'fired max':>9} "
    f"{'id/cp/pr mean':>14} {'max/k':>5} {'silent':>6} {'syn (M)':>7} {'build':>5} {'sim':>5} {'ok':>3}"
)


def fmt(r):
    return (
        f"{r['p_inter']:>7.1f} {r['w_max_mV']:>5.0f} {r['forward_mean']:>8.3f} {r['forward_min']:>7.3f} "
        f"{r['reverse_max']:>7.3f} {r['nonlinked_mean']:>7.3f} {r['delta_p_at_k']:>5.2f} "
        f"{r['delta_auroc']:>5.3f} {r['delta_prop_p_at_k']:>6.2f} {r['delta_prop_auroc']:>6.3f} "
        f"{r['responders_max']:>8.1f} {r['fired_max']:>9.1f} "
        f"{r['identify_mean']:>4.1f}/{r['couple_mean']:>4.1f}/{r['probe_mean']:>4.1f} "
        f"{r['winners_max_over_k']:>5.2f} {r['silent_max']:>6.0f} {r['n_synapses_ee'] / 1e6:>7.1f} "
        f"{r['build_s']:>5.0f} {r['simulate_s']:>5.0f} {'yes' if r['contained'] else 'NO':>3}"
    )


# --------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------
def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ps = sorted({r["p_inter"] for r in rows})
    ws = sorted({r["w_max_mV"] for r in rows})
    k = int(rows[0]["k"])

    def grid(key):
        g = np.full((len(ws), len(ps)), np.nan)
        for r in rows:
            g[ws.index(r["w_max_mV"]), ps.index(r["p_inter"])] = key(r) if callable(key) else r[key]
        return g

    def readout_text(r):
        return (
            f"{r['delta_p_at_k']:.2f} / {r['delta_auroc']:.3f}\n"
            f"{r['delta_prop_p_at_k']:.2f} / {r['delta_prop_auroc']:.3f}"
        )

    # (value, title, colormap, colour limits, target (value must stay <=), text of a cell or None)
    panels = [
        (
            "forward_mean",
            "forward overlap (mean over the 10 links)\n(min in brackets)",
            "viridis",
            (0, 1),
            None,
            lambda r: f"{r['forward_mean']:.2f}\n({r['forward_min']:.2f})",
        ),
        (
            "reverse_max",
            f"reverse overlap (max over links)\ntarget <= {REVERSE_MAX}",
            "Reds",
            (0, 2 * REVERSE_MAX),
            REVERSE_MAX,
            None,
        ),
        (
            "nonlinked_mean",
            f"non-linked overlap (mean over pairs)\ntarget <= {NONLINKED_MAX}",
            "Reds",
            (0, 2 * NONLINKED_MAX),
            NONLINKED_MAX,
            None,
        ),
        (
            "winners_max_over_k",
            f"max winners / k of a stimulated area, any phase\n"
            f"(k = {k}; target <= {CAP_FACTOR}; x = run not contained)",
            "Reds",
            (1, 2 * CAP_FACTOR - 1),
            CAP_FACTOR,
            lambda r: f"{r['winners_max_over_k']:.2f}" + ("" if r["contained"] else "\nx"),
        ),
        (
            lambda r: r["fired_max"] / r["k"],
            "probe targets: neurons fired per probe window / k\n"
            "(max over pairs of the per-window mean);\nmost responders in brackets (must be <= k)",
            "Reds",
            (0, 3),
            None,
            lambda r: f"{r['fired_max'] / r['k']:.2f}\n({r['responders_max']:.0f})",
        ),
        (
            lambda r: min(r["delta_p_at_k"], r["delta_prop_p_at_k"]),
            "readouts, Precision@K / AUROC: top line \u0394\n(weights), bottom line \u0394prop (propagation)",
            "viridis",
            (0, 1),
            None,
            readout_text,
        ),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 8.6))
    cont = grid("contained")
    for ax, (key, title, cmap, lim, target, text) in zip(axes.ravel(), panels):
        g = grid(key)
        im = ax.imshow(g, origin="lower", cmap=cmap, vmin=lim[0], vmax=lim[1], aspect="auto")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
        for i in range(len(ws)):
            for j in range(len(ps)):
                if np.isnan(g[i, j]):
                    ax.text(j, i, "not run", ha="center", va="center", fontsize=7, color="0.5")
                    continue
                r = next(r for r in rows if r["w_max_mV"] == ws[i] and r["p_inter"] == ps[j])
                txt = text(r) if text else f"{g[i, j]:.2f}"
                frac = (g[i, j] - lim[0]) / (lim[1] - lim[0])
                dark = frac > 0.6 if cmap == "Reds" else frac < 0.45
                bad = target is not None and g[i, j] > target
                ax.text(
                    j,
                    i,
                    txt,
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=("w" if dark else "k"),
                    fontweight="bold" if bad else "normal",
                )
        di = (ws.index(DEFAULT[1]) if DEFAULT[1] in ws else None, ps.index(DEFAULT[0]) if DEFAULT[0] in ps else None)
        if None not in di:
            ax.add_patch(plt.Rectangle((di[1] - 0.5, di[0] - 0.5), 1, 1, fill=False, ec="C0", lw=2.2))
        ax.set_xticks(range(len(ps)), [f"{p:g}" for p in ps])
        ax.set_yticks(range(len(ws)), [f"{w:g}" for w in ws])
        ax.set_xlabel("p_inter (inter-area connection probability)")
        ax.set_ylabel("w_max (mV)")
        ax.set_title(title, fontsize=9.5)
    n_ok = int(np.nansum(cont))
    fig.suptitle(
        f"Containment of the full DIRECT protocol on the {MODEL.capitalize()} SCM (seed {SEED}) as the "
        f"inter-area coupling is raised: {n_ok}/{int(np.isfinite(cont).sum())} runs contained\n"
        "(reverse, non-linked, silent areas, responders, cap); blue box = package defaults; "
        "bold = value beyond its target",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the 2 x 2 corners of the sweep only")
    ap.add_argument("--replot", action="store_true", help="redraw the figure from the saved CSV")
    ap.add_argument("--page-only", action="store_true", help="rewrite docs/results/propagation.rst from the CSV")
    args = ap.parse_args(argv)
    if args.page_only:
        page()
        return
    suffix = "_quick" if args.quick else ""
    csv_path, fig_path = RESULTS / f"propagation{suffix}.csv", FIGURES / f"propagation{suffix}.png"
    FIGURES.mkdir(parents=True, exist_ok=True)
    if args.replot:
        print(f"wrote {plot(load(csv_path), fig_path)}")
        return
    ps = (P_INTER[0], P_INTER[-1]) if args.quick else P_INTER
    ws = (W_MAX_MV[0], W_MAX_MV[-1]) if args.quick else W_MAX_MV
    t0 = time.perf_counter()
    rows = []
    print(HEADER, flush=True)
    for p in ps:
        for w in ws:
            rows.append(run_one(p, w))
            print(fmt(rows[-1]), flush=True)
            save(rows, csv_path)  # after every run: a partial sweep is not lost
    print(
        f"\ncontained: {sum(r['contained'] for r in rows)}/{len(rows)} "
        f"(reverse <= {REVERSE_MAX}, non-linked <= {NONLINKED_MAX}, no silent area fires, "
        f"responders <= k, winners <= {CAP_FACTOR} k)"
    )
    print(f"wrote {csv_path}, {plot(rows, fig_path)}; total {time.perf_counter() - t0:.0f} s")
    if not args.quick:
        page()


def page() -> None:
    """``docs/results/propagation.rst`` from ``propagation.csv`` (every number formatted from it)."""
    import pandas as pd
    from _pages import Page, rng
    from _pages import fmt as num

    df = pd.read_csv(RESULTS / "propagation.csv")
    ok = df[df.contained]
    strong = df[(df.p_inter >= P_INTER[1]) | (df.w_max_mV >= W_MAX_MV[1])]
    weakest = df[(df.p_inter == df.p_inter.min()) & (df.w_max_mV == df.w_max_mV.min())].iloc[0]
    p = Page(
        "propagation",
        "Containment under stronger inter-area coupling",
        command="python experiments/propagation.py",
        intro=(
            f"The full DIRECT protocol on the Alzheimer SCM, seed {int(df.seed.iloc[0])}, over inter-area "
            f"connection probability {rng(df.p_inter.min(), df.p_inter.max(), 1)} x weight bound "
            f"{rng(df.w_max_mV.min(), df.w_max_mV.max(), 0)} mV ({len(df)} builds, one seed each). "
            f"Contained means: reverse overlap <= {REVERSE_MAX}, non-linked overlap <= {NONLINKED_MAX}, no "
            f"silent area fires, responders <= k, at most {CAP_FACTOR} k winners in a window."
        ),
    )
    p.bullets(
        [
            f"{len(ok)} of {len(df)} combinations are contained; at most "
            f"{num(df.winners_max_over_k.max())} k winners in any window of a stimulated area; Δ P@K "
            f"{rng(df.delta_p_at_k.min(), df.delta_p_at_k.max())} and Δprop P@K "
            f"{rng(df.delta_prop_p_at_k.min(), df.delta_prop_p_at_k.max())} everywhere.",
            f"Forward overlap {rng(strong.forward_mean.min(), strong.forward_mean.max())} from p = {P_INTER[1]} or "
            f"w_max = {W_MAX_MV[1]} mV up (weakest link {rng(strong.forward_min.min(), strong.forward_min.max())}), "
            f"{num(weakest.forward_mean)} at p = {num(weakest.p_inter, 1)} with w_max = "
            f"{num(weakest.w_max_mV, 0)} mV; reverse at most {num(df.reverse_max.max(), 3)}, non-linked at most "
            f"{num(df.nonlinked_mean.max(), 3)}.",
            "One seed per combination: the spread over seeds is not measured here.",
            "The overlap is counted against the union of the target's value assemblies (variable level): a "
            "responder in any assembly of the target counts. It does not show that a value of the source "
            "drives the value of the target it co-occurs with; the value-level readout (``value_readout`` in "
            "``result.json``, :doc:`../user-guide/readouts-metrics`) measures that per probed value.",
        ]
    )
    df["pk"] = [f"{num(a)} / {num(b)}" for a, b in zip(df.delta_p_at_k, df.delta_prop_p_at_k)]
    cols = {
        "p_inter": "p_inter",
        "w_max_mV": "w_max (mV)",
        "forward_mean": "forward",
        "forward_min": "forward min",
        "reverse_max": "reverse max",
        "nonlinked_mean": "non-linked",
        "pk": "Δ / Δprop P@K",
        "winners_max_over_k": "max winners / k",
        "contained": "contained",
    }
    p.table(
        df,
        "experiments/results/propagation.csv",
        columns=cols,
        formats={
            "p_inter": "{:.1f}",
            "w_max_mV": "{:.0f}",
            "forward_mean": "{:.2f}",
            "forward_min": "{:.2f}",
            "winners_max_over_k": "{:.2f}",
            "contained": lambda v: "yes" if v else "no",
        },
    )
    p.text(f"Probe responders never exceed k (largest {num(df.responders_max.max(), 0)}, k = {int(df.k.max())}).")
    p.figure("figures/propagation.png", "Overlaps and winner counts over the sweep.")
    p.write()


if __name__ == "__main__":
    main()

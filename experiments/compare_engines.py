"""Rate-based against spiking DIRECT on the Alzheimer SCM: do they agree link by link?

Run on the same SCM, seeds and protocol (index code), both engines should
recover every link (Precision@K = 1 by delta and by delta_prop). The
agreement itself is measured over the 10 forward links
(``spiking_direct.comparison``): Lin's concordance correlation (CCC) of the
seed-mean delta_prop and delta of the two engines with a seed-bootstrap 95 %
interval, each engine's split-half reliability across seeds and the CCC
corrected for them, with per-link diagnostics. The all-pairs Spearman
correlation (and its variants over the links and reverses, and with the 70
unlinked pairs set to 0) is kept as a secondary number: against the ties of
the unlinked pairs it cannot exceed about 0.73.

``--code poisson`` runs the same comparison under the rate code with the
Poisson stimulus (``encoding=rate`` at the default separation, both engines
drawing the same per-cell spike counts, the rate engine's cap floor on:
:data:`POISSON_CODE`); its files carry the suffix ``_poisson``.

    python experiments/compare_engines.py [--seeds 0-9] [--code index|poisson]

Writes ``experiments/results/compare_engines.csv`` (per seed),
``experiments/results/compare_engines_links.csv``,
``experiments/results/compare_engines_agreement.json`` (the agreement, seeds,
parameters, versions), ``figures/compare_engines.png`` and
``figures/compare_agreement.png``; the full ``comparison.json`` and both engines'
result folders go to ``runs/compare_engines/``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

from spiking_direct.cli import parse_seeds
from spiking_direct.comparison import compare
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.results import write_csv, write_json

ROOT = Path(__file__).resolve().parents[1]
#: the overrides of ``--code poisson`` (fixed in advance: the default separation, rate 1 per cell
#: and window, the rate engine's floor at the clocked cap's floor)
POISSON_CODE = (
    "encoding=rate",
    "rate.stimulus=poisson",
    "rate.poisson_rate=1",
    "rate.cap_floor=0.7",
    "spiking.inp.stimulus=poisson",
    "spiking.inp.poisson_rate=1",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--code", choices=("index", "poisson"), default="index")
    args = ap.parse_args()
    suffix = "" if args.code == "index" else "_poisson"
    config = RunConfig(model="alzheimer")
    if args.code == "poisson":
        config = apply_overrides(config, list(POISSON_CODE))
    # ------------------------------------------------------------ Run
    out = ROOT / "runs" / f"compare_engines{suffix}"
    comp = compare(config, parse_seeds(args.seeds), out, progress=print)
    # ------------------------------------------------------------ Save
    rows = []
    for s in comp["per_seed"]:
        row = {
            "seed": s["seed"],
            "spearman_delta_prop": s["spearman_delta_prop"],
            "spearman_delta": s["spearman_delta"],
            "spearman_delta_prop_link_pairs": s["spearman_delta_prop_link_pairs"],
            "spearman_delta_prop_unlinked_zeroed": s["spearman_delta_prop_unlinked_zeroed"],
            "rate_unlinked_exact_zero": s["unlinked_exact_zero"][0],
            "spiking_unlinked_exact_zero": s["unlinked_exact_zero"][1],
            "same_top_k_delta": s["same_top_k_links_delta"],
            "same_top_k_delta_prop": s["same_top_k_links_delta_prop"],
        }
        for engine in ("rate", "spiking"):
            m = s["metrics"][engine]
            row[f"{engine}_delta_p_at_k"] = m["delta"]["precision_at_k"]
            row[f"{engine}_prop_p_at_k"] = m["delta_prop"]["precision_at_k"]
            row[f"{engine}_prop_auroc"] = m["delta_prop"]["auroc"]
            row[f"{engine}_overlap_forward"] = m["summary"]["overlap_forward_mean"]
            row[f"{engine}_overlap_reverse"] = m["summary"]["overlap_reverse_mean"]
            row[f"{engine}_total_s"] = m["timing"]["total_s"]
        rows.append(row)
    df = pd.DataFrame(rows)
    res = ROOT / "experiments" / "results"
    res.mkdir(parents=True, exist_ok=True)
    write_csv(res / f"compare_engines{suffix}.csv", df)
    write_csv(res / f"compare_engines{suffix}_links.csv", pd.DataFrame(comp["links"]))
    shutil.copy(out / "comparison.png", ROOT / "figures" / f"compare_engines{suffix}.png")
    shutil.copy(out / "agreement.png", ROOT / "figures" / f"compare_agreement{suffix}.png")
    keep = ("scm", "seeds", "agreement", "spearman_delta_prop_mean", "spearman_delta_mean")
    keep += ("backend", "params", "versions")
    meta = {k: comp.get(k) for k in keep} | {"code": args.code, "overrides": list(POISSON_CODE) if suffix else []}
    write_json(res / f"compare_engines{suffix}_agreement.json", meta)
    pd.set_option("display.width", 220)
    print(df.round(3).to_string(index=False))
    print(
        f"mean Spearman rho (delta_prop): {comp['spearman_delta_prop_mean']:.3f}; (delta): {comp['spearman_delta_mean']:.3f}"  # noqa: E501
    )
    print(
        f"delta_prop over links and reverses only: {comp['spearman_delta_prop_link_pairs_mean']:.3f}; "
        f"unlinked pairs set to 0 in both engines: {comp['spearman_delta_prop_unlinked_zeroed_mean']:.3f}"
    )
    for key in ("delta_prop", "delta"):
        ag = comp["agreement"][key]
        rel = ag["reliability"]
        print(
            f"{key}: CCC {ag['ccc']:.3f} [{ag['ccc_ci95'][0]:.3f}, {ag['ccc_ci95'][1]:.3f}], reliability rate "
            f"{rel['rate']['spearman_brown']:.3f}, spiking {rel['spiking']['spearman_brown']:.3f}, "
            f"corrected {ag['ccc_corrected']:.3f}"
        )
    print(f"wrote figures/compare_engines{suffix}.png, figures/compare_agreement{suffix}.png")


if __name__ == "__main__":
    main()

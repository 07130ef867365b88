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

    python experiments/compare_engines.py [--seeds 0-9]

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
from spiking_direct.config import RunConfig
from spiking_direct.results import write_csv, write_json

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-9")
    args = ap.parse_args()
    # ------------------------------------------------------------ Run
    out = ROOT / "runs" / "compare_engines"
    comp = compare(RunConfig(model="alzheimer"), parse_seeds(args.seeds), out, progress=print)
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
    write_csv(res / "compare_engines.csv", df)
    write_csv(res / "compare_engines_links.csv", pd.DataFrame(comp["links"]))
    shutil.copy(out / "comparison.png", ROOT / "figures" / "compare_engines.png")
    shutil.copy(out / "agreement.png", ROOT / "figures" / "compare_agreement.png")
    keep = ("scm", "seeds", "agreement", "spearman_delta_prop_mean", "spearman_delta_mean")
    keep += ("backend", "params", "versions")
    write_json(res / "compare_engines_agreement.json", {k: comp.get(k) for k in keep})
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
    print("wrote figures/compare_engines.png, figures/compare_agreement.png")


if __name__ == "__main__":
    main()

"""cuda_standalone against cpp_standalone on one GPU machine: wall times and agreement.

Claim checked: the CUDA build recovers the same links as the C++ build
(per-pair ``delta`` Spearman rank correlation >= 0.9, same top-K links) on
the Alzheimer protocol and on a large network (10 areas x 10 000 excitatory
neurons = 110 000 neurons with the interneurons), and the table gives their
build and simulate times side by side.

Run it on a machine with an NVIDIA GPU, CUDA 13 (nvcc) and the package
installed with its ``cuda`` extra::

    pip install '.[cuda]'
    python benchmarks/gpu_compare.py            # --quick: Alzheimer only

On this project's lent GPU machines (the ``device`` tool: Python 3.12, hence
Brian2 2.10.1 and brian2cuda 1.0b1), which cannot fetch packages,
``benchmarks/gpu_device.sh`` does the set-up: ``fetch`` here, then ``run``
there (see that script).
Writes ``benchmarks/results/gpu_compare.csv`` (``--quick``: ``gpu_compare_quick.csv``).
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from spiking_direct import pipeline
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.engines.backends import visible_gpus
from spiking_direct.metrics import rank_pairs, spearman
from spiking_direct.results import write_csv

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "alzheimer (10 x 1000 E)": [],
    "large (10 x 10000 E, 110k neurons)": ["n=10000", "spiking.stdp.p_inter=0.01"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="Alzheimer only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--backends",
        default="cpp_standalone,cuda_standalone",
        help="comma-separated; 'cpp_standalone' alone checks the environment on a machine "
        "without a GPU (no comparison)",
    )
    args = ap.parse_args()
    backends = list(dict.fromkeys(b.strip() for b in args.backends.split(",") if b.strip()))
    unknown = set(backends) - {"cpp_standalone", "cuda_standalone"}
    if unknown or not backends:
        raise SystemExit(f"--backends takes cpp_standalone and/or cuda_standalone, got {args.backends!r}")
    gpus = visible_gpus()
    if "cuda_standalone" in backends and not gpus:
        raise SystemExit("no GPU visible (nvidia-smi lists none): run this on a GPU machine")
    print(f"machine: {platform.node()}, {gpus[0] if gpus else 'no GPU'}", flush=True)
    rows = []
    for case, overrides in CASES.items():
        if args.quick and not case.startswith("alzheimer"):
            continue
        results = {}
        for backend in backends:
            cfg = replace(apply_overrides(RunConfig(backend=backend), overrides), seed=args.seed)
            t0 = time.perf_counter()
            res = pipeline.run(cfg, figures=False, progress=lambda m: print("  ", m, flush=True))
            results[backend] = res
            t = res["timing"]
            rows.append(
                {
                    "case": case,
                    "backend": backend,
                    "build_s": t.get("build_s"),
                    "simulate_s": t.get("simulate_s"),
                    "wall_s": time.perf_counter() - t0,
                    "delta_p_at_k": res["metrics_delta"]["precision_at_k"],
                    "delta_auroc": res["metrics_delta"]["auroc"],
                    "prop_p_at_k": res["metrics_delta_prop"]["precision_at_k"],
                    "overlap_forward": res["summary"]["overlap_forward_mean"],
                    "n_synapses_ee": res["engine_info"].get("n_synapses_ee"),
                }
            )
        if len(results) < 2:
            continue
        d = {b: np.nan_to_num(np.array(r["matrices"]["delta"], dtype=float)) for b, r in results.items()}
        K = int(np.array(results["cpp_standalone"]["matrices"]["truth"]).sum())
        rho = spearman(d["cpp_standalone"], d["cuda_standalone"])
        same = set(rank_pairs(d["cpp_standalone"])[:K]) == set(rank_pairs(d["cuda_standalone"])[:K])
        for row in rows[-2:]:
            row["spearman_delta_cpp_vs_cuda"] = rho
            row["same_top_k"] = same
    df = pd.DataFrame(rows)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    tag = ("_quick" if args.quick else "") + ("" if len(backends) == 2 else "_" + "_".join(backends))
    write_csv(out / f"gpu_compare{tag}.csv", df)  # quick or one-backend runs never overwrite the full table
    pd.set_option("display.width", 200)
    print(df.round(3).to_string(index=False))


if __name__ == "__main__":
    main()

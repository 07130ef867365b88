"""How often the weak value of the rate code drives its area, under the Poisson stimulus.

On the Alzheimer SCM with the value-to-firing-rate code, the rate engine runs
with ``rate.stimulus=poisson`` (every input cell's spike count in a window is
Poisson, mean ``poisson_rate`` for the positive value and
``poisson_rate / separation`` for the others; :mod:`spiking_direct.stimulus`)
at separations 2, 3, 4.5, 6.7, 10 and 15, with the k-cap's input floor on
(``rate.cap_floor=0.7``, the spiking cap's floor in the same units, see
``RateParams``) and off (``0``: NEMO's k-cap, which always elects ``k``
cells). Both values are fixed in advance, not chosen from these numbers.
``--engine spiking`` runs the spiking engine (clocked network) instead, with
``spiking.inp.stimulus=poisson`` (the same counts from the same seed,
delivered as the number of input cells that fire, ``InputParams``) and its
own cap, whose floor is built in (``cap_floor`` is recorded as ``nan``).

Per run it counts, over the coupling windows that present a weak value (a
strength below 1) to an area, the fraction in which that area fires at all
(``fires_any``: any winner in the window), the same over the windows in
which the area leads (``fires_leading``: the smallest clock offset of the
active areas, so only its stimulus drives it), and P@K and the mean
delta_prop of the true links.

    python experiments/poisson_rate_code.py [--seeds 1 2 3 4 5 6] [--engine rate|spiking]

Writes ``experiments/results/poisson_rate_code.csv`` and ``.json`` (parameters,
seeds, engine, versions); ``poisson_rate_code_spiking.*`` for the spiking engine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from spiking_direct import pipeline
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.engines import get_engine
from spiking_direct.protocol import PHASES
from spiking_direct.results import versions, write_csv, write_json

ROOT = Path(__file__).resolve().parents[1]
SEPARATIONS = (2.0, 3.0, 4.5, 6.7, 10.0, 15.0)
FLOORS = (0.7, 0.0)
POISSON_RATE = 1.0


def weak_fractions(rec) -> dict:
    """Fractions of the coupling windows presenting a weak value to an area in which it fires."""
    prot = rec.protocol
    couple = prot.phase == PHASES.index("couple")
    weak = couple[:, None] & (prot.stim_set >= 0) & (prot.stim_strength > 0) & (prot.stim_strength < 1)
    area = rec.spike_neuron // rec.n
    fired = np.zeros(weak.shape, dtype=bool)
    fired[rec.spike_window, area] = True
    lead = prot.offset == np.where(prot.active, prot.offset, np.inf).min(axis=1, keepdims=True)
    wl = weak & lead
    return {
        "weak_windows": int(weak.sum()),
        "fires_any": float(fired[weak].mean()) if weak.any() else float("nan"),
        "weak_leading_windows": int(wl.sum()),
        "fires_leading": float(fired[wl].mean()) if wl.any() else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--engine", choices=("rate", "spiking"), default="rate")
    args = ap.parse_args()
    spiking = args.engine == "spiking"
    rows = []
    for floor in (float("nan"),) if spiking else FLOORS:
        for sep in SEPARATIONS:
            for seed in args.seeds:
                sets = ["encoding=rate", f"separation={sep}"]
                if spiking:
                    sets += ["spiking.inp.stimulus=poisson", f"spiking.inp.poisson_rate={POISSON_RATE}"]
                else:
                    sets += [
                        "rate.stimulus=poisson",
                        f"rate.poisson_rate={POISSON_RATE}",
                        f"rate.cap_floor={floor}",
                    ]
                cfg = apply_overrides(RunConfig(model="alzheimer", engine=args.engine, seed=seed), sets)
                model, rec = pipeline.simulate(cfg)
                res = pipeline.analyse(rec, model)
                links = res["links"]
                rows.append(
                    {
                        "cap_floor": floor,
                        "separation": sep,
                        "seed": seed,
                        **weak_fractions(rec),
                        "precision_at_k_delta_prop": res["metrics_delta_prop"]["precision_at_k"],
                        "delta_prop_mean": float(np.mean([lk["delta_prop"] for lk in links])),
                    }
                )
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in rows[-1].items()}, flush=True)
    table = pd.DataFrame(rows)
    out = ROOT / "experiments" / "results"
    name = "poisson_rate_code_spiking" if spiking else "poisson_rate_code"
    write_csv(out / f"{name}.csv", table)
    summary = table.groupby(["cap_floor", "separation"], dropna=False).agg(["mean", "std"]).drop(columns="seed")
    summary.columns = [f"{a}_{b}" for a, b in summary.columns]
    write_json(
        out / f"{name}.json",
        {
            "model": "alzheimer",
            "engine": args.engine,
            "backend": cfg.backend if spiking else "numpy",
            "seeds": list(args.seeds),
            "params": {
                "encoding": "rate",
                "stimulus": "poisson",
                "poisson_rate": POISSON_RATE,
                "cap_floor": None if spiking else FLOORS,
                "engine_params": get_engine(args.engine).params_dict(cfg),
            },
            "summary": summary.reset_index().to_dict(orient="records"),
            "versions": versions(),
        },
    )
    print(summary[["fires_any_mean", "fires_leading_mean", "delta_prop_mean_mean"]].to_string())


if __name__ == "__main__":
    main()

"""Capacity: where does DIRECT's recovery of link directions break as networks grow?

Claim tested: DIRECT recovers the direction of the given links of random DAGs
and of third-party Bayesian networks as the number of variables grows. We
report where Precision@K, AUROC and average precision (ranking every ordered
pair by the learned synaptic asymmetry ``delta``) break, for which engine, and
why.

Sweep (every run through :func:`spiking_direct.sweep.run_sweep`: Dask, one
``result.json`` per run, resumable), in priority order (stages):

1. ``sachs`` (pgmpy, 11 variables with 3 values each, 17 links) x seeds 0-4,
   both engines at the default area size n = 1000.
2. ``alarm`` (pgmpy, 37 variables with 2-4 values, 46 links), seed 0, both
   engines, at n = 1000 and at a smaller n where every ordered pair of areas
   fits ("all" connectivity).
3. The random-DAG curve on the rate engine: Erdos-Renyi (expected degree 1, 2,
   4) and scale-free (``m = round(degree / 2)``: degree 1 and 2 give the same
   graphs, so 2 and 4 only) DAGs with 8, 16, 32, 64 variables (seeds 0-1) and
   128 variables (seed 0), n = 250, 500, 1000; plus ``child`` and ``insurance``.
4. The random-DAG curve on the spiking engine, cheapest and most informative
   first (every spiking DAG is its own compiled shape, about a minute of
   compilation on 2 cores): n = 250 at degree 2, then degree 4 (Erdos-Renyi and
   scale-free); a stress stage with small areas (n = 100 and 50, k = 10 and 7)
   on 64-variable degree-4 DAGs; then n = 1000, degree 1, seed 1, n = 500,
   128 variables.
5. ``child`` and ``insurance`` on the spiking engine.

k follows the package rule round(sqrt(n)) in both engines.

Connectivity. ``all`` (inter-area synapses for every ordered pair of areas)
is the honest test: a pair that is not a link must rank below the links by
learning alone. It costs ``A (A - 1) n^2 p_inter`` synapses, so it is used
wherever that is at most ``MAX_ALL_SYNAPSES`` (7e7: a 64-area spiking network
at n = 250, about 2.2 GB RSS and 2.5 minutes on 2 cores); beyond, ``linked``
(only the coupled pairs, both directions). The table says which. With
``linked`` the pairs that are not coupled have no synapse, so their ``delta``
is 0 by construction and the test is direction recovery only (a link must
beat its own reverse, which ranks below 0).

    python experiments/capacity.py --quick          # 8 and 16 variables, ~5 min
    python experiments/capacity.py [--budget-min 30] [--stages 1,2,3,4] [--workers 2]

Writes ``experiments/results/capacity[_quick].csv`` (one row per run),
``capacity_summary[_quick].csv`` (mean over seeds per point),
``capacity_largest[_quick].csv`` (largest number of variables at Precision@K >= 0.95),
``capacity_links[_quick].csv`` (every true link of every run that missed one, either readout),
``figures/capacity[_quick].png``, and prints the tables, the largest number of
variables each engine handles at Precision@K >= 0.95 and the findings.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from spiking_direct.causal import get_model
from spiking_direct.results import versions, write_csv, write_json
from spiking_direct.sweep import RunSpec, Sweep, run_sweep, summarize

ROOT = Path(__file__).resolve().parents[1]
P_INTER = 0.2  # both engines' default inter-area connection probability
MAX_ALL_SYNAPSES = 7e7  # "all" connectivity up to this many inter-area synapses
PGMPY = {"sachs": "sachs", "alarm": "alarm", "child": "child", "insurance": "insurance"}


# --------------------------------------------------------------------------
# The runs
# --------------------------------------------------------------------------
def connectivity_for(n_vars: int, n: int) -> str:
    return "all" if n_vars * (n_vars - 1) * n * n * P_INTER <= MAX_ALL_SYNAPSES else "linked"


_NV: dict[str, int] = {}


def n_variables(model: str) -> int:
    if model not in _NV:
        _NV[model] = get_model(model).n_variables
    return _NV[model]


_MV: dict[str, int] = {}


def max_values(model: str) -> int:
    if model not in _MV:
        m = get_model(model)
        _MV[model] = max(m.cardinality(v) for v in m.variables)
    return _MV[model]


def spec(model: str, engine: str, n: int, seed: int, connectivity: str | None = None) -> RunSpec:
    conn = connectivity or connectivity_for(n_variables(model), n)
    return RunSpec(model=model, engine=engine, seed=seed, overrides=(("n", n), (f"{engine}.connectivity", conn)))


def random_name(V: int, degree: int, seed: int, kind: str) -> str:
    return f"random:{V}:{degree}:{seed}" + (":scale_free" if kind == "scale_free" else "")


def random_specs(engine: str, sizes, degrees, kinds, seeds, ns) -> list[RunSpec]:
    out = []
    for seed in seeds:
        for n in ns:
            for kind in kinds:
                for degree in degrees:
                    if kind == "scale_free" and degree == 1:
                        continue  # m = max(1, round(1 / 2)) = 1: the same graphs as degree 2
                    for V in sizes:
                        out.append(spec(random_name(V, degree, seed, kind), engine, n, seed))
    return out


def stages(quick: bool) -> list[tuple[str, list[RunSpec]]]:
    ER, SF = "erdos_renyi", "scale_free"
    if quick:
        return [
            ("quick_rate", random_specs("rate", (8, 16), (2,), (ER,), (0, 1), (250, 1000))),
            ("quick_spiking", random_specs("spiking", (8, 16), (2,), (ER,), (0, 1), (250,))),
        ]
    sp = []
    # spiking random DAGs, most informative first
    sp.append(("4a_spiking_n250_er2", random_specs("spiking", (8, 16, 32, 64), (2,), (ER,), (0,), (250,))))
    sp.append(("4b_spiking_n250_deg4", random_specs("spiking", (8, 16, 32, 64), (4,), (ER, SF), (0,), (250,))))
    # stress: small areas (k = 10 and 7) on the largest, densest graphs
    sp.append(
        (
            "4s_small_n",
            random_specs("spiking", (64,), (4,), (ER,), (0,), (100, 50))
            + random_specs("rate", (64,), (4,), (ER, SF), (0,), (100, 50)),
        )
    )
    sp.append(("4c_spiking_n1000", random_specs("spiking", (8, 16, 32, 64), (2, 4), (ER,), (0,), (1000,))))
    sp.append(
        (
            "4d_spiking_n250_deg1_sf2",
            random_specs("spiking", (8, 16, 32, 64), (1,), (ER,), (0,), (250,))
            + random_specs("spiking", (8, 16, 32, 64), (2,), (SF,), (0,), (250,)),
        )
    )
    sp.append(
        (
            "4e_spiking_seed1",
            random_specs("spiking", (8, 16, 32, 64), (1, 2, 4), (ER, SF), (1,), (250,))
            + random_specs("spiking", (8, 16, 32, 64), (2, 4), (ER,), (1,), (1000,)),
        )
    )
    sp.append(
        (
            "4f_spiking_n500_128",
            random_specs("spiking", (8, 16, 32, 64), (2, 4), (ER,), (0,), (500,))
            + random_specs("spiking", (128,), (2,), (ER,), (0,), (250,)),
        )
    )
    return [
        ("1_sachs", [spec("sachs", e, 1000, s) for e in ("rate", "spiking") for s in range(5)]),
        (
            "2_alarm",
            [
                spec("alarm", "rate", 1000, 0),
                spec("alarm", "rate", 500, 0),
                spec("alarm", "spiking", 250, 0),
                spec("alarm", "spiking", 1000, 0),
            ],
        ),
        (
            "3_rate_random",
            random_specs("rate", (8, 16, 32, 64, 128), (1, 2, 4), (ER, SF), (0,), (250, 500, 1000))
            + random_specs("rate", (8, 16, 32, 64), (1, 2, 4), (ER, SF), (1,), (250, 500, 1000))
            + [spec(m, "rate", n, s) for m in ("child", "insurance") for n in (250, 1000) for s in (0, 1)],
        ),
        *sp,
        ("5_pgmpy_spiking", [spec(m, "spiking", 250, 0) for m in ("child", "insurance")]),
    ]


# --------------------------------------------------------------------------
# Reading the runs back
# --------------------------------------------------------------------------
def describe(model: str) -> dict:
    if model.startswith("random:"):
        parts = model.split(":")
        return {
            "family": "random",
            "kind": parts[4] if len(parts) == 5 else "erdos_renyi",
            "degree": int(float(parts[2])),
        }
    return {"family": "pgmpy", "kind": model, "degree": None}


def _ranking(score: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, dict]:
    """Rank of every ordered pair (0 = best; ties as in ``metrics.rank_pairs``) and the kinds of
    the non-links among the top K: the reverse of a link, a two-step relation, a common-cause
    pair, or unrelated."""
    A = len(score)
    K = int(truth.sum())
    rows, cols = np.nonzero(~np.eye(A, dtype=bool))
    order = np.lexsort((cols, rows, -score[rows, cols]))
    rank = np.empty((A, A), dtype=np.int64)
    rank[rows[order], cols[order]] = np.arange(order.size)
    t = truth.astype(int)
    reach2, common_cause = (t @ t) > 0, (t.T @ t) > 0
    kinds = {"reverse": 0, "two_step": 0, "common_cause": 0, "unrelated": 0}
    for o in order[:K]:
        i, j = int(rows[o]), int(cols[o])
        if truth[i, j]:
            continue
        if truth[j, i]:
            kinds["reverse"] += 1
        elif reach2[i, j] or reach2[j, i]:
            kinds["two_step"] += 1
        elif common_cause[i, j]:
            kinds["common_cause"] += 1
        else:
            kinds["unrelated"] += 1
    return rank, kinds


def _status(rank: int, value: float, K: int) -> str:
    return "ok" if rank < K else ("reversed" if value < 0 else ("zero" if value == 0 else "outranked"))


def link_diagnostics(res: dict) -> tuple[dict, list[dict]]:
    """Why a run misses links, for both readouts (``delta``: synaptic asymmetry; ``prop``: the
    propagation asymmetry ``delta_prop``): which links, reversed or outranked, their areas'
    number of links, the non-links that outrank them, the margin between the weakest link and
    the strongest unrelated pair, and the cap."""
    V = res["variables"]
    idx = {v: i for i, v in enumerate(V)}
    A = len(V)
    mats = res["matrices"]
    delta = np.asarray(mats["delta"], dtype=float)
    dprop = np.nan_to_num(np.asarray(mats["delta_prop"], dtype=float))
    truth = np.zeros((A, A), dtype=bool)
    for u, v in res["true_links"]:
        truth[idx[u], idx[v]] = True
    K = int(truth.sum())
    deg = (truth | truth.T).sum(axis=1)
    off = ~np.eye(A, dtype=bool)
    unrelated = off & ~truth & ~truth.T
    cap = res.get("cap", {})
    diag: dict = {}
    statuses: dict = {}
    for prefix, score in (("", delta), ("prop_", dprop)):
        rank, kinds = _ranking(score, truth)
        st = {(i, j): _status(int(rank[i, j]), float(score[i, j]), K) for i, j in np.argwhere(truth)}
        statuses[prefix] = (st, rank)
        vals = list(st.values())
        missed = [(i, j) for (i, j), v in st.items() if v != "ok"]
        hit = [(i, j) for (i, j), v in st.items() if v == "ok"]
        nl = score[unrelated]
        link_s = score[truth]
        nl_max = float(np.abs(nl).max()) if nl.size else np.nan
        wi, wj = np.argwhere(truth)[int(np.argmin(link_s))]
        diag.update(
            {
                f"{prefix}n_missed": len(missed),
                f"{prefix}n_reversed": vals.count("reversed"),
                f"{prefix}n_outranked": vals.count("outranked"),
                f"{prefix}n_zero": vals.count("zero"),
                **{f"{prefix}fp_{k}": v for k, v in kinds.items()},
                f"{prefix}deg_missed_mean": float(np.mean([max(deg[i], deg[j]) for i, j in missed]))
                if missed
                else np.nan,
                f"{prefix}deg_ok_mean": float(np.mean([max(deg[i], deg[j]) for i, j in hit])) if hit else np.nan,
                f"{prefix}link_min": float(link_s.min()),
                f"{prefix}link_mean": float(link_s.mean()),
                f"{prefix}nonlink_absmax": nl_max,
                f"{prefix}nonlink_sd": float(nl.std()) if nl.size else np.nan,
                # how far the weakest link stands above the strongest unrelated pair (inf: none or all 0)
                f"{prefix}margin": float(link_s.min() / nl_max) if nl.size and nl_max > 0 else np.inf,
                f"{prefix}weakest_link_degree": int(max(deg[wi], deg[wj])),
            }
        )
    diag["delta_link_min"] = diag.pop("link_min")
    diag["delta_link_mean"] = diag.pop("link_mean")
    diag["delta_nonlink_absmax"] = diag.pop("nonlink_absmax")
    diag["delta_nonlink_sd"] = diag.pop("nonlink_sd")
    diag.update(
        {
            "max_area_degree": int(deg.max()),
            "cap_k": cap.get("k"),
            **{
                f"cap_{ph}_{q}": cap.get(ph, {}).get(q)
                for ph in ("identify", "couple", "probe")
                for q in ("mean", "max", "within_25pct", "silent_max")
            },
            "assembly_stability": cap.get("assembly_stability"),
            "assembly_size_min": min(cap["assembly_size"].values()) if cap.get("assembly_size") else None,
            "n_assemblies": len(cap.get("assembly_size", {})),
            "overlap_nonlinked_mean": res["summary"].get("overlap_nonlinked_mean"),
            "overlap_forward_mean": res["summary"].get("overlap_forward_mean"),
            "overlap_reverse_mean": res["summary"].get("overlap_reverse_mean"),
        }
    )
    links = []
    by_pair = {(l["source"], l["target"]): l for l in res["links"]}
    for u, v in res["true_links"]:
        i, j = idx[u], idx[v]
        l = by_pair.get((u, v), {})
        links.append(
            {
                "source": u,
                "target": v,
                "K": K,
                "delta": float(delta[i, j]),
                "rank": int(statuses[""][1][i, j]),
                "status": statuses[""][0][(i, j)],
                "delta_prop": float(dprop[i, j]),
                "prop_rank": int(statuses["prop_"][1][i, j]),
                "prop_status": statuses["prop_"][0][(i, j)],
                "degree_source": int(deg[i]),
                "degree_target": int(deg[j]),
                "overlap_forward": l.get("overlap_forward"),
                "overlap_reverse": l.get("overlap_reverse"),
                "fired_forward": l.get("fired_forward"),
                "s_forward": l.get("s_forward"),
                "s_reverse": l.get("s_reverse"),
            }
        )
    return diag, links


def collect(all_stages, base: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    from spiking_direct.results import read_json

    rows, link_rows = [], []
    for name, specs in all_stages:
        out = base / name
        if not (out / "runs").is_dir():
            continue
        df = summarize(Sweep(runs=specs), out)
        for s, (_, r) in zip(Sweep(runs=specs).runs, df.iterrows()):
            ov = dict(s.overrides)
            row = {
                "stage": name,
                "model": s.model,
                **describe(s.model),
                "engine": s.engine,
                "seed": s.seed,
                "n": int(ov["n"]),
                "k": int(round(np.sqrt(int(ov["n"])))),
                "connectivity": ov[f"{s.engine}.connectivity"],
                "status": r["status"],
            }
            if r["status"] != "ok":
                row["error"] = r.get("error")
                rows.append(row)
                continue
            res = read_json(out / r["dir"] / "result.json")
            md, mp, info = res["metrics_delta"], res["metrics_delta_prop"], res.get("engine_info", {})
            row.update(
                {
                    "n_variables": len(res["variables"]),
                    "n_links": len(res["true_links"]),
                    "precision_at_k": md["precision_at_k"],
                    "auroc": md["auroc"],
                    "average_precision": md["average_precision"],
                    "shd": md["shd"],
                    "prop_precision_at_k": mp["precision_at_k"],
                    "prop_auroc": mp["auroc"],
                    "prop_average_precision": mp["average_precision"],
                    "n_synapses_inter": info.get("n_synapses_inter", info.get("n_synapses_ee")),
                    "n_windows": res["protocol"]["n_windows"],
                    "build_s": res["timing"].get("build_s"),
                    "simulate_s": res["timing"].get("simulate_s"),
                    "total_s": res["timing"].get("total_s"),
                    "reused_build": res["timing"].get("reused_build"),
                    "dir": str((out / r["dir"]).relative_to(ROOT))
                    if (out / r["dir"]).is_relative_to(ROOT)
                    else str(out / r["dir"]),
                }
            )
            diag, links = link_diagnostics(res)
            row.update(diag)
            row["max_values"] = max_values(s.model)
            # the fraction of an area covered by the union of its value assemblies (chance overlap)
            row["union_frac_max"] = row["max_values"] * row["k"] / row["n"]
            rows.append(row)
            if diag["n_missed"] or diag["prop_n_missed"]:
                for l in links:
                    link_rows.append(
                        {
                            "model": s.model,
                            "engine": s.engine,
                            "n": row["n"],
                            "connectivity": row["connectivity"],
                            "seed": s.seed,
                            **l,
                        }
                    )
    return pd.DataFrame(rows), pd.DataFrame(link_rows)


# --------------------------------------------------------------------------
# Tables, figure, findings
# --------------------------------------------------------------------------
METRICS = ("precision_at_k", "auroc", "average_precision")


def point_summary(ok: pd.DataFrame) -> pd.DataFrame:
    keys = ["family", "kind", "degree", "engine", "n", "connectivity", "n_variables"]
    ok = ok.assign(degree=ok["degree"].fillna(-1))
    g = ok.groupby(keys, dropna=False)
    s = g.agg(
        runs=("seed", "size"),
        links=("n_links", "mean"),
        precision_at_k=("precision_at_k", "mean"),
        p_at_k_min=("precision_at_k", "min"),
        auroc=("auroc", "mean"),
        average_precision=("average_precision", "mean"),
        prop_precision_at_k=("prop_precision_at_k", "mean"),
        missed=("n_missed", "sum"),
        reversed=("n_reversed", "sum"),
        margin=("margin", "min"),
        delta_link_min=("delta_link_min", "min"),
        synapses=("n_synapses_inter", "mean"),
        total_s=("total_s", "mean"),
    ).reset_index()
    s["degree"] = s["degree"].replace(-1, np.nan)
    return s


def capacity_table(ok: pd.DataFrame) -> pd.DataFrame:
    """Largest number of variables with Precision@K >= 0.95, per engine (and per engine x n x
    connectivity): 'mean' over the runs at that size, 'every' run at that size and below."""
    rows = []
    rnd = ok[ok["family"] == "random"]

    def largest(df):
        best_mean = best_all = 0
        sizes = sorted(df["n_variables"].unique())
        all_ok = True
        for V in sizes:
            sub = df[df["n_variables"] == V]
            if sub["precision_at_k"].mean() >= 0.95:
                best_mean = V
            all_ok = all_ok and bool((sub["precision_at_k"] >= 0.95).all())
            if all_ok:
                best_all = V
        return int(best_mean), int(best_all), int(max(sizes)) if sizes else 0, len(df)

    for engine, g in rnd.groupby("engine"):
        m, a, tested, nr = largest(g)
        pg = ok[(ok["family"] == "pgmpy") & (ok["engine"] == engine) & (ok["precision_at_k"] >= 0.95)]
        rows.append(
            {
                "engine": engine,
                "n": "any",
                "connectivity": "any",
                "largest_V_mean_ge_0.95": m,
                "largest_V_every_run_ge_0.95": a,
                "largest_V_tested": tested,
                "runs": nr,
                "pgmpy_largest_V_ge_0.95": int(pg["n_variables"].max()) if len(pg) else None,
            }
        )
        for (n, conn), h in g.groupby(["n", "connectivity"]):
            m, a, tested, nr = largest(h)
            rows.append(
                {
                    "engine": engine,
                    "n": n,
                    "connectivity": conn,
                    "largest_V_mean_ge_0.95": m,
                    "largest_V_every_run_ge_0.95": a,
                    "largest_V_tested": tested,
                    "runs": nr,
                    "pgmpy_largest_V_ge_0.95": None,
                }
            )
    return pd.DataFrame(rows)


def findings(ok: pd.DataFrame, links: pd.DataFrame) -> list[str]:
    """Data-driven sentences about where and why recovery fails, for both readouts."""
    out = []
    for prefix, name, pcol, acol in (
        ("", "delta (synaptic asymmetry)", "precision_at_k", "auroc"),
        ("prop_", "delta_prop (propagation)", "prop_precision_at_k", "prop_auroc"),
    ):
        bad = ok[ok[pcol] < 1.0]
        out.append(
            f"{name}: {len(ok)} runs; {int((ok[pcol] >= 0.95).sum())} at Precision@K >= 0.95, "
            f"{int((ok[pcol] == 1.0).sum())} at 1.0, {len(bad)} miss at least one link."
        )
        for engine, g in ok.groupby("engine"):
            b = g[g[pcol] < 0.95]
            if b.empty:
                out.append(
                    f"  {engine}: every run at Precision@K >= 0.95 (up to {int(g['n_variables'].max())} "
                    f"variables, {int(g['n_links'].max())} links; min Precision@K {g[pcol].min():.3f}, "
                    f"min AUROC {g[acol].min():.3f})."
                )
                continue
            worst = b.sort_values(pcol).iloc[0]
            out.append(
                f"  {engine}: {len(b)} of {len(g)} runs below 0.95 ({', '.join(sorted(set(b['model'])))[:200]}; "
                f"n = {sorted(set(b['n']))}, connectivity {sorted(set(b['connectivity']))}); worst {worst['model']} "
                f"at n={worst['n']} ({worst['connectivity']}): Precision@K {worst[pcol]:.2f}, AUROC {worst[acol]:.3f}; "
                f"{int(worst[prefix + 'n_reversed'])} reversed, {int(worst[prefix + 'n_outranked'])} outranked of "
                f"{int(worst['n_links'])} links; non-links in the top K: reverse {int(worst[prefix + 'fp_reverse'])}, "
                f"two-step {int(worst[prefix + 'fp_two_step'])}, common cause {int(worst[prefix + 'fp_common_cause'])}, "  # noqa: E501
                f"unrelated {int(worst[prefix + 'fp_unrelated'])}; largest variable {int(worst['max_values'])} values "
                f"(its assemblies cover {100 * worst['union_frac_max']:.0f} % of an area)."
            )
        if not bad.empty:
            tot = bad[[prefix + c for c in ("n_reversed", "n_outranked", "n_zero")]].sum()
            fp = bad[[prefix + c for c in ("fp_reverse", "fp_two_step", "fp_common_cause", "fp_unrelated")]].sum()
            out.append(
                f"  over the {len(bad)} imperfect runs: missed links {int(tot.iloc[0])} reversed, "
                f"{int(tot.iloc[1])} outranked, {int(tot.iloc[2])} at 0; the non-links that took their "
                f"places: {int(fp.iloc[0])} reverses of links, {int(fp.iloc[1])} two-step relations, "
                f"{int(fp.iloc[2])} common-cause pairs, {int(fp.iloc[3])} unrelated pairs."
            )
            st = prefix + "status" if prefix else "status"
            if len(links) and st in links:
                miss, hit = links[links[st] != "ok"], links[links[st] == "ok"]
                if len(miss):
                    dm = np.maximum(miss["degree_source"], miss["degree_target"]).mean()
                    dh = np.maximum(hit["degree_source"], hit["degree_target"]).mean() if len(hit) else np.nan
                    out.append(
                        f"  a missed link's busier area has {dm:.1f} links on average vs {dh:.1f} for the "
                        f"recovered links of the same runs; forward overlap {miss['overlap_forward'].mean():.2f} "
                        f"vs {hit['overlap_forward'].mean():.2f}."
                    )
            fr = bad[["overlap_forward_mean", "overlap_reverse_mean", "overlap_nonlinked_mean", "union_frac_max"]]
            out.append(
                f"  in those runs the mean probe overlap is {fr.iloc[:, 0].mean():.2f} forward, "
                f"{fr.iloc[:, 1].mean():.2f} reverse and {fr.iloc[:, 2].mean():.2f} for unrelated pairs "
                f"(assemblies of the largest variable cover {100 * fr.iloc[:, 3].mean():.0f} % of an area)."
            )
        fin = ok[np.isfinite(ok[prefix + "margin"])]
        for engine, g in fin.groupby("engine"):
            w = g.sort_values(prefix + "margin").iloc[0]
            lm = w["delta_link_min"] if not prefix else w["prop_link_min"]
            nm = w["delta_nonlink_absmax"] if not prefix else w["prop_nonlink_absmax"]
            out.append(
                f"  {engine}, runs with unrelated pairs connected: weakest link / largest unrelated |score| "
                f">= {g[prefix + 'margin'].min():.2f} (median {g[prefix + 'margin'].median():.1f}); smallest in "
                f"{w['model']} at n={w['n']}: {lm:.3g} vs {nm:.3g}."
            )
    sp = ok[ok["engine"] == "spiking"].dropna(subset=["cap_couple_within_25pct"])
    if len(sp):
        out.append(
            f"spiking cap: winners per coupling window within 25 % of k in "
            f"{100 * sp['cap_couple_within_25pct'].min():.1f}-{100 * sp['cap_couple_within_25pct'].max():.1f} % "
            f"of windows (max winners {int(sp['cap_couple_max'].max())} at k = "
            f"{int(sp.loc[sp['cap_couple_max'].idxmax(), 'cap_k'])}); areas meant to be silent fired at most "
            f"{int(sp[['cap_couple_silent_max', 'cap_probe_silent_max']].max().max())} neurons."
        )
    return out


def interpretation(ok: pd.DataFrame) -> list[str]:
    """The why, with this sweep's numbers (the mechanisms are read off the engines and checked
    against the table: unrelated-pair scores, probe overlaps, margins, cap)."""
    r, sp = ok[ok["engine"] == "rate"], ok[ok["engine"] == "spiking"]
    curve = ok[(ok["family"] == "random") & (ok["n"] == 250) & (ok["connectivity"] == "all")]
    if not {"rate", "spiking"} <= set(curve["engine"]):
        return [
            "(the explanation needs the random-DAG curves of both engines at n = 250 with every pair "
            "connected, stages 3 and 4; not in these runs)"
        ]
    out = []
    ra = r[r["connectivity"] == "all"]
    if len(r):
        zero = bool((ra["delta_nonlink_absmax"].fillna(0) == 0).all()) if len(ra) else True
        out.append(
            f"1. Delta never broke: Precision@K = AUROC = AP = 1 in all {len(ok)} runs (rate up to "
            f"{int(r['n_variables'].max())} variables / {int(r['n_links'].max())} links, spiking up to "
            f"{int(sp['n_variables'].max()) if len(sp) else 0} / {int(sp['n_links'].max()) if len(sp) else 0}; "
            f"sachs, alarm, child, insurance included). In the rate engine this holds by construction: the "
            f"Hebbian rule only multiplies the weights from the leading to the lagging area of a coupled "
            f"pair, so a link's delta is > 0 and every unrelated pair keeps delta "
            f"{'exactly 0' if zero else 'near 0'} (checked in every 'all' run); its capacity is memory, "
            f"A (A - 1) n^2 p_inter synapses (about 25 bytes per synapse at peak: weights, indices and "
            f"the recording's copies)."
        )
    fin = sp[np.isfinite(sp["margin"])]
    if len(fin):
        by_v = fin[fin["family"] == "random"].groupby(["n", "n_variables"])["margin"].min()
        trend = ", ".join(f"{int(v)}: {m:.0f}x" for (n, v), m in by_v.items() if n == 250)
        pg = fin[fin["family"] == "pgmpy"].groupby("model")["margin"].min()
        small = fin[fin["n"] < 250]
        r250 = fin[(fin["family"] == "random") & (fin["n"] == 250)]
        v_lo, v_hi = int(r250["n_variables"].min()), int(r250["n_variables"].max())
        nl_lo = r250[r250["n_variables"] == v_lo]["delta_nonlink_absmax"].max()
        nl_hi = r250[r250["n_variables"] == v_hi]["delta_nonlink_absmax"].max()
        wl_lo, wl_hi = r250["delta_link_min"].min(), r250["delta_link_min"].max()
        out.append(
            f"2. Spiking, all pairs connected: unrelated pairs carry only initial-weight noise (|delta| <= "
            f"{fin['delta_nonlink_absmax'].max():.2f} mV, sd {fin['delta_nonlink_sd'].max():.3f} mV) while the "
            f"weakest link has >= {fin['delta_link_min'].min():.2f} mV; the margin (weakest link / largest "
            f"unrelated) falls with the number of areas (n = 250: {trend}) and with multi-valued variables "
            f"({', '.join(f'{m} {v:.0f}x' for m, v in pg.items())})"
            + (f", and is {small['margin'].min():.0f}x with areas of n = {int(small['n'].min())}" if len(small) else "")
            + f"; at n = 250 the largest unrelated |delta| grows from {nl_lo:.2f} to {nl_hi:.2f} mV between "
            f"{v_lo} and {v_hi} variables while the weakest link stays {wl_lo:.1f}-{wl_hi:.1f} mV, so the learning "
            "readout is far from its break point; the limit we hit is cost (A^2 n^2 synapses for 'all', "
            "~1 min of compilation per network on 2 cores)."
        )
    rb = r[r["prop_precision_at_k"] < 0.95]
    rbin = r[(r["prop_precision_at_k"] < 1.0) & (r["family"] == "random") & (r["connectivity"] == "all")]
    if len(rb):
        out.append(
            f"3. What does break is the rate engine's propagation readout (delta_prop) with all pairs connected "
            f"and small k: Precision@K {rb['prop_precision_at_k'].min():.2f}-{rb['prop_precision_at_k'].max():.2f} "
            f"in {len(rb)} runs ({', '.join(sorted(set(rb['model'])))}; n = {sorted(set(int(x) for x in rb['n']))}). "
            f"A rate probe target always elects k winners, from untrained random fibre input too, so an "
            f"unrelated pair overlaps the target's assemblies by chance, about f = values x k / n (binary DAGs: "
            + ", ".join(
                f"n = {int(n)}: {g['overlap_nonlinked_mean'].mean():.2f} measured vs {g['union_frac_max'].mean():.2f}"
                for n, g in rbin.groupby("n")
            )
            + f"), with a per-pair spread ~ sqrt(f (1 - f) / k) that grows as k shrinks; among ~A^2 such pairs the "
            f"largest differences outrank the weakest links (missed links outranked, not reversed: "
            f"{int(rb['prop_n_outranked'].sum())} vs {int(rb['prop_n_reversed'].sum())}; the intruders are mostly "
            f"unrelated pairs, and missed links have weaker forward overlaps). Multi-valued networks (child: up to 6 "
            f"values, insurance: 5) raise f and break first, at n = 250 (Precision@K "
            f"{r[(r['model'] == 'child') & (r['n'] == 250)]['prop_precision_at_k'].mean():.2f} and "
            f"{r[(r['model'] == 'insurance') & (r['n'] == 250)]['prop_precision_at_k'].mean():.2f}); binary "
            f"64-variable DAGs stay >= {r[(r['family'] == 'random') & (r['n'] == 250) & (r['connectivity'] == 'all')]['prop_precision_at_k'].min():.2f} "  # noqa: E501
            f"at n = 250 and fall to "
            + ", ".join(
                f"{g['prop_precision_at_k'].mean():.2f} at n = {int(n)}"
                for n, g in r[(r["family"] == "random") & (r["n"] < 250)].groupby("n")
            )
            + ". With 'linked' connectivity no unrelated pair fires, and delta_prop is 1.0 everywhere."
        )
    if len(sp):
        spp = sp[sp["prop_precision_at_k"] < 1.0]
        small = sp[sp["n"] < 250]
        out.append(
            f"4. The spiking propagation readout did not break ({len(spp)} of {len(sp)} runs below 1): an area "
            f"whose only input is an untrained fibre stays silent (the threshold sweep stops above rest), so "
            f"unrelated pairs score 0. Degree does not predict failures (hubs of the scale-free DAGs, up to "
            f"{int(sp['max_area_degree'].max())} links on one area, were recovered); the cap degrades at small n "
            + (
                f"(n = {int(small['n'].min())}, k = {int(small['cap_k'].min())}: winners within 25 % of k in only "
                f"{100 * small['cap_couple_within_25pct'].min():.0f} % of coupling windows) "
                if len(small)
                else ""
            )
            + "without costing a link."
        )
    return out


PANELS = (
    ("precision_at_k", "Precision@K (delta)", "lin"),
    ("auroc", "AUROC (delta)", "lin"),
    ("average_precision", "average precision (delta)", "lin"),
    ("prop_precision_at_k", "Precision@K (delta_prop, propagation)", "lin"),
    (
        "margin",
        "weakest link delta / largest unrelated |delta| (all pairs connected;\n"
        "rate: unrelated pairs never change, delta exactly 0: not shown)",
        "log",
    ),
    ("total_s", "run time per run (s; spiking: incl. {compile} compile)", "log"),
)


def figure(ok: pd.DataFrame, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(2, 3, figsize=(17, 9.5), sharex=True)
    rnd = ok[ok["family"] == "random"]
    pg = ok[ok["family"] == "pgmpy"]
    shades = {
        "rate": {50: "#c6dbef", 100: "#9ecae1", 250: "#6baed6", 500: "#2171b5", 1000: "#08306b"},
        "spiking": {50: "#fdd0a2", 100: "#fdae6b", 250: "#f16913", 500: "#d94801", 1000: "#7f2704"},
    }
    styles = {1: ":", 2: "--", 4: "-"}
    pg_markers = {"sachs": "*", "alarm": "D", "child": "P", "insurance": "X"}
    groups = list(rnd.groupby(["engine", "degree", "n"]))
    for ax, (metric, label, scale) in zip(axes.flat, PANELS):
        data = ok[np.isfinite(ok[metric].astype(float))]
        for gi, ((engine, degree, n), g) in enumerate(groups):
            g = g[np.isfinite(g[metric].astype(float))]
            if g.empty:
                continue
            m = (
                g.groupby("n_variables")
                .agg(v=(metric, "mean"), linked=("connectivity", lambda c: (c == "linked").any()))
                .reset_index()
            )
            color = shades[engine].get(n, "grey")
            dodge = 2.0 ** (0.02 * (gi - (len(groups) - 1) / 2))  # overlapping lines stay visible
            x = m["n_variables"] * dodge
            ax.plot(x, m["v"], styles.get(int(degree), "-."), color=color, lw=1.5)
            for xi, (_, r) in zip(x, m.iterrows()):
                ax.plot(xi, r["v"], "o", ms=4.5, color=color, mfc="white" if r["linked"] else color)
        for (model, engine, n, conn), g in pg.groupby(["model", "engine", "n", "connectivity"]):
            g = g[np.isfinite(g[metric].astype(float))]
            if g.empty:
                continue
            color = shades[engine].get(n, "grey")
            ax.errorbar(
                g["n_variables"].iloc[0],
                g[metric].mean(),
                yerr=g[metric].std(ddof=0) if len(g) > 1 else None,
                fmt=pg_markers.get(model, "s"),
                ms=10,
                color=color,
                mec="k",
                mfc="white" if conn == "linked" else color,
                capsize=3,
                zorder=5,
            )
        if metric in ("precision_at_k", "prop_precision_at_k"):
            ax.axhline(0.95, color="0.5", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        if scale == "log":
            ax.set_yscale("log")
            if metric == "margin" and len(data):
                ticks = [
                    t
                    for t in (1, 2, 5, 10, 20, 50, 100, 200, 500)
                    if data[metric].min() / 1.5 <= t <= data[metric].max() * 1.5
                ]
                ax.set_yticks(ticks, [str(t) for t in ticks])
                ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        elif len(data):
            lo = float(data[metric].min())
            ax.set_ylim(min(0.9, lo - 0.05), 1.02)
        if metric == "total_s":  # the compilation times of this sweep's spiking builds
            b = ok.loc[(ok["engine"] == "spiking") & (ok["build_s"] > 0), "build_s"]
            label = label.format(compile=f"{b.min():.0f}-{b.max():.0f} s" if len(b) else "the")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3, which="both")
    sizes = [v for v in (8, 16, 32, 64, 128) if (ok["n_variables"] == v).any()]
    for ax in axes[1]:
        ax.set_xlabel("number of variables (pgmpy networks: big markers at their size)")
        ax.set_xticks(sizes, [str(v) for v in sizes])
        ax.minorticks_off()
    axes[1, 0].set_xticks(sizes, [str(v) for v in sizes])
    handles = []
    for engine in ("rate", "spiking"):
        for n in (50, 100, 250, 500, 1000):
            if ((ok["engine"] == engine) & (ok["n"] == n)).any():
                handles.append(Line2D([], [], color=shades[engine][n], lw=3, label=f"{engine}, n={n}"))
    for d, ls in styles.items():
        if (rnd["degree"] == d).any():
            handles.append(Line2D([], [], color="k", ls=ls, label=f"random DAG, degree {d}"))
    handles.append(Line2D([], [], color="k", marker="o", ls="", mfc="k", label="all pairs connected"))
    handles.append(Line2D([], [], color="k", marker="o", ls="", mfc="white", label="linked pairs only"))
    for model, mk in pg_markers.items():
        if (pg["model"] == model).any():
            nv = int(pg[pg["model"] == model]["n_variables"].iloc[0])
            nl = int(pg[pg["model"] == model]["n_links"].iloc[0])
            handles.append(
                Line2D([], [], color="0.4", marker=mk, ls="", ms=9, label=f"{model} ({nv} vars, {nl} links)")
            )
    fig.legend(handles=handles, loc="center right", fontsize=8.5, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.86, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 and 16 variables, degree 2, rate + spiking at n=250")
    ap.add_argument("--out", default=None, help="sweep folder (default sweeps/capacity[_quick])")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--stages", default=None, help="comma-separated stage name prefixes to run (default: all)")
    ap.add_argument(
        "--budget-min",
        type=float,
        default=None,
        help="start no new stage after this many minutes (the sweep resumes next time)",
    )
    ap.add_argument("--collect-only", action="store_true", help="run nothing; tabulate what exists")
    ap.add_argument("--page-only", action="store_true", help="rewrite docs/results/capacity.rst from the CSVs")
    args = ap.parse_args()
    if args.page_only:
        page()
        return

    suffix = "_quick" if args.quick else ""
    base = Path(args.out or ROOT / "sweeps" / f"capacity{suffix}")
    all_stages = stages(args.quick)
    t0 = time.perf_counter()
    wall = {}
    if not args.collect_only:
        wanted = args.stages.split(",") if args.stages else None
        for name, specs in all_stages:
            if wanted and not any(name.startswith(w) for w in wanted):
                continue
            if args.budget_min is not None and time.perf_counter() - t0 > 60 * args.budget_min:
                print(f"budget of {args.budget_min} min spent: stage {name} not started (rerun to resume)", flush=True)
                continue
            ts = time.perf_counter()
            print(f"=== stage {name}: {len(specs)} runs", flush=True)
            run_sweep(
                Sweep(runs=specs, name=name),
                base / name,
                workers=args.workers,
                progress=lambda m: print(f"  [{time.perf_counter() - t0:7.1f} s] {m}", flush=True),
            )
            wall[name] = time.perf_counter() - ts

    table, links = collect(all_stages, base)
    res_dir = ROOT / "experiments" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    if table.empty:
        print("no finished runs yet")
        return
    write_csv(res_dir / f"capacity{suffix}.csv", table)
    write_csv(res_dir / f"capacity_links{suffix}.csv", links)
    ok = table[table["status"] == "ok"].copy()
    summ = point_summary(ok)
    write_csv(res_dir / f"capacity_summary{suffix}.csv", summ)
    cap = capacity_table(ok)
    write_csv(res_dir / f"capacity_largest{suffix}.csv", cap)
    write_json(  # what every capacity table was run with
        res_dir / f"capacity{suffix}.json",
        {
            "tables": [f"capacity{x}{suffix}.csv" for x in ("", "_links", "_summary", "_largest")],
            "sweep_folder": str(base.relative_to(ROOT)) if base.is_relative_to(ROOT) else str(base),
            "stages": {name: len(specs) for name, specs in all_stages},
            "runs": {"found": len(table), "ok": len(ok)},
            "stages_run_now": {name: round(s, 1) for name, s in wall.items()},
            "workers": args.workers,
            "budget_min": args.budget_min,
            "engines": sorted(set(table["engine"])),
            "backend": "cpp_standalone (spiking); numpy (rate)",
            "seeds": sorted({int(s) for s in table["seed"]}),
            "params": {"p_inter": P_INTER, "max_all_synapses": MAX_ALL_SYNAPSES, "k": "round(sqrt(n))"},
            "date": datetime.now(timezone.utc).isoformat(),
            "versions": versions(),
        },
    )

    pd.set_option("display.width", 250)
    pd.set_option("display.max_rows", 500)
    pd.set_option("display.max_columns", 40)
    pg = ok[ok["family"] == "pgmpy"]
    if len(pg):
        print("\n=== pgmpy networks (per run)")
        print(
            pg[
                [
                    "model",
                    "engine",
                    "n",
                    "connectivity",
                    "seed",
                    "n_variables",
                    "n_links",
                    "precision_at_k",
                    "auroc",
                    "average_precision",
                    "prop_precision_at_k",
                    "n_reversed",
                    "n_missed",
                    "margin",
                    "n_synapses_inter",
                    "build_s",
                    "simulate_s",
                    "total_s",
                ]
            ]
            .round(3)
            .to_string(index=False)
        )
        agg = (
            pg.groupby(["model", "engine", "n", "connectivity"])
            .agg(
                seeds=("seed", "size"),
                precision_at_k=("precision_at_k", "mean"),
                p_min=("precision_at_k", "min"),
                auroc=("auroc", "mean"),
                average_precision=("average_precision", "mean"),
                total_s=("total_s", "mean"),
            )
            .reset_index()
        )
        print("\n=== pgmpy networks (mean over seeds)")
        print(agg.round(3).to_string(index=False))
    print("\n=== random DAGs (mean over seeds; synapses = inter-area)")
    print(summ[summ["family"] == "random"].drop(columns=["family"]).round(3).to_string(index=False))
    print("\n=== largest number of variables at Precision@K >= 0.95 (random DAGs; pgmpy column: networks)")
    print(cap.to_string(index=False))
    for engine in ("rate", "spiking"):
        r = cap[(cap["engine"] == engine) & (cap["n"] == "any")]
        if len(r):
            r = r.iloc[0]
            print(
                f"  {engine}: largest V with mean Precision@K >= 0.95: {r['largest_V_mean_ge_0.95']} "
                f"(every run up to {r['largest_V_every_run_ge_0.95']}; tested up to {r['largest_V_tested']}; "
                f"pgmpy up to {r['pgmpy_largest_V_ge_0.95']} variables)"
            )
    print("\n=== findings (numbers)")
    for line in findings(ok, links):
        print(" -", line)
    print("\n=== findings (why)")
    for line in interpretation(ok):
        print(line)
    failed = table[table["status"] != "ok"]
    if len(failed):
        print(f"\n{len(failed)} run(s) not finished or failed:")
        print(failed[["stage", "model", "engine", "n", "seed", "status"]].to_string(index=False))
    if wall:
        print("\nstage wall times:", {k: round(v, 1) for k, v in wall.items()})
    fig_path = ROOT / "figures" / f"capacity{suffix}.png"
    figure(
        ok,
        fig_path,
        "DIRECT capacity: recovery of given link directions vs number of variables "
        f"({len(ok)} runs; lines: random DAGs, mean over seeds and kinds; big markers: pgmpy)",
    )
    print(f"\nwrote {res_dir / f'capacity{suffix}.csv'} (+ capacity_summary, _largest, _links) and {fig_path}")
    if not suffix:
        page()


def page() -> None:
    """``docs/results/capacity.rst`` from ``capacity.csv`` and ``capacity_summary.csv``."""
    sys.path.insert(0, str(ROOT / "experiments"))
    from _pages import Page, fmt, rng

    res = ROOT / "experiments" / "results"
    runs = pd.read_csv(res / "capacity.csv")
    ok = runs[runs.status == "ok"]
    summ = pd.read_csv(res / "capacity_summary.csv")
    tab = (
        summ.groupby(["family", "engine", "n", "connectivity"])
        .agg(
            v_min=("n_variables", "min"),
            v_max=("n_variables", "max"),
            runs=("runs", "sum"),
            pk=("p_at_k_min", "min"),
            auroc=("auroc", "min"),
            prop=("prop_precision_at_k", "min"),
            margin=("margin", "min"),
        )
        .reset_index()
    )
    tab["variables"] = [rng(a, b, 0) for a, b in zip(tab.v_min, tab.v_max)]
    n_mid, n_small = 250, 100  # the area size of the all-pairs curves; the small-area stress stage
    spk = summ[(summ.engine == "spiking") & (summ.connectivity == "all") & (summ.n == n_mid)]
    rnd = spk[spk.family == "random"]
    v_lo, v_hi = int(rnd.n_variables.min()), int(rnd.n_variables.max())
    m_lo, m_hi = rnd[rnd.n_variables == v_lo].margin.min(), rnd[rnd.n_variables == v_hi].margin.min()
    small = ok[(ok.engine == "rate") & (ok.n <= n_small)]
    pg_rate = summ[(summ.engine == "rate") & summ.kind.isin(["child", "insurance"]) & (summ.n == n_mid)]
    largest_all = ok[ok.connectivity == "all"].groupby("engine").n_variables.max()
    largest_linked = ok[ok.connectivity == "linked"].groupby("engine").n_variables.max()
    p = Page(
        "capacity",
        "Beyond a handful of variables",
        command="python experiments/capacity.py",
        intro=(
            f"{len(ok)} runs through the Dask sweep: random DAGs (Erdos-Renyi and scale-free) and pgmpy's "
            "networks (sachs, alarm, child, insurance) on both engines, ranking every ordered pair by the "
            "learned synaptic asymmetry Δ. ``all`` connectivity builds inter-area synapses for every ordered "
            "pair of areas; ``linked`` builds only the coupled pairs, so every other pair has Δ = 0 by "
            "construction and the test is of direction only."
        ),
    )
    p.section("What this shows, and what it does not")
    p.bullets(
        [
            f"Δ ranks the given links first in every run: Precision@K "
            f"{rng(ok.precision_at_k.min(), ok.precision_at_k.max())}, AUROC {rng(ok.auroc.min(), ok.auroc.max(), 3)}, "
            f"average precision {rng(ok.average_precision.min(), ok.average_precision.max(), 3)}, up to "
            f"{int(largest_all.max())} variables with every pair of areas connected and "
            f"{int(largest_linked.max())} with only the linked pairs.",
            "As on the Alzheimer page, the protocol couples only the true links, each with the lead set from "
            "its true direction: the result shows that the given leads are written into the synapses of the "
            "given links and that uncoupled pairs stay below them as the network grows; it is not structure "
            "learned from data, and the chance level that matters for direction is that of a ranking that "
            "knows the skeleton (K over the number of ordered pairs of linked variables).",
            f"With every pair connected, the spiking margin (weakest link Δ over the largest unrelated "
            f"``|Δ|``, n = {n_mid}) falls from {fmt(m_lo, 0)} at {v_lo} variables to {fmt(m_hi, 0)} "
            f"at {v_hi} (random DAGs, smallest over kinds and degrees), "
            f"{fmt(spk[spk.kind == 'alarm'].margin.min(), 0)} on alarm; the limit met was the cost of "
            "A^2 n^2 synapses, not the margin.",
            f"What breaks first is the rate engine's propagation readout at small areas: Δprop P@K "
            f"{rng(small.prop_precision_at_k.min(), small.prop_precision_at_k.max())} at n <= {n_small}, "
            f"{rng(pg_rate.prop_precision_at_k.min(), pg_rate.prop_precision_at_k.max())} on child and "
            f"insurance at n = {n_mid} (its k-cap always elects k cells, so unrelated pairs overlap by chance).",
        ]
    )
    p.table(
        tab,
        "experiments/results/capacity_summary.csv",
        raw=ok,
        sidecar="experiments/results/capacity.json",
        columns={
            "family": "family",
            "engine": "engine",
            "n": "n",
            "connectivity": "connectivity",
            "variables": "variables",
            "runs": "runs",
            "pk": "min P@K",
            "auroc": "min AUROC",
            "prop": "min Δprop P@K",
            "margin": "min margin",
        },
        formats={"pk": "{:.2f}", "auroc": "{:.3f}", "prop": "{:.2f}", "margin": "{:.0f}", "runs": "{:.0f}"},
        caption="Per family, engine, area size and connectivity (minimum over points and seeds)",
    )
    p.text(
        "Run times per run are in the ``build_s``, ``simulate_s`` and ``total_s`` columns of "
        "``experiments/results/capacity.csv``."
    )
    p.figure("figures/capacity.png", "Recovery of the given link directions against the number of variables.")
    p.write()


if __name__ == "__main__":
    # run through the importable package so Dask pickles spiking_direct functions by reference
    sys.exit(main())

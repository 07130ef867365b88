"""One DIRECT run, end to end: model -> protocol -> engine -> readout -> metrics -> result.

The same :func:`analyse` serves both engines: it sees only the Recording.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import readout, settings
from .causal import CausalModel, get_model
from .config import RunConfig, learning_rule
from .encoding import Encoding
from .engines import get_engine
from .memory import ALL_PAIRS_LIMIT
from .metrics import structure_metrics
from .protocol import PHASES, direct_protocol, selected_pairs
from .recording import Recording
from .results import (
    SCHEMA_VERSION,
    VALUE_ROWS_FILE,
    Result,
    split_value_rows,
    versions,
    write_json,
    write_json_gz,
    write_json_timed,
    write_npz,
)


def _noop(msg: str) -> None:
    pass


#: the share of an area its assemblies (one of ``k`` cells per value) may cover before a run warns:
#: beyond it they overlap so much that the propagation readout (``delta_prop``) loses its contrast;
#: beyond 1 they cannot all be told apart and the run is refused
AREA_COVER_WARN = 0.5


def _area_needed(values: int, k: int | None, cover: float) -> int:
    """The smallest area size ``n`` at which ``values`` assemblies of ``k`` cells (``None``: the size
    rule ``k = round(sqrt(n))``) cover at most ``cover`` of the area."""
    if k is not None:
        return int(np.ceil(values * k / cover))
    n = max(2, int(np.floor((values / cover) ** 2 * 0.8)))
    while values * round(np.sqrt(n)) > cover * n:
        n += 1
    return n


def check_area_sizes(config: RunConfig, model: CausalModel, encoding: Encoding) -> str | None:
    """Refuse a run in which some variable's assemblies (``k`` cells for each of its input sets) need
    more cells than an area has, in one line naming the variable, its values and the area size it
    needs; otherwise return a one-line warning when some cover more than :data:`AREA_COVER_WARN` of
    their area (None when none does)."""
    from .errors import ConfigError

    params = config.rate if config.engine == "rate" else config.spiking
    n, k = int(params.n), int(params.k_eff)
    sets = np.array([len(encoding.sets_of(a)) for a in range(model.n_variables)])
    cover = sets * k / n
    worst = int(np.argmax(cover))
    name, values = model.variables[worst], int(sets[worst])
    k_given = None if params.k is None else int(params.k)
    if cover[worst] > 1:
        need = _area_needed(values, k_given, 1.0)
        raise ConfigError(
            f"{model.name}: variable {name!r} has {values} values, whose assemblies of k = {k} cells need "
            f"{values * k} cells, more than an area's n = {n}; set n={need} or more"
            + ("" if k_given is not None else f" (k = round(sqrt(n)) = {round(np.sqrt(need))})")
            + ", or a smaller k with --set k=..."
        )
    over = np.flatnonzero(cover > AREA_COVER_WARN)
    if not over.size:
        return None
    return (
        f"{model.name}: the assemblies of {over.size} variable(s) cover more than {AREA_COVER_WARN:.0%} of their "
        f"area (worst: {name!r}, {values} values x k = {k} = {values * k} of n = {n} cells, {cover[worst]:.0%}); "
        f"their overlap blurs delta_prop; n >= {_area_needed(values, k_given, AREA_COVER_WARN)} keeps every "
        f"variable below {AREA_COVER_WARN:.0%}"
    )


def prepare(config: RunConfig, model: CausalModel | None = None, progress=None):
    """Validate ``config`` and the settings (:mod:`spiking_direct.settings`), check that the run
    fits in memory (:func:`spiking_direct.memory.check_fits`) and write its protocol:
    (model, encoding, protocol)."""
    from .memory import check_fits

    config.validate()
    settings.check()
    get_engine(config.engine).check(config)
    model = model or get_model(config.model)
    encoding = Encoding.for_model(model, config.encoding, config.separation)
    crowded = check_area_sizes(config, model, encoding)  # ConfigError where an area cannot hold them
    estimate = check_fits(config, model)  # MemoryLimitError, with the options, before anything is built
    if crowded:  # only for a run that goes ahead: a refused run says one line, the refusal
        import warnings

        warnings.warn(crowded, stacklevel=2)
    if progress:
        progress(f"memory estimate: {estimate}")
    table = None
    if config.data is not None:
        from .truth import load_table

        table = load_table(config.data, model)
    rng = np.random.default_rng(int(config.seed))
    pairs = probe_pairs(model, int(config.seed))
    return model, encoding, direct_protocol(model, encoding, config.protocol, rng, table=table, probe_pairs=pairs)


def simulate(
    config: RunConfig, model: CausalModel | None = None, progress=None, monitors: dict | None = None
) -> tuple[CausalModel, Recording]:
    """Build the protocol for ``config`` and run it on the chosen engine (``monitors``: state
    monitors of the spiking engine, see :func:`~spiking_direct.engines.spiking.build_network`)."""
    progress = progress or _noop
    model, encoding, protocol = prepare(config, model, progress)
    counts = ", ".join(f"{k} {v}" for k, v in protocol.summary().items() if k.startswith("n_") and k != "n_windows")
    progress(
        f"{model.name}: {model.n_variables} variables, {model.n_links} links; "
        f"protocol of {protocol.n_windows} windows ({counts})"
    )
    rec = get_engine(config.engine).run(protocol, encoding, config, progress=progress, monitors=monitors)
    return model, rec


def probe_selection(model: CausalModel, seed: int) -> dict:
    """The ordered pairs of variables whose propagation (and per-pair record) a run reads out:
    ``rule`` ``"all"`` up to :data:`ALL_PAIRS_LIMIT` ordered pairs, else ``"linked"``: every true
    link in both directions and a sample (as many, drawn with a generator seeded ``seed``) of the
    ordered pairs of unlinked variables. ``mask`` (A x A bool) marks them. A pair outside the
    selection scores 0 in ``delta_prop``: under ``linked`` connectivity it has no fibre, so its
    probe leaves the target silent and the full readout gives 0 as well. A run with the ``linked``
    rule probes only these pairs, several areas per window (:func:`probe_pairs`)."""
    A = model.n_variables
    if A * (A - 1) <= ALL_PAIRS_LIMIT:
        return {"rule": "all", "mask": ~np.eye(A, dtype=bool), "n_pairs": A * (A - 1), "n_unlinked_sampled": None}
    mask = selected_pairs(model, seed)
    truth = model.adjacency().astype(bool)
    m = int(mask.sum()) - int((truth | truth.T).sum())
    return {"rule": "linked", "mask": mask, "n_pairs": int(mask.sum()), "n_unlinked_sampled": m}


def probe_pairs(model: CausalModel, seed: int) -> np.ndarray | None:
    """The ``probe_pairs`` of a run's protocol (:func:`~spiking_direct.protocol.direct_protocol`): the
    selection of :func:`probe_selection` beyond :data:`ALL_PAIRS_LIMIT` (its probe windows batched),
    else None (every area probed alone, heard by every other)."""
    selection = probe_selection(model, seed)
    return selection["mask"] if selection["rule"] == "linked" else None


def _propagation_of(rec: Recording, asm, mask: np.ndarray):
    """:func:`readout.propagation` for the ordered pairs of ``mask`` only (0 elsewhere, NaN on the
    diagonal); a target that fired in none of the probe windows in which it heard the source
    (:attr:`~spiking_direct.protocol.Protocol.probe_of`) is read as 0 at once."""
    p = rec.protocol
    A, k = p.n_areas, rec.k
    counts_wa = rec.window_area_counts()
    out = {name: np.zeros((A, A)) for name in ("overlap", "fired", "responders", "precision")}
    for arr in out.values():
        np.fill_diagonal(arr, np.nan)
    win, src, lis = p.probe_heard()  # sorted by source, listener, window
    keep = mask[src, lis]
    win, src, lis = win[keep], src[keep], lis[keep]
    starts = np.flatnonzero(np.r_[True, (src[1:] != src[:-1]) | (lis[1:] != lis[:-1])]) if src.size else []
    for lo, hi in zip(starts, np.r_[starts[1:], src.size]):
        u, v, wins_uv = int(src[lo]), int(lis[lo]), win[lo:hi]
        if not counts_wa[wins_uv, v].any():
            continue
        sets = p.stim_set[wins_uv, u]
        o, r, pr = [], [], []
        for s in np.unique(sets):
            counts, first = readout._counts(rec, wins_uv[sets == s], v)
            resp = readout.rank_neurons(counts, first, k)
            hit = np.isin(resp, asm.union[v]).sum()
            o.append(hit / k)
            r.append(resp.size)
            pr.append(hit / resp.size if resp.size else 0.0)
        out["overlap"][u, v], out["responders"][u, v], out["precision"][u, v] = np.mean(o), np.mean(r), np.mean(pr)
        out["fired"][u, v] = counts_wa[wins_uv, v].mean()
    return readout.Propagation(out["overlap"], out["fired"], out["responders"], out["precision"])


def analyse(rec: Recording, model: CausalModel, seed: int | None = None) -> dict:
    """Dual readout, metrics and cap statistics of one Recording, and the value-level
    propagation readout (``value_readout``: :mod:`spiking_direct.value_readout`). Beyond
    :data:`ALL_PAIRS_LIMIT` ordered pairs the propagation readout and the per-pair records cover
    the pairs of :func:`probe_selection` (``probe_selection`` in the result says which) and the
    value-level readout is skipped (its rows grow as values x variables); ``seed`` (default: the
    recording's, else 0) draws the sample of unlinked pairs."""
    asm = readout.identify_assemblies(rec)
    S, nsyn = readout.synaptic_strength(rec, asm)
    delta = S - S.T
    # pairs without any synapse between their assemblies (connectivity "linked"): no asymmetry
    unconnected = (nsyn == 0) & (nsyn.T == 0)
    delta[unconnected & ~np.eye(len(S), dtype=bool)] = 0.0
    seed = rec.info.get("seed") if seed is None else seed
    selection = probe_selection(model, int(seed) if seed is not None else 0)
    if selection["rule"] == "all":
        prop = readout.propagation(rec, asm)
    else:
        prop = _propagation_of(rec, asm, selection["mask"])
    delta_prop = prop.overlap - prop.overlap.T
    cover, overlap_cc = readout.chance_corrected(prop, asm, rec.n, rec.k)
    delta_prop_cc = overlap_cc - overlap_cc.T
    truth = model.adjacency()
    A = model.n_variables
    for name, arr in (("delta", delta), ("delta_prop", delta_prop)):
        off = ~np.eye(A, dtype=bool)
        if np.isnan(arr[off]).any():
            i, j = np.argwhere(np.isnan(arr) & off)[0]
            raise RuntimeError(
                f"{name} undefined for {model.variables[i]} -> {model.variables[j]}: "
                "an assembly was empty (no neuron fired in its identification windows)"
            )
    m_delta = structure_metrics(np.nan_to_num(delta), truth)
    m_prop = structure_metrics(np.nan_to_num(delta_prop), truth)
    m_prop_cc = structure_metrics(np.nan_to_num(delta_prop_cc), truth)
    V = model.variables
    pairs = []
    for i in range(A):
        for j in range(A):
            if i == j or not selection["mask"][i, j]:
                continue
            pairs.append(
                {
                    "source": V[i],
                    "target": V[j],
                    "is_link": bool(truth[i, j]),
                    "delta": delta[i, j],
                    "delta_prop": delta_prop[i, j],
                    "delta_prop_cc": delta_prop_cc[i, j],
                    "s": S[i, j],
                    "n_synapses": int(nsyn[i, j]),
                    "overlap": prop.overlap[i, j],
                    "overlap_cc": overlap_cc[i, j],
                    "fired": prop.fired[i, j],
                    "responders": prop.responders[i, j],
                    "precision": prop.precision[i, j],
                }
            )
    links = []
    for i, j in model.link_indices():
        links.append(
            {
                "source": V[i],
                "target": V[j],
                "delta": delta[i, j],
                "delta_prop": delta_prop[i, j],
                "delta_prop_cc": delta_prop_cc[i, j],
                "s_forward": S[i, j],
                "s_reverse": S[j, i],
                "overlap_forward": prop.overlap[i, j],
                "overlap_reverse": prop.overlap[j, i],
                "overlap_cc_forward": overlap_cc[i, j],
                "overlap_cc_reverse": overlap_cc[j, i],
                "fired_forward": prop.fired[i, j],
                "responders_forward": prop.responders[i, j],
                "precision_forward": prop.precision[i, j],
            }
        )
    non_link = ~truth & ~truth.T & ~np.eye(A, dtype=bool)
    cap = readout.cap_statistics(rec)
    cap["assembly_size"] = {str(s): int(len(m)) for s, m in asm.members.items()}
    cap["assembly_stability"] = float(np.mean(list(asm.stability.values()))) if asm.stability else None
    lk = np.array([[i, j] for i, j in model.link_indices()])
    summary = {
        "n_links": int(len(lk)),
        "overlap_forward_mean": float(np.mean(prop.overlap[lk[:, 0], lk[:, 1]])),
        "overlap_forward_min": float(np.min(prop.overlap[lk[:, 0], lk[:, 1]])),
        "overlap_reverse_mean": float(np.mean(prop.overlap[lk[:, 1], lk[:, 0]])),
        "overlap_reverse_max": float(np.max(prop.overlap[lk[:, 1], lk[:, 0]])),
        "overlap_nonlinked_mean": float(np.mean(prop.overlap[non_link])) if non_link.any() else None,
        "overlap_cc_forward_mean": float(np.mean(overlap_cc[lk[:, 0], lk[:, 1]])),
        "overlap_cc_reverse_mean": float(np.mean(overlap_cc[lk[:, 1], lk[:, 0]])),
        "area_cover_max": float(np.max(cover)),
        "responders_forward_mean": float(np.mean(prop.responders[lk[:, 0], lk[:, 1]])),
        "responders_max": float(np.nanmax(prop.responders)),
        "fired_forward_mean": float(np.mean(prop.fired[lk[:, 0], lk[:, 1]])),
        "fired_max": float(np.nanmax(prop.fired)),
        "delta_links_mean": float(np.mean(delta[lk[:, 0], lk[:, 1]])),
        "delta_prop_links_mean": float(np.mean(delta_prop[lk[:, 0], lk[:, 1]])),
        "delta_positive_links": int(np.sum(delta[lk[:, 0], lk[:, 1]] > 0)),
        "delta_prop_positive_links": int(np.sum(delta_prop[lk[:, 0], lk[:, 1]] > 0)),
    }
    from . import value_readout
    from .interventions import analyse_interventions

    iv = analyse_interventions(rec, asm, model)
    if selection["rule"] == "all":
        values = value_readout.analyse(rec, asm, model)
    else:
        values = {
            "definitions": value_readout.DEFINITIONS,
            "applicable": False,
            "reason": f"skipped: {A * (A - 1)} ordered pairs, more than {ALL_PAIRS_LIMIT} (its rows grow as "
            "values x variables)",
            "rows": [],
            "pairs": [],
            "links": [],
            "summary": dict.fromkeys(value_readout.SUMMARY_KEYS),
        }
    probe_record = {k: v for k, v in selection.items() if k != "mask"}
    return {
        "probe_selection": probe_record,
        "interventions": iv,
        "metrics": {k: m_delta[k] for k in ("precision_at_k", "recall_at_k", "auroc", "average_precision", "shd")},
        "metrics_delta": m_delta,
        "metrics_delta_prop": m_prop,
        "metrics_delta_prop_cc": m_prop_cc,
        "summary": summary,
        "links": links,
        "pairs": pairs,
        "cap": cap,
        "matrices": {
            "S": S,
            "delta": delta,
            "overlap": prop.overlap,
            "delta_prop": delta_prop,
            "overlap_cc": overlap_cc,
            "delta_prop_cc": delta_prop_cc,
            "area_cover": cover,
            "fired": prop.fired,
            "truth": truth.astype(int),
        },
        "value_readout": values,
    }


def run(
    config: RunConfig,
    out: str | Path | None = None,
    progress=None,
    figures: bool = True,
    model: CausalModel | None = None,
    monitors: dict | None = None,
) -> Result:
    """Run one DIRECT experiment; write ``out/result.json`` (and figures) if ``out`` is given."""
    progress = progress or _noop
    t0 = time.perf_counter()
    model, rec = simulate(config, model=model, progress=progress, monitors=monitors)
    return finish(config, model, rec, t0, out=out, progress=progress, figures=figures)


def describe_data_source(config: RunConfig, model: CausalModel) -> str:
    """Where the value pairs of a run's coupling come from, in words (for ``result.json``)."""
    if config.data:
        return str(config.data)
    if model.has_cpds:
        return "sampled from the model with the run's seed"
    return "none: the model has no conditional tables, so coupling draws value pairs uniformly"


def finish(
    config: RunConfig,
    model: CausalModel,
    rec: Recording,
    t0: float,
    out=None,
    progress=None,
    figures: bool = True,
    data_source: str | None = None,
    params: dict | None = None,
) -> Result:
    """Analyse a Recording and write the result (shared by ``run`` and ``collect``; ``data_source``
    overrides what :func:`describe_data_source` would say and ``params`` the parameters recorded,
    e.g. for an exported build)."""
    progress = progress or _noop
    t1 = time.perf_counter()
    res = analyse(rec, model, seed=int(config.seed))
    t2 = time.perf_counter()
    timing = dict(rec.timing)
    timing["analyse_s"] = t2 - t1
    timing["total_s"] = t2 - t0
    interventions = res["interventions"]  # written to interventions.json, not to result.json
    res["interventions_metrics"] = interventions.get("metrics") if interventions is not None else None
    table = rec.protocol.table
    if params is None:
        params = config.to_dict()
        params["model"] = model.name  # the model actually run (a CausalModel object may stand in for the name)
    source = data_source if data_source is not None else describe_data_source(config, model)
    result = Result(
        {
            "schema_version": SCHEMA_VERSION,
            "scm": model.name,
            "variables": list(model.variables),
            "true_links": [[model.variables[i], model.variables[j]] for i, j in model.link_indices()],
            "engine": config.engine,
            "backend": config.backend if get_engine(config.engine).uses_backend else None,
            "seed": int(config.seed),
            "params": params,
            "model": {
                "name": model.name,
                "description": model.description,
                "n_variables": model.n_variables,
                "n_links": model.n_links,
                "has_tables": bool(model.has_cpds),
            },
            "learning": learning_rule(config),
            "data": {"source": source, "rows": int(table.shape[0]) if table is not None else None},
            "versions": versions(),
            **res,
            "protocol": rec.protocol.summary(),
            "engine_info": rec.info,
            "timing": timing,
        }
    )
    state = _state(rec)
    if out is not None:
        t_write = time.perf_counter()
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        # result.json marks a complete run folder: a rerun into the folder removes it first and
        # writes it last, so a run that dies while writing never leaves an old result.json beside
        # new files (or naming a rows file that is gone)
        (out / "result.json").unlink(missing_ok=True)
        save_recording(out / "recording.npz", rec)
        if state is not None:
            write_npz(
                out / "state.npz",
                **{k: np.asarray(v) for k, v in state.items() if k != "units"},
                units=np.array(json.dumps(state["units"])),
            )
        if interventions is not None:
            write_json(
                out / "interventions.json",
                {
                    **interventions,
                    "scm": model.name,
                    "engine": config.engine,
                    "backend": result["backend"],
                    "seed": int(config.seed),
                    "learning": result["learning"],
                    "params": result["params"],
                    "versions": result["versions"],
                },
            )
        # the timing counts the writing of every file up to result.json's own serialisation
        written, value_rows = split_value_rows({k: v for k, v in result.items() if k != "interventions"})
        if value_rows is not None:
            write_json_gz(out / VALUE_ROWS_FILE, value_rows)
        else:  # a rerun into the folder of a run that had them
            (out / VALUE_ROWS_FILE).unlink(missing_ok=True)
        write_json_timed(out / "result.json", written, t0, t_write)
        result["timing"] = written["timing"]
        result.folder = out
        if figures and not _dense_fits(rec.protocol):
            progress(f"figures skipped: they read the dense gain array, which {model.name}'s protocol is too large for")
        elif figures:
            from . import plots

            plots.all_figures(out)
        progress(f"wrote {out / 'result.json'}")
    if state is not None:
        result["state"] = state  # in memory and in state.npz, not in result.json
    return result


def _state(rec: Recording) -> dict | None:
    """The recorded state variables of ``rec`` (times in ms, values in mV), or None."""
    if not rec.state:
        return None
    variables = [k for k in rec.state if k not in ("t", "neurons", "units")]
    units = rec.state.get("units") or {v: "mV" for v in variables}
    return {
        "t_ms": np.asarray(rec.state["t"]) * 1e3,
        "neurons": np.asarray(rec.state["neurons"]),
        "units": {v: units[v] for v in variables},
        **{v: np.asarray(rec.state[v]) for v in variables},
    }


def save_recording(path: Path, rec: Recording) -> None:
    """Spikes and the protocol (weights are summarised in result.json)."""
    p = rec.protocol
    write_npz(
        path,
        spike_window=rec.spike_window,
        spike_neuron=rec.spike_neuron,
        spike_time=rec.spike_time,
        n=rec.n,
        k=rec.k,
        phase=p.phase,
        stim_set=p.stim_set,
        active=p.active,
        offset=p.offset,
        **_gain_arrays(p),
        probe_source=p.probe_source,
        **({"probe_of": p.probe_of} if p.batched else {}),  # the batched probe phase: who hears whom
        phases=np.array(PHASES),
    )


def _dense_fits(p) -> bool:
    """Whether the protocol's dense ``(W, A, A)`` arrays are within :data:`~spiking_direct.protocol.DENSE_LIMIT`."""
    from .protocol import DENSE_LIMIT

    return p.n_windows * p.n_areas * p.n_areas <= DENSE_LIMIT


def _gain_arrays(p) -> dict:
    """The protocol's gains for ``recording.npz``: the dense ``gain`` (W, A, A) array where it has at
    most :data:`~spiking_direct.protocol.DENSE_LIMIT` values, else the sparse ``gain_window``,
    ``gain_pre``, ``gain_post`` and ``gain_value`` (one entry per non-zero gain)."""
    if _dense_fits(p):
        return {"gain": p.gain}
    g = p.gains
    return {"gain_window": g.window, "gain_pre": g.pre, "gain_post": g.post, "gain_value": g.value}

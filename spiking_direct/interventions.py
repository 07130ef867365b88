"""do() queries answered by a trained network, beside the true and the backdoor-adjusted effects.

The intervene phase of the protocol (``intervene_reps`` > 0) asks the trained
network ``do(X = x)`` for every variable and value; the readout
(:func:`~spiking_direct.readout.interventions`) turns its windows into a
predicted distribution of every variable. This module puts the prediction
beside the ground truth and scores it:

* ``exact``: the true interventional distribution of the causal model
  (:func:`spiking_direct.truth.exact_ace`: enumeration of the mutilated model,
  or pgmpy's variable elimination on it when the joint state space is large);
* ``backdoor``: the backdoor-adjusted estimate from the run's data table
  (adjustment set: the parents of ``X``);
* ``association``: the observational contrast of the same table (what a
  merely correlational reading would answer).

Contrast (every engine, every model): ``ACE(X -> Y) = P(Y = y_0 | do(X = x_0))
- P(Y = y_0 | do(X = x_last))``, value index 0 being a variable's first
value (``x_0`` against its last value ``x_last``).

Scores (:func:`intervention_metrics`): sign agreement over the ordered pairs
with a directed path and ``|true ACE| >= MIN_EFFECT``; AUROC of ``|predicted
ACE|`` for "has a directed path"; Spearman correlation of predicted and true
ACE over every ordered pair; and the direction check: for every true link
``u -> v``, ``|ACE(v -> u)|`` below the smallest ``|ACE|`` of the true links.
A predicted ACE that is undefined (the target never answered) counts as 0.

What the network was shown (:func:`coupling_sample_ace`,
:func:`coupling_sample_metrics`): each link ``u -> v`` is coupled on
``couple_steps`` rows of the table, and its value-level synapses can only
learn the contrast of those rows. Its sign agreement with the true ACE is
the ceiling of any learner that follows its coupling rows; comparing the
network's predicted sign with it separates what the data exposure limits
from what the network gets wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import readout
from .causal import CausalModel, CausalModelError
from .errors import InterventionError
from .metrics import spearman

#: pairs with a smaller true effect are left out of the sign agreement
MIN_EFFECT = 0.05

#: how to get do() answers from a run that has none
RERUN_HINT = "run it again with --set intervene_reps=60"

CONTRAST = "ACE(X -> Y) = P(Y = y_0 | do(X = x_0)) - P(Y = y_0 | do(X = x_last)); index 0 = a variable's first value"


def intervention_metrics(
    pred: np.ndarray, true: np.ndarray, paths: np.ndarray, links: list[tuple[int, int]], min_effect: float = MIN_EFFECT
) -> dict:
    """Scores of a predicted ACE matrix against the true one (see the module docstring)."""
    from sklearn.metrics import roc_auc_score

    A = pred.shape[0]
    off = ~np.eye(A, dtype=bool)
    p = np.nan_to_num(pred, nan=0.0)
    sel = paths & (np.abs(true) >= min_effect) & off
    agree = np.sign(p[sel]) == np.sign(true[sel])
    y = paths[off]
    auroc = float(roc_auc_score(y, np.abs(p[off]))) if 0 < y.sum() < y.size else None
    rho = spearman(p, true)
    link_abs = np.array([abs(p[u, v]) for u, v in links]) if links else np.array([])
    rev_abs = np.array([abs(p[v, u]) for u, v in links]) if links else np.array([])
    return {
        "sign_agreement": float(agree.mean()) if sel.any() else None,
        "n_sign_pairs": int(sel.sum()),
        "sign_disagreements": [[int(i), int(j)] for (i, j), ok in zip(np.argwhere(sel), agree) if not ok],
        "auroc_path": auroc,
        "spearman": float(rho) if np.isfinite(rho) else None,
        "min_abs_ace_links": float(link_abs.min()) if link_abs.size else None,
        "max_abs_ace_reverse": float(rev_abs.max()) if rev_abs.size else None,
        "direction_ok": bool(rev_abs.size and rev_abs.max() < link_abs.min()),
        "n_direction_ok": int(np.sum(rev_abs < link_abs.min())) if link_abs.size else 0,
        "min_effect": min_effect,
        "undefined_predictions": int(np.isnan(pred[off]).sum()),
    }


def coupling_sample_ace(protocol, model: CausalModel) -> np.ndarray:
    """(A, A) float: for every coupled link ``(u, v)`` of ``protocol`` the contrast
    ``P(v = y_0 | u = x_0) - P(v = y_0 | u = x_last)`` in the table rows that
    coupled it (the same contrast as the ACE); NaN for every other pair and
    where ``x_0`` or ``x_last`` never occurred in those rows."""
    from . import truth

    A = model.n_variables
    out = np.full((A, A), np.nan)
    for u, v in protocol.coupled_links:
        rows = protocol.coupling_rows((u, v))
        if rows.shape[0]:
            out[u, v] = truth.observational_contrast(rows, model)[u, v]
    return out


def coupling_sample_metrics(
    pred: np.ndarray, sample: np.ndarray, true: np.ndarray, links: list[tuple[int, int]], min_effect: float = MIN_EFFECT
) -> dict:
    """Over the true links with ``|true ACE| >= min_effect``: how often the coupling
    rows' contrast has the true sign (``sample_sign_agreement``: the ceiling of a
    learner that follows its rows), how often the network's predicted ACE has it
    (``network_sign_agreement``), and how often the network has the sign of its
    rows (``network_follows_sample``, over links whose rows show a non-zero
    contrast); Spearman correlation of predicted and sample contrast over those links."""
    sel = [(u, v) for u, v in links if abs(true[u, v]) >= min_effect and np.isfinite(sample[u, v])]
    if not sel:
        return {"n_links": 0}
    p = np.array([np.nan_to_num(pred[u, v], nan=0.0) for u, v in sel])
    smp = np.array([sample[u, v] for u, v in sel])
    t = np.array([true[u, v] for u, v in sel])
    shown = smp != 0
    mask = np.zeros(pred.shape, dtype=bool)
    mask[tuple(np.array(sel).T)] = True
    rho = spearman(np.nan_to_num(pred, nan=0.0), np.nan_to_num(sample, nan=0.0), pairs=mask)
    return {
        "n_links": len(sel),
        "sample_sign_agreement": float(np.mean(np.sign(smp) == np.sign(t))),
        "network_sign_agreement": float(np.mean(np.sign(p) == np.sign(t))),
        "network_follows_sample": float(np.mean(np.sign(p[shown]) == np.sign(smp[shown]))) if shown.any() else None,
        "spearman_network_vs_sample": float(rho) if np.isfinite(rho) else None,
        "min_effect": min_effect,
    }


def analyse_interventions(rec, asm, model: CausalModel) -> dict | None:
    """The ``interventions.json`` content of one run (None without an intervene phase)."""
    from . import truth

    iv = readout.interventions(rec, asm)
    if iv is None:
        return None
    A, V = model.n_variables, model.variables
    card = np.array([model.cardinality(v) for v in V])
    if not np.array_equal(card, iv.cardinality):
        raise InterventionError(
            "the run's assemblies do not match the variables' values (interventions need the index encoding)"
        )
    pred = iv.ace()
    paths = truth.directed_paths(model)
    table = rec.protocol.table
    exact, exact_dist, note = None, None, None
    if model.has_cpds:
        try:
            exact_dist = truth.interventional_distributions(model)
            exact = truth.exact_ace(model, exact_dist)
        except CausalModelError as exc:
            note = f"no exact ground truth: {exc}"
    else:
        note = "no exact ground truth: the model has no CPDs"
    backdoor = truth.backdoor_ace(table, model) if table is not None else None
    association = truth.observational_contrast(table, model) if table is not None else None
    links = list(model.link_indices())
    sample = coupling_sample_ace(rec.protocol, model) if table is not None else None

    def val(d, a):
        return {name: (None if np.isnan(d[a, i]) else float(d[a, i])) for i, name in enumerate(model.values[V[a]])}

    queries = []
    for (x_area, x), d in sorted(iv.dist.items()):
        q = {
            "do": {V[x_area]: model.values[V[x_area]][x]},
            "windows": iv.windows[(x_area, x)],
            "predicted": {V[a]: val(d, a) for a in range(A)},
            "answered": {V[a]: float(iv.answered[(x_area, x)][a]) for a in range(A)},
        }
        if exact_dist is not None:
            q["exact"] = {
                V[a]: dict(zip(model.values[V[a]], map(float, exact_dist[(V[x_area], x)][V[a]]))) for a in range(A)
            }
        queries.append(q)

    def num(m, i, j):
        return None if m is None or not np.isfinite(m[i, j]) else float(m[i, j])

    pairs = [
        {
            "source": V[i],
            "target": V[j],
            "has_path": bool(paths[i, j]),
            "is_link": (i, j) in links,
            "ace_predicted": num(pred, i, j),
            "ace_exact": num(exact, i, j),
            "ace_backdoor": num(backdoor, i, j),
            "association": num(association, i, j),
            "ace_coupling_sample": num(sample, i, j),
        }
        for i in range(A)
        for j in range(A)
        if i != j
    ]
    out = {
        "contrast": CONTRAST,
        "variables": list(V),
        "queries": queries,
        "pairs": pairs,
        "answer_rule": f"population code: share of the top-k responders in each value's assembly, "
        f"when >= {readout.MIN_ANSWER_FRACTION} k of them lie in the value assemblies",
        "data": {"rows": int(table.shape[0]) if table is not None else None},
    }
    if exact is not None:
        out["metrics"] = intervention_metrics(pred, exact, paths, links)
        if sample is not None:
            out["metrics_coupling_sample"] = coupling_sample_metrics(pred, sample, exact, links)
        if backdoor is not None:
            out["metrics_backdoor_vs_exact"] = intervention_metrics(backdoor, exact, paths, links)
            # pairs where association and interventional effect disagree: which one the network follows
            diff = np.abs(np.nan_to_num(association) - exact) >= MIN_EFFECT
            np.fill_diagonal(diff, False)
            p = np.nan_to_num(pred)
            follows = []
            for i, j in np.argwhere(diff):
                e_int, e_obs = abs(p[i, j] - exact[i, j]), abs(p[i, j] - association[i, j])
                follows.append(
                    {
                        "source": V[i],
                        "target": V[j],
                        "exact": float(exact[i, j]),
                        "association": float(association[i, j]),
                        "predicted": float(p[i, j]),
                        "follows": "intervention" if e_int < e_obs else ("association" if e_obs < e_int else "neither"),
                    }
                )
            out["association_vs_intervention"] = follows
    if note:
        out["note"] = note
    return out


def answer(interventions: dict, do: dict) -> list[dict]:
    """Rows (variable, value, predicted, exact, answered) for one single-variable ``do``
    query of an ``interventions.json`` content."""
    if len(do) != 1:
        raise InterventionError(f"one intervened variable per query, got {len(do)}: {do}")
    ((var, value),) = do.items()
    if var not in interventions["variables"]:
        raise InterventionError(f"unknown variable {var!r}; variables: {interventions['variables']}")
    for q in interventions["queries"]:
        if q["do"] == {var: value}:
            rows = []
            for v, dist in q["predicted"].items():
                for name, p in dist.items():
                    rows.append(
                        {
                            "variable": v,
                            "value": name,
                            "predicted": p,
                            "exact": q.get("exact", {}).get(v, {}).get(name),
                            "answered": q["answered"][v],
                        }
                    )
            return rows
    known = sorted({str(q["do"][var]) for q in interventions["queries"] if var in q["do"]})
    raise InterventionError(f"unknown value {value!r} of {var}; values: {known}")


def load(run_dir: str | Path) -> dict:
    """The ``interventions.json`` of a run folder, or a clear error."""
    import json

    path = Path(run_dir) / "interventions.json"
    if not path.exists():
        if not (Path(run_dir) / "result.json").exists():
            raise InterventionError(f"{run_dir} is not a run folder (no result.json)")
        raise InterventionError(f"{run_dir} has no interventions.json: the run had no intervene phase; {RERUN_HINT}")
    return json.loads(path.read_text())

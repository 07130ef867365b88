"""Value-level propagation readout: does a probed value recruit the assembly of the value it goes with?

The variable-level overlap (:func:`spiking_direct.readout.propagation`) counts
the responders of a probe against the union of the target area's value
assemblies, so it cannot tell whether values map to values. This readout
asks it for every ordered pair of variables ``(X, Y)`` and every probed value
``x`` of ``X``:

* ``R``: the responders in ``Y``'s area over the probe windows of ``x`` (the
  top ``k`` cells, by the tie rule of :mod:`spiking_direct.readout`: the same
  responders as the variable-level overlap);
* ``y*(x)``: the value of ``Y`` that co-occurs most often with ``x`` in the
  run's data table (``Protocol.table``, the table the coupling drew its value
  pairs from). Tie rule: among values tied at the largest count the lowest
  value index (the first in the model's order of values) is taken, and the
  number of tied values is reported; a value ``x`` that never occurs in the
  table has no ``y*(x)`` (null, with a note);
* ``o = |R ∩ A| / |A|`` with ``A`` the assembly of ``y*(x)`` (identify phase),
  and ``c = (o - |A| / n) / (1 - |A| / n)`` with ``n`` cells per area: 0 is
  chance (``|A|`` responders drawn at random), 1 is ``R`` covering ``A``.

Beside ``o`` and ``c`` of ``y*(x)`` every other value ``y`` of ``Y`` gets its
own overlap, so "maps to the right value" can be read against "maps to any
value" (``value_overlap_other``: the mean over the values other than
``y*(x)``). Per ordered pair the numbers are the unweighted mean over the
probed values of ``X`` with a defined ``c`` (each value once, whatever its
frequency in the table); per true link ``X -> Y``, forward is the pair
``(X, Y)`` and reverse the pair ``(Y, X)``.

The table is the population the coupling sampled from; the network saw only
the rows that coupled each link (``couple_steps`` of them), whose majority
value can differ from the table's where ``P(y | x)`` is near even. For the
pairs the coupling trained, ``value_overlap_cc_coupled`` therefore repeats
``c`` with the target value taken from those rows (same tie rule).

Reference (``value_overlap_cc_proportional``, and ``_coupled_proportional``
for the coupling's rows): ``c`` of a responder set that fills ``Y``'s value
assemblies, each in proportion to its value's share of the rows with ``x``,
i.e. ``o = n(x, y*) / n(x)``: what a mapping that follows co-occurrence,
without competition between the values of ``Y``, would reach if a probe
recruited whole assemblies (the variable-level overlap says how far it does).
A network whose probes recruit whole assemblies scores above it only where
``Y``'s area favours ``y*`` beyond its share (competition between its value
assemblies); where ``P(y* | x)`` is near even no co-occurrence mapping reaches
a high ``c``.

The readout needs one assembly per value (the ``index`` encoding) and a data
table; otherwise every number is null and ``reason`` says why.
"""

from __future__ import annotations

import numpy as np

from . import readout
from .causal import CausalModel
from .recording import Recording

TIE_RULE = (
    "y*(x) = the value of Y that co-occurs most often with x in the run's data table; among values tied at that "
    "count the lowest value index (first in the model's order of values) is taken and target_ties counts the tied "
    "values (1: no tie); a value x that never occurs in the table has no y*(x) (null)"
)

WEIGHTING = (
    "per ordered pair (X, Y): unweighted mean over the probed values x of X with a defined value_overlap_cc "
    "(each value once, whatever its frequency in the table); per true link X -> Y: forward = pair (X, Y), "
    "reverse = pair (Y, X); summary: mean, min and max over the true links"
)

DEFINITIONS = {
    "responders": "R: the top-k cells of Y's area over the probe windows of x (the tie rule of "
    "spiking_direct.readout; the responders of the variable-level overlap)",
    "target_value": TIE_RULE,
    "value_overlap": "o = |R ∩ A| / |A|, A = the assembly of y*(x) in Y's area (identify phase)",
    "value_overlap_cc": "c = (o - |A|/n) / (1 - |A|/n), n = cells per area: 0 = chance (|A| responders at random), "
    "1 = R covers A",
    "value_overlap_other": "mean of o over the values y != y*(x) of Y (the same formula with y's assembly)",
    "value_overlap_cc_other": "mean of c over the values y != y*(x) of Y",
    "value_overlap_cc_coupled": "c for the value of Y that co-occurs most often with x in the rows that coupled "
    "X and Y (what the network was shown; the same tie rule), for pairs the coupling trained (either direction); "
    "null for other pairs and for an x absent from those rows",
    "value_overlap_cc_proportional": "reference: c of o = n(x, y*) / n(x), the share of the table's rows with x in "
    "which Y = y*; the overlap of responders that cover each value's assembly of Y in proportion to its "
    "co-occurrence with x (no competition between the values of Y), for responders that fill Y's assemblies",
    "value_overlap_cc_coupled_proportional": "reference: the same over the rows that coupled X and Y, with the "
    "coupled target value (null where value_overlap_cc_coupled is null)",
    "aggregate": WEIGHTING,
}

#: the value-level keys of a pair that every true link carries forward and reverse
#: (``<key>_forward``, ``<key>_reverse``)
LINK_KEYS = (
    "value_overlap",
    "value_overlap_cc",
    "value_overlap_cc_other",
    "value_overlap_cc_coupled",
    "value_overlap_cc_proportional",
    "value_overlap_cc_coupled_proportional",
)

SUMMARY_KEYS = (
    "n_links",
    "value_overlap_forward_mean",
    "value_overlap_reverse_mean",
    "value_overlap_cc_forward_mean",
    "value_overlap_cc_forward_min",
    "value_overlap_cc_forward_max",
    "value_overlap_cc_reverse_mean",
    "value_overlap_cc_reverse_min",
    "value_overlap_cc_reverse_max",
    "value_overlap_cc_other_forward_mean",
    "value_overlap_cc_other_reverse_mean",
    "value_overlap_cc_coupled_forward_mean",
    "value_overlap_cc_coupled_forward_min",
    "value_overlap_cc_coupled_forward_max",
    "value_overlap_cc_coupled_reverse_mean",
    "value_overlap_cc_proportional_forward_mean",
    "value_overlap_cc_coupled_proportional_forward_mean",
    "value_overlap_cc_nonlinked_mean",
    "target_ties",
    "undefined",
)


def cooccurrence(table: np.ndarray, x: int, y: int, card_x: int, card_y: int) -> np.ndarray:
    """(card_x, card_y) int: number of rows of ``table`` (rows, variables; value
    indices) with variable ``x`` at value ``i`` and variable ``y`` at value ``j``."""
    t = np.asarray(table)
    out = np.zeros((card_x, card_y), dtype=np.int64)
    np.add.at(out, (t[:, x].astype(np.int64), t[:, y].astype(np.int64)), 1)
    return out


def coupled_cooccurrence(protocol, x: int, y: int, card_x: int, card_y: int) -> np.ndarray | None:
    """:func:`cooccurrence` over the table rows that coupled the pair ``(x, y)`` or ``(y, x)``
    (``Protocol.coupling_rows``); None when the coupling never trained the pair."""
    links = [link for link in protocol.coupled_links if tuple(link) in ((x, y), (y, x))]
    if not links:
        return None
    rows = np.concatenate([protocol.coupling_rows(link) for link in links])
    return cooccurrence(rows.reshape(-1, protocol.n_areas), x, y, card_x, card_y)


def target_value(counts: np.ndarray) -> tuple[int | None, int]:
    """``(y*, ties)`` for one row of :func:`cooccurrence` (the counts of ``Y``'s values
    beside one value ``x``): the index of the largest count, the lowest index among
    tied counts, and the number of values tied at it; ``(None, 0)`` when ``x``
    never occurs (every count 0)."""
    counts = np.asarray(counts)
    if counts.size == 0 or counts.max() <= 0:
        return None, 0
    tied = np.flatnonzero(counts == counts.max())
    return int(tied[0]), int(tied.size)


def overlap(responders: np.ndarray, assembly: np.ndarray) -> float | None:
    """``|R ∩ A| / |A|`` (None for an empty assembly)."""
    if len(assembly) == 0:
        return None
    return float(np.isin(assembly, responders).sum() / len(assembly))


def chance_corrected(o: float | None, size: int, n: int) -> float | None:
    """``(o - size/n) / (1 - size/n)`` (None when ``o`` is None or the assembly is empty or fills the area)."""
    if o is None or size <= 0 or size >= n:
        return None
    base = size / n
    return float((o - base) / (1.0 - base))


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def _not_applicable(rec: Recording, sets: list[list[int]], card: list[int], names) -> str | None:
    """Why the value-level readout cannot apply to ``rec`` (None when it can)."""
    for a, (s, c) in enumerate(zip(sets, card)):
        if len(s) != c:
            return (
                f"no per-value assemblies: {names[a]} has {c} values but {len(s)} input set(s) "
                "(the rate encoding gives a variable one input set; use the index encoding)"
            )
    if rec.protocol.table is None:
        return "no data table in the protocol, so the value of Y that goes with x (y*) is undefined"
    if not rec.protocol.windows("probe").size:
        return "the protocol has no probe phase"
    return None


def analyse(rec: Recording, asm: readout.Assemblies, model: CausalModel, responders: dict | None = None) -> dict:
    """The ``value_readout`` block of ``result.json`` (see the module docstring):
    ``rows`` (one per source variable, probed value and target variable, with
    ``by_value``: the overlap with every value of the target), ``pairs`` (per
    ordered pair), ``links`` (forward and reverse per true link), ``summary``,
    ``definitions``; ``applicable`` and ``reason`` say whether it could be computed.
    ``responders``: :func:`spiking_direct.readout.probe_responders` of ``rec``
    when already computed."""
    A, n, V = model.n_variables, rec.n, model.variables
    card = [model.cardinality(v) for v in V]
    sets = readout.value_sets(asm, A)
    base = {"definitions": DEFINITIONS}
    reason = _not_applicable(rec, sets, card, V)
    if reason is not None:
        return {
            **base,
            "applicable": False,
            "reason": reason,
            "rows": [],
            "pairs": [],
            "links": [],
            "summary": {k: None for k in SUMMARY_KEYS},
        }
    p = rec.protocol
    truth = model.adjacency()
    names = [model.values[v] for v in V]
    if responders is None:
        responders = readout.probe_responders(rec)
    probe = p.windows("probe")
    rows, by_pair = [], {}
    heard = p.probe_of[probe]
    for u in range(A):
        for v in range(A):
            if v == u:
                continue
            probed = set(int(s) for s in p.stim_set[probe[heard[:, v] == u], u])  # the sets of u that v heard
            counts = cooccurrence(p.table, u, v, card[u], card[v])
            coupled = coupled_cooccurrence(p, u, v, card[u], card[v])
            pair_rows = by_pair.setdefault((u, v), [])
            for x, s in enumerate(sets[u]):
                if s not in probed:
                    continue
                R = responders[(u, s, v)]
                ystar, ties = target_value(counts[x])
                by_value = []
                for y, s_y in enumerate(sets[v]):
                    asm_y = asm.members[s_y]
                    o_y = overlap(R, asm_y)
                    by_value.append(
                        {
                            "value": names[v][y],
                            "cooccurrence": int(counts[x, y]),
                            "coupled_cooccurrence": None if coupled is None else int(coupled[x, y]),
                            "assembly_size": int(len(asm_y)),
                            "value_overlap": o_y,
                            "value_overlap_cc": chance_corrected(o_y, len(asm_y), n),
                        }
                    )
                row = {
                    "source": V[u],
                    "source_value": names[u][x],
                    "target": V[v],
                    "is_link": bool(truth[u, v]),
                    "direction": "forward" if truth[u, v] else ("reverse" if truth[v, u] else "none"),
                    "source_rows": int(counts[x].sum()),
                    "target_value": None,
                    "cooccurrence": None,
                    "target_ties": None,
                    "responders": int(R.size),
                    "assembly_size": None,
                    "value_overlap": None,
                    "value_overlap_cc": None,
                    "value_overlap_other": None,
                    "value_overlap_cc_other": None,
                    "note": None,
                    "coupled_rows": None if coupled is None else int(coupled[x].sum()),
                    "coupled_target_value": None,
                    "coupled_target_ties": None,
                    "value_overlap_coupled": None,
                    "value_overlap_cc_coupled": None,
                    "value_overlap_cc_proportional": None,
                    "value_overlap_cc_coupled_proportional": None,
                    "by_value": by_value,
                }
                cstar, cties = target_value(coupled[x]) if coupled is not None else (None, 0)
                if cstar is not None:
                    row.update(
                        coupled_target_value=names[v][cstar],
                        coupled_target_ties=cties,
                        value_overlap_coupled=by_value[cstar]["value_overlap"],
                        value_overlap_cc_coupled=by_value[cstar]["value_overlap_cc"],
                        value_overlap_cc_coupled_proportional=chance_corrected(
                            float(coupled[x, cstar] / coupled[x].sum()), by_value[cstar]["assembly_size"], n
                        ),
                    )
                if ystar is None:
                    row["note"] = f"{V[u]} = {names[u][x]} never occurs in the data table: no target value"
                else:
                    other = [b for y, b in enumerate(by_value) if y != ystar]
                    row.update(
                        target_value=names[v][ystar],
                        cooccurrence=int(counts[x, ystar]),
                        target_ties=ties,
                        assembly_size=by_value[ystar]["assembly_size"],
                        value_overlap=by_value[ystar]["value_overlap"],
                        value_overlap_cc=by_value[ystar]["value_overlap_cc"],
                        value_overlap_other=_mean(b["value_overlap"] for b in other),
                        value_overlap_cc_other=_mean(b["value_overlap_cc"] for b in other),
                        value_overlap_cc_proportional=chance_corrected(
                            float(counts[x, ystar] / counts[x].sum()), by_value[ystar]["assembly_size"], n
                        ),
                    )
                    if row["value_overlap_cc"] is None:
                        row["note"] = f"the assembly of {V[v]} = {names[v][ystar]} is empty or fills the area"
                rows.append(row)
                pair_rows.append(row)
    pairs = {}
    for (u, v), prs in by_pair.items():
        ok = [r for r in prs if r["value_overlap_cc"] is not None]
        pairs[(u, v)] = {
            "source": V[u],
            "target": V[v],
            "is_link": bool(truth[u, v]),
            "value_overlap": _mean(r["value_overlap"] for r in ok),
            "value_overlap_cc": _mean(r["value_overlap_cc"] for r in ok),
            "value_overlap_other": _mean(r["value_overlap_other"] for r in ok),
            "value_overlap_cc_other": _mean(r["value_overlap_cc_other"] for r in ok),
            "value_overlap_cc_coupled": _mean(r["value_overlap_cc_coupled"] for r in prs),
            "value_overlap_cc_proportional": _mean(r["value_overlap_cc_proportional"] for r in ok),
            "value_overlap_cc_coupled_proportional": _mean(r["value_overlap_cc_coupled_proportional"] for r in prs),
            "n_values": len(ok),
            "target_ties": sum(1 for r in prs if (r["target_ties"] or 0) > 1),
        }
    empty = dict.fromkeys(LINK_KEYS)
    links = []
    for i, j in model.link_indices():
        fwd, rev = pairs.get((i, j), empty), pairs.get((j, i), empty)
        links.append(
            {
                "source": V[i],
                "target": V[j],
                **{f"{k}_{d}": pair[k] for k in LINK_KEYS for d, pair in (("forward", fwd), ("reverse", rev))},
            }
        )
    non_link = [pr for (u, v), pr in pairs.items() if not truth[u, v] and not truth[v, u]]

    def stat(key, fn):
        vals = [lk[key] for lk in links if lk[key] is not None]
        return float(fn(vals)) if vals else None

    summary = {
        "n_links": sum(1 for lk in links if lk["value_overlap_cc_forward"] is not None),
        "value_overlap_forward_mean": stat("value_overlap_forward", np.mean),
        "value_overlap_reverse_mean": stat("value_overlap_reverse", np.mean),
        "value_overlap_cc_forward_mean": stat("value_overlap_cc_forward", np.mean),
        "value_overlap_cc_forward_min": stat("value_overlap_cc_forward", np.min),
        "value_overlap_cc_forward_max": stat("value_overlap_cc_forward", np.max),
        "value_overlap_cc_reverse_mean": stat("value_overlap_cc_reverse", np.mean),
        "value_overlap_cc_reverse_min": stat("value_overlap_cc_reverse", np.min),
        "value_overlap_cc_reverse_max": stat("value_overlap_cc_reverse", np.max),
        "value_overlap_cc_other_forward_mean": stat("value_overlap_cc_other_forward", np.mean),
        "value_overlap_cc_other_reverse_mean": stat("value_overlap_cc_other_reverse", np.mean),
        "value_overlap_cc_coupled_forward_mean": stat("value_overlap_cc_coupled_forward", np.mean),
        "value_overlap_cc_coupled_forward_min": stat("value_overlap_cc_coupled_forward", np.min),
        "value_overlap_cc_coupled_forward_max": stat("value_overlap_cc_coupled_forward", np.max),
        "value_overlap_cc_coupled_reverse_mean": stat("value_overlap_cc_coupled_reverse", np.mean),
        "value_overlap_cc_proportional_forward_mean": stat("value_overlap_cc_proportional_forward", np.mean),
        "value_overlap_cc_coupled_proportional_forward_mean": stat(
            "value_overlap_cc_coupled_proportional_forward", np.mean
        ),
        "value_overlap_cc_nonlinked_mean": _mean(pr["value_overlap_cc"] for pr in non_link),
        "target_ties": sum(1 for r in rows if (r["target_ties"] or 0) > 1),
        "undefined": sum(1 for r in rows if r["value_overlap_cc"] is None),
    }
    return {
        **base,
        "applicable": True,
        "reason": None,
        "rows": rows,
        "pairs": list(pairs.values()),
        "links": links,
        "summary": summary,
    }

"""Parts both spiking networks build the same way: the protocol's TimedArrays, the lookup of
connected pairs of areas, the inter-area connection rule, the state monitor and the shape record.

The values of ordered pairs of areas reach the network in one of two forms. The *dense* form:
``plasticity_gain`` and ``fiber_on``, one column per ordered pair (``area_pre * n_areas +
area_post``) and one row per window. The *pair* form, for protocols whose dense arrays would hold
more than :data:`~spiking_direct.protocol.DENSE_PAIRS_LIMIT` values: ``plasticity_gain`` has one column per ordered pair
with a gain anywhere in the protocol (and a last column of zeros) and one row per window up to the
last with a gain (and a last row of zeros, which every later window reads); ``gain_pair`` maps an
ordered pair to its column. A fibre transmits where ``fiber_sends`` of its source area and
``fiber_hears`` of its target area (one value per window and area) are both 1, or where
``fiber_pairs`` (columns ``fiber_pair``, like ``plasticity_gain``) holds a 1. The models' calls
``plasticity_gain(t, pair)`` and ``fiber_on(t, area_pre * n_areas + area_post)`` are rewritten for
the pair form by :func:`in_form`; both forms give the same values to every synapse."""

from __future__ import annotations

import re

import numpy as np

from ..protocol import DENSE_PAIRS_LIMIT  # noqa: F401  (beyond it, the pair form; pair_form() reads it here)

#: the TimedArrays of the pair form (besides those of single areas and input sets)
PAIR_ARRAYS = ("plasticity_gain", "gain_pair", "fiber_sends", "fiber_hears", "fiber_pairs", "fiber_pair")

_GAIN_CALL = re.compile(r"plasticity_gain\(t, ([^()]*)\)")
_FIBER_CALL = "fiber_on(t, area_pre * n_areas + area_post)"
_FIBER_PAIRS = (
    "(fiber_sends(t, area_pre) * fiber_hears(t, area_post) * int(area_pre != area_post)"
    " + fiber_pairs(t, int(fiber_pair(0*second, area_pre * n_areas + area_post))))"
)


def pair_form(n_windows: int, n_areas: int) -> bool:
    """Whether a protocol of this size reaches the network in the pair form."""
    return n_windows * n_areas * n_areas > DENSE_PAIRS_LIMIT


def is_pair_form(values_or_ns: dict) -> bool:
    """Whether TimedArray values (or a namespace) hold the protocol in the pair form (``gain_pair``)."""
    return "gain_pair" in values_or_ns


def _columns(pre: np.ndarray, post: np.ndarray, n_areas: int) -> tuple[np.ndarray, np.ndarray]:
    """(lookup, column of every entry): the distinct ordered pairs of the entries numbered in
    order of ``pre * n_areas + post``; ``lookup`` (1, A * A) maps every ordered pair to its column,
    the pairs without an entry to the last (all-zero) column."""
    key = pre.astype(np.int64) * n_areas + post
    pairs, col = np.unique(key, return_inverse=True)
    lookup = np.full((1, n_areas * n_areas), float(pairs.size))
    lookup[0, pairs] = np.arange(pairs.size)
    return lookup, col.reshape(-1)


def pair_values(protocol) -> dict:
    """The pair-form TimedArray values of ``protocol``'s gains and fibres (see the module docstring),
    with ``area_learns`` (1 where any fibre into the area has a gain in the window)."""
    W, A = protocol.n_windows, protocol.n_areas
    g, f = protocol.gains, protocol.fibers
    gain_lookup, gcol = _columns(g.pre, g.post, A)
    gain = np.zeros((int(g.window.max()) + 2 if g.size else 1, int(gain_lookup[0].max()) + 1))
    gain[g.window, gcol] = g.value
    learns = np.zeros((W, A))
    learns[g.window, g.post] = 1.0
    fp = f.pairs
    fiber_lookup, fcol = _columns(fp.pre, fp.post, A)
    fibers = np.zeros((int(fp.window.max()) + 2 if fp.size else 1, int(fiber_lookup[0].max()) + 1))
    fibers[fp.window, fcol] = 1.0
    return {
        "plasticity_gain": gain,
        "gain_pair": gain_lookup,
        "fiber_sends": f.sends.astype(float),
        "fiber_hears": f.hears.astype(float),
        "fiber_pairs": fibers,
        "fiber_pair": fiber_lookup,
        "area_learns": learns,
    }


def layout(values: dict) -> dict | None:
    """The shapes of the pair-form arrays of ``values`` (what a build must know), None for the dense form."""
    if not is_pair_form(values):
        return None
    return {name: list(np.shape(values[name])) for name in ("plasticity_gain", "fiber_pairs")}


def empty_values(n_windows: int, n_sets: int, n_areas: int, shapes: dict | None = None) -> dict:
    """TimedArray values of a protocol that presents nothing (for a build without a protocol); with
    ``shapes`` (:func:`layout`) in the pair form."""
    values = {
        "stim_strength": np.zeros((n_windows, n_sets)),
        "area_active": np.zeros((n_windows, n_areas)),
        "area_offset": np.zeros((n_windows, n_areas)),
    }
    if shapes is None:
        values["plasticity_gain"] = np.zeros((n_windows, n_areas * n_areas))
        values["fiber_on"] = np.zeros((n_windows, n_areas * n_areas))
        return values
    return values | {
        "plasticity_gain": np.zeros(shapes["plasticity_gain"]),
        "gain_pair": np.full((1, n_areas * n_areas), float(shapes["plasticity_gain"][1] - 1)),
        "fiber_sends": np.zeros((n_windows, n_areas)),
        "fiber_hears": np.zeros((n_windows, n_areas)),
        "fiber_pairs": np.zeros(shapes["fiber_pairs"]),
        "fiber_pair": np.full((1, n_areas * n_areas), float(shapes["fiber_pairs"][1] - 1)),
        "area_learns": np.zeros((n_windows, n_areas)),
    }


def in_form(code, ns: dict):
    """``code`` (a string, Brian2 ``Equations`` or a tuple of them) with the calls of the pair
    arrays rewritten for the pair form when ``ns`` holds it, else unchanged."""
    if not is_pair_form(ns):
        return code
    if isinstance(code, tuple):
        return tuple(in_form(c, ns) for c in code)
    if not isinstance(code, str):  # Equations: each expression that calls a pair array, rewritten
        from brian2 import Equations, Expression
        from brian2.equations.equations import SingleEquation

        eqs = []
        for eq in code.ordered:
            text = None if eq.expr is None else str(eq.expr.code)
            if text is not None and in_form(text, ns) != text:
                eq = SingleEquation(eq.type, eq.varname, eq.dim, eq.var_type, Expression(in_form(text, ns)), eq.flags)
            eqs.append(eq)
        return Equations(eqs)
    code = _GAIN_CALL.sub(lambda m: f"plasticity_gain(t, int(gain_pair(0*second, {m.group(1)})))", code)
    code = code.replace(_FIBER_CALL, _FIBER_PAIRS)
    if "fiber_on(" in code:
        raise ValueError(f"a fibre gate the pair form cannot rewrite: {code!r}")
    return code


def in_units(name: str, value):
    """A TimedArray's value array in its unit: ``area_offset`` in seconds (a ``W x A`` copy), the
    others dimensionless and not copied (a float64 array is the TimedArray's and the run
    argument's own: the ``W x A^2`` schedules are held once)."""
    import brian2 as b2

    return value * b2.second if name == "area_offset" else value


def timed_arrays(values: dict, names, T_win) -> dict:
    """One ``TimedArray`` per name (one value per window; ``area_offset`` in seconds)."""
    import brian2 as b2

    return {name: b2.TimedArray(in_units(name, values[name]), dt=T_win, name=name) for name in names}


def allowed_lookup(allowed, n_areas: int, T_win):
    """``allowed_pair``: a one-bin TimedArray used as a lookup table of the connected ordered pairs."""
    import brian2 as b2

    return b2.TimedArray(np.asarray(allowed, dtype=float).reshape(1, n_areas * n_areas), dt=T_win, name="allowed_pair")


def connect_inter_area(S, allowed) -> None:
    """Connect the inter-area synapses ``S``: every ordered pair of distinct areas with probability
    ``p_inter``, or only the pairs of ``allowed_pair`` (:func:`allowed_lookup`)."""
    if allowed is None:
        S.connect(j="k for k in sample(N_post, p=p_inter) if area_post != area_pre")
    else:
        S.connect(
            j="k for k in sample(N_post, p=p_inter) if allowed_pair(0*second, area_pre * n_areas + area_post) > 0.5"
        )


def state_monitor(E, monitors: dict | None):
    """The ``StateMonitor`` of excitatory variables that ``monitors`` describes (see
    :func:`~spiking_direct.engines.network.build_network`), or None."""
    import brian2 as b2

    if not monitors:
        return None
    cells = monitors.get("cells")
    if cells is None:
        lo, hi = monitors["neurons"]
        cells = np.arange(lo, hi)
    return b2.StateMonitor(
        E,
        list(monitors["vars"]),
        record=np.asarray(cells, dtype=int),
        dt=monitors.get("dt_ms", 0.5) * b2.ms,
        name="exc_state",
    )


def shape(n_areas: int, n_windows: int, set_area) -> dict:
    """What fixes a network's array sizes (recorded with the network)."""
    return {"n_areas": n_areas, "n_windows": n_windows, "n_sets": len(set_area), "set_area": list(map(int, set_area))}

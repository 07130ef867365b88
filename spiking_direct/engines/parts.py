"""Parts both spiking networks build the same way: the protocol's TimedArrays, the lookup of
connected pairs of areas, the inter-area connection rule, the state monitor and the shape record."""

from __future__ import annotations

import numpy as np


def empty_values(n_windows: int, n_sets: int, n_areas: int) -> dict:
    """TimedArray values of a protocol that presents nothing (for a build without a protocol)."""
    return {
        "stim_strength": np.zeros((n_windows, n_sets)),
        "area_active": np.zeros((n_windows, n_areas)),
        "area_offset": np.zeros((n_windows, n_areas)),
        "plasticity_gain": np.zeros((n_windows, n_areas * n_areas)),
        "fiber_on": np.zeros((n_windows, n_areas * n_areas)),
    }


def timed_arrays(values: dict, names, T_win) -> dict:
    """One ``TimedArray`` per name (one value per window; ``area_offset`` in seconds)."""
    import brian2 as b2

    return {
        name: b2.TimedArray(values[name] * (b2.second if name == "area_offset" else 1), dt=T_win, name=name)
        for name in names
    }


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

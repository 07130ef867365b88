"""Figures of a run folder, from a small synthetic result.json + recording.npz."""

from pathlib import Path

import numpy as np
import pytest

from spiking_direct import plots
from spiking_direct.results import write_json, write_npz

V = ["X", "Y", "Z"]
LINKS = [(0, 1), (1, 2)]


def make_run(folder: Path, engine: str = "rate", seed: int = 0) -> Path:
    """3 variables, links X->Y->Z, 2 input sets per variable, 14 windows."""
    rng = np.random.default_rng(seed)
    A, n, k = 3, 20, 4
    phase = [0] * 2 + [1] * 6 + [2] * 6
    W = len(phase)
    stim = np.full((W, A), -1)
    active = np.zeros((W, A), bool)
    gain = np.zeros((W, A, A))
    probe_source = np.full(W, -1)
    stim[:2] = [[0, 2, 4], [1, 3, 5]]
    active[:2] = True
    for s in range(6):  # X->Y and Y->Z share Y: coupled in separate groups of 3 windows
        w, (u, v) = 2 + s, LINKS[s // 3]
        active[w, [u, v]] = True
        stim[w, [u, v]] = [2 * u + s % 2, 2 * v + s % 2]
        gain[w, u, v] = gain[w, v, u] = 0.09 + 0.035 * (s % 3)
    for i in range(6):
        w = 8 + i
        stim[w, i // 2], active[w], probe_source[w] = i, True, i // 2
    sw, sn, st = [], [], []
    for w in range(W):
        for a in np.flatnonzero(active[w]):
            base = 5 * max(stim[w, a] % 2, 0) if stim[w, a] >= 0 else 10
            for loc in range(base, base + k + int(rng.integers(0, 2))):
                sw.append(w), sn.append(a * n + loc)
                st.append(rng.integers(1, 4) * 1e-3 if engine == "rate" else rng.uniform(0.01, 0.03))
    write_npz(
        folder / "recording.npz",
        spike_window=np.array(sw, np.int32),
        spike_neuron=np.array(sn, np.int32),
        spike_time=np.array(st),
        n=n,
        k=k,
        phase=np.array(phase, np.int8),
        stim_set=stim,
        active=active,
        offset=np.zeros((W, A)),
        gain=gain,
        probe_source=probe_source,
        phases=np.array(["identify", "couple", "probe"]),
    )
    delta = np.array([[np.nan, -0.2, 0.1], [0.2, np.nan, 0.8], [-0.1, -0.8, np.nan]])  # X->Y reversed
    prop = np.array([[np.nan, 0.9, 0.0], [-0.9, np.nan, 0.7], [0.0, -0.7, np.nan]])
    S = np.abs(delta) + 1.0
    params = {
        "protocol": {
            "schedule": "adaptive_soft",
            "warm_beta": 0.09,
            "max_beta": 0.16,
            "ramp_steps": 3,
            "couple_steps": 3,
            "lead": 0.005,
            "control": "none",
        }
    }
    if engine == "spiking":
        params["spiking"] = {"n": n, "k": k, "clock": {"T_win": "40. ms"}, "stdp": {"w_init": "1. mV"}}
    else:
        params["rate"] = {"n": n, "k": k}
    truth = np.zeros((A, A), int)
    for u, v in LINKS:
        truth[u, v] = 1
    result = {
        "schema_version": 1,
        "scm": "chain3",
        "variables": V,
        "engine": engine,
        "seed": seed,
        "true_links": [[V[u], V[v]] for u, v in LINKS],
        "params": params,
        "metrics_delta": {"precision_at_k": 0.5, "auroc": None},
        "metrics_delta_prop": {"precision_at_k": 1.0, "auroc": 1.0},
        "links": [
            {
                "source": V[u],
                "target": V[v],
                "delta": delta[u, v],
                "delta_prop": prop[u, v],
                "s_forward": S[u, v],
                "s_reverse": S[v, u],
            }
            for u, v in LINKS
        ],
        "pairs": [
            {
                "source": V[i],
                "target": V[j],
                "is_link": bool(truth[i, j]),
                "delta": delta[i, j],
                "delta_prop": prop[i, j],
            }
            for i in range(A)
            for j in range(A)
            if i != j
        ],
        "matrices": {"S": S, "delta": delta, "delta_prop": prop, "truth": truth},
        "protocol": {"n_windows": W, "coupled_links": [list(l) for l in LINKS]},
    }
    write_json(folder / "result.json", result)
    return folder


@pytest.mark.parametrize("engine", ["rate", "spiking"])
def test_all_figures(tmp_path, engine):
    from matplotlib.image import imread

    folder = make_run(tmp_path, engine)
    paths = plots.all_figures(folder)
    names = {p.stem for p in paths}
    assert names == {
        "raster_coupling",
        "weights_per_link",
        "learned_graph",
        "gain_schedule",
        "winners_per_window",
        "delta_matrices",
    }
    for p in paths:
        assert p.parent == folder / "figures" and p.is_file()
        assert p.stat().st_size > 10_000, p
        img = imread(p)
        h, w = img.shape[:2]
        assert img.ndim == 3 and 400 <= h <= 2500 and 600 <= w <= 3500, (p.name, img.shape)
        assert img[..., :3].std() > 0.02, f"{p.name} is a uniform image"


def test_helpers(tmp_path):
    assert plots.quantity("40. ms", "ms") == pytest.approx(40.0)
    assert plots.quantity("100. us", "ms") == pytest.approx(0.1)
    assert plots.quantity("1. mV", "mV") == 1.0
    assert plots.quantity(0.04, "ms") == pytest.approx(40.0)
    with pytest.raises(ValueError):
        plots.quantity("3 mV", "ms")
    folder = make_run(tmp_path, "spiking")
    result, z = plots.load_run(folder)
    assert plots.window_ms(result, z) == 40.0 and plots.weight_unit(result) == "mV"
    assert plots.initial_mean_weight(result) == 0.5
    (tmp_path / "r").mkdir()
    result, z = plots.load_run(make_run(tmp_path / "r", "rate"))
    assert plots.window_ms(result, z) == 4.0 and plots.weight_unit(result) == "a.u."
    # top-K follows the ranking of metrics.rank_pairs (ties by source, then target index)
    scores = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 0]], float)
    assert np.argwhere(plots._top_k(scores, 2)).tolist() == [[0, 1], [0, 2]]
    counts = plots.window_area_counts(z)
    assert counts.shape == (14, 3) and counts[2, 0] >= 4 and counts[2, 2] == 0


def test_many_links_are_drawn_as_points(tmp_path):
    """Beyond MAX_LINK_BARS true links the weights figure plots forward against
    reverse (one point per link) instead of a bar pair per link, so it keeps its size."""
    import json

    from matplotlib.image import imread

    folder = make_run(tmp_path, "spiking")
    result = json.loads((folder / "result.json").read_text())
    rng = np.random.default_rng(1)
    result["links"] = [
        {"source": f"U{i}", "target": f"V{i}", "s_forward": float(f), "s_reverse": float(r)}
        for i, (f, r) in enumerate(zip(rng.uniform(2, 9, 60), rng.uniform(0, 1, 60)))
    ]
    result["links"][0]["s_reverse"] = None
    write_json(folder / "result.json", result)
    img = imread(plots.weights_per_link(folder))
    h, w = img.shape[:2]
    assert 400 <= h <= 1000 and 500 <= w <= 1000, img.shape
    assert img[..., :3].std() > 0.02

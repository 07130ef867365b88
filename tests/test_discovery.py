"""Time-series data (dynamic models, CSV series) and the baseline discovery methods."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from spiking_direct.causal import check_series, codes, dynamic, from_csv, from_tables, motif
from spiking_direct.discovery import evaluate, run_method, shuffle_time
from spiking_direct.discovery.baselines import METHODS, granger_conditional, granger_pairwise
from spiking_direct.errors import BackendError, CausalModelError, DataError


def _two_parent_model():
    """X, Y roots; Z child of both (3 values); a CPD far from uniform."""
    values = {"X": ("a", "b"), "Y": ("c", "d"), "Z": ("p", "q", "r")}
    tables = {
        "X": [0.4, 0.6],
        "Y": [0.7, 0.3],
        "Z": [[[0.8, 0.1, 0.1], [0.2, 0.5, 0.3]], [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]]],
    }
    return from_tables("two-parent", values, [("X", "Z"), ("Y", "Z")], tables)


@pytest.mark.parametrize("rho", [0.0, 0.4])
def test_transition_probabilities(rho):
    """P(Z_t | X_{t-1}, Y_{t-1}, Z_{t-1}) estimated from a long series is rho [Z_t == Z_{t-1}]
    + (1 - rho) CPD(Z_t | X_{t-1}, Y_{t-1}), and a root's is rho [same] + (1 - rho) P(root)."""
    model = _two_parent_model()
    dyn = dynamic(model, autocorrelation=rho)
    x = dyn.simulate_indices(60_000, seed=3)
    X, Y, Z = x[:-1, 0], x[:-1, 1], x[:-1, 2]
    Zn, Xn = x[1:, 2], x[1:, 0]
    cpd = model.cpd_table("Z")
    worst = 0.0
    for a in range(2):
        for b in range(2):
            for z in range(3):
                rows = (X == a) & (Y == b) & (Z == z)
                expected = (1 - rho) * cpd[a, b] + rho * np.eye(3)[z]
                observed = np.bincount(Zn[rows], minlength=3) / rows.sum()
                se = np.sqrt(expected * (1 - expected) / rows.sum()) + 1e-9
                worst = max(worst, float(np.max(np.abs(observed - expected) / se)))
    for a in range(2):
        rows = X == a
        expected = (1 - rho) * np.array([0.4, 0.6]) + rho * np.eye(2)[a]
        observed = np.bincount(Xn[rows], minlength=2) / rows.sum()
        worst = max(worst, float(np.max(np.abs(observed - expected) / np.sqrt(expected * (1 - expected) / rows.sum()))))
    assert worst < 4.5, worst


def test_contemporaneous_and_lags():
    model = _two_parent_model()
    dyn = dynamic(model, lags={("X", "Z"): 2}, contemporaneous=[("Y", "Z")])
    assert dyn.lagged_links() == [("X", "Z", 2), ("Y", "Z", 0)]
    assert dyn.max_lag == 2
    x = dyn.simulate_indices(40_000, seed=1)
    cpd = model.cpd_table("Z")
    rows = (x[:-2, 0] == 1) & (x[2:, 1] == 0)  # X two steps before, Y at the same step
    observed = np.bincount(x[2:, 2][rows], minlength=3) / rows.sum()
    assert np.abs(observed - cpd[1, 0]).max() < 0.03
    assert dyn.adjacency(contemporaneous=False).sum() == 1 and dyn.adjacency().sum() == 2


def test_simulate_frame_and_seed():
    dyn = dynamic("alzheimer", autocorrelation=0.2)
    a, b = dyn.simulate(50, seed=7), dyn.simulate(50, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["time", *dyn.variables]
    assert a["time"].tolist() == list(range(50))
    assert list(a["Amyloid"].cat.categories) == ["High", "Normal"]
    assert not dyn.simulate(50, seed=8).equals(a)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lags": 0}, "lags must be >= 1"),
        ({"lags": {("Amyloid", "APOE4"): 2}}, "is not a link"),
        ({"autocorrelation": 1.0}, r"in \[0, 1\)"),
        ({"autocorrelation": {"Nope": 0.1}}, "is not a variable"),
        ({"contemporaneous": "yes"}, "True, False or a list of links"),
    ],
)
def test_dynamic_bad_arguments(kwargs, match):
    with pytest.raises(CausalModelError, match=match):
        dynamic("alzheimer", **kwargs)


def _write(tmp_path, text):
    path = tmp_path / "series.csv"
    path.write_text(text)
    return path


def _csv_rows(n, time=None, a=None):
    time = time or list(range(n))
    a = a or ["x" if k % 3 else "y" for k in range(n)]
    return "time,A,B\n" + "".join(f"{t},{u},{'on' if k % 2 else 'off'}\n" for k, (t, u) in enumerate(zip(time, a)))


def test_from_csv_round_trip(tmp_path):
    dyn = dynamic("asia", autocorrelation=0.3)
    frame = dyn.simulate(200, seed=2)
    path = tmp_path / "asia.csv"
    frame.to_csv(path, index=False)
    back = from_csv(path, values=dyn.values)
    names, x = codes(back)
    assert names == list(dyn.variables)
    np.testing.assert_array_equal(x, dyn.simulate_indices(200, seed=2))


@pytest.mark.parametrize(
    "text, kwargs, match",
    [
        (_csv_rows(30).replace("time,", "t,"), {}, r"no time column 'time'; the columns are \['t', 'A', 'B'\]"),
        (_csv_rows(30, time=[*range(10), 9, *range(11, 30)]), {}, "not strictly increasing: row 10"),
        (_csv_rows(30, time=[*range(10), *range(11, 31)]), {}, "has a gap: 9 to 11 at row 10, where the step is 1"),
        (_csv_rows(30), {"values": {"A": ["x"]}}, r"holds 'y' at row 0, which is not among its values \['x'\]"),
        (_csv_rows(10), {}, "has 10 time steps; at least 20 are needed"),
        (_csv_rows(30, a=["x"] * 30), {}, "holds one value only"),
        (_csv_rows(30, a=[str(k) for k in range(30)]), {}, "30 distinct values"),
        (_csv_rows(30).replace("\n5,", "\nfive,"), {}, "time column 'time' holds 'five'"),
        (_csv_rows(30).replace("\n1,x,on", "\n1,,on"), {}, r"column 'A' is empty at row 1 \(time 1\)"),
    ],
)
def test_from_csv_errors(tmp_path, text, kwargs, match):
    with pytest.raises(DataError, match=match) as info:
        from_csv(_write(tmp_path, text), **kwargs)
    assert "\n" not in str(info.value)


def test_from_csv_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        from_csv(tmp_path / "none.csv")


def test_check_series_dates():
    frame = pd.DataFrame(
        {"day": pd.date_range("2024-01-01", periods=25, freq="D").astype(str), "A": ["u", "v"] * 12 + ["u"]}
    )
    out = check_series(frame, time="day")
    assert list(out["A"].cat.categories) == ["u", "v"]
    frame.loc[5, "day"] = "2024-01-09"
    with pytest.raises(DataError, match="not strictly increasing"):
        check_series(frame, time="day")
    frame["day"] = [f"2024-01-{d:02d}" for d in [*range(1, 11), *range(12, 27)]]
    with pytest.raises(DataError, match="2024-01-10' to '2024-01-12' at row 10, where the step is 1 days"):
        check_series(frame, time="day")


@pytest.fixture(scope="module")
def chain_series():
    return dynamic(motif("chain", strength=0.9), autocorrelation=0.3).simulate(1500, seed=5)


@pytest.mark.parametrize("method", list(METHODS))
def test_baseline_recovers_chain_direction(method, chain_series):
    """A -> B -> C, strong lag-1 links: each method scores both true links above their reverses
    and above every non-link."""
    if method == "pcmci":
        pytest.importorskip("tigramite")
    if method == "var_lingam":
        pytest.importorskip("lingam")
    s = run_method(method, chain_series)["scores"]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]
    weakest = min(s[0, 1], s[1, 2])
    assert all(s[i, j] < weakest for i, j in [(1, 0), (2, 1), (2, 0)])
    assert evaluate(s, np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool))["auroc"] >= 5 / 6


def test_time_shuffled_gives_chance():
    dyn = dynamic("random:20:2:4", autocorrelation=0.3)
    series = dyn.simulate(1000, seed=1)
    rng = np.random.default_rng(0)
    for method in ("lagged_correlation_anti", "granger_pairwise", "granger_conditional"):
        assert evaluate(run_method(method, series)["scores"], dyn.adjacency())["auroc"] > 0.95
        aurocs = [
            evaluate(run_method(method, shuffle_time(series, rng))["scores"], dyn.adjacency())["auroc"]
            for _ in range(6)
        ]
        assert abs(np.mean(aurocs) - 0.5) < 0.08, (method, aurocs)


def test_granger_matches_statsmodels():
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.stattools import grangercausalitytests

    dyn = dynamic("alzheimer", autocorrelation=0.3)
    _, x = codes(dyn.simulate(400, seed=2))
    x = x[:, [0, 7, 9, 5]].astype(float)
    for lag in (1, 2):
        pair = granger_pairwise(x, max_lag=lag)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels' deprecation of its printout
            res = grangercausalitytests(x[:, [1, 0]], maxlag=[lag])
        assert pair[0, 1] == pytest.approx(res[lag][0]["ssr_ftest"][0], rel=1e-8)
        cond = granger_conditional(x, max_lag=lag)
        fit = VAR(x).fit(lag, trend="c")
        for i, j in [(0, 1), (3, 2), (2, 0)]:
            assert cond[i, j] == pytest.approx(fit.test_causality(j, [i], kind="f").test_statistic, rel=1e-8)


def test_constant_variable_scores_zero():
    dyn = dynamic("asia")
    series = dyn.simulate(300, seed=1)
    series["asia"] = pd.Categorical(["no"] * 300, categories=["yes", "no"])
    s = run_method("granger_conditional", series)["scores"]
    assert (s[0] == 0).all() and (s[:, 0] == 0).all() and s.max() > 0


def test_missing_library_is_one_line(monkeypatch, chain_series):
    monkeypatch.setitem(sys.modules, "lingam", None)
    with pytest.raises(BackendError, match=r"var_lingam needs lingam .*pip install 'spiking_direct\[discover\]'"):
        run_method("var_lingam", chain_series)


def test_run_method_records_versions(chain_series):
    out = run_method("granger_pairwise", chain_series)
    assert set(out) == {"method", "scores", "seconds", "versions"} and "numpy" in out["versions"]
    with pytest.raises(Exception, match="unknown method 'grnager'"):
        run_method("grnager", chain_series)

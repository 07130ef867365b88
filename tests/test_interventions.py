"""do() queries on a trained network: protocol, readout, result files, command line, bad data."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from brian2 import ms

from spiking_direct import pipeline, truth
from spiking_direct.causal import alzheimer
from spiking_direct.cli import main
from spiking_direct.config import RunConfig, apply_overrides
from spiking_direct.encoding import Encoding
from spiking_direct.errors import SpikingDirectError
from spiking_direct.interventions import (
    InterventionError,
    answer,
    coupling_sample_ace,
    coupling_sample_metrics,
    intervention_metrics,
)
from spiking_direct.protocol import PHASES, ProtocolParams, direct_protocol
from spiking_direct.results import Result


def _protocol(**kw):
    model = alzheimer()
    enc = Encoding.for_model(model)
    return model, direct_protocol(model, enc, ProtocolParams(intervene_reps=3, **kw), np.random.default_rng(0))


def test_intervene_windows_clamp_the_variable_and_cut_its_inputs():
    model, p = _protocol()
    V = model.variables
    wins = p.windows("intervene")
    assert wins.size == 3 * 2 * model.n_variables  # reps x values x variables
    assert np.all(p.gain[wins] == 0)  # plasticity off
    roots = [i for i, v in enumerate(V) if not model.parents(v)]
    for w in wins:
        x = p.query_var[w]
        assert p.stim_set[w, x] >= 0 and p.offset[w, x] == 0
        clamped = np.flatnonzero(p.stim_set[w] >= 0)
        assert set(clamped) == set(roots) | {x}
        assert not p.fiber[w][:, clamped].any()  # graph surgery: nothing reaches a clamped area
        listeners = np.setdiff1d(np.arange(p.n_areas), clamped)
        assert p.fiber[w][np.ix_(clamped, listeners)].all()
        assert np.all(p.active[w])
    # listeners lag by their depth in the specification: CognitiveDecline after Amyloid after the roots
    w = wins[p.query_var[wins] == V.index("APOE4")][0]
    assert p.offset[w, V.index("CognitiveDecline")] > p.offset[w, V.index("Amyloid")] > 0


def test_intervene_lag_per_level_and_the_span_that_deep_specifications_share():
    model, p = _protocol()
    V = model.variables
    w = p.windows("intervene")[0]
    # Alzheimer is two levels deep: 8 ms per level fits in the 24 ms span
    assert p.offset[w, V.index("Amyloid")] == pytest.approx(0.008)
    assert p.offset[w, V.index("CognitiveDecline")] == pytest.approx(0.016)
    _, tight = _protocol(intervene_span=10 * ms)  # 10 ms over 2 levels: 5 ms per level
    assert tight.offset[w, V.index("CognitiveDecline")] == pytest.approx(0.010)
    assert tight.offset[w, V.index("Amyloid")] == pytest.approx(0.005)
    with pytest.raises(ValueError, match="intervene_span"):
        ProtocolParams(intervene_span=0 * ms).validate()


def test_spiking_engine_refuses_offsets_that_leave_an_area_no_time_to_fire():
    from spiking_direct.engines.spiking import SpikingError, check_timing

    cfg = apply_overrides(RunConfig(), ["intervene_reps=2"])
    _, _, p = pipeline.prepare(replace(cfg, backend="runtime"))
    check_timing(p, cfg.spiking)  # the defaults fit: 16 ms <= 40 - 4 - 12 ms
    late = apply_overrides(cfg, ["protocol.intervene_lag=15ms", "protocol.intervene_span=30ms"])
    with pytest.raises(SpikingError, match=r"30.0 ms .*intervene phase.*<= T_win - t_ramp - T_ramp = 24.0 ms"):
        pipeline.simulate(replace(late, backend="runtime"))  # refused before anything is built
    # the rate engine has no window clock: the same protocol is fine there
    _, _, p_late = pipeline.prepare(replace(late, engine="rate"))
    assert p_late.offset.max() == pytest.approx(0.030)


def test_every_value_of_x_sees_the_same_root_draws():
    model, p = _protocol()
    wins = p.windows("intervene")
    for x in range(model.n_variables):
        a = wins[(p.query_var[wins] == x) & (p.query_value[wins] == 0)]
        b = wins[(p.query_var[wins] == x) & (p.query_value[wins] == 1)]
        others = np.arange(model.n_variables) != x
        np.testing.assert_array_equal(p.stim_set[a][:, others], p.stim_set[b][:, others])


def test_no_intervene_phase_by_default_and_reversed_links_control():
    model = alzheimer()
    enc = Encoding.for_model(model)
    p = direct_protocol(model, enc, ProtocolParams(), np.random.default_rng(0))
    assert "intervene" in PHASES and p.windows("intervene").size == 0
    r = direct_protocol(model, enc, ProtocolParams(control="reversed_links"), np.random.default_rng(0))
    assert set(r.coupled_links) == {(v, u) for u, v in model.link_indices()}


def test_metrics_on_a_perfect_and_a_reversed_prediction():
    model = alzheimer()
    exact, paths = truth.exact_ace(model), truth.directed_paths(model)
    links = list(model.link_indices())
    perfect = intervention_metrics(exact, exact, paths, links)
    assert perfect["sign_agreement"] == 1.0 and perfect["auroc_path"] == 1.0
    assert perfect["spearman"] == pytest.approx(1.0) and perfect["direction_ok"]
    flipped = intervention_metrics(np.nan_to_num(exact).T, exact, paths, links)
    assert flipped["sign_agreement"] == 0.0 and not flipped["direction_ok"] and flipped["n_direction_ok"] == 0


def test_coupling_rows_are_the_value_pairs_the_coupling_windows_present():
    model = alzheimer()
    enc = Encoding.for_model(model)
    table = model.sample_indices(300, np.random.default_rng(5))
    p = direct_protocol(model, enc, ProtocolParams(couple_steps=7), np.random.default_rng(0), table=table)
    value_of = {
        enc.stimulus(a, x)[0]: x for a in range(model.n_variables) for x in range(model.cardinality(model.variables[a]))
    }
    for u, v in p.coupled_links:
        rows = p.coupling_rows((u, v))
        ws = [w for w in p.windows("couple") if (u, v) in p.coupled[w]]
        assert rows.shape == (7, model.n_variables) and len(ws) == 7
        assert [value_of[int(p.stim_set[w, u])] for w in ws] == list(rows[:, u])
        assert [value_of[int(p.stim_set[w, v])] for w in ws] == list(rows[:, v])
    assert np.all(p.couple_row[p.phase != PHASES.index("couple")] == -1)
    # the rows survive the arrays an exported build stores
    q = type(p).from_arrays(p.to_arrays(), p.params)
    np.testing.assert_array_equal(q.coupling_rows(p.coupled_links[0]), p.coupling_rows(p.coupled_links[0]))


def test_coupling_sample_contrast_and_what_the_network_follows():
    model = alzheimer()
    V = model.variables
    u, v = V.index("APOE4"), V.index("Amyloid")
    table = model.sample_indices(400, np.random.default_rng(1))
    # rows in which APOE4 = x_0 always goes with Amyloid = y_0 and x_last never does
    table[:, v] = np.where(table[:, u] == 0, 0, 1)
    enc = Encoding.for_model(model)
    p = direct_protocol(model, enc, ProtocolParams(couple_steps=40), np.random.default_rng(2), table=table)
    sample = coupling_sample_ace(p, model)
    assert sample[u, v] == 1.0
    linked = np.zeros_like(sample, dtype=bool)
    for a, b in p.coupled_links:
        linked[a, b] = True
    assert np.isnan(sample[~linked]).all() and np.isfinite(sample[linked]).all()
    exact, links = truth.exact_ace(model), list(model.link_indices())
    follows = coupling_sample_metrics(sample, sample, exact, links)  # a learner that copies its rows
    assert follows["network_follows_sample"] == 1.0
    assert follows["network_sign_agreement"] == follows["sample_sign_agreement"]
    against = coupling_sample_metrics(-sample, sample, exact, links)  # one that learns the opposite
    assert against["network_follows_sample"] == 0.0


@pytest.fixture(scope="module")
def rate_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("iv")
    runs = {}
    for name, extra in (("direct", []), ("reversed", ["control=reversed_links"])):
        cfg = apply_overrides(RunConfig(), ["engine=rate", "intervene_reps=6", *extra])
        runs[name] = (out / name, pipeline.run(cfg, out=out / name, figures=(name == "direct")))
    return runs


def test_rate_run_writes_interventions_and_answers_queries(rate_runs):
    folder, res = rate_runs["direct"]
    data = json.loads((folder / "interventions.json").read_text())
    assert data["seed"] == 0 and data["engine"] == "rate" and "versions" in data
    assert len(data["queries"]) == 20 and len(data["pairs"]) == 90
    assert (folder / "figures" / "interventions.png").exists()
    rows = answer(data, {"APOE4": "Carrier"})
    apoe = {r["value"]: r["predicted"] for r in rows if r["variable"] == "APOE4"}
    assert apoe == {"Carrier": 1.0, "Non-carrier": 0.0}  # the clamped variable
    for r in rows:  # every prediction is a probability
        assert r["predicted"] is None or 0.0 <= r["predicted"] <= 1.0
    with pytest.raises(InterventionError, match="unknown value"):
        answer(data, {"APOE4": "Maybe"})
    with pytest.raises(InterventionError, match="unknown variable"):
        answer(data, {"Coffee": "Yes"})
    # predicted effects exist only along the trained links' directions (no-path pairs stay small)
    m = res["interventions"]["metrics"]
    no_path = [abs(p["ace_predicted"] or 0) for p in data["pairs"] if not p["has_path"]]
    assert max(no_path) < 0.15
    assert m["auroc_path"] >= 0.9


def test_result_intervene_in_memory_and_from_a_run_folder(rate_runs, tmp_path):
    """``result.intervene({X: x})``: the object pipeline.run returns, and Result.load(run_dir),
    give the same table as the command line's answer()."""
    folder, res = rate_runs["direct"]
    table = res.intervene({"APOE4": "Carrier"})
    assert list(table.columns) == ["variable", "value", "predicted", "exact", "answered"]
    loaded = Result.load(folder).intervene({"APOE4": "Carrier"})
    assert table.equals(loaded)
    row = table[(table.variable == "APOE4") & (table.value == "Carrier")].iloc[0]
    assert row.predicted == 1.0 and row.exact == 1.0
    with pytest.raises(InterventionError, match="unknown value"):
        res.intervene({"APOE4": "Maybe"})
    plain = pipeline.run(apply_overrides(RunConfig(), ["engine=rate"]), out=tmp_path / "plain", figures=False)
    with pytest.raises(InterventionError, match="no intervene phase"):
        plain.intervene({"APOE4": "Carrier"})
    with pytest.raises(InterventionError, match="no intervene phase"):
        Result.load(tmp_path / "plain").intervene({"APOE4": "Carrier"})
    with pytest.raises(SpikingDirectError, match="not a run folder"):
        Result.load(tmp_path)


def test_direction_changes_answers(rate_runs):
    """For every true link u -> v, do(v) says less about u than do(u) says about v;
    trained with every link reversed, the network gets it wrong the way it should."""
    fwd = rate_runs["direct"][1]["interventions"]["metrics"]
    rev = rate_runs["reversed"][1]["interventions"]["metrics"]
    assert fwd["n_direction_ok"] >= 9 and fwd["max_abs_ace_reverse"] < 0.1
    assert rev["n_direction_ok"] == 0
    pairs = {
        (p["source"], p["target"]): p["ace_predicted"] or 0.0
        for p in rate_runs["reversed"][1]["interventions"]["pairs"]
    }
    links = alzheimer().links
    assert np.mean([abs(pairs[(v, u)]) for u, v in links]) > 3 * np.mean([abs(pairs[(u, v)]) for u, v in links])


def test_cli_intervene(rate_runs, capsys):
    folder, _ = rate_runs["direct"]
    assert main(["intervene", str(folder), "--do", "Amyloid=High"]) == 0
    out = capsys.readouterr().out
    assert "do(Amyloid = High)" in out and "CognitiveDecline" in out
    assert main(["intervene", str(folder), "--do", "Amyloid"]) == 2
    assert "VARIABLE=VALUE" in capsys.readouterr().err


def test_cli_intervene_on_a_run_without_queries(tmp_path, capsys):
    folder = tmp_path / "plain"
    pipeline.run(apply_overrides(RunConfig(), ["engine=rate"]), out=folder, figures=False)
    assert main(["intervene", str(folder), "--do", "APOE4=Carrier"]) == 2
    assert "intervene_reps" in capsys.readouterr().err


@pytest.mark.parametrize(
    "edit, expect",
    [
        (lambda head, rows: (head.replace("Diet", "Coffee"), rows), "unknown column 'Coffee'"),
        (lambda head, rows: (head, [rows[0], rows[1].replace("Carrier", "Maybe", 1), *rows[2:]]), "row 2"),
        (lambda head, rows: (head, [rows[0], rows[1], ",".join([""] + rows[2].split(",")[1:]), *rows[3:]]), "row 3"),
    ],
)
def test_bad_data_table_is_one_clear_error_and_writes_nothing(tmp_path, capsys, edit, expect):
    model = alzheimer()
    good = tmp_path / "good.csv"
    truth.write_table(model.sample_indices(20, np.random.default_rng(0)), model, good)
    head, *rows = good.read_text().splitlines()
    rows = [r for r in rows if "Carrier" in r.split(",")[0]] + [r for r in rows if "Carrier" not in r.split(",")[0]]
    head, rows = edit(head, rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([head, *rows]) + "\n")
    out = tmp_path / "run"
    assert main(["run", "alzheimer", "--engine", "rate", "--data", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expect in err[0]
    assert not out.exists()


def test_data_table_drives_the_coupling(tmp_path):
    """A given table replaces the sampled one: its rows are the value pairs presented."""
    model = alzheimer()
    table = np.zeros((50, model.n_variables), dtype=int)  # every variable always at its first value
    path = tmp_path / "zeros.csv"
    truth.write_table(table, model, path)
    m, enc, p = pipeline.prepare(replace(RunConfig(), data=str(path)))
    cw = p.windows("couple")
    first_sets = np.array([enc.sets_of(a)[0] for a in range(model.n_variables)])
    used = p.stim_set[cw] >= 0
    assert np.all(p.stim_set[cw][used] == np.broadcast_to(first_sets, used.shape)[used])
    np.testing.assert_array_equal(p.table, table)

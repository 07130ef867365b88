"""The Python front door (``import spiking_direct as sd``) and what it leaves of the user's Brian2.

One small compiled network (a 4-variable model from tables, n = 200) serves every
test here that needs one.
"""

from __future__ import annotations

import subprocess
import sys

import brian2 as b2
import numpy as np
import pandas as pd
import pytest
from brian2 import ms, mV

import spiking_direct as sd
from conftest import have_compiler
from spiking_direct.errors import CausalModelError, ConfigError, SpikingDirectError

VALUES = {"A": ["a1", "a0"], "B": ["b1", "b0"], "C": ["c1", "c0"], "D": ["d1", "d0"]}
LINKS = [("A", "B"), ("B", "C"), ("A", "D")]
TABLES = {
    "A": [0.5, 0.5],
    "B": [[0.9, 0.1], [0.2, 0.8]],
    "C": [[0.85, 0.15], [0.1, 0.9]],
    "D": [[0.8, 0.2], [0.3, 0.7]],
}


def toy():
    return sd.model_from_tables("toy4", VALUES, LINKS, TABLES)


#: an adaptive LIF cell: each spike adds b_a to an adaptation voltage that decays with tau_a
ADAPTIVE = sd.NeuronModel(
    membrane="dv/dt = (E_L - v + ge - gi + I_noise - w_a) / tau_m : volt (unless refractory)\n"
    "dw_a/dt = -w_a / tau_a : volt",
    reset="v = v_reset; w_a += b_a",
    window_reset="w_a = 0*mV",
    namespace={"tau_a": 100 * ms, "b_a": 3 * mV},
)


# ---------------------------------------------------------------------------
# the public surface
# ---------------------------------------------------------------------------
def test_public_api_is_curated():
    assert {
        "run",
        "compare",
        "build",
        "collect",
        "causal_models",
        "configure",
        "params",
        "Result",
        "SpikingDirectError",
    } <= set(sd.__all__)
    for name in sd.__all__:
        assert hasattr(sd, name), name
    assert "alzheimer" in sd.causal_models() and callable(sd.configure)


@pytest.mark.parametrize("name", ["configure", "run", "compare", "build"])
def test_entry_points_document_every_keyword_with_the_same_defaults(name):
    import inspect

    fn = getattr(sd, name)
    signature = inspect.signature(fn)
    for param in signature.parameters.values():
        if param.kind is param.VAR_KEYWORD or param.name == "params":
            assert "    params, **kwargs\n" in fn.__doc__
        else:
            assert f"    {param.name} : " in fn.__doc__, param.name
    shared = {"engine": "spiking", "backend": "cpp_standalone", "seed": 0, "learning": "counting"}
    for key, default in shared.items():
        if key in signature.parameters:
            assert signature.parameters[key].default == default
    assert "{keywords}" not in fn.__doc__


def test_params_lists_every_parameter_with_unit_and_doc():
    table = sd.params()
    assert list(table.columns) == ["path", "default", "unit", "doc"]
    assert (table["doc"].str.len() > 0).all(), table[table["doc"] == ""]["path"].tolist()
    row = table.set_index("path").loc["spiking.exc.tau_m"]
    assert row["unit"] == "s" and row["default"] == "10. ms"
    assert table.set_index("path").loc["protocol.lead", "default"] == "5. ms"
    assert not sd.params("rate")["path"].str.startswith("spiking.").any()


def test_config_takes_quantities_by_name_and_path():
    cfg = sd.configure(tau_m=20 * ms, lead=7 * ms, **{"spiking.stdp.w_max": 12 * mV})
    assert cfg.spiking.exc.tau_m == 20 * ms and cfg.spiking.stdp.w_max == 12 * mV
    assert cfg.protocol.lead == 7 * ms and cfg.to_dict()["protocol"]["lead"] == 0.007
    assert sd.configure(learning="conditional").protocol.schedule == "harmonic"


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(tau_m=-20 * ms), "spiking.exc.tau_m = -20. ms is outside its domain"),
        (dict(tau_m=20), "needs a quantity in s"),
        (dict(lead=5), "protocol.lead needs a quantity in s"),
        (dict(w_max=12 * ms), "needs a quantity in V"),
        (dict(p_inter=1.5), "a probability must be in [0, 1]"),
        (dict(n=100, k=200), "k must be between 1 and n"),
        (dict(tau_mm=3 * ms), "did you mean 'tau_m'"),
        (dict(engine="spike"), "did you mean 'spiking'"),
        (dict(backend="cpp"), "did you mean 'cpp_standalone'"),
        (dict(seed="x"), "seed must be an integer"),
        (dict(learning="conditonal"), "did you mean 'conditional'"),
    ],
)
def test_bad_values_are_refused_with_one_line(kwargs, needle):
    with pytest.raises(SpikingDirectError) as info:
        sd.configure(**kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_runconfig_checks_at_construction():
    with pytest.raises(ConfigError, match="did you mean 'spiking'"):
        sd.RunConfig(engine="spike")
    with pytest.raises(ConfigError, match="seed must be an integer"):
        sd.RunConfig(seed="x")
    with pytest.raises(ConfigError, match="outside its domain"):
        sd.RunConfig(seed=-1)


def test_unknown_model_suggests_the_closest(tmp_path):
    with pytest.raises(CausalModelError, match="did you mean 'alzheimer'"):
        sd.run("alzheimr", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_every_error_has_one_base():
    from spiking_direct import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, SpikingDirectError), name


def test_models_from_tables_and_data():
    model = toy()
    assert model.n_variables == 4 and model.n_links == 3 and model.has_cpds
    with pytest.raises(CausalModelError, match="has shape"):
        sd.model_from_tables("bad", VALUES, LINKS, {**TABLES, "B": [0.5, 0.5]})
    with pytest.raises(CausalModelError, match="sum to 1"):
        sd.model_from_tables("bad", VALUES, LINKS, {**TABLES, "A": [0.5, 0.6]})
    rng = np.random.default_rng(0)
    frame = model.sample(4000, rng)
    est = sd.model_from_data(frame, LINKS, name="est", values=VALUES)
    p_b = est.cpd_table("B")  # P(B | A) estimated from the data, close to the true table
    assert np.allclose(p_b, np.asarray(TABLES["B"]), atol=0.05)


def test_pgmpy_network_is_a_model():
    pgmpy_bn = toy().to_pgmpy()
    model = sd.model_from_pgmpy(pgmpy_bn, name="from_pgmpy")
    assert set(model.links) == set(LINKS)
    assert np.allclose(model.cpd_table("C"), np.asarray(TABLES["C"]))


def test_importing_the_package_keeps_the_users_excepthook():
    code = "import spiking_direct\nraise TypeError('the user error')\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "the user error" in out.stderr
    assert "Brian 2 encountered an unexpected error" not in out.stderr


# ---------------------------------------------------------------------------
# runs (one compiled network for all)
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def user_state():
    """A user's own Brian2 work: runtime device, a dt of their own, a preference, a scope."""
    saved_dt, saved_target = b2.defaultclock.dt, b2.prefs.codegen.target
    b2.set_device("runtime")
    b2.defaultclock.dt = 0.05 * ms
    b2.prefs.codegen.target = "numpy"
    yield
    b2.defaultclock.dt, b2.prefs.codegen.target = saved_dt, saved_target


@pytest.fixture(scope="module")
def toy_runs(user_state, tmp_path_factory):
    if not have_compiler():
        pytest.skip("no C++ compiler")
    b2.start_scope()
    user_group = b2.NeuronGroup(3, "dv/dt = -v / (10*ms) : 1", name="user_group")
    user_group.v = 1
    base = tmp_path_factory.mktemp("front_door")
    record = {"v": range(5), "w_a": range(5)}
    first = sd.run(toy(), n=200, seed=1, out=base / "seed1", record=record, neuron=ADAPTIVE)
    state_after_first = (b2.get_device(), b2.defaultclock.dt, b2.prefs.codegen.target)
    second = sd.run(toy(), n=200, seed=2, out=base / "seed2", record=record, neuron=ADAPTIVE)
    return {"first": first, "second": second, "user_group": user_group, "after_first": state_after_first}


def test_users_brian2_state_is_left_as_found(toy_runs):
    device, dt, target = toy_runs["after_first"]
    from brian2.devices.device import runtime_device

    assert device is runtime_device
    assert dt == 0.05 * ms and target == "numpy"
    assert b2.get_device() is runtime_device


def test_users_runtime_network_runs_after_a_package_run(toy_runs):
    group = toy_runs["user_group"]
    b2.run(5 * ms)  # the magic network: the user's group only, never the package's objects
    assert np.allclose(group.v[:], np.exp(-0.5), rtol=1e-3)
    assert {obj.name for obj in b2.collect()} == {"user_group"}


def test_second_run_reuses_the_build(toy_runs):
    assert toy_runs["first"]["timing"]["reused_build"] is False
    assert toy_runs["second"]["timing"]["reused_build"] is True
    assert toy_runs["second"]["timing"]["build_s"] == 0.0


def test_result_tables_repr_and_figures(toy_runs):
    res = toy_runs["first"]
    assert isinstance(res, sd.Result)
    assert {"delta (mV)", "delta_prop (fraction)", "s_forward (mV)"} <= set(res.links.columns)
    assert len(res.links) == 3 and len(res.pairs) == 12
    assert list(res.metrics.index) == ["delta", "delta_prop", "delta_prop_cc"]
    assert "precision_at_k" in res.metrics.columns
    assert "mean (cells)" in res.cap.columns
    text = repr(res)
    assert text.startswith("Result(") and "toy4" in text and len(text.splitlines()) < 12
    assert "<table>" in res._repr_html_()
    from matplotlib.figure import Figure

    fig = res.figure("learned_graph")
    assert isinstance(fig, Figure) and (res.folder / "figures" / "learned_graph.png").exists()
    with pytest.raises(ConfigError, match="did you mean 'learned_graph'"):
        res.figure("learned_grapf")


def test_recorded_membrane_potential(toy_runs):
    res = toy_runs["first"]
    state = res.state
    assert set(state["neuron"]) == {0, 1, 2, 3, 4}
    assert list(state.columns) == ["t (ms)", "neuron", "v (mV)", "w_a (mV)"]
    v = state["v (mV)"].to_numpy()
    assert v[0] == pytest.approx(-70.0)  # E_L at the start
    assert v.max() < -40 and v.std() > 0.1  # below threshold between spikes, and moving
    by_cell = state.pivot(index="t (ms)", columns="neuron", values="v (mV)")
    assert not np.allclose(by_cell[0], by_cell[1])  # five cells, five traces
    loaded = sd.Result.load(res.folder)
    pd.testing.assert_frame_equal(loaded.state, state)
    pd.testing.assert_frame_equal(loaded.links, res.links)


def test_value_rows_are_written_beside_result_json(toy_runs, tmp_path):
    """The value-level rows go to their own compressed file, which result.json names; loading
    the folder gives them back as they were, and a folder without the file is refused."""
    import shutil

    from spiking_direct.results import VALUE_ROWS_FILE, as_written, read_json

    res = toy_runs["first"]
    assert res["value_readout"]["rows"]  # the readout applies to the toy model
    on_disk = read_json(res.folder / "result.json")["value_readout"]
    assert "rows" not in on_disk and on_disk["rows_file"] == VALUE_ROWS_FILE
    assert on_disk["summary"] == as_written(res["value_readout"]["summary"])
    loaded = sd.Result.load(res.folder)
    assert loaded["value_readout"]["rows"] == as_written(res["value_readout"]["rows"])
    pd.testing.assert_frame_equal(loaded.value_overlaps, res.value_overlaps)
    folder = shutil.copytree(res.folder, tmp_path / "run")
    (folder / VALUE_ROWS_FILE).unlink()
    with pytest.raises(ConfigError, match=f"lacks {VALUE_ROWS_FILE}"):
        sd.Result.load(folder)


def test_provenance_names_the_model_run(toy_runs):
    res = toy_runs["first"]
    assert res["scm"] == "toy4" and res["params"]["model"] == "toy4"
    assert res["model"]["n_links"] == 3 and res["model"]["has_tables"] is True
    assert res["data"]["source"].startswith("sampled from the model")


def test_record_needs_known_variables():
    with pytest.raises(ConfigError, match="cannot record 'vm'; did you mean 'v'"):
        sd.run(toy(), n=200, record={"vm": range(3)})
    with pytest.raises(ConfigError, match="needs the spiking engine"):
        sd.run(toy(), engine="rate", record={"v": range(3)})


def test_custom_neuron_model_runs_in_the_network(toy_runs):
    res = toy_runs["first"]
    w_a = res.state["w_a (mV)"].to_numpy()
    assert w_a.min() >= 0 and w_a.max() == pytest.approx(3.0, rel=1e-6)  # b_a: the cells spiked and adapted
    assert res["params"]["spiking"]["neuron"]["membrane"].startswith("dv/dt = (E_L - v + ge - gi + I_noise - w_a)")
    assert res.metrics.loc["delta", "precision_at_k"] == 1.0


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(membrane="dx/dt = -x / tau_m : volt"), "must define dv/dt"),
        (dict(membrane="dv/dt = (E_L - v) / tau_m : volt"), "does not use ['ge', 'gi']"),
        (dict(membrane="dv/dt = (E_L - v + ge - gi) / tau_m : volt\nge : volt"), "declared by the network"),
        (
            dict(membrane="dv/dt = (E_L - v + ge - gi) / tau_m : volt", threshold="v > -50*mV"),
            "must compare v with theta",
        ),
        (dict(membrane="dv/dt = (E_L - v + ge - gi / tau_m : volt"), "cannot parse"),
    ],
)
def test_neuron_model_requirements_are_checked(kwargs, needle):
    with pytest.raises(SpikingDirectError) as info:
        sd.configure(neuron=sd.NeuronModel(**kwargs))
    assert needle in str(info.value)


def test_run_sweep_takes_quantities(tmp_path):
    """``sd.run_sweep``: a grid of quantities on the rate engine (Dask, one worker)."""
    table = sd.run_sweep(
        ["alzheimer"],
        engines=["rate"],
        seeds=[0],
        grid={"lead": [2 * ms, 5 * ms]},
        out=tmp_path / "sweep",
        workers=1,
        progress=False,
    )
    assert list(table["status"]) == ["ok", "ok"]
    assert sorted(table["lead"]) == ["2. ms", "5. ms"]
    assert (table["delta_precision_at_k"] == 1.0).all()
    assert (tmp_path / "sweep" / "summary.csv").exists()


def test_engines_and_backends_share_one_interface():
    from spiking_direct.engines import ENGINES, Engine, backends, get_engine

    for name in ENGINES:
        engine = get_engine(name)
        assert engine.name == name
        for method in ("validate", "check", "params_dict", "monitors", "run"):
            assert callable(getattr(engine, method)), (name, method)
        assert isinstance(engine.uses_backend, bool)
    assert Engine is not None
    with pytest.raises(ConfigError, match="did you mean 'rate'"):
        get_engine("rat")
    for name in backends.names():
        assert issubclass(backends._REGISTRY[name], backends.Backend)
    with pytest.raises(TypeError, match="not a subclass of Backend"):
        backends.register("bogus")(object)
    assert "bogus" not in backends.names()


def test_front_door_names_are_not_submodules():
    """A function of the front door named like a submodule would be replaced by the module
    as soon as anything imports it (``sd.compare`` would stop being callable). The one name
    of the front door that is a submodule, ``settings``, is that module itself."""
    import importlib
    import pkgutil

    import spiking_direct

    submodules = {m.name for m in pkgutil.iter_modules(spiking_direct.__path__)}
    assert submodules & set(sd.__all__) == {"settings"}, submodules & set(sd.__all__)
    import spiking_direct.comparison  # noqa: F401  (imported: the front door must still hold)

    assert callable(sd.compare) and callable(sd.run_sweep) and callable(sd.configure)
    assert sd.settings is importlib.import_module("spiking_direct.settings")

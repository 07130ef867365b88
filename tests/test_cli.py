"""Command line: one clear error line, exit code 2 and no result for bad input;
a real run writes the documented result.json."""

import json
import sys

import numpy as np
import pytest

from spiking_direct.cli import main, parse_seeds

#: the Brian2 that pyproject.toml pins for this Python
BRIAN2 = "2.8.0" if sys.version_info < (3, 12) else "2.10.1"


@pytest.fixture
def cyclic_model(tmp_path):
    path = tmp_path / "cyclic.json"
    path.write_text(
        json.dumps(
            {
                "variables": ["A", "B"],
                "values": {"A": ["a1", "a0"], "B": ["b1", "b0"]},
                "links": [["A", "B"], ["B", "A"]],
            }
        )
    )
    return str(path)


@pytest.fixture
def unknown_variable_model(tmp_path):
    path = tmp_path / "unknown.json"
    path.write_text(
        json.dumps({"variables": ["A", "B"], "values": {"A": ["a1", "a0"], "B": ["b1", "b0"]}, "links": [["A", "C"]]})
    )
    return str(path)


BAD = {
    "cyclic graph": (["run", "{cyclic}"], "cycl"),
    "unknown variable": (["run", "{unknown}"], "'C'"),
    "k larger than n": (["run", "--set", "n=100", "--set", "k=200"], "k must be"),
    "negative lead": (["run", "--set", "lead=-5ms"], "protocol.lead = -5. ms is outside its domain"),
    "negative time constant": (["run", "--set", "tau_m=-20ms"], "spiking.exc.tau_m = -20. ms is outside its domain"),
    "bare number for a time constant": (["run", "--set", "tau_m=20"], "spiking.exc.tau_m: '20' has the wrong unit"),
    "bare number for the lead": (["run", "--set", "lead=5"], "protocol.lead: '5' has the wrong unit"),
    "probability above 1": (["run", "--set", "p_inter=1.5"], "a probability must be in [0, 1]"),
    "empty area": (["run", "--set", "n=0"], "spiking.n = 0 is outside its domain"),
    "typo in a parameter": (["run", "--set", "tau_mm=3ms"], "did you mean 'tau_m'"),
    "typo in a model": (["run", "alzheimr"], "did you mean 'alzheimer'"),
    "short backend name": (["run", "--backend", "cpp"], "did you mean 'cpp_standalone'"),
    "short engine name": (["run", "--engine", "spike"], "did you mean 'spiking'"),
    "unknown backend": (["run", "--backend", "gpu9000"], "unknown backend"),
    "unknown engine": (["run", "--engine", "quantum"], "unknown engine"),
    "unknown parameter": (["run", "--set", "spiking.stdp.w_maxx=3mV"], "unknown parameter"),
    "wrong unit": (["run", "--set", "spiking.stdp.w_max=3ms"], "wrong unit"),
    "initial weights above the bound": (["run", "--set", "spiking.stdp.w_init=12mV"], "w_init must be"),
    "unknown model": (["run", "nonexistent_network"], "nonexistent_network"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_gives_one_clear_line(case, tmp_path, capsys, cyclic_model, unknown_variable_model):
    argv, needle = BAD[case]
    argv = [a.format(cyclic=cyclic_model, unknown=unknown_variable_model) for a in argv]
    out = tmp_path / "out"
    code = main(argv + ["--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("spiking-direct: error:") and needle in err[0]
    assert not out.exists()  # nothing written


def test_missing_compiler(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    out = tmp_path / "out"
    code = main(["run", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "compiler" in err[0]
    assert not out.exists() or not (out / "result.json").exists()


def test_parse_seeds():
    assert parse_seeds("3") == [3]
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("1,5,7") == [1, 5, 7]
    from spiking_direct.cli import CLIError

    with pytest.raises(CLIError):
        parse_seeds("5-1")
    with pytest.raises(CLIError):
        parse_seeds("a")


@pytest.mark.standalone
def test_run_writes_result_and_figures(alzheimer_run, tmp_path, capsys):
    alzheimer_run(seed=0)  # make sure the test run's shared build exists: this run reuses it
    out = tmp_path / "run"
    assert main(["run", "alzheimer", "--seed", "2", "--out", str(out), "--quiet"]) == 0
    res = json.loads((out / "result.json").read_text())
    for key in ("scm", "engine", "backend", "seed", "params", "versions", "metrics", "links", "pairs", "cap", "timing"):
        assert key in res
    assert res["learning"] == "counting"
    assert set(res["metrics"]) == {"precision_at_k", "recall_at_k", "auroc", "average_precision", "shd"}
    assert res["seed"] == 2 and res["backend"] == "cpp_standalone" and res["versions"]["brian2"] == BRIAN2
    assert len(res["pairs"]) == 90 and len(res["links"]) == 10
    assert {"source", "target", "delta", "delta_prop", "overlap_forward", "overlap_reverse"} <= set(res["links"][0])
    assert {"delta_prop_cc", "overlap_cc_forward", "overlap_cc_reverse"} <= set(res["links"][0])
    cover = np.array(res["matrices"]["area_cover"])
    assert res["metrics_delta_prop_cc"]["k"] == 10 and ((cover > 0) & (cover < 1)).all()
    assert res["timing"]["reused_build"] is True
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert len(figures) >= 5
    assert "delta P@K 1.00" in capsys.readouterr().out


def test_learning_rule_option_expands_to_its_parameters_and_set_wins():
    from brian2 import mV

    from spiking_direct.cli import _config, build_parser
    from spiking_direct.config import learning_rule

    parse = build_parser().parse_args
    cfg = _config(parse(["run", "--learning", "conditional"]))
    assert cfg.protocol.schedule == "harmonic"
    assert cfg.spiking.stdp.weight == "van_rossum" and cfg.spiking.stdp.A_pre == 1.0
    assert cfg.rate.rule == "outstar"
    default = _config(parse(["run"]))
    assert default.protocol.schedule == "adaptive_soft" and default.spiking.stdp.A_pre == 0.0
    assert default.rate.rule == "multiplicative"
    mine = _config(
        parse(
            ["run", "--learning", "conditional", "--set", "spiking.stdp.A_pre=0.5", "--set", "spiking.stdp.w_max=12mV"]
        )
    )
    assert mine.spiking.stdp.A_pre == 0.5 and mine.spiking.stdp.w_max == 12 * mV
    with pytest.raises(SystemExit):
        parse(["run", "--learning", "hebbian"])
    # the result names the rule a config runs; a changed learning parameter makes it "custom"
    assert learning_rule(cfg) == "conditional" and learning_rule(default) == "counting"
    assert learning_rule(mine) == "custom"
    assert learning_rule(_config(parse(["run", "--set", "schedule=harmonic"]))) == "custom"
    rate = _config(parse(["run", "--engine", "rate", "--learning", "conditional"]))
    assert learning_rule(rate) == "conditional"
    assert learning_rule(_config(parse(["run", "--engine", "rate", "--set", "rate.rule=outstar"]))) == "custom"


@pytest.mark.long
def test_munin_is_refused_with_its_estimate(tmp_path):
    """``spiking-direct run munin``: one line with the estimate and the options, in under 30 s, nothing written."""
    import subprocess
    import sys
    import time

    out = tmp_path / "munin"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "spiking_direct.cli", "run", "munin", "--out", str(out)], capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("spiking-direct: error: munin (1041 variables") and "needs about" in lines[0]
    assert "options:" in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()
    assert seconds < 30, seconds


def test_network_option_selects_the_network_and_its_parameters(capsys):
    """--network picks the circuit (and its window clock); params --network lists only its parameters."""
    from brian2 import ms

    from spiking_direct.cli import _config, build_parser

    args = build_parser().parse_args(["run", "alzheimer", "--network", "cortical", "--set", "sigma=3mV"])
    cfg = _config(args)
    assert cfg.spiking.network == "cortical" and cfg.spiking.clock.T_win == 100 * ms
    assert float(cfg.spiking.cortical.sigma) == pytest.approx(3e-3)
    assert _config(build_parser().parse_args(["run", "alzheimer"])).spiking.network == "clocked"
    assert main(["params", "--network", "cortical", "--grep", "theta"]) == 0
    out = capsys.readouterr().out
    assert "spiking.cortical.theta_g" in out and "spiking.exc." not in out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "alzheimer", "--network", "cortica"])

"""The settings object (``sd.settings``): defaults, environment variables, values set from
Python, refusal of bad values with one line, and the listing of ``spiking-direct settings``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import spiking_direct as sd
from spiking_direct import settings
from spiking_direct.cli import main
from spiking_direct.errors import ConfigError

VARIABLES = {name: s.variable for name, s in settings.SETTINGS.items()}


@pytest.fixture(autouse=True)
def clean():
    """No setting from the environment or from Python in each test; the environment as it was after it."""
    saved = {variable: os.environ.pop(variable, None) for variable in VARIABLES.values()}
    yield
    for name, variable in VARIABLES.items():
        delattr(settings, name)
        os.environ.pop(variable, None)
        if saved[variable] is not None:
            os.environ[variable] = saved[variable]


def test_the_front_door_holds_the_module():
    assert sd.settings is settings
    assert set(VARIABLES) == {"make_jobs", "profile", "scratch", "cuda_cc", "scheduler"}
    assert set(VARIABLES) <= set(dir(settings))


def test_defaults():
    assert settings.make_jobs == (os.cpu_count() or 1)
    assert settings.profile is False
    assert settings.scratch == Path("/dev/shm")
    assert settings.cuda_cc is None
    assert settings.scheduler is None
    assert {settings.source(name) for name in VARIABLES} == {"default"}


def test_environment_variables_override_the_defaults_when_read(monkeypatch):
    monkeypatch.setenv("SPIKING_DIRECT_MAKE_JOBS", "3")
    monkeypatch.setenv("SPIKING_DIRECT_PROFILE", "1")
    monkeypatch.setenv("SPIKING_DIRECT_SCRATCH", "none")
    monkeypatch.setenv("SPIKING_DIRECT_CUDA_CC", "8.6")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.1:8786")
    assert settings.make_jobs == 3 and settings.profile is True and settings.scratch is None
    assert settings.cuda_cc == 8.6 and settings.scheduler == "tcp://10.0.0.1:8786"
    assert settings.source("make_jobs") == "environment"
    monkeypatch.setenv("SPIKING_DIRECT_SCRATCH", "/tmp/elsewhere")
    monkeypatch.setenv("SPIKING_DIRECT_MAKE_JOBS", "")  # empty: the default
    assert settings.scratch == Path("/tmp/elsewhere") and settings.make_jobs == (os.cpu_count() or 1)


def test_values_set_from_python_win_and_can_be_undone(monkeypatch):
    monkeypatch.setenv("SPIKING_DIRECT_MAKE_JOBS", "3")
    sd.settings.make_jobs = 1
    assert settings.make_jobs == 1 and settings.source("make_jobs") == "python"
    del sd.settings.make_jobs
    assert settings.make_jobs == 3
    with settings.override(scratch="none", profile=True):
        assert settings.scratch is None and settings.profile is True
        with pytest.raises(RuntimeError), settings.override(profile=False):
            raise RuntimeError
        assert settings.profile is True
    assert settings.scratch == Path("/dev/shm") and settings.source("profile") == "default"


def test_the_readers_go_through_the_settings(tmp_path):
    from spiking_direct import memory
    from spiking_direct.engines import backends

    with settings.override(make_jobs=2, profile="yes", scratch="none", cuda_cc=8.0):
        assert backends.make_jobs() == 2 and backends.profiling() is True
        assert backends._results_in_memory(tmp_path / "results", 1) is None
        assert memory._shm_room(1) is False
        assert backends.CudaStandaloneBackend.compute_capability() == 8.0


def test_no_setting_is_read_from_the_environment_elsewhere():
    package = Path(settings.__file__).parent
    pattern = re.compile(r"environ(?:\.get)?[\[(]\s*[\"'](?:SPIKING_DIRECT_|DASK_SCHEDULER)")
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "settings.py" and pattern.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "name, value, allowed",
    [
        ("make_jobs", 0, "a whole number >= 1"),
        ("make_jobs", "four", "a whole number >= 1"),
        ("profile", "maybe", "true or false"),
        ("scratch", 3, "a folder, or none"),
        ("cuda_cc", "sm90", "a compute capability such as 9.0"),
        ("scheduler", 8786, "a Dask scheduler address"),
    ],
)
def test_bad_values_are_refused_with_one_line(monkeypatch, name, value, allowed):
    with pytest.raises(ConfigError) as info:
        setattr(sd.settings, name, value)
    message = str(info.value)
    assert f"setting {name} must be {allowed}" in message and "\n" not in message
    assert settings.source(name) == "default"  # nothing was set
    if isinstance(value, str):
        monkeypatch.setenv(VARIABLES[name], value)
        with pytest.raises(ConfigError) as info:
            getattr(settings, name)
        message = str(info.value)
        assert message.startswith(f"${VARIABLES[name]} (setting {name}) must be {allowed}") and "\n" not in message


def test_unknown_settings_are_refused():
    with pytest.raises(ConfigError, match="did you mean 'make_jobs'"):
        sd.settings.make_job = 2
    with pytest.raises(ConfigError, match="unknown setting 'scrach'"):
        with settings.override(scrach="none"):
            pass


def test_a_bad_environment_variable_stops_a_run_before_anything_is_built(monkeypatch, tmp_path):
    monkeypatch.setenv("SPIKING_DIRECT_PROFILE", "maybe")
    with pytest.raises(ConfigError, match="SPIKING_DIRECT_PROFILE"):
        sd.run("alzheimer", engine="rate", out=tmp_path / "run")
    assert not (tmp_path / "run" / "result.json").exists()


def test_to_environ_hands_the_settings_to_processes_started_afterwards(monkeypatch):
    monkeypatch.setenv("SPIKING_DIRECT_CUDA_CC", "8.0")
    settings.scratch = "none"
    settings.to_environ(make_jobs=2, cuda_cc=7.5)
    assert os.environ["SPIKING_DIRECT_MAKE_JOBS"] == "2"  # unset anywhere: the fallback
    assert os.environ["SPIKING_DIRECT_CUDA_CC"] == "8.0"  # the environment's value stays
    assert os.environ["SPIKING_DIRECT_SCRATCH"] == "none"  # set from Python


def test_the_listing(capsys, monkeypatch):
    monkeypatch.setenv("SPIKING_DIRECT_MAKE_JOBS", "3")
    settings.profile = True
    rows = {row["name"]: row for row in settings.listing()}
    assert rows["make_jobs"]["value"] == "3" and rows["make_jobs"]["source"] == "environment"
    assert rows["profile"]["value"] == "true" and rows["profile"]["source"] == "python"
    assert rows["scratch"]["source"] == "default" and all(row["doc"] for row in rows.values())
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    for name, variable in VARIABLES.items():
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert variable in line and rows[name]["doc"] in line
    assert "SPIKING_DIRECT_SEED" in out


def test_the_listing_refuses_a_bad_variable_with_one_line(capsys, monkeypatch):
    monkeypatch.setenv("SPIKING_DIRECT_CUDA_CC", "sm90")
    assert main(["settings"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spiking-direct: error: $SPIKING_DIRECT_CUDA_CC (setting cuda_cc)") and "\n" not in err

"""The JSON files of a run folder: what :func:`spiking_direct.results.dumps` writes and the
gzip-compressed JSON of the value-level rows."""

from __future__ import annotations

import json

import numpy as np

from spiking_direct.results import as_written, dumps, read_json, split_value_rows, write_json_gz


def _obj():
    return {
        "matrix": np.array([[0.5, np.nan], [np.inf, -2.0]]),
        "ints": [np.int64(3), 4, True, None],
        "nested": {"mixed": [1, [2, 3], {"x": [float("nan")]}], "empty": [], "names": ["a", "b"]},
        "text": "plain",
    }


def test_dumps_reads_back_as_the_plain_json_of_the_object():
    text = dumps(_obj())
    assert json.loads(text) == as_written(_obj())
    assert json.loads(text)["matrix"] == [[0.5, None], [None, -2.0]]


def test_dumps_puts_each_list_of_scalars_on_one_line():
    lines = dumps(_obj()).splitlines()
    assert "  [0.5, null]," in lines and "  [null, -2.0]" in lines  # a matrix: one row per line
    assert ' "ints": [3, 4, true, null],' in lines
    assert '   "a",' in lines  # strings are not scalars of a row: one per line as before
    assert len(dumps({"m": np.zeros((50, 40))}).splitlines()) == 50 + 4


def test_a_string_that_looks_like_a_held_list_is_written_as_it_is():
    for token in ("\x00list0\x00", "\x00list1\x00", "\x00list7\x00"):
        obj = {"row": [1, 2], "s": token, "later": [3.5]}
        assert json.loads(dumps(obj)) == obj


def test_value_rows_round_trip_through_gzip(tmp_path):
    rows = [{"source": "A", "by_value": [{"value": 0, "value_overlap": 0.25}, {"value": 1, "value_overlap": None}]}]
    result = {"seed": 1, "value_readout": {"applicable": True, "rows": rows, "summary": {"n": 1}}}
    slim, held = split_value_rows(result)
    assert held is rows and "rows" not in slim["value_readout"] and result["value_readout"]["rows"] is rows
    path = tmp_path / slim["value_readout"]["rows_file"]
    write_json_gz(path, held)
    assert read_json(path) == rows
    first = path.read_bytes()
    write_json_gz(path, held)
    assert path.read_bytes() == first  # no time stamp: the same rows give the same bytes
    assert split_value_rows({"value_readout": {"applicable": False, "rows": []}})[1] is None


def test_a_rerun_into_a_run_folder_replaces_its_files(tmp_path, monkeypatch):
    """The rows file goes when the rerun has none, and a rerun that dies while writing leaves no
    result.json (the mark of a complete folder) beside the files it had written."""
    import pytest

    import spiking_direct as sd
    from spiking_direct import pipeline
    from spiking_direct.errors import ConfigError
    from spiking_direct.results import VALUE_ROWS_FILE

    folder = tmp_path / "run"
    sd.run("alzheimer", engine="rate", seed=1, out=folder, figures=False)
    assert (folder / VALUE_ROWS_FILE).exists()
    sd.run("alzheimer", engine="rate", seed=1, out=folder, figures=False, encoding="rate")  # no value assemblies
    assert not (folder / VALUE_ROWS_FILE).exists()
    loaded = sd.Result.load(folder)
    assert loaded["value_readout"]["applicable"] is False and "rows_file" not in loaded["value_readout"]

    def dies(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "write_json_timed", dies)
    with pytest.raises(OSError, match="disk full"):
        sd.run("alzheimer", engine="rate", seed=2, out=folder, figures=False)
    assert (folder / VALUE_ROWS_FILE).exists() and not (folder / "result.json").exists()
    with pytest.raises(ConfigError, match="not a run folder"):
        sd.Result.load(folder)

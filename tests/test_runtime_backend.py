"""The runtime backend (Brian2's numpy target, no compiler) runs the same network and
protocol: on a 3-variable chain it learns both directions."""

import json

from spiking_direct.cli import main


def test_runtime_backend_learns_a_chain(tmp_path, capsys):
    spec = tmp_path / "chain.json"
    spec.write_text(json.dumps({"name": "chain3", "variables": ["A", "B", "C"],
                                "values": {"A": ["a1", "a0"], "B": ["b1", "b0"], "C": ["c1", "c0"]},
                                "links": [["A", "B"], ["B", "C"]]}))
    out = tmp_path / "run"
    assert main(["run", str(spec), "--backend", "runtime", "--set", "n=200", "--set", "couple_steps=10",
                 "--no-figures", "--quiet", "--out", str(out)]) == 0
    res = json.loads((out / "result.json").read_text())
    assert res["backend"] == "runtime" and res["scm"] == "chain3"
    assert res["metrics_delta"]["precision_at_k"] == 1.0
    assert all(link["delta"] > 0 for link in res["links"])
    assert res["summary"]["overlap_forward_mean"] > res["summary"]["overlap_reverse_mean"]

"""The value-level propagation readout (spiking_direct.value_readout): formula, tie rule,
co-occurrence, the cases where it does not apply, and a rate-engine negative control."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from spiking_direct import readout, value_readout
from spiking_direct.causal import CausalModel
from spiking_direct.protocol import PHASES, Protocol
from spiking_direct.recording import Recording
from spiking_direct.results import VALUES_COLUMNS, Result

MODEL = CausalModel("two", ["A", "B"], {"A": ["a0", "a1"], "B": ["b0", "b1"]}, [("A", "B")])

# (A, B) value indices: a0 goes with b0 (3 rows against 1); a1 ties (2 rows b0, 2 rows b1)
TABLE = np.array([[0, 0]] * 3 + [[0, 1]] + [[1, 0]] * 2 + [[1, 1]] * 2)


def hand_recording(table=TABLE, n_sets=(2, 2), couple=(3, 3, 0)) -> Recording:
    """2 areas of n=10, k=3; area 0 has input sets 0, 1 (values a0, a1), area 1 sets 2, 3 (b0, b1).

    The link A -> B is coupled on the table rows ``couple`` (silent windows: only the rows matter
    here); the default rows 3, 3, 0 show a0 twice with b1 and once with b0, and a1 never.

    Assemblies (identify): a0 {0, 1, 2}, a1 {3, 4, 5}, b0 {0, 1, 2}, b1 {3, 4, 5} (local indices).
    Probe responders: a0 -> B {0, 1, 3} (a fourth, later cell ranked out), a1 -> B {3, 4, 6},
    b0 -> A {6, 7, 8}, b1 -> A {3, 4, 5}.
    """
    A, n = 2, 10
    sets = [[0, 1], [2, 3]] if n_sets == (2, 2) else [[0], [1]]
    identify = [(sets[0][i % len(sets[0])], sets[1][i % len(sets[1])]) for i in range(max(map(len, sets)))]
    probes = [(0, s) for s in sets[0]] + [(1, s) for s in sets[1]]
    first_probe = len(identify) + len(couple)
    W = first_probe + len(probes)
    phase = np.array(
        [0] * len(identify) + [PHASES.index("couple")] * len(couple) + [PHASES.index("probe")] * len(probes),
        dtype=np.int8,
    )
    stim_set = np.full((W, A), -1)
    probe_source = np.full(W, -1)
    couple_row = np.full(W, -1)
    couple_row[len(identify) : first_probe] = couple
    coupled = [[(0, 1)] if len(identify) <= w < first_probe else [] for w in range(W)]
    for w, (s0, s1) in enumerate(identify):
        stim_set[w] = (s0, s1)
    for i, (a, s) in enumerate(probes):
        stim_set[first_probe + i, a] = s
        probe_source[first_probe + i] = a
    fiber = np.zeros((W, A, A), bool)
    p = Protocol(
        A,
        phase,
        stim_set,
        (stim_set >= 0).astype(float),
        np.ones((W, A), bool),
        np.zeros((W, A)),
        np.zeros((W, A, A)),
        fiber,
        probe_source,
        coupled,
        coupled_links=((0, 1),) if len(couple) else (),
        table=table,
        couple_row=couple_row,
    )
    cells = {0: [0, 1, 2], 1: [3, 4, 5], 2: [0, 1, 2], 3: [3, 4, 5]}
    spikes = []  # (window, global neuron, time)
    for w, (s0, s1) in enumerate(identify):
        spikes += [(w, c, 0.01) for c in cells[s0]] + [(w, n + c, 0.01) for c in cells[s1]]
    answer = {0: [0, 1, 3], 1: [3, 4, 6], 2: [6, 7, 8], 3: [3, 4, 5]}
    for i, (a, s) in enumerate(probes):
        w = first_probe + i
        spikes += [(w, a * n + c, 0.01) for c in cells[s]]  # the probed area
        target = 1 - a
        spikes += [(w, target * n + c, 0.02) for c in answer.get(s, [7, 8, 9])]
        spikes.append((w, target * n + 9, 0.03))  # a fourth responder, later: ranked out of the top 3
    w, i, t = map(np.array, zip(*spikes))
    none = np.zeros(0, dtype=np.int64)
    return Recording(p, n, 3, w.astype(np.int32), i.astype(np.int32), t, none, none, np.zeros(0), np.zeros(0))


def rows_of(out: dict) -> dict:
    return {(r["source"], r["source_value"], r["target"]): r for r in out["rows"]}


def test_target_value_tie_rule():
    assert value_readout.target_value([3, 1]) == (0, 1)
    assert value_readout.target_value([1, 3]) == (1, 1)
    assert value_readout.target_value([2, 2]) == (0, 2)  # tie: the lowest value index, two values tied
    assert value_readout.target_value([1, 4, 4]) == (1, 2)
    assert value_readout.target_value([0, 5, 5, 5]) == (1, 3)
    assert value_readout.target_value([0, 0]) == (None, 0)  # x never occurs: no target value


def test_cooccurrence_counts_every_value_pair():
    rng = np.random.default_rng(4)
    table = np.stack([rng.integers(0, 3, 200), rng.integers(0, 2, 200), rng.integers(0, 4, 200)], axis=1)
    for x, y in ((0, 1), (1, 0), (0, 2), (2, 1)):
        card = [3, 2, 4]
        got = value_readout.cooccurrence(table, x, y, card[x], card[y])
        want = [[np.sum((table[:, x] == i) & (table[:, y] == j)) for j in range(card[y])] for i in range(card[x])]
        np.testing.assert_array_equal(got, want)
        assert got.sum() == 200
    np.testing.assert_array_equal(value_readout.cooccurrence(TABLE, 0, 1, 2, 2), [[3, 1], [2, 2]])
    np.testing.assert_array_equal(value_readout.cooccurrence(TABLE, 1, 0, 2, 2), [[3, 2], [1, 2]])


def test_formula_on_a_hand_made_recording():
    rec = hand_recording()
    asm = readout.identify_assemblies(rec)
    assert [list(asm.members[s]) for s in range(4)] == [[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]]
    out = value_readout.analyse(rec, asm, MODEL)
    assert out["applicable"] and out["reason"] is None
    assert set(out["definitions"]) >= {"value_overlap", "value_overlap_cc", "target_value", "aggregate"}
    rows = rows_of(out)
    assert len(rows) == 4
    # chance |A| / n = 0.3: c = (o - 0.3) / 0.7
    r = rows["A", "a0", "B"]  # responders {0, 1, 3}; a0 goes with b0 (3 rows against 1)
    assert (r["target_value"], r["cooccurrence"], r["source_rows"], r["target_ties"]) == ("b0", 3, 4, 1)
    assert r["direction"] == "forward" and r["is_link"] and r["responders"] == 3 and r["assembly_size"] == 3
    assert r["value_overlap"] == pytest.approx(2 / 3) and r["value_overlap_cc"] == pytest.approx(11 / 21)
    assert r["value_overlap_other"] == pytest.approx(1 / 3) and r["value_overlap_cc_other"] == pytest.approx(1 / 21)
    assert [b["value"] for b in r["by_value"]] == ["b0", "b1"]
    assert [b["cooccurrence"] for b in r["by_value"]] == [3, 1]
    assert r["by_value"][1]["value_overlap_cc"] == pytest.approx(1 / 21)
    # the coupling rows showed a0 with b1 (2 rows) more than with b0 (1 row)
    assert (r["coupled_rows"], r["coupled_target_value"], r["coupled_target_ties"]) == (3, "b1", 1)
    assert [b["coupled_cooccurrence"] for b in r["by_value"]] == [1, 2]
    assert r["value_overlap_coupled"] == pytest.approx(1 / 3) and r["value_overlap_cc_coupled"] == pytest.approx(1 / 21)
    r = rows["A", "a1", "B"]  # responders {3, 4, 6}; a1 ties b0 / b1 at 2 rows: b0, the lower index
    assert (r["target_value"], r["cooccurrence"], r["target_ties"]) == ("b0", 2, 2)
    assert r["value_overlap"] == 0.0 and r["value_overlap_cc"] == pytest.approx(-3 / 7)
    assert r["coupled_rows"] == 0 and r["coupled_target_value"] is None and r["value_overlap_cc_coupled"] is None
    assert r["value_overlap_other"] == pytest.approx(2 / 3) and r["value_overlap_cc_other"] == pytest.approx(11 / 21)
    r = rows["B", "b0", "A"]  # responders {6, 7, 8}: no assembly cell
    assert (r["target_value"], r["direction"], r["is_link"]) == ("a0", "reverse", False)
    assert r["value_overlap_cc"] == pytest.approx(-3 / 7) and r["value_overlap_cc_other"] == pytest.approx(-3 / 7)
    assert r["coupled_target_value"] == "a0"  # the coupling counts the pair in both directions
    r = rows["B", "b1", "A"]  # responders {3, 4, 5} = the assembly of a1, b1's value (2 rows against 1)
    assert r["target_value"] == "a1" and r["value_overlap"] == 1.0 and r["value_overlap_cc"] == pytest.approx(1.0)
    assert r["coupled_target_value"] == "a0" and r["value_overlap_cc_coupled"] == pytest.approx(-3 / 7)
    # per pair: unweighted mean over the probed values; per link: forward (A, B), reverse (B, A)
    pairs = {(p["source"], p["target"]): p for p in out["pairs"]}
    fwd, rev = pairs["A", "B"], pairs["B", "A"]
    assert fwd["value_overlap"] == pytest.approx(1 / 3) and fwd["value_overlap_cc"] == pytest.approx(1 / 21)
    assert fwd["value_overlap_cc_other"] == pytest.approx(2 / 7) and fwd["n_values"] == 2 and fwd["target_ties"] == 1
    assert rev["value_overlap_cc"] == pytest.approx(2 / 7) and rev["value_overlap_cc_other"] == pytest.approx(-3 / 7)
    assert fwd["value_overlap_cc_coupled"] == pytest.approx(1 / 21)  # a0 only: a1 was never coupled
    assert rev["value_overlap_cc_coupled"] == pytest.approx(-3 / 7)
    (link,) = out["links"]
    assert link["value_overlap_cc_forward"] == fwd["value_overlap_cc"]
    assert link["value_overlap_cc_reverse"] == rev["value_overlap_cc"]
    s = out["summary"]
    assert s["n_links"] == 1 and s["target_ties"] == 1 and s["undefined"] == 0
    assert s["value_overlap_cc_forward_mean"] == s["value_overlap_cc_forward_min"] == pytest.approx(1 / 21)
    assert s["value_overlap_cc_reverse_max"] == pytest.approx(2 / 7)
    assert s["value_overlap_cc_nonlinked_mean"] is None  # the only pair is linked
    assert s["value_overlap_cc_coupled_forward_mean"] == pytest.approx(1 / 21)


def test_proportional_reference_follows_the_co_occurrence_shares():
    """The reference is c of o = n(x, y*) / n(x): the share of x's rows with y*, in the table and in the
    coupling's rows, whatever the responders."""
    rec = hand_recording()
    out = value_readout.analyse(rec, readout.identify_assemblies(rec), MODEL)
    rows = rows_of(out)
    cc = lambda share: (share - 0.3) / 0.7  # noqa: E731 - |A| / n = 3 / 10
    r = rows["A", "a0", "B"]  # table: b0 in 3 of a0's 4 rows; coupling: b1 in 2 of 3
    assert r["value_overlap_cc_proportional"] == pytest.approx(cc(3 / 4))
    assert r["value_overlap_cc_coupled_proportional"] == pytest.approx(cc(2 / 3))
    r = rows["A", "a1", "B"]  # a tie, 2 of 4; never coupled
    assert r["value_overlap_cc_proportional"] == pytest.approx(cc(2 / 4))
    assert r["value_overlap_cc_coupled_proportional"] is None
    r = rows["B", "b1", "A"]  # a1 in 2 of b1's 3 rows; the coupling showed b1 only with a0 (2 of 2)
    assert r["value_overlap_cc_proportional"] == pytest.approx(cc(2 / 3))
    assert r["value_overlap_cc_coupled_proportional"] == pytest.approx(1.0)
    assert r["value_overlap_cc"] == pytest.approx(1.0)  # responders = a1's assembly: above the reference
    pairs = {(p["source"], p["target"]): p for p in out["pairs"]}
    assert pairs["A", "B"]["value_overlap_cc_proportional"] == pytest.approx((cc(3 / 4) + cc(2 / 4)) / 2)
    assert pairs["A", "B"]["value_overlap_cc_coupled_proportional"] == pytest.approx(cc(2 / 3))
    assert pairs["B", "A"]["value_overlap_cc_proportional"] == pytest.approx((cc(3 / 5) + cc(2 / 3)) / 2)
    (link,) = out["links"]
    assert link["value_overlap_cc_proportional_forward"] == pairs["A", "B"]["value_overlap_cc_proportional"]
    assert link["value_overlap_cc_proportional_reverse"] == pairs["B", "A"]["value_overlap_cc_proportional"]
    s = out["summary"]
    assert s["value_overlap_cc_proportional_forward_mean"] == pytest.approx((cc(3 / 4) + cc(2 / 4)) / 2)
    assert s["value_overlap_cc_coupled_proportional_forward_mean"] == pytest.approx(cc(2 / 3))
    # the chance term is that of y*'s own assembly: b0's assembly of 4 cells
    asm = readout.identify_assemblies(rec)
    asm.members[2] = np.array([0, 1, 2, 7])
    r = rows_of(value_readout.analyse(rec, asm, MODEL))["A", "a0", "B"]
    assert r["value_overlap_cc_proportional"] == pytest.approx((3 / 4 - 0.4) / 0.6)
    assert r["value_overlap_cc_coupled_proportional"] == pytest.approx(cc(2 / 3))  # b1: 3 cells
    # an empty assembly (a silent area) has no overlap and no reference
    # (a0's y* is b0, set 2, in the table and b1, set 3, in the coupling)
    for empty in (2, 3):
        asm = readout.identify_assemblies(rec)
        asm.members[empty] = np.array([], dtype=int)
        out = value_readout.analyse(rec, asm, MODEL)
        r = rows_of(out)["A", "a0", "B"]
        pair = {(p["source"], p["target"]): p for p in out["pairs"]}["A", "B"]
        if empty == 3:
            assert r["value_overlap_cc_coupled"] is None and r["value_overlap_cc_coupled_proportional"] is None
            assert r["value_overlap_cc_proportional"] == pytest.approx(cc(3 / 4))
            assert pair["value_overlap_cc_coupled_proportional"] is None  # a1 was never coupled
        else:
            assert r["value_overlap_cc"] is None and r["value_overlap_cc_proportional"] is None
            assert r["value_overlap_cc_coupled_proportional"] == pytest.approx(cc(2 / 3))
            assert pair["value_overlap_cc_proportional"] is None  # a1's y* is b0 too (a tie, lowest index)
            assert pair["value_overlap_cc_coupled_proportional"] == pytest.approx(cc(2 / 3))
    # a table where x always goes with one value: the reference is 1
    one = np.array([[0, 0]] * 4 + [[1, 1]] * 4)
    out = value_readout.analyse(hand_recording(table=one, couple=(0, 4, 5)), readout.identify_assemblies(rec), MODEL)
    assert out["summary"]["value_overlap_cc_proportional_forward_mean"] == pytest.approx(1.0)
    assert out["summary"]["value_overlap_cc_coupled_proportional_forward_mean"] == pytest.approx(1.0)


def test_coupled_target_is_null_for_pairs_never_coupled():
    rec = hand_recording(couple=())
    out = value_readout.analyse(rec, readout.identify_assemblies(rec), MODEL)
    assert all(r["coupled_rows"] is None and r["value_overlap_cc_coupled"] is None for r in out["rows"])
    assert all(b["coupled_cooccurrence"] is None for r in out["rows"] for b in r["by_value"])
    assert out["summary"]["value_overlap_cc_coupled_forward_mean"] is None
    assert out["summary"]["value_overlap_cc_forward_mean"] == pytest.approx(1 / 21)  # the table's target is kept


def test_responders_are_those_of_the_variable_level_overlap():
    rec = hand_recording()
    asm = readout.identify_assemblies(rec)
    resp = readout.probe_responders(rec)
    assert list(resp[0, 0, 1]) == [0, 1, 3] and list(resp[1, 3, 0]) == [3, 4, 5]
    prop = readout.propagation(rec, asm)
    for u, v in ((0, 1), (1, 0)):
        sets = [s for (a, s, b) in resp if (a, b) == (u, v)]
        mean = np.mean([np.isin(resp[u, s, v], asm.union[v]).sum() / rec.k for s in sets])
        assert mean == prop.overlap[u, v]


def test_value_never_in_table_is_null_with_a_note():
    rec = hand_recording(table=np.array([[0, 0], [0, 1], [0, 0]]), couple=(0, 1))  # a1 never occurs
    out = value_readout.analyse(rec, readout.identify_assemblies(rec), MODEL)
    r = rows_of(out)["A", "a1", "B"]
    assert r["target_value"] is None and r["value_overlap_cc"] is None and r["target_ties"] is None
    assert "never occurs" in r["note"] and r["source_rows"] == 0
    assert [b["value_overlap"] for b in r["by_value"]] == [0.0, pytest.approx(2 / 3)]  # still measured
    pair = {(p["source"], p["target"]): p for p in out["pairs"]}["A", "B"]
    assert pair["n_values"] == 1 and pair["value_overlap_cc"] == pytest.approx(11 / 21)  # a0 only
    assert out["summary"]["undefined"] == 1


def test_not_applicable_without_value_assemblies_or_table():
    rec = hand_recording(n_sets=(1, 1))  # one input set per variable, as the rate encoding has
    out = value_readout.analyse(rec, readout.identify_assemblies(rec), MODEL)
    assert out["applicable"] is False and "no per-value assemblies" in out["reason"]
    assert out["rows"] == out["pairs"] == out["links"] == []
    assert set(out["summary"]) == set(value_readout.SUMMARY_KEYS)
    assert all(v is None for v in out["summary"].values())
    rec = hand_recording(table=None)
    out = value_readout.analyse(rec, readout.identify_assemblies(rec), MODEL)
    assert out["applicable"] is False and "no data table" in out["reason"]


# --------------------------------------------------------------------------
# Alzheimer on the rate engine: the trained network against the no_plasticity control
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rate_runs():
    from spiking_direct import pipeline
    from spiking_direct.config import RunConfig, apply_overrides

    out = {}
    runs = {"trained": [], "no_plasticity": ["control=no_plasticity"], "rate_code": ["encoding=rate"]}
    for name, overrides in runs.items():
        cfg = replace(apply_overrides(RunConfig(model="alzheimer", engine="rate"), overrides), seed=1)
        model, rec = pipeline.simulate(cfg)
        out[name] = (rec, pipeline.analyse(rec, model))
    return out


def test_no_plasticity_control_sits_at_chance(rate_runs):
    trained = rate_runs["trained"][1]["value_readout"]["summary"]
    control = rate_runs["no_plasticity"][1]["value_readout"]
    s = control["summary"]
    assert control["applicable"] and s["n_links"] == 10
    fwd = [lk["value_overlap_cc_forward"] for lk in control["links"]]
    assert abs(s["value_overlap_cc_forward_mean"]) < 0.03
    assert max(abs(c) for c in fwd) < 0.15
    # the trained network maps forward values far above chance, and above its reverse
    assert trained["value_overlap_cc_forward_mean"] > 0.2
    assert trained["value_overlap_cc_forward_mean"] > trained["value_overlap_cc_reverse_mean"] + 0.2
    assert trained["value_overlap_cc_forward_mean"] > s["value_overlap_cc_forward_mean"] + 0.2
    # the same with the target value the coupling rows showed
    assert abs(s["value_overlap_cc_coupled_forward_mean"]) < 0.03
    assert trained["value_overlap_cc_coupled_forward_mean"] > s["value_overlap_cc_coupled_forward_mean"] + 0.2


def test_rate_run_value_readout_matches_the_variable_level_responders(rate_runs):
    rec, res = rate_runs["trained"]
    names = [p["source"] for p in res["pairs"][:: rec.n_areas - 1]]
    asm = readout.identify_assemblies(rec)
    resp = readout.probe_responders(rec)
    overlap = np.asarray(res["matrices"]["overlap"])
    for u in range(rec.n_areas):
        for v in range(rec.n_areas):
            if u != v:
                sets = [s for (a, s, b) in resp if (a, b) == (u, v)]
                got = np.mean([np.isin(resp[u, s, v], asm.union[v]).sum() / rec.k for s in sets])
                assert got == overlap[u, v]
    vr = res["value_readout"]
    assert len(vr["rows"]) == 90 * 2 and vr["summary"]["undefined"] == 0
    # every row's target value is the most frequent partner in the run's table
    table = rec.protocol.table
    assert len({p["source"] for p in vr["pairs"]}) == 10
    for r in vr["rows"]:
        counts = [b["cooccurrence"] for b in r["by_value"]]
        assert r["cooccurrence"] == max(counts) and sum(counts) == r["source_rows"] <= table.shape[0]
    # the coupled rows: couple_steps rows per trained link, counted for both directions of it
    steps = rec.protocol.params.couple_steps
    for u, v in rec.protocol.coupled_links:
        for a, b in ((u, v), (v, u)):
            rows = [r for r in vr["rows"] if (r["source"], r["target"]) == (names[a], names[b])]
            assert sum(r["coupled_rows"] for r in rows) == steps
    assert all(r["coupled_rows"] is None for r in vr["rows"] if r["direction"] == "none")


def test_result_tables_carry_the_value_readout(rate_runs):
    res = Result(rate_runs["trained"][1])
    pairs, links, values = res.pairs, res.links, res.value_overlaps
    assert "value_overlap_cc (chance-corrected, 0 = chance)" in pairs.columns and len(pairs) == 90
    assert "value_overlap_cc_forward (chance-corrected, 0 = chance)" in links.columns and len(links) == 10
    assert len(values) == 90 * 2 * 2  # every (source, probed value, target, target value)
    assert values.groupby(["source", "source_value", "target"])["is_target_value"].sum().eq(1).all()
    lk = res["value_readout"]["links"][0]
    assert links["value_overlap_cc_reverse (chance-corrected, 0 = chance)"].iloc[0] == lk["value_overlap_cc_reverse"]
    cc = "(chance-corrected, 0 = chance)"
    assert links[f"value_overlap_cc_proportional_forward {cc}"].iloc[0] == lk["value_overlap_cc_proportional_forward"]
    assert pairs[f"value_overlap_cc_coupled_proportional {cc}"].notna().sum() == 20  # the linked pairs, both ways
    assert "value overlap" in repr(res) and "co-occurrence reference" in repr(res)
    rate_code = Result(rate_runs["rate_code"][1])
    assert rate_code["value_readout"]["applicable"] is False
    assert rate_code.value_overlaps.empty and len(rate_code.value_overlaps.columns) == len(VALUES_COLUMNS)
    assert rate_code.pairs["value_overlap_cc (chance-corrected, 0 = chance)"].isna().all()
    assert "n/a: no per-value assemblies" in repr(rate_code)

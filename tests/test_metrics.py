"""Tests of spiking_direct.metrics on hand-checkable examples."""

import itertools
import json

import numpy as np
import pytest

from spiking_direct.metrics import (
    expected_random_shd,
    ordered_pairs,
    precision_recall_at_k,
    rank_pairs,
    shd,
    spearman,
    structure_metrics,
)

# chain 0 -> 1 -> 2 plus a fork 0 -> 3
TRUTH = np.zeros((4, 4), dtype=bool)
TRUTH[0, 1] = TRUTH[1, 2] = TRUTH[0, 3] = True


def test_ordered_pairs():
    rows, cols = ordered_pairs(3)
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    with pytest.raises(ValueError):
        ordered_pairs(1)


def test_perfect_scores():
    scores = TRUTH.astype(float) + np.eye(4) * 99  # diagonal ignored
    m = structure_metrics(scores, TRUTH)
    assert m["precision_at_k"] == m["recall_at_k"] == 1.0
    assert m["auroc"] == m["average_precision"] == 1.0
    assert m["shd"] == 0.0
    assert m["k"] == 3 and m["n_pairs"] == 12
    json.dumps(m)  # plain Python numbers only
    assert all(type(m[key]) is float for key in ("precision_at_k", "recall_at_k", "auroc", "average_precision", "shd"))


def test_reversed_scores():
    # reversed true links highest, other non-links middle, true links lowest
    scores = 2.0 * TRUTH.T + 1.0 * ~(TRUTH | TRUTH.T)
    m = structure_metrics(scores, TRUTH)
    assert m["auroc"] == 0.0
    assert m["precision_at_k"] == m["recall_at_k"] == 0.0
    assert m["shd"] == 3.0  # every edge reversed: 1 each
    assert m["average_precision"] == pytest.approx(3 / 12)  # tied at the bottom: one threshold


def test_lowest_ranked_nonlinks_give_missing_plus_extra():
    # top-3 picks three unrelated pairs: 3 missing + 3 extra
    scores = np.zeros((4, 4))
    scores[2, 3] = scores[3, 2] = scores[3, 1] = 1.0
    assert structure_metrics(scores, TRUTH)["shd"] == 6.0


def test_shd_rules():
    t = np.zeros((3, 3), bool)
    t[0, 1] = True
    p = np.zeros((3, 3), bool)
    assert shd(p, t) == 1  # missing
    p[1, 0] = True
    assert shd(p, t) == 1  # reversed
    p[0, 1] = True
    assert shd(p, t) == 1  # true edge plus an extra reverse edge
    p[:] = False
    p[0, 1] = p[1, 2] = p[2, 1] = True
    assert shd(p, t) == 2  # two extra edges


def test_tie_break_rule():
    assert rank_pairs(np.zeros((3, 3))) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    scores = np.zeros((3, 3))
    scores[2, 0] = scores[1, 0] = scores[0, 2] = 5.0
    scores[2, 1] = 7.0
    assert rank_pairs(scores)[:4] == [(2, 1), (0, 2), (1, 0), (2, 0)]
    # a tie across the K boundary is decided by (i, j) ascending
    flat = np.ones((3, 3))
    t = np.zeros((3, 3), bool)
    t[2, 0] = True
    assert precision_recall_at_k(flat, t) == (0.0, 0.0)
    t[:] = False
    t[0, 1] = True
    assert precision_recall_at_k(flat, t) == (1.0, 1.0)
    # ties stay ties in AUROC
    assert structure_metrics(flat, t)["auroc"] == 0.5


def test_precision_recall_with_k():
    scores = TRUTH.astype(float)
    assert precision_recall_at_k(scores, TRUTH, k=6) == (0.5, 1.0)
    assert precision_recall_at_k(scores, TRUTH, k=1) == (1.0, 1 / 3)
    with pytest.raises(ValueError, match="k must be"):
        precision_recall_at_k(scores, TRUTH, k=0)


def test_chance_levels_hand_example():
    # 3 variables, chain 0 -> 1 -> 2: K = 2 of 6 ordered pairs
    t = np.zeros((3, 3), bool)
    t[0, 1] = t[1, 2] = True
    chance = structure_metrics(np.arange(9.0).reshape(3, 3), t)["chance"]
    assert chance["precision_at_k"] == chance["recall_at_k"] == pytest.approx(1 / 3)
    assert chance["average_precision"] == pytest.approx(1 / 3)
    assert chance["auroc"] == 0.5
    # knowing the skeleton {0-1, 1-2} but not the direction: 2 true of 4 ordered skeleton pairs
    assert chance["precision_at_k_given_skeleton"] == pytest.approx(0.5)
    # expected SHD over all 15 equally likely 2-edge graphs, enumerated
    rows, cols = ordered_pairs(3)
    values = []
    for chosen in itertools.combinations(range(6), 2):
        p = np.zeros((3, 3), bool)
        p[rows[list(chosen)], cols[list(chosen)]] = True
        values.append(shd(p, t))
    assert len(values) == 15
    assert chance["shd"] == pytest.approx(np.mean(values))
    assert chance["shd"] == pytest.approx(32 / 15)


def test_expected_shd_other_k_by_enumeration():
    rows, cols = ordered_pairs(4)
    for k in (1, 4, 7):
        values = []
        for chosen in itertools.combinations(range(12), k):
            p = np.zeros((4, 4), bool)
            p[rows[list(chosen)], cols[list(chosen)]] = True
            values.append(shd(p, TRUTH))
        assert expected_random_shd(TRUTH, k) == pytest.approx(np.mean(values))


def test_nan_raises_naming_pair():
    scores = TRUTH.astype(float)
    scores[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"\(1, 2\) is NaN"):
        structure_metrics(scores, TRUTH)
    with pytest.raises(ValueError, match=r"\(1, 2\)"):
        rank_pairs(scores)
    diag_nan = TRUTH.astype(float)
    diag_nan[2, 2] = np.nan
    assert structure_metrics(diag_nan, TRUTH)["auroc"] == 1.0


def test_infinite_scores_are_ranked():
    scores = TRUTH.astype(float)
    scores[TRUTH] = np.inf
    scores[3, 0] = -np.inf
    assert structure_metrics(scores, TRUTH)["auroc"] == 1.0


def test_bad_truth():
    with pytest.raises(ValueError, match="no links|between 1"):
        structure_metrics(np.zeros((3, 3)), np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="shape"):
        structure_metrics(np.zeros((3, 3)), np.zeros((4, 4), bool))


def test_spearman():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 5))
    b = 3 * a + 1
    b[np.diag_indices(5)] = -100  # diagonal ignored
    assert spearman(a, b) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert type(spearman(a, b)) is float


def test_rank_correlation_is_bounded_by_ties_in_unlinked_pairs():
    """The comparison's diagnostics: when one engine ties every unlinked pair at 0 and the
    other gives them chance noise, the all-pairs Spearman correlation stays near 0.73 even
    with the links and reverses in exactly the same order (10 links in a 10-variable model);
    over the links and reverses, or with the unlinked pairs zeroed, it is 1."""
    from spiking_direct.comparison import _unlinked_diagnostics

    rng = np.random.default_rng(0)
    A = 10
    truth = np.zeros((A, A), dtype=bool)
    for i in range(A):
        truth[i, (i + 1) % A] = True
    strength = rng.uniform(0.5, 1.0, (A, A))
    spiking = np.where(truth, strength, 0.0) - np.where(truth.T, strength.T, 0.0)
    rate = spiking.copy()
    unlinked = ~np.eye(A, dtype=bool) & ~truth & ~truth.T
    noise = rng.normal(0.0, 0.05, (A, A))
    rate[unlinked] = (noise - noise.T)[unlinked]
    d = _unlinked_diagnostics(rate, spiking, truth)
    assert d["unlinked_pairs"] == 70 and d["unlinked_exact_zero"] == [0, 70]
    assert d["spearman_delta_prop_link_pairs"] == pytest.approx(1.0)
    assert d["spearman_delta_prop_unlinked_zeroed"] == pytest.approx(1.0)
    assert 0.70 < spearman(rate, spiking) < 0.76

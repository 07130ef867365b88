"""Structure-recovery metrics, independent of the engine that produced the scores.

Inputs throughout: ``scores``, an ``(n, n)`` float array whose entry ``[i, j]``
scores the ordered pair ``i -> j`` (higher means "more likely a link"; the
diagonal is ignored), and ``truth``, an ``(n, n)`` boolean adjacency matrix
(``truth[i, j]`` True iff ``i -> j`` is a true link). Every returned number is
a plain Python ``float`` or ``int``, so results serialise to JSON as they are.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata, spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = [
    "ordered_pairs",
    "rank_pairs",
    "precision_recall_at_k",
    "shd",
    "expected_random_shd",
    "structure_metrics",
    "spearman",
]


def ordered_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(rows, cols)`` of the ``n * (n - 1)`` off-diagonal ordered pairs.

    Row-major order: ``(0, 1), (0, 2), ..., (1, 0), (1, 2), ...``. Usable
    directly as an index, e.g. ``scores[ordered_pairs(n)]``.
    """
    if n < 2:
        raise ValueError(f"need at least 2 variables for ordered pairs, got n={n}")
    rows, cols = np.nonzero(~np.eye(n, dtype=bool))
    return rows, cols


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores must be a square (n, n) array, got shape {scores.shape}")
    rows, cols = ordered_pairs(scores.shape[0])
    bad = np.isnan(scores[rows, cols])
    if bad.any():
        i, j = int(rows[bad][0]), int(cols[bad][0])
        raise ValueError(f"score of pair ({i}, {j}) is NaN ({int(bad.sum())} NaN pair(s) in all)")
    return scores


def _check_truth(truth: np.ndarray, n: int) -> np.ndarray:
    truth = np.asarray(truth)
    if truth.shape != (n, n):
        raise ValueError(f"truth must have shape {(n, n)}, got {truth.shape}")
    if truth.dtype != bool:
        if not np.isin(truth, (0, 1)).all():
            raise ValueError("truth must be a boolean adjacency matrix")
        truth = truth.astype(bool)
    if np.diagonal(truth).any():
        raise ValueError("truth has a self-link on its diagonal")
    return truth


def rank_pairs(scores: np.ndarray) -> list[tuple[int, int]]:
    """Off-diagonal ordered pairs sorted by score, highest first.

    Ties are broken deterministically by ``(i, j)`` ascending (lexicographic:
    smaller source index first, then smaller target index).
    """
    scores = _check_scores(scores)
    rows, cols = ordered_pairs(scores.shape[0])
    order = np.lexsort((cols, rows, -scores[rows, cols]))  # last key is primary
    return [(int(rows[o]), int(cols[o])) for o in order]


def _top_k_graph(scores: np.ndarray, k: int) -> np.ndarray:
    pred = np.zeros(scores.shape, dtype=bool)
    for i, j in rank_pairs(scores)[:k]:
        pred[i, j] = True
    return pred


def precision_recall_at_k(scores: np.ndarray, truth: np.ndarray, k: int | None = None) -> tuple[float, float]:
    """Precision and recall of the top ``k`` pairs of :func:`rank_pairs`.

    Parameters
    ----------
    k : int, optional
        Number of pairs predicted; defaults to the number of true links.

    Returns
    -------
    (float, float)
        ``(precision@k, recall@k)``.
    """
    scores = _check_scores(scores)
    n = scores.shape[0]
    truth = _check_truth(truth, n)
    n_true = int(truth.sum())
    if n_true == 0:
        raise ValueError("truth has no links")
    k = n_true if k is None else int(k)
    if not 1 <= k <= n * (n - 1):
        raise ValueError(f"k must be in 1..{n * (n - 1)}, got {k}")
    hits = int((_top_k_graph(scores, k) & truth).sum())
    return hits / k, hits / n_true


def shd(pred: np.ndarray, truth: np.ndarray) -> int:
    """Structural Hamming distance between two directed graphs.

    Counts 1 for every missing edge and 1 for every extra edge, except that a
    reversed edge (truth has exactly ``i -> j``, ``pred`` exactly ``j -> i``)
    counts 1, not 2. A predicted pair ``i <-> j`` where truth has ``i -> j``
    counts 1 (one extra edge); where truth has no edge, 2.
    """
    pred = np.asarray(pred, dtype=bool)
    truth = np.asarray(truth, dtype=bool)
    if pred.shape != truth.shape:
        raise ValueError(f"shape mismatch: pred {pred.shape}, truth {truth.shape}")
    mismatches = int((pred != truth).sum())
    reversals = int((truth & ~truth.T & pred.T & ~pred).sum())
    return mismatches - reversals


def expected_random_shd(truth: np.ndarray, k: int | None = None) -> float:
    """Expected :func:`shd` of ``k`` ordered pairs drawn uniformly without replacement.

    Computed exactly: with ``N`` off-diagonal pairs, ``T`` true links and ``L``
    of them one-way (no reverse true link), the expected number of mismatched
    pairs is ``T (1 - k/N) + (N - T) k / N`` and each one-way link is a pure
    reversal with probability ``k (N - k) / (N (N - 1))``.
    """
    truth = _check_truth(truth, np.asarray(truth).shape[0])
    n = truth.shape[0]
    n_pairs = n * (n - 1)
    n_true = int(truth.sum())
    k = n_true if k is None else int(k)
    one_way = int((truth & ~truth.T).sum())
    mismatches = n_true * (1 - k / n_pairs) + (n_pairs - n_true) * k / n_pairs
    p_reversal = k * (n_pairs - k) / (n_pairs * (n_pairs - 1)) if n_pairs > 1 else 0.0
    return float(mismatches - one_way * p_reversal)


def structure_metrics(scores: np.ndarray, truth: np.ndarray) -> dict:
    """All structure-recovery metrics of one score matrix against the truth.

    ``K`` is the number of true links; the predicted graph is the top ``K``
    pairs of :func:`rank_pairs`.

    Returns
    -------
    dict
        ``precision_at_k``, ``recall_at_k``, ``auroc``, ``average_precision``
        (scikit-learn; ties in score are kept as ties), ``shd`` (see
        :func:`shd`), ``k``, ``n_pairs`` and ``chance``: the values a random
        ranking gives, ``precision_at_k = recall_at_k = K / n_pairs``,
        ``auroc = 0.5``, ``average_precision = K / n_pairs`` (the usual
        prevalence baseline) and ``shd`` = the exact expected SHD of ``K``
        pairs drawn uniformly (:func:`expected_random_shd`, no Monte Carlo).

    Raises
    ------
    ValueError
        For a NaN score (naming the pair), or a truth with no link or with every
        pair a link.
    """
    scores = _check_scores(scores)
    n = scores.shape[0]
    truth = _check_truth(truth, n)
    rows, cols = ordered_pairs(n)
    y = truth[rows, cols]
    k = int(y.sum())
    n_pairs = int(y.size)
    if k == 0 or k == n_pairs:
        raise ValueError(f"truth must have between 1 and {n_pairs - 1} links, has {k}")
    # ranks keep ties as ties and make infinite scores usable by scikit-learn
    ranked = rankdata(scores[rows, cols], method="min")
    precision, recall = precision_recall_at_k(scores, truth, k)
    return {
        "precision_at_k": float(precision),
        "recall_at_k": float(recall),
        "auroc": float(roc_auc_score(y, ranked)),
        "average_precision": float(average_precision_score(y, ranked)),
        "shd": float(shd(_top_k_graph(scores, k), truth)),
        "k": k,
        "n_pairs": n_pairs,
        "chance": {
            "precision_at_k": k / n_pairs,
            "recall_at_k": k / n_pairs,
            "auroc": 0.5,
            "average_precision": k / n_pairs,
            "shd": expected_random_shd(truth, k),
            # a ranking that knows which pairs are linked but not the direction (e.g. a network
            # coupled on the skeleton without a lead): P@K = true ordered pairs / skeleton ordered pairs
            "precision_at_k_given_skeleton": k / int((truth | truth.T)[rows, cols].sum()),
        },
    }


def spearman(a: np.ndarray, b: np.ndarray, pairs: np.ndarray | None = None) -> float:
    """Spearman rank correlation of two score matrices over off-diagonal pairs
    (or over the pairs where the boolean matrix ``pairs`` is true).

    Returns NaN (a float) when either input is constant over those pairs.
    """
    a = _check_scores(a)
    b = _check_scores(b)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    idx = ordered_pairs(a.shape[0]) if pairs is None else np.nonzero(np.asarray(pairs, dtype=bool))
    x, y = a[idx], b[idx]
    if x.size < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(spearmanr(x, y).statistic)

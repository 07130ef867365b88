"""Assemblies that learn who precedes whom: every ordered pair of areas plastic alike, the timing from the data.

Nothing here knows the truth: there is no specification of links, no protocol that sets which
area leads and no per-pair gain. Every variable of a series gets an area and every value of it an
assembly of ``k`` cells (:class:`DiscoveryParams`). Time step ``t`` of the data is presented as
the activity of the assemblies of the values at ``t``: a cell of a presented assembly fires in
the step with probability ``p_fire``, every other cell with probability ``p_background``
(:func:`cell_activity`). Every cell projects to every cell of every area, its own included,
through a synapse with the same plasticity and the same gain. A synapse sees its presynaptic
cell's activity one step back (an eligibility trace of the previous step) and its postsynaptic
cell's activity now, so plasticity can only learn how the past predicts the present.

Two local rules (:data:`RULES`); ``x`` is the presynaptic cell's activity at ``t - 1``, ``s`` the
postsynaptic cell's at ``t``, ``x̄`` a running mean of ``x`` (time constant ``tau_mean`` steps):

``hebbian``
    a causal-window covariance rule, ``Δw = eta * (x - x̄) * s``: pre-before-post potentiates
    above the presynaptic cell's mean activity, below it depresses (Sejnowski 1977; the
    homeostatic centring of BCM-type rules). Fixed point (summed over the series): the lagged
    covariance ``Cov(x_p[t - 1], s_q[t])``. It does not condition: in a chain A -> B -> C the
    pair A -> C inherits the two links' covariance, like lagged correlation does.
``predictive``
    an error-driven (delta, LMS) rule: the postsynaptic cell predicts its own activity from the
    previous step, ``u = sum_p w_pq x_p`` (a dendritic prediction, Urbanczik & Senn 2014), and
    ``Δw = eta_t / |x|² * x * (s - u) - eta_t * decay * w`` (normalised LMS, Widrow & Hoff 1960;
    stable for ``0 < eta < 2``) with a plasticity gain that falls as the series goes on,
    ``eta_t = eta * t_half / (t_half + t)`` (the Robbins-Monro schedule, under which the online
    rule converges to its fixed point instead of tracking the last ``1 / eta`` steps; the
    adaptive gain of DIRECT plays the same part). Fixed point: the ridge regression of
    every cell's activity now on every cell's activity one step back, its own area's included,
    which conditions on the other candidate causes and on the area's own past, like conditional
    Granger causality on the values' indicators.

Readout (:func:`score_blocks`): the weights averaged over the cells of each pair of assemblies
give a value-level matrix ``W[p, q]``; the block of variable ``i``'s assemblies onto variable
``j``'s is double-centred (value-level means removed, which makes it independent of the one-hot
code's redundancy), standardised by the assemblies' firing rates (``hebbian``: like a
correlation, ``sqrt(r_p (1 - r_p) r_q (1 - r_q))``; ``predictive``: like a standardised
regression coefficient, ``sqrt(r_p (1 - r_p) / (r_q (1 - r_q)))``) and the sum of its squares
(the squared Frobenius norm: the variance of ``j``'s activity that ``i``'s past accounts for, the
scale of an F statistic or a squared correlation) is the score of ``i -> j``. The diagonal (a
variable onto itself: its autocorrelation) is 0.

Calibration (:func:`calibrate`): a raw score has a scale of its own even in a series with no
order in time (set by the two variables' value frequencies and by how well the other variables
predict theirs within a step), so raw scores also rank by the variables' marginal statistics.
Each pair's score is divided by its mean over runs on time-shuffled copies of the same series
(:func:`null_scores`); a calibrated score is 1 in expectation when the series has no order.

:func:`learn_rate` is the rate engine (binary cells in discrete steps, NumPy);
:mod:`.assemblies_spiking` runs the same protocol with spiking cells on Brian2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from ..errors import ConfigError, DataError

__all__ = [
    "RULES",
    "DiscoveryParams",
    "Encoding",
    "encode",
    "cell_activity",
    "learn_rate",
    "score_blocks",
    "learn_scores",
    "null_scores",
    "calibrate",
    "calibrated_null",
    "assembly_scores",
]

#: The plasticity rules of the discovery protocol.
RULES = ("hebbian", "predictive")


@dataclass(frozen=True)
class DiscoveryParams:
    """Parameters of the discovery protocol (both engines).

    ``k`` cells per value assembly; ``p_fire`` and ``p_background``: the probability that a cell
    fires in a step when its value is presented / is not; ``eta``: learning rate (``predictive``:
    normalised, ``0 < eta < 2``; ``hebbian``: the weight per covariance unit and step);
    ``decay``: the ``predictive`` rule's weight decay (ridge term, per unit of ``eta``);
    ``tau_mean``: the time constant (steps) of the ``hebbian`` rule's running mean;
    ``t_half``: the step at which the ``predictive`` rule's gain has halved (None: constant);
    ``plastic``: False freezes every synapse (the negative control)."""

    k: int = 10
    p_fire: float = 0.9
    p_background: float = 0.02
    eta: float = 0.05
    decay: float = 1e-3
    tau_mean: float = 50.0
    t_half: float | None = 300.0
    plastic: bool = True
    w0_sd: float = 1e-3

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise ConfigError(f"k (cells per value assembly) must be an int >= 1, got {self.k!r}")
        for name in ("p_fire", "p_background"):
            v = getattr(self, name)
            if not 0.0 <= float(v) <= 1.0:
                raise ConfigError(f"{name} must be a probability in [0, 1], got {v!r}")
        if not self.p_fire > self.p_background:
            raise ConfigError(f"p_fire ({self.p_fire}) must exceed p_background ({self.p_background})")
        if not 0.0 < float(self.eta) < 2.0:
            raise ConfigError(f"eta must be in (0, 2), got {self.eta!r}")
        if float(self.decay) < 0 or float(self.w0_sd) < 0:
            raise ConfigError("decay and w0_sd must be >= 0")
        if self.t_half is not None and not float(self.t_half) > 0:
            raise ConfigError(f"t_half must be > 0 steps or None, got {self.t_half!r}")
        if float(self.tau_mean) < 1:
            raise ConfigError(f"tau_mean must be >= 1 step, got {self.tau_mean!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Encoding:
    """A series as assemblies: ``variables``, their numbers of values ``cards``, the value
    indices ``codes`` ``(T, n)`` and ``offsets``: variable ``i``'s values are value-assemblies
    ``offsets[i] .. offsets[i + 1] - 1``."""

    variables: tuple[str, ...]
    cards: tuple[int, ...]
    codes: np.ndarray
    offsets: np.ndarray

    @property
    def n_values(self) -> int:
        return int(self.offsets[-1])

    def onehot(self) -> np.ndarray:
        """``(T, V)`` bool: which value assemblies are presented at each step."""
        T = self.codes.shape[0]
        out = np.zeros((T, self.n_values), dtype=bool)
        rows = np.arange(T)
        for i in range(len(self.variables)):
            out[rows, self.offsets[i] + self.codes[:, i]] = True
        return out


def encode(series, time: str = "time", cards=None) -> Encoding:
    """The :class:`Encoding` of a series (a DataFrame of categorical/integer columns with a
    ``time`` column, see :func:`spiking_direct.causal.codes`, or an int array ``(T, n)``).
    ``cards``: the number of values of each variable (default: a categorical column's categories,
    else the largest code + 1)."""
    if isinstance(series, pd.DataFrame):
        from ..causal.timeseries import codes as _codes

        names, x = _codes(series, time=time)
        if cards is None:
            cards = []
            for c, col in enumerate(series[[c for c in series.columns if str(c) != time]].columns):
                s = series[col]
                n_cat = len(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else int(x[:, c].max()) + 1
                cards.append(max(n_cat, 1))
    else:
        x = np.asarray(series)
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
            raise DataError(f"a series must be a DataFrame or an int (T, n) array, got shape {x.shape} {x.dtype}")
        names = [f"x{i}" for i in range(x.shape[1])]
        if cards is None:
            cards = [int(c) + 1 for c in x.max(axis=0)]
    x = np.asarray(x, dtype=np.int64)
    cards = tuple(int(c) for c in cards)
    if len(cards) != x.shape[1]:
        raise DataError(f"cards has {len(cards)} entries for {x.shape[1]} variables")
    if x.shape[0] < 3:
        raise DataError(f"the series has {x.shape[0]} steps; discovery needs at least 3")
    if (x < 0).any() or (x >= np.asarray(cards)).any():
        bad = int(np.flatnonzero(((x < 0) | (x >= np.asarray(cards))).any(axis=0))[0])
        raise DataError(f"variable {names[bad]!r} has a value index outside 0..{cards[bad] - 1}")
    offsets = np.concatenate([[0], np.cumsum(cards)]).astype(np.int64)
    return Encoding(tuple(names), cards, x, offsets)


def cell_activity(onehot: np.ndarray, params: DiscoveryParams, rng: np.random.Generator) -> np.ndarray:
    """``(T, V * k)`` float32 0/1: the cells of value assembly ``p`` are ``p * k .. p * k + k - 1``;
    a cell fires with ``p_fire`` in the steps its assembly is presented, with ``p_background``
    in the others (one uniform draw per cell and step, in step order)."""
    T, V = onehot.shape
    p = np.where(np.repeat(onehot, params.k, axis=1), params.p_fire, params.p_background)
    return (rng.random((T, V * params.k)) < p).astype(np.float32)


def _check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ConfigError(f"unknown plasticity rule {rule!r}; choose one of: {', '.join(RULES)}")
    return rule


def _to_values(Wc: np.ndarray, V: int, k: int) -> np.ndarray:
    """Cell-level ``(V k, V k)`` weights averaged over the cells of each pair of assemblies."""
    return Wc.reshape(V, k, V, k).mean(axis=(1, 3))


def learn_rate(
    enc: Encoding, rule: str = "predictive", params: DiscoveryParams | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Run the protocol on the rate engine: ``(W, rates)``, the value-level learned weights
    ``(V, V)`` (``W[p, q]``: assembly ``p`` at ``t - 1`` onto assembly ``q`` at ``t``) and the
    assemblies' firing rates ``(V,)`` (fraction of steps, averaged over their cells).
    All randomness from ``numpy.random.default_rng(seed)``: the initial weights, then the cells'
    activity."""
    _check_rule(rule)
    params = params or DiscoveryParams()
    rng = np.random.default_rng(seed)
    V, k = enc.n_values, params.k
    N = V * k
    W = rng.normal(0.0, params.w0_sd, size=(N, N)).astype(np.float64)
    S = cell_activity(enc.onehot(), params, rng)
    rates = S.reshape(S.shape[0], V, k).mean(axis=(0, 2))
    if params.plastic:
        X, Y = S[:-1].astype(np.float64), S[1:].astype(np.float64)
        if rule == "hebbian":
            a = 1.0 / params.tau_mean
            # the running mean of each cell's activity before the step (causal, started at p_background)
            xbar = lfilter([a], [1.0, a - 1.0], X, axis=0, zi=np.full((1, N), (1 - a) * params.p_background))[0]
            xbar = np.vstack([np.full((1, N), params.p_background), xbar[:-1]])
            W += params.eta * (X - xbar).T @ Y  # the online sum: no update depends on w
        else:
            for t, (x, s) in enumerate(zip(X, Y, strict=True)):
                eta = params.eta if params.t_half is None else params.eta * params.t_half / (params.t_half + t)
                W *= 1.0 - eta * params.decay
                nx = float(x @ x)
                if nx == 0.0:
                    continue
                act = np.flatnonzero(x)
                err = s - x[act] @ W[act]  # the postsynaptic cells' prediction errors
                W[act] += (eta / nx) * np.outer(x[act], err)
    return _to_values(W, V, k), rates


def score_blocks(W: np.ndarray, enc: Encoding, rates: np.ndarray, rule: str) -> np.ndarray:
    """Scores ``(n, n)`` from value-level weights (see the module doc): per ordered pair of
    variables the Frobenius norm of the double-centred, rate-standardised block."""
    _check_rule(rule)
    n = len(enc.variables)
    r = np.clip(np.asarray(rates, dtype=float), 1e-6, 1 - 1e-6)
    sd = np.sqrt(r * (1 - r))
    if rule == "hebbian":
        Z = W / np.outer(sd, sd)
    else:
        Z = W * np.outer(sd, 1.0 / sd)
    out = np.zeros((n, n))
    o = enc.offsets
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            B = Z[o[i] : o[i + 1], o[j] : o[j + 1]]
            B = B - B.mean(axis=0, keepdims=True) - B.mean(axis=1, keepdims=True) + B.mean()
            out[i, j] = float((B**2).sum())
    return out


def learn_scores(
    enc: Encoding, rule: str, engine: str, params: DiscoveryParams, seed: int, **engine_kwargs
) -> np.ndarray:
    """The raw scores ``(n, n)`` of one run of the protocol on an :class:`Encoding`
    (:func:`learn_rate` or :func:`.assemblies_spiking.learn_spiking`, then :func:`score_blocks`)."""
    if engine == "rate":
        W, rates = learn_rate(enc, rule, params, seed)
    elif engine == "spiking":
        from .assemblies_spiking import learn_spiking

        W, rates = learn_spiking(enc, rule, params, seed, **engine_kwargs)
    else:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: rate, spiking")
    return score_blocks(W, enc, rates, rule)


def null_scores(
    enc: Encoding,
    runs: int,
    rule: str,
    engine: str,
    params: DiscoveryParams,
    seed: int,
    progress=None,
    **engine_kwargs,
) -> np.ndarray:
    """Raw scores ``(runs, n, n)`` of the protocol on ``runs`` copies of the series with its time
    order permuted (the permutation null: who precedes whom destroyed; every step's values, and so
    each variable's value frequencies and their co-occurrence within a step, kept). The
    permutations come from ``numpy.random.default_rng([seed, 1])``, one after another; every run
    uses the learning seed ``seed``. ``progress``: called with one line per run."""
    rng = np.random.default_rng([seed, 1])
    out = []
    for r in range(runs):
        perm = enc.codes[rng.permutation(enc.codes.shape[0])]
        out.append(
            learn_scores(
                Encoding(enc.variables, enc.cards, perm, enc.offsets), rule, engine, params, seed, **engine_kwargs
            )
        )
        if progress is not None:
            progress(f"null run {r + 1}/{runs} (time order shuffled)")
    n = len(enc.variables)
    return np.asarray(out, dtype=float).reshape(runs, n, n)


def _ratio(scores: np.ndarray, scale: np.ndarray) -> np.ndarray:
    off = ~np.eye(scores.shape[-1], dtype=bool)
    ok = off & (scale > 0)
    return np.where(ok, scores / np.where(ok, scale, 1.0), 0.0)


def calibrate(scores: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Each pair's score over its mean in the permutation null (:func:`null_scores`): the
    calibrated score of ``i -> j`` is ``scores[i, j] / mean_r null[r, i, j]``.

    Why: the raw score of a pair has a scale of its own even with no order in time, set by the
    two variables' value frequencies and by how much the other variables' values predict theirs
    within a step (a rare value is learned from few steps; a weight onto a rare value is
    standardised by a small rate), and that scale does not factor into a part per cause and a
    part per effect. A ranking of raw scores therefore carries the variables' marginal statistics
    along with their order in time, and with the steps shuffled it still ranks some links first.
    Divided by its own null mean, a pair scores 1 in expectation when the series has no order.
    Pairs whose null mean is 0 score 0; the diagonal is 0."""
    null = np.asarray(null, dtype=float)
    if null.ndim != 3 or null.shape[0] < 1:
        raise ConfigError("calibrate needs at least one null run, shape (runs, n, n)")
    return _ratio(np.asarray(scores, dtype=float), null.mean(axis=0))


def calibrated_null(null: np.ndarray) -> np.ndarray:
    """The null runs calibrated like the data, each by the mean of the others (leave one out, so
    a run is never divided by itself): ``(runs, n, n)``, for a permutation threshold on
    :func:`calibrate`'s scores. Needs at least two runs."""
    null = np.asarray(null, dtype=float)
    R = null.shape[0]
    if R < 2:
        raise ConfigError(f"a calibrated null needs at least 2 null runs, got {R}")
    rest = (null.sum(axis=0, keepdims=True) - null) / (R - 1)
    return np.stack([_ratio(null[r], rest[r]) for r in range(R)])


def assembly_scores(
    series,
    max_lag: int = 1,
    *,
    rule: str = "predictive",
    engine: str = "rate",
    params: DiscoveryParams | None = None,
    seed: int = 0,
    null_runs: int = 0,
    **engine_kwargs,
) -> np.ndarray:
    """Scores ``(n, n)`` of every ordered pair from a series by the assembly protocol, in the form
    of the baselines (:data:`spiking_direct.discovery.METHODS`). ``engine``: ``rate`` or
    ``spiking``; ``max_lag``: only 1 (the eligibility trace spans one step); ``null_runs``: 0
    gives the raw scores, more gives the scores calibrated by that many runs on time-shuffled
    copies (:func:`calibrate`; the cost is ``null_runs + 1`` runs)."""
    if max_lag != 1:
        raise ConfigError(f"the assembly protocol learns lag 1 only; max_lag must be 1, got {max_lag!r}")
    _check_rule(rule)
    if isinstance(null_runs, bool) or not isinstance(null_runs, (int, np.integer)) or null_runs < 0:
        raise ConfigError(f"null_runs must be an int >= 0, got {null_runs!r}")
    enc = encode(series)
    params = params or DiscoveryParams()
    scores = learn_scores(enc, rule, engine, params, seed, **engine_kwargs)
    if not null_runs:
        return scores
    return calibrate(scores, null_scores(enc, null_runs, rule, engine, params, seed, **engine_kwargs))

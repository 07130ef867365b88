"""Baseline methods of causal discovery from time series, scored over ordered pairs.

Every method takes a series (a DataFrame of value names or integer codes with a ``time`` column,
see :func:`spiking_direct.causal.codes`, or an int array ``(T, n)``) and a largest lag, and
returns a float matrix ``(n, n)`` whose ``[i, j]`` scores ``variables[i] -> variables[j]``
(higher: more likely a link; the diagonal is 0). Values enter as their integer codes (value
order of the model), as numbers. A variable that is constant over the series gets score 0 in
every pair it is in (no evidence either way); the method runs on the others.

===========================  ============================================================================
``lagged_correlation``       ``max over lags 1..L of |corr(x_i[t - lag], x_j[t])|``
``lagged_correlation_anti``  the same minus its transpose (``[i, j] - [j, i]``): who precedes whom
``granger_pairwise``         F statistic of "``x_i``'s past improves ``x_j``'s own-past regression"
``granger_conditional``      the same F test in the regression of ``x_j`` on every variable's past
``transfer_entropy``         ``I(x_j[t]; x_i's past | x_j's past)`` of the values as symbols, as a G test
``pcmci``                    PCMCI (tigramite) with ParCorr: ``max over lags |MCI partial corr|``
``var_lingam``               VAR-LiNGAM (lingam): ``max over lags |M_lag[j, i]|`` (standardised data)
===========================  ============================================================================

The Granger F statistics are those of statsmodels (``grangercausalitytests``' ``ssr_ftest`` for
the pairwise test; ``VAR(...).test_causality(kind="f")`` for the conditional one; both with a
constant), computed here by least squares (``tests/test_discovery.py`` checks them against
statsmodels); every pair of one method has the same degrees of freedom, so the F statistic ranks
pairs as the p-value does, without the p-value's underflow to 0.

``pcmci`` and ``var_lingam`` need the ``discover`` extra (``pip install 'spiking_direct[discover]'``);
without it they raise :class:`~spiking_direct.errors.BackendError` naming it.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from importlib import metadata

import numpy as np

from ..errors import BackendError, ConfigError, DataError

__all__ = [
    "METHODS",
    "lagged_correlation",
    "lagged_correlation_anti",
    "granger_pairwise",
    "granger_conditional",
    "transfer_entropy",
    "pcmci",
    "var_lingam",
    "run_method",
    "method_versions",
    "as_array",
]

#: The library (distribution name) behind each method besides NumPy.
LIBRARY = {
    "lagged_correlation": None,
    "lagged_correlation_anti": None,
    "granger_pairwise": None,
    "granger_conditional": None,
    "transfer_entropy": None,
    "pcmci": "tigramite",
    "var_lingam": "lingam",
}

#: Default significance level of PCMCI's condition-selection step (PC1).
PC_ALPHA = 0.2


def as_array(series, time: str = "time") -> np.ndarray:
    """The series as a float array ``(T, n)`` of value codes."""
    import pandas as pd

    if isinstance(series, pd.DataFrame):
        from ..causal.timeseries import codes

        _, x = codes(series, time=time)
    else:
        x = np.asarray(series)
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.number):
            raise DataError(f"a series must be a DataFrame or a numeric (T, n) array, got shape {x.shape} {x.dtype}")
    return np.asarray(x, dtype=float)


def _check_lag(x: np.ndarray, max_lag: int) -> int:
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 1:
        raise ConfigError(f"max_lag must be an int >= 1, got {max_lag!r}")
    need = 3 * max_lag * x.shape[1] + 10
    if x.shape[0] < need:
        raise DataError(
            f"the series has {x.shape[0]} steps; {need} are needed for {x.shape[1]} variables at max_lag {max_lag}"
        )
    return int(max_lag)


def _on_varying(fn: Callable[[np.ndarray, int], np.ndarray]) -> Callable:
    """``fn`` run on the columns that are not constant; the others score 0."""

    def wrapped(series, max_lag: int = 1, **kwargs) -> np.ndarray:
        x = as_array(series)
        n = x.shape[1]
        varying = np.flatnonzero(x.max(axis=0) > x.min(axis=0))
        out = np.zeros((n, n))
        if varying.size >= 2:
            sub = x[:, varying]
            lag = _check_lag(sub, max_lag)
            scores = np.asarray(fn(sub, lag, **kwargs), dtype=float)
            out[np.ix_(varying, varying)] = scores
        np.fill_diagonal(out, 0.0)
        return out

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    wrapped.__wrapped__ = fn
    return wrapped


def _lagged(x: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """``y = x[L:]`` and the lags ``(T - L, n, L)``: ``lags[:, i, l - 1] = x[t - l, i]``."""
    T = x.shape[0]
    lags = np.stack([x[max_lag - l : T - l] for l in range(1, max_lag + 1)], axis=2)
    return x[max_lag:], lags


def _rss(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Residual sums of squares of the least-squares fits of the columns of ``y`` on ``X``."""
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return (r * r).sum(axis=0)


def _f(rss_r: np.ndarray, rss_f: np.ndarray, q: int, df: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = ((rss_r - rss_f) / q) / (rss_f / df)
    f = np.where(np.isnan(f), 0.0, f)  # 0/0: neither model leaves a residual
    return np.maximum(f, 0.0)


@_on_varying
def lagged_correlation(x: np.ndarray, max_lag: int = 1) -> np.ndarray:
    """``[i, j] = max over lags 1..max_lag of |corr(x_i[t - lag], x_j[t])|``."""
    T, n = x.shape
    best = np.zeros((n, n))
    for lag in range(1, max_lag + 1):
        a = x[:-lag] - x[:-lag].mean(axis=0)
        b = x[lag:] - x[lag:].mean(axis=0)
        sa, sb = np.sqrt((a * a).sum(axis=0)), np.sqrt((b * b).sum(axis=0))
        with np.errstate(divide="ignore", invalid="ignore"):
            c = (a.T @ b) / np.outer(sa, sb)
        best = np.maximum(best, np.nan_to_num(np.abs(c)))
    return best


def lagged_correlation_anti(series, max_lag: int = 1) -> np.ndarray:
    """:func:`lagged_correlation` minus its transpose: ``[i, j] - [j, i]`` (who precedes whom)."""
    c = lagged_correlation(series, max_lag)
    return c - c.T


@_on_varying
def granger_pairwise(x: np.ndarray, max_lag: int = 1) -> np.ndarray:
    """F statistic of the pairwise Granger test ``i -> j``: ``x_j[t]`` on a constant and its own
    lags 1..L, against the same plus ``x_i``'s lags (statsmodels' ``ssr_ftest``)."""
    y, lags = _lagged(x, max_lag)
    N, n = y.shape
    ones = np.ones((N, 1))
    out = np.zeros((n, n))
    for j in range(n):
        Xr = np.hstack([ones, lags[:, j, :]])
        rss_r = _rss(Xr, y[:, j])
        for i in range(n):
            if i == j:
                continue
            rss_f = _rss(np.hstack([Xr, lags[:, i, :]]), y[:, j])
            out[i, j] = _f(rss_r, rss_f, max_lag, N - 2 * max_lag - 1)
    return out


@_on_varying
def granger_conditional(x: np.ndarray, max_lag: int = 1) -> np.ndarray:
    """F statistic of the conditional Granger test ``i -> j``: ``x_j[t]`` on a constant and every
    variable's lags 1..L, against the same without ``x_i``'s lags (a VAR's equation of ``x_j``;
    statsmodels' ``VAR.test_causality(kind="f")`` statistic)."""
    y, lags = _lagged(x, max_lag)
    N, n = y.shape
    X = np.hstack([np.ones((N, 1)), lags.reshape(N, n * max_lag)])
    rss_f = _rss(X, y)
    out = np.zeros((n, n))
    for i in range(n):
        keep = np.ones(X.shape[1], dtype=bool)
        keep[1 + i * max_lag : 1 + (i + 1) * max_lag] = False
        rss_r = _rss(X[:, keep], y)
        out[i] = _f(rss_r, rss_f, max_lag, N - n * max_lag - 1)
    return out


@_on_varying
def transfer_entropy(x: np.ndarray, max_lag: int = 1) -> np.ndarray:
    """Pairwise transfer entropy of the values as symbols (no order among them): the plug-in
    conditional mutual information ``I = I(x_j[t]; x_i[t-1..t-L] | x_j[t-1..t-L])`` from the
    counts, as the G statistic ``G = 2 N I`` standardised by its null distribution,
    ``(G - df) / sqrt(2 df)`` with ``df = (|x_j| - 1)(|x_i|^L - 1)|x_j|^L`` (chi-squared), so that
    pairs of variables with different numbers of values compare."""
    x = x.astype(np.int64)
    x = x - x.min(axis=0)
    card = x.max(axis=0) + 1
    y, lags = _lagged(x, max_lag)
    N, n = y.shape
    weights = card[None, :, None] ** np.arange(max_lag)[None, None, :]
    past = (lags * weights).sum(axis=2)  # each variable's past as one symbol
    past_card = card**max_lag
    out = np.zeros((n, n))
    for j in range(n):
        cy, cb = int(card[j]), int(past_card[j])
        for i in range(n):
            if i == j:
                continue
            ca = int(past_card[i])
            idx = (y[:, j] * ca + past[:, i]) * cb + past[:, j]
            pyab = np.bincount(idx, minlength=cy * ca * cb).reshape(cy, ca, cb) / N
            pab, pyb, pb = pyab.sum(axis=0), pyab.sum(axis=1), pyab.sum(axis=(0, 1))
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = pyab * np.log(pyab * pb[None, None, :] / (pyb[:, None, :] * pab[None, :, :]))
            cmi = float(np.nansum(terms))
            df = (cy - 1) * (ca - 1) * cb
            out[i, j] = (2 * N * cmi - df) / np.sqrt(2 * df)
    return out


def _need(module: str, method: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendError(
            f"{method} needs {LIBRARY[method]} ({exc}): pip install 'spiking_direct[discover]'"
        ) from None


@_on_varying
def pcmci(x: np.ndarray, max_lag: int = 1, pc_alpha: float = PC_ALPHA, test: str = "parcorr") -> np.ndarray:
    """PCMCI (tigramite): ``[i, j] = max over lags 1..max_lag of |MCI statistic of x_i[t - lag] -> x_j[t]|``
    (ParCorr: the partial correlation; ``test="cmisymb"``: the conditional mutual information of
    the symbols, which needs numba). ``pc_alpha`` is the level of the condition-selection step."""
    tests = {
        "parcorr": ("tigramite.independence_tests.parcorr", "ParCorr"),
        "cmisymb": ("tigramite.independence_tests.cmisymb", "CMIsymb"),
    }
    if test not in tests:
        raise ConfigError(f"unknown PCMCI test {test!r}; use one of {sorted(tests)}")
    pp = _need("tigramite.data_processing", "pcmci")
    pcmci_mod = _need("tigramite.pcmci", "pcmci")
    test_mod = _need(tests[test][0], "pcmci")
    cond = getattr(test_mod, tests[test][1])()
    data = x.astype(int) if test == "cmisymb" else x
    frame = pp.DataFrame(data, data_type=None)
    runner = pcmci_mod.PCMCI(dataframe=frame, cond_ind_test=cond, verbosity=0)
    res = runner.run_pcmci(tau_min=1, tau_max=max_lag, pc_alpha=pc_alpha)
    val = np.abs(np.nan_to_num(np.asarray(res["val_matrix"], dtype=float)))
    return val[:, :, 1:].max(axis=2)


@_on_varying
def var_lingam(x: np.ndarray, max_lag: int = 1) -> np.ndarray:
    """VAR-LiNGAM (lingam, lags fixed to ``max_lag``, no pruning) on the standardised series:
    ``[i, j] = max over lags 1..max_lag of |M_lag[j, i]|``."""
    lingam = _need("lingam", "var_lingam")
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    model = lingam.VARLiNGAM(lags=max_lag, criterion=None, prune=False)
    model.fit(z)
    m = np.abs(np.asarray(model.adjacency_matrices_, dtype=float))  # [lag, target, source]
    return m[1:].max(axis=0).T


#: Every method by name.
METHODS: dict[str, Callable] = {
    "lagged_correlation": lagged_correlation,
    "lagged_correlation_anti": lagged_correlation_anti,
    "granger_pairwise": granger_pairwise,
    "granger_conditional": granger_conditional,
    "transfer_entropy": transfer_entropy,
    "pcmci": pcmci,
    "var_lingam": var_lingam,
}


def method_versions(method: str) -> dict:
    """The versions of the libraries ``method`` runs on (numpy, and its own library if any)."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; use one of {list(METHODS)}")
    out = {"numpy": np.__version__}
    lib = LIBRARY[method]
    if lib is not None:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


def available(method: str) -> bool:
    """Whether ``method``'s library can be imported."""
    lib = LIBRARY.get(method)
    if lib is None:
        return method in METHODS
    import importlib.util

    return importlib.util.find_spec(lib) is not None


def run_method(method: str, series, max_lag: int = 1, **kwargs) -> dict:
    """``{"method", "scores", "seconds", "versions"}`` of one method on one series."""
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; use one of {list(METHODS)}")
    t0 = _time.perf_counter()
    scores = METHODS[method](series, max_lag=max_lag, **kwargs)
    return {
        "method": method,
        "scores": scores,
        "seconds": _time.perf_counter() - t0,
        "versions": method_versions(method),
    }

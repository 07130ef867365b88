"""Ground truth for interventions: data tables and the true/backdoor average causal effects.

Contrast convention
-------------------
Every variable ``V`` of a :class:`~spiking_direct.causal.CausalModel` has its
values ordered "positive value first". The contrast of a cause ``X`` compares
its first value ``x_0`` (index 0, "x_plus") with its last value ``x_last``
(index ``cardinality - 1``, "x_minus"); the outcome is always the first value
``y_0`` of ``Y`` (index 0, "y_plus"). The average causal effect is::

    ACE(X -> Y) = P(Y = y_0 | do(X = x_0)) - P(Y = y_0 | do(X = x_last))

so a positive ACE means that setting ``X`` to its positive value raises the
probability of ``Y``'s positive value. For binary variables ``x_last`` is the
other value; for a three-valued variable such as sachs's ``LOW/AVG/HIGH`` it
is ``LOW`` against ``HIGH`` (the middle value is not used).

Matrices returned here are ``(A, A)`` float arrays indexed
``[cause, effect]`` in ``model.variables`` order, with NaN on the diagonal.

Data tables are int64 arrays ``(rows, n_variables)`` of value indices, columns
in ``model.variables`` order (as :meth:`CausalModel.sample_indices` returns);
:func:`load_table` / :func:`write_table` convert them from / to CSV files of
value names.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from spiking_direct.causal import CausalModel, CausalModelError, quiet_pgmpy

from .errors import DataError

__all__ = [
    "DataError",
    "load_table",
    "write_table",
    "contrast",
    "interventional_distributions",
    "exact_ace",
    "observational_contrast",
    "backdoor_ace",
    "directed_paths",
    "shuffle_columns",
    "pgmpy_ace",
]

#: Cell texts read as "missing" (compared case-insensitively, after stripping),
#: unless the text is itself one of the column's allowed values.
NA_TOKENS = frozenset({"", "na", "nan", "null"})


# -- tables -------------------------------------------------------------------


def load_table(path: str | os.PathLike, model: CausalModel) -> np.ndarray:
    """Read a CSV table of value names into value indices.

    Parameters
    ----------
    path : str or os.PathLike
        CSV file; its first line is the header (one column per model variable,
        in any order), every further line one data row of value names.
        Leading/trailing whitespace around names and cells is ignored.
    model : CausalModel
        Gives the variables and the allowed values of each.

    Returns
    -------
    numpy.ndarray
        int64 array ``(rows, n_variables)``; column ``i`` holds the value
        indices of ``model.variables[i]``.

    Raises
    ------
    DataError
        With one message, on the first problem: the file is missing or
        unreadable; it has no data rows; a column is unknown, duplicated or a
        variable has no column; a cell is missing (empty, whitespace or
        ``NA``/``NaN``/``null`` in any case, unless that text is an allowed
        value) or holds an unknown value. Cell errors name the data row
        (1-based, counting data rows only; the file line is row + 1, assuming
        one line per row; blank lines count as rows of missing cells) and the
        column.
    """
    where = os.fspath(path)
    try:
        raw = pd.read_csv(
            where,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except FileNotFoundError:
        raise DataError(f"{where}: no such data file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: empty table (the file has no header and no rows)") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"{where}: cannot read the data file: {exc}") from None

    header = [str(name).strip() for name in raw.iloc[0].tolist()]
    body = raw.iloc[1:]
    if len(body) == 0:
        raise DataError(f"{where}: empty table (a header but no data rows)")

    known = set(model.variables)
    for name in header:
        if name not in known:
            raise DataError(
                f"{where}: unknown column {name!r}; model {model.name!r} has the variables {', '.join(model.variables)}"
            )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{where}: column {name!r} appears more than once")
        seen.add(name)
    for v in model.variables:
        if v not in seen:
            raise DataError(f"{where}: no column for the model variable {v!r}")

    position = {name: k for k, name in enumerate(header)}
    values = model.values
    n_rows = len(body)
    out = np.empty((n_rows, model.n_variables), dtype=np.int64)
    first_bad: tuple[int, int, str, str] | None = None  # (row index, file column, variable, cell)
    n_bad = 0
    for i, v in enumerate(model.variables):
        k = position[v]
        cells = body.iloc[:, k].fillna("").str.strip()
        codes = pd.Index(values[v]).get_indexer(cells)
        bad = codes < 0
        if bad.any():
            n_bad += int(bad.sum())
            r = int(np.flatnonzero(bad)[0])
            if first_bad is None or (r, k) < first_bad[:2]:
                first_bad = (r, k, v, str(cells.iloc[r]))
        out[:, i] = codes
    if first_bad is not None:
        r, k, v, cell = first_bad
        more = f" ({n_bad - 1} more bad cell(s) in the table)" if n_bad > 1 else ""
        place = f"{where}: row {r + 1} (file line {r + 2}), column {v!r}"
        if cell.lower() in NA_TOKENS:
            raise DataError(f"{place}: missing value {cell!r}{more}")
        raise DataError(f"{place}: unknown value {cell!r}; allowed values are {list(values[v])}{more}")
    return out


def write_table(table: np.ndarray, model: CausalModel, path: str | os.PathLike) -> None:
    """Write a table of value indices as a CSV of value names, atomically.

    The header is ``model.variables``; the file is written to a temporary file
    in the same folder and then moved over ``path`` with :func:`os.replace`, so
    a reader never sees a partial file. :func:`load_table` reads it back.

    Parameters
    ----------
    table : numpy.ndarray
        Integer array ``(rows, n_variables)`` of value indices.
    model : CausalModel
        Gives the variables and value names.
    path : str or os.PathLike
        Destination file.

    Raises
    ------
    DataError
        If ``table`` is not a valid table of ``model``.
    """
    tab = _check_table(table, model)
    frame = pd.DataFrame(
        {v: np.asarray(model.values[v], dtype=object)[tab[:, i]] for i, v in enumerate(model.variables)},
        columns=list(model.variables),
    )
    dest = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False, lineterminator="\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; use ordinary permissions
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def shuffle_columns(table: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Permute each column independently (a negative control).

    Each column keeps its multiset of values (so every marginal distribution
    is kept) while every dependence between columns is destroyed: all true
    and estimated effects of the shuffled table are zero up to sampling noise.

    Parameters
    ----------
    table : numpy.ndarray
        2-D array ``(rows, columns)``.
    rng : numpy.random.Generator
        Source of randomness (``rng.permuted(table, axis=0)``).

    Returns
    -------
    numpy.ndarray
        A new array of the same shape and dtype.
    """
    arr = np.asarray(table)
    if arr.ndim != 2:
        raise DataError(f"a table must be 2-D (rows, columns), got shape {arr.shape}")
    return rng.permuted(arr, axis=0)


# -- effects ------------------------------------------------------------------


def contrast(model: CausalModel, var: str) -> tuple[int, int]:
    """The contrast value indices ``(x_plus, x_minus) = (0, cardinality - 1)`` of ``var``.

    The outcome value of an effect is always index 0 (``y_plus``)::

        ACE(X -> Y) = P(Y = y_0 | do(X = x_0)) - P(Y = y_0 | do(X = x_last))

    Raises
    ------
    CausalModelError
        If ``var`` is not a variable of ``model``.
    """
    return 0, model.cardinality(var) - 1


def interventional_distributions(model: CausalModel) -> dict[tuple[str, int], dict[str, np.ndarray]]:
    """Exact marginals under every single-variable intervention.

    Returns
    -------
    dict
        ``result[(X, x)]`` is ``model.exact_distribution(do={X: values[X][x]})``
        for every variable ``X`` and every value index ``x``.

    Raises
    ------
    CausalModelError
        If the model has no CPDs.
    """
    values = model.values
    return {(v, x): model.exact_distribution(do={v: name}) for v in model.variables for x, name in enumerate(values[v])}


def exact_ace(model: CausalModel, distributions: dict | None = None) -> np.ndarray:
    """The true ACE of every ordered pair, from exact interventional distributions
    (``distributions``: those of :func:`interventional_distributions`, if at hand;
    otherwise the two contrast values of every variable are computed here).

    Returns
    -------
    numpy.ndarray
        Float ``(A, A)``, ``ace[i, j] = ACE(variables[i] -> variables[j])``
        (see the module docstring), NaN on the diagonal. Where there is no
        directed path ``i -> ... -> j`` the effect is a structural zero (an
        intervention cannot change its non-descendants) and is set to exactly
        0.0; the enumeration itself only differs from 0 there by round-off
        (about 1e-16).

    Raises
    ------
    CausalModelError
        If the model has no CPDs.
    """
    variables = model.variables
    values = model.values
    n = len(variables)
    ace = np.full((n, n), np.nan)
    paths = directed_paths(model)
    for i, v in enumerate(variables):
        plus, minus = contrast(model, v)
        if distributions is not None:
            d_plus, d_minus = distributions[(v, plus)], distributions[(v, minus)]
        else:
            d_plus = model.exact_distribution(do={v: values[v][plus]})
            d_minus = model.exact_distribution(do={v: values[v][minus]})
        for j, w in enumerate(variables):
            if j != i:
                ace[i, j] = d_plus[w][0] - d_minus[w][0] if paths[i, j] else 0.0
    return ace


def observational_contrast(table: np.ndarray, model: CausalModel) -> np.ndarray:
    """The naive (unadjusted) contrast ``P(Y=y_0 | X=x_0) - P(Y=y_0 | X=x_last)``.

    Estimated by frequencies in ``table``; it equals the ACE only without
    confounding between ``X`` and ``Y``.

    Returns
    -------
    numpy.ndarray
        Float ``(A, A)`` indexed ``[X, Y]``, NaN on the diagonal and in every
        row ``X`` whose ``x_0`` or ``x_last`` never occurs in the table.
    """
    tab = _check_table(table, model)
    positive = (tab == 0).astype(float)
    n = model.n_variables
    out = np.full((n, n), np.nan)
    for i, v in enumerate(model.variables):
        plus, minus = contrast(model, v)
        mask_plus = tab[:, i] == plus
        mask_minus = tab[:, i] == minus
        if mask_plus.any() and mask_minus.any():
            out[i] = positive[mask_plus].mean(axis=0) - positive[mask_minus].mean(axis=0)
    np.fill_diagonal(out, np.nan)
    return out


def backdoor_ace(table: np.ndarray, model: CausalModel) -> np.ndarray:
    """Backdoor-adjusted ACE estimates, adjusting for the parents of the cause.

    For a cause ``X`` with parents ``Z`` (a valid backdoor set in a DAG)::

        P(Y = y_0 | do(X = x)) = sum_z P(Y = y_0 | X = x, Z = z) P(Z = z)

    with all probabilities estimated by frequencies in ``table``; for a root
    ``X`` this is the conditional contrast of :func:`observational_contrast`.
    For each ``x`` separately, the strata ``z`` in which ``X = x`` never occurs
    are dropped and the ``P(z)`` of the remaining strata renormalised to sum
    to 1 (so without positivity the estimate covers only the observed strata).
    Returns an array shaped and NaN-marked like :func:`observational_contrast`'s.
    """
    tab = _check_table(table, model)
    positive = pd.DataFrame((tab == 0).astype(float))
    index = model.index
    n = model.n_variables
    out = np.full((n, n), np.nan)
    for i, v in enumerate(model.variables):
        cols = [index[p] for p in model.parents(v)]
        if cols:
            _, strata = np.unique(tab[:, cols], axis=0, return_inverse=True)
            strata = strata.reshape(-1)
        else:
            strata = np.zeros(len(tab), dtype=np.int64)
        p_z = np.bincount(strata) / len(tab)
        plus, minus = contrast(model, v)
        out[i] = _adjusted(positive, tab[:, i] == plus, strata, p_z) - _adjusted(
            positive, tab[:, i] == minus, strata, p_z
        )
    np.fill_diagonal(out, np.nan)
    return out


def directed_paths(model: CausalModel) -> np.ndarray:
    """Boolean ``(A, A)``: ``[i, j]`` True iff a directed path ``i -> ... -> j`` exists.

    The diagonal is False.
    """
    index = model.index
    n = model.n_variables
    out = np.zeros((n, n), dtype=bool)
    for v in model.variables:
        for w in nx.descendants(model.graph, v):
            out[index[v], index[w]] = True
    return out


def pgmpy_ace(model: CausalModel, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Cross-check: the ACE of the given pairs computed by pgmpy.

    Uses ``pgmpy.inference.CausalInference(bn).query(variables=[Y], do={X: x})``
    (variable elimination, parents of ``X`` as adjustment set, no progress
    bars, pgmpy's warnings and log messages silenced) on the pgmpy network
    the model was read from (``model.bayesian_network``, set by
    :func:`spiking_direct.causal.from_bif`). pgmpy refuses ``do(X)`` queries
    on an ancestor ``Y`` of ``X``; an intervention cannot change its ancestors,
    so their ACE is 0.0 by definition and is returned without a query.

    Parameters
    ----------
    model : CausalModel
        A model built from a BIF file (e.g. ``get_model("sachs")``).
    pairs : iterable of (str, str)
        Ordered pairs ``(X, Y)`` of distinct variables.

    Returns
    -------
    dict
        ``{(X, Y): ACE}`` with the contrast of the module docstring.

    Raises
    ------
    CausalModelError
        If the model has no pgmpy network (it was not read from a BIF file),
        or a pair names an unknown variable or the same variable twice.
    """
    bn = getattr(model, "bayesian_network", None)
    if bn is None:
        raise CausalModelError(
            f"model {model.name!r} was not read from a BIF file: it has no pgmpy network to cross-check against"
        )
    pairs = [(str(x), str(y)) for x, y in pairs]
    for x, y in pairs:
        model.cardinality(x)
        model.cardinality(y)
        if x == y:
            raise CausalModelError(f"pgmpy_ace: pair ({x!r}, {y!r}) names one variable twice")
    values = model.values
    with quiet_pgmpy():
        from pgmpy.inference import CausalInference  # slow, noisy import

        infer = CausalInference(bn)
        out: dict[tuple[str, str], float] = {}
        for x, y in pairs:
            if y in nx.ancestors(model.graph, x):
                out[(x, y)] = 0.0
                continue
            plus, minus = contrast(model, x)
            p = [
                _factor_probability(
                    infer.query(variables=[y], do={x: values[x][k]}, show_progress=False),
                    y,
                    values[y][0],
                )
                for k in (plus, minus)
            ]
            out[(x, y)] = p[0] - p[1]
    return out


# -- helpers ------------------------------------------------------------------


def _check_table(table: np.ndarray, model: CausalModel) -> np.ndarray:
    """Validate a table of value indices for ``model``; return it as int64."""
    arr = np.asarray(table)
    if arr.ndim != 2 or arr.shape[1] != model.n_variables:
        raise DataError(f"a table of model {model.name!r} must have shape (rows, {model.n_variables}), got {arr.shape}")
    if arr.shape[0] == 0:
        raise DataError("empty table (no rows)")
    if not np.issubdtype(arr.dtype, np.integer):
        raise DataError(f"a table must hold integer value indices, got dtype {arr.dtype}")
    cards = np.array([model.cardinality(v) for v in model.variables])
    bad = (arr < 0) | (arr >= cards)
    if bad.any():
        r, c = (int(k) for k in np.argwhere(bad)[0])
        raise DataError(
            f"table row {r + 1}, column {model.variables[c]!r}: value index {int(arr[r, c])} "
            f"is out of range 0..{cards[c] - 1}"
        )
    return arr.astype(np.int64, copy=False)


def _adjusted(positive: pd.DataFrame, mask: np.ndarray, strata: np.ndarray, p_z: np.ndarray) -> np.ndarray:
    """``sum_z P(Y=y_0 | mask, z) P(z)`` for every ``Y`` (strata without rows dropped)."""
    if not mask.any():
        return np.full(positive.shape[1], np.nan)
    cond = positive[mask].groupby(strata[mask]).mean()  # (strata present, A)
    weight = p_z[cond.index.to_numpy()]
    return (weight / weight.sum()) @ cond.to_numpy()


def _factor_probability(factor, var: str, state: str) -> float:
    """The probability of ``var = state`` in a one-variable pgmpy factor."""
    return float(np.asarray(factor.values)[list(factor.state_names[var]).index(state)])

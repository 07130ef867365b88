"""Time-series data of categorical variables: a CSV file with a time column (:func:`from_csv`),
checked the same way as a DataFrame (:func:`check_series`), and its value indices (:func:`codes`).

A series is a ``pandas.DataFrame`` with one time column and one column per variable. The time
column is numeric (or dates): strictly increasing with one constant step (no gaps). Every
variable holds values from a declared set or, without one, from its observed set (at least two
values, at most ``max_values``). Each problem is one :class:`~spiking_direct.errors.DataError`
naming the column, the row and the allowed values.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["from_csv", "check_series", "codes", "MIN_STEPS", "MAX_VALUES"]

#: Fewest time steps a series may have (default of :func:`check_series`).
MIN_STEPS = 20

#: Most distinct observed values a variable without declared values may have.
MAX_VALUES = 20


def _time_values(col: pd.Series, time: str) -> np.ndarray:
    """The time column as numbers (dates as seconds since the first)."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        out = col.to_numpy(dtype=float)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas' note that it guesses the date format per cell
                dates = pd.to_datetime(col, errors="raise")
            out = (dates - dates.iloc[0]).dt.total_seconds().to_numpy(dtype=float)
        except (ValueError, TypeError):
            bad = next((x for x in col if not _is_number(x)), col.iloc[0])
            raise DataError(f"time column {time!r} holds {bad!r}: it must hold numbers or dates") from None
    if np.isnan(out).any():
        row = int(np.flatnonzero(np.isnan(out))[0])
        raise DataError(f"time column {time!r} is empty at row {row}")
    return out


def _show(x) -> str:
    """A cell for a message: text quoted, numbers plain (``9``, not ``np.int64(9)``)."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    return repr(x) if isinstance(x, str) else str(x)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _is_number(x) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def check_series(
    frame: pd.DataFrame,
    time: str = "time",
    values: Mapping[str, Sequence[str]] | None = None,
    variables: Sequence[str] | None = None,
    min_steps: int = MIN_STEPS,
    max_values: int = MAX_VALUES,
) -> pd.DataFrame:
    """A checked copy of a time series: the time column, then one categorical column of value
    names per variable (categories: the declared values in their order, else the observed ones
    sorted).

    Parameters
    ----------
    frame : pandas.DataFrame
        One time column and the variables' columns.
    time : str
        Name of the time column.
    values : mapping of str to sequence of str, optional
        Declared values of (some) variables; a cell outside them is an error.
    variables : sequence of str, optional
        The columns to keep (default: every column but the time column).
    min_steps : int
        Fewest rows accepted.
    max_values : int
        Most distinct observed values of a variable without declared values.

    Raises
    ------
    DataError
        On the first problem: no time column, a time that does not increase or skips a step,
        an empty cell, a value outside the declared ones, a constant variable, a column with too
        many distinct values, too few steps.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"a time series must be a pandas DataFrame, got {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    if time not in columns:
        raise DataError(f"no time column {time!r}; the columns are {columns} (pass time=<column name>)")
    if variables is None:
        variables = [c for c in columns if c != time]
    else:
        variables = [str(v) for v in variables]
        missing = [v for v in variables if v not in columns or v == time]
        if missing:
            raise DataError(f"no column {missing[0]!r}; the variable columns are {[c for c in columns if c != time]}")
    if not variables:
        raise DataError(f"the series has no variable column besides the time column {time!r}")
    if len(frame) < min_steps:
        raise DataError(f"the series has {len(frame)} time steps; at least {min_steps} are needed")
    t = _time_values(frame[time], time)
    step = np.diff(t)
    if (step <= 0).any():
        row = int(np.flatnonzero(step <= 0)[0]) + 1
        raise DataError(
            f"time column {time!r} is not strictly increasing: row {row} has {_show(frame[time].iloc[row])} "
            f"after {_show(frame[time].iloc[row - 1])}"
        )
    unit = step.min()
    gap = np.flatnonzero(~np.isclose(step, unit, rtol=1e-9, atol=0))
    if gap.size:
        row = int(gap[0]) + 1
        before, after = _show(frame[time].iloc[row - 1]), _show(frame[time].iloc[row])
        numeric = pd.api.types.is_numeric_dtype(frame[time])
        step_text = _fmt(unit) if numeric else str(pd.Timedelta(seconds=float(unit)))
        raise DataError(
            f"time column {time!r} has a gap: {before} to {after} at row {row}, where the step is {step_text}; "
            "fill the missing steps or cut the series"
        )
    declared = {} if values is None else {str(k): [str(x) for x in vs] for k, vs in values.items()}
    unknown = sorted(set(declared) - set(variables))
    if unknown:
        raise DataError(f"values declared for {unknown[0]!r}, which is not a variable column; they are {variables}")
    out = {time: frame[time].to_numpy()}
    for v in variables:
        col = frame[v]
        empty = col.isna().to_numpy()
        if empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise DataError(f"column {v!r} is empty at row {row} (time {_show(frame[time].iloc[row])})")
        cells = col.astype(str)
        if v in declared:
            allowed = declared[v]
            bad = ~cells.isin(allowed).to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"column {v!r} holds {cells.iloc[row]!r} at row {row}, which is not among its values {allowed}"
                )
            if len(allowed) < 2:
                raise DataError(f"column {v!r} needs at least two declared values, got {allowed}")
        else:
            if isinstance(col.dtype, pd.CategoricalDtype):
                allowed = [str(c) for c in col.cat.categories]
            else:
                allowed = sorted(cells.unique(), key=_sort_key)
            if len(set(cells)) < 2:
                raise DataError(f"column {v!r} holds one value only ({cells.iloc[0]!r}); a variable needs two")
            if len(allowed) > max_values:
                raise DataError(
                    f"column {v!r} has {len(allowed)} distinct values (at most {max_values}); "
                    "discretise it or declare its values"
                )
        out[v] = pd.Categorical(cells, categories=allowed)
    return pd.DataFrame(out)


def _sort_key(x: str):
    """Numbers in numeric order (``'2' < '10'``), before any text."""
    return (0, float(x), "") if _is_number(x) else (1, 0.0, x)


def from_csv(
    path,
    time: str = "time",
    values: Mapping[str, Sequence[str]] | None = None,
    variables: Sequence[str] | None = None,
    min_steps: int = MIN_STEPS,
    max_values: int = MAX_VALUES,
) -> pd.DataFrame:
    """A time series from a CSV file (a header row; one time column; one column per variable),
    checked by :func:`check_series` (same parameters)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not a readable CSV file: {str(exc).splitlines()[0]}") from None
    if time in frame.columns:
        as_num = pd.to_numeric(frame[time], errors="coerce")
        if as_num.notna().all():
            frame[time] = as_num
    try:
        return check_series(
            frame, time=time, values=values, variables=variables, min_steps=min_steps, max_values=max_values
        )
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None


def codes(series: pd.DataFrame, time: str = "time") -> tuple[list[str], np.ndarray]:
    """The variables of a series (every column but ``time``) and their value indices, an int array
    ``(T, n)``: a categorical column gives its category codes, an integer column its values."""
    if not isinstance(series, pd.DataFrame):
        raise DataError(f"a time series must be a pandas DataFrame, got {type(series).__name__}")
    names = [str(c) for c in series.columns if str(c) != time]
    cols = []
    for c in series.columns:
        if str(c) == time:
            continue
        col = series[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if (col.cat.codes < 0).any():
                raise DataError(f"column {str(c)!r} is empty at row {int(np.flatnonzero(col.cat.codes < 0)[0])}")
            cols.append(col.cat.codes.to_numpy(dtype=np.int64))
        elif pd.api.types.is_integer_dtype(col) or pd.api.types.is_bool_dtype(col):
            cols.append(col.to_numpy(dtype=np.int64))
        else:
            raise DataError(
                f"column {str(c)!r} is {col.dtype}; a series needs categorical or integer columns "
                "(check_series makes them categorical)"
            )
    if not cols:
        raise DataError(f"the series has no variable column besides {time!r}")
    return names, np.column_stack(cols)

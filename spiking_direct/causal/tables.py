"""Causal models from probability tables: given conditional probability tables
(:func:`from_tables`) or estimated from a data table and the links (:func:`from_data`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import CausalModelError
from .cpds import CPD, _bif_cpd
from .model import CausalModel


def from_tables(
    name: str,
    values: Mapping[str, Sequence[str]],
    links: Sequence[tuple[str, str]],
    tables: Mapping[str, Any],
    description: str = "",
) -> CausalModel:
    """A model from conditional probability tables.

    ``values`` maps each variable (in order) to its values, the "positive" one first;
    ``links`` lists ``(parent, child)``; ``tables[v]`` is an array of shape
    ``(|parent_1|, ..., |parent_m|, |v|)`` over ``v``'s parents in the order of
    ``values`` (for a root, ``(|v|,)``): ``P(v = value | parents)``, each last-axis
    row summing to 1.
    """
    variables = list(values)
    model = CausalModel(name, variables, values, links, description=description)  # checks names and links
    cpds: dict[str, CPD] = {}
    for v in variables:
        if v not in tables:
            raise CausalModelError(f"model {name!r}: no table for {v!r}")
        parents = model.parents(v)
        shape = tuple(len(model.values[p]) for p in parents) + (len(model.values[v]),)
        arr = np.asarray(tables[v], dtype=float)
        if arr.shape != shape:
            raise CausalModelError(
                f"model {name!r}: the table of {v!r} has shape {arr.shape}, expected {shape} "
                f"(parents {list(parents)}, then {v!r}'s values)"
            )
        if (arr < 0).any() or not np.allclose(arr.sum(axis=-1), 1.0, atol=1e-6):
            raise CausalModelError(
                f"model {name!r}: the table of {v!r} must hold probabilities whose last-axis rows sum to 1"
            )
        cpds[v] = _bif_cpd(np.ascontiguousarray(arr), tuple(parents))
    extra = sorted(set(tables) - set(variables))
    if extra:
        raise CausalModelError(f"model {name!r}: tables for unknown variables {extra}")
    return CausalModel(name, variables, values, links, cpds=cpds, description=description)


def from_data(
    table: Any,
    links: Sequence[tuple[str, str]],
    name: str = "data",
    pseudocount: float = 1.0,
    values: Mapping[str, Sequence[str]] | None = None,
) -> CausalModel:
    """A model whose tables are estimated from a data table (a ``pandas.DataFrame`` of value
    names, one column per variable) and the given ``links``: each conditional probability is
    the count of the value given its parents' values plus ``pseudocount`` (Laplace), normalised.

    ``values`` fixes each variable's values and their order (default: the sorted distinct
    cells of its column, so the first in sort order is the "positive" value).
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame) or table.empty:
        raise CausalModelError("from_data needs a non-empty pandas DataFrame (one column per variable)")
    if not pseudocount >= 0:
        raise CausalModelError(f"pseudocount must be >= 0, got {pseudocount}")
    frame = table.astype(str)
    variables = [str(c) for c in frame.columns]
    values = {
        v: tuple(map(str, values[v])) if values is not None and v in values else tuple(sorted(frame[v].unique()))
        for v in variables
    }
    model = CausalModel(name, variables, values, links)
    codes = {}
    for v in variables:
        cat = pd.Categorical(frame[v], categories=list(values[v]))
        if (cat.codes < 0).any():
            bad = frame[v][cat.codes < 0].iloc[0]
            raise CausalModelError(f"column {v!r} holds {bad!r}, which is not among its values {list(values[v])}")
        codes[v] = cat.codes.astype(np.int64)
    tables = {}
    for v in variables:
        parents = model.parents(v)
        shape = tuple(len(values[p]) for p in parents) + (len(values[v]),)
        counts = np.full(shape, float(pseudocount))
        np.add.at(counts, tuple(codes[p] for p in parents) + (codes[v],), 1.0)
        total = counts.sum(axis=-1, keepdims=True)
        if (total == 0).any():
            raise CausalModelError(
                f"{v!r}: a combination of its parents' values never occurs in the data; use pseudocount > 0"
            )
        tables[v] = counts / total
    return from_tables(
        name,
        values,
        links,
        tables,
        description=f"tables estimated from a data table of {len(frame)} rows (pseudocount {pseudocount:g})",
    )

"""The checks of a causal model's specification (variables, values, links, CPDs) and of a
number of rows to sample; each raises :class:`~spiking_direct.errors.CausalModelError` on the
first problem found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import CausalModelError
from .cpds import CPD


def _check_variables(name: str, variables: Sequence[str]) -> tuple[str, ...]:
    if isinstance(variables, str):
        raise CausalModelError(f"model {name!r}: variables must be a sequence of names, not a string")
    variables = tuple(variables)
    if not variables:
        raise CausalModelError(f"model {name!r}: empty variable list")
    for v in variables:
        if not isinstance(v, str) or not v:
            raise CausalModelError(f"model {name!r}: variable names must be non-empty strings, got {v!r}")
    dupes = sorted({v for v in variables if variables.count(v) > 1})
    if dupes:
        raise CausalModelError(f"model {name!r}: duplicate variable names: {dupes}")
    return variables


def _check_values(
    name: str, variables: tuple[str, ...], values: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    if not isinstance(values, Mapping):
        raise CausalModelError(f"model {name!r}: values must be a mapping of variable to values")
    extra = sorted(set(values) - set(variables))
    if extra:
        raise CausalModelError(f"model {name!r}: values given for unknown variables {extra}")
    out: dict[str, tuple[str, ...]] = {}
    for v in variables:
        if v not in values:
            raise CausalModelError(f"model {name!r}: values missing for variable {v!r}")
        vals = values[v]
        if isinstance(vals, str):
            raise CausalModelError(
                f"model {name!r}: values of {v!r} must be a sequence of names, not the string {vals!r}"
            )
        vals = tuple(vals)
        if any(not isinstance(x, str) for x in vals):
            raise CausalModelError(f"model {name!r}: values of {v!r} must be strings, got {list(vals)}")
        if len(vals) < 2:
            raise CausalModelError(f"model {name!r}: variable {v!r} has fewer than 2 values: {list(vals)}")
        if len(set(vals)) != len(vals):
            raise CausalModelError(f"model {name!r}: variable {v!r} has duplicate values: {list(vals)}")
        out[v] = vals
    return out


def _check_links(name: str, index: Mapping[str, int], links: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for link in links:
        if isinstance(link, str) or len(link) != 2:
            raise CausalModelError(f"model {name!r}: a link must be a pair (u, v), got {link!r}")
        u, v = link
        for x in (u, v):
            if x not in index:
                raise CausalModelError(f"model {name!r}: link {u!r} -> {v!r} names unknown variable {x!r}")
        if u == v:
            raise CausalModelError(f"model {name!r}: self-link {u!r} -> {v!r}")
        if (u, v) in seen:
            raise CausalModelError(f"model {name!r}: duplicate link {u!r} -> {v!r}")
        seen.add((u, v))
        out.append((u, v))
    if not out:
        raise CausalModelError(f"model {name!r}: no links (empty graph)")
    return tuple(out)


def _check_cpds(name: str, variables: tuple[str, ...], cpds: Mapping[str, CPD] | None) -> dict[str, CPD] | None:
    if cpds is None:
        return None
    extra = sorted(set(cpds) - set(variables))
    if extra:
        raise CausalModelError(f"model {name!r}: CPDs given for unknown variables {extra}")
    out: dict[str, CPD] = {}
    for v in variables:
        if v not in cpds:
            raise CausalModelError(f"model {name!r}: CPD missing for variable {v!r}")
        if not callable(cpds[v]):
            raise CausalModelError(f"model {name!r}: the CPD of {v!r} is not callable")
        out[v] = cpds[v]
    return out


def _check_n_rows(n_rows: int) -> int:
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 0:
        raise CausalModelError(f"n_rows must be a non-negative integer, got {n_rows!r}")
    return int(n_rows)

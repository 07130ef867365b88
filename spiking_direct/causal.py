"""Causal models: the specification (variables, values, directed links) and sampling.

A :class:`CausalModel` is plain data, validated once on construction. The
built-in Alzheimer SCM (:func:`alzheimer`), random DAGs (:func:`random_dag`)
and the bnlearn networks shipped inside the pgmpy wheel (:func:`from_bif`) are
different constructors of the same class; :func:`get_model` picks one by name.

Conditional probability distributions (CPDs) are *vectorised* callables::

    cpd(parents: dict[str, np.ndarray]) -> np.ndarray

``parents`` maps each parent of the variable to an int array of value indices,
shape ``(N,)``; the result holds the probabilities of the variable's values,
shape ``(N, cardinality)``, rows summing to 1. A root's CPD receives an empty
dict and may return shape ``(cardinality,)``, which is broadcast to every row.
Value index 0 is the variable's "positive" value.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib.resources
import logging
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .errors import CausalModelError

__all__ = [
    "CausalModel",
    "CausalModelError",
    "alzheimer",
    "random_dag",
    "from_bif",
    "from_json",
    "get_model",
    "available_models",
    "shipped_bif_names",
]

#: Largest joint state space :meth:`CausalModel.exact_distribution` enumerates (beyond: variable elimination).
MAX_EXACT_STATES = 2**20

#: Decimals the marginals from variable elimination are rounded to (see ``_eliminated_distribution``).
ELIMINATION_DECIMALS = 12

#: Tolerance on the row sums of a CPD's output.
_ROW_SUM_TOL = 1e-6

CPD = Callable[[dict[str, np.ndarray]], np.ndarray]


@contextlib.contextmanager
def quiet_pgmpy():
    """pgmpy's warnings and log messages (below ERROR) silenced for the block."""
    logger = logging.getLogger("pgmpy")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class CausalModel:
    """A causal DAG over categorical variables, optionally with CPDs (an SCM).

    Parameters
    ----------
    name : str
        Short name of the model (used in results and file names).
    variables : sequence of str
        Variable names; their order fixes every index used elsewhere.
    values : mapping of str to sequence of str
        ``values[var]`` lists the variable's values, the "positive" value first.
        Every variable needs at least two distinct values.
    links : sequence of (str, str)
        Directed links ``(u, v)`` meaning ``u -> v``; they must form a DAG with
        at least one link.
    cpds : mapping of str to callable, optional
        One vectorised CPD per variable (see the module docstring). Without
        CPDs the model is a structure only and cannot be sampled.
    description : str
        Free text.

    Raises
    ------
    CausalModelError
        On the first problem found in the specification.
    """

    def __init__(
        self,
        name: str,
        variables: Sequence[str],
        values: Mapping[str, Sequence[str]],
        links: Sequence[tuple[str, str]],
        cpds: Mapping[str, CPD] | None = None,
        description: str = "",
    ) -> None:
        self._name = str(name)
        self._description = str(description)
        self._variables = _check_variables(self._name, variables)
        self._index = {v: i for i, v in enumerate(self._variables)}
        self._values = _check_values(self._name, self._variables, values)
        self._links = _check_links(self._name, self._index, links)
        graph = nx.DiGraph()
        graph.add_nodes_from(self._variables)
        graph.add_edges_from(self._links)
        if not nx.is_directed_acyclic_graph(graph):
            cycle = [u for u, _ in nx.find_cycle(graph)]
            raise CausalModelError(f"model {self._name!r}: the links form a cycle: " + " -> ".join(cycle + [cycle[0]]))
        self._graph = nx.freeze(graph)
        self._parents = {v: tuple(sorted(graph.predecessors(v), key=self._index.__getitem__)) for v in self._variables}
        self._topo = tuple(nx.lexicographical_topological_sort(graph, key=self._index.__getitem__))
        self._cpds = _check_cpds(self._name, self._variables, cpds)
        #: The pgmpy network this model was read from (``from_bif`` only).
        self.bayesian_network: Any = None
        self._pgmpy: Any = None  # the model's CPDs as a pgmpy network (built on first use)
        self._eliminators: dict = {}  # pgmpy VariableElimination per set of intervened variables

    # -- plain data ---------------------------------------------------------
    @property
    def name(self) -> str:
        """Short name of the model."""
        return self._name

    @property
    def description(self) -> str:
        """Free-text description."""
        return self._description

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names, in index order."""
        return self._variables

    @property
    def values(self) -> dict[str, tuple[str, ...]]:
        """Values of each variable, positive value first (a fresh dict)."""
        return dict(self._values)

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """Directed links ``(u, v)``, in the order given."""
        return self._links

    @property
    def n_variables(self) -> int:
        """Number of variables."""
        return len(self._variables)

    @property
    def n_links(self) -> int:
        """Number of directed links."""
        return len(self._links)

    @property
    def index(self) -> dict[str, int]:
        """Position of each variable (a fresh dict)."""
        return dict(self._index)

    @property
    def graph(self) -> nx.DiGraph:
        """The DAG as a frozen (read-only) networkx ``DiGraph``, built once."""
        return self._graph

    @property
    def cpds(self) -> dict[str, CPD] | None:
        """The CPDs by variable (a fresh dict), or None for a structure only."""
        return None if self._cpds is None else dict(self._cpds)

    @property
    def has_cpds(self) -> bool:
        """Whether the model can be sampled."""
        return self._cpds is not None

    def adjacency(self) -> np.ndarray:
        """Boolean ``(n, n)`` matrix, ``adj[i, j]`` True iff ``variables[i] -> variables[j]``."""
        adj = np.zeros((self.n_variables, self.n_variables), dtype=bool)
        for i, j in self.link_indices():
            adj[i, j] = True
        return adj

    def topological_order(self) -> tuple[str, ...]:
        """Variables in a topological order (ties broken by variable index)."""
        return self._topo

    def parents(self, v: str) -> tuple[str, ...]:
        """Parents of ``v``, in variable order."""
        return self._parents[self._check_variable(v)]

    def cardinality(self, v: str) -> int:
        """Number of values of ``v``."""
        return len(self._values[self._check_variable(v)])

    def link_indices(self) -> list[tuple[int, int]]:
        """Links as ``(i, j)`` variable indices, in the order of :attr:`links`."""
        return [(self._index[u], self._index[v]) for u, v in self._links]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable specification (no CPDs)."""
        return {
            "name": self._name,
            "description": self._description,
            "variables": list(self._variables),
            "values": {v: list(vals) for v, vals in self._values.items()},
            "links": [list(link) for link in self._links],
        }

    def __repr__(self) -> str:
        return (
            f"CausalModel(name={self._name!r}, n_variables={self.n_variables}, "
            f"n_links={self.n_links}, cpds={'yes' if self.has_cpds else 'no'})"
        )

    # -- sampling -----------------------------------------------------------
    def sample_indices(
        self,
        n_rows: int,
        rng: np.random.Generator,
        do: Mapping[str, str] | None = None,
    ) -> np.ndarray:
        """Sample a table of value indices, vectorised over rows.

        Parameters
        ----------
        n_rows : int
            Number of rows (>= 0).
        rng : numpy.random.Generator
            Source of randomness; one ``rng.random(n_rows)`` is drawn per
            variable not under ``do``, in topological order.
        do : mapping of str to str, optional
            Interventions ``{variable: value name}``: the variable's equation is
            replaced by the constant (graph surgery).

        Returns
        -------
        numpy.ndarray
            Int array ``(n_rows, n_variables)``; column ``i`` holds value indices
            of ``variables[i]``.
        """
        cpds = self._require_cpds()
        n = _check_n_rows(n_rows)
        fixed = self._check_do(do)
        out = np.empty((n, self.n_variables), dtype=np.int64)
        columns: dict[str, np.ndarray] = {}
        for v in self._topo:
            if v in fixed:
                col = np.full(n, fixed[v], dtype=np.int64)
            else:
                probs = self._cpd_probabilities(cpds, v, columns, n)
                col = _draw(probs, rng)
            columns[v] = col
            out[:, self._index[v]] = col
        return out

    def sample(
        self,
        n_rows: int,
        rng: np.random.Generator,
        do: Mapping[str, str] | None = None,
    ) -> pd.DataFrame:
        """Sample a table of value names (see :meth:`sample_indices`).

        Returns
        -------
        pandas.DataFrame
            One categorical column per variable, categories in the model's
            value order (positive value first).
        """
        idx = self.sample_indices(n_rows, rng, do=do)
        data = {
            v: pd.Categorical.from_codes(idx[:, i], categories=list(self._values[v]))
            for i, v in enumerate(self._variables)
        }
        return pd.DataFrame(data, columns=list(self._variables))

    def exact_distribution(self, do: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
        """Exact marginal distribution of every variable, optionally under ``do()``.

        Up to :data:`MAX_EXACT_STATES` joint states of the variables not under
        ``do``, the joint state space is enumerated (vectorised); larger models
        (alarm, insurance, child, big random DAGs) go through pgmpy's variable
        elimination on the mutilated network (:meth:`to_pgmpy`; the intervened
        variables lose their incoming links and are observed at their value).
        Both are exact (they agree to round-off, ``tests/test_truth.py``).

        Returns
        -------
        dict of str to numpy.ndarray
            ``result[v][k]`` is the probability of the ``k``-th value of ``v``.
        """
        cpds = self._require_cpds()
        fixed = self._check_do(do)
        free = [v for v in self._variables if v not in fixed]
        cards = [len(self._values[v]) for v in free]
        n_states = math.prod(cards)
        if n_states > MAX_EXACT_STATES:
            return self._eliminated_distribution(fixed)
        flat = np.arange(n_states, dtype=np.int64)
        columns: dict[str, np.ndarray] = {}
        stride = n_states
        for v, card in zip(free, cards):  # row-major: first free variable slowest
            stride //= card
            columns[v] = (flat // stride) % card
        for v, k in fixed.items():
            columns[v] = np.full(n_states, k, dtype=np.int64)
        weight = np.ones(n_states)
        for v in self._topo:
            if v in fixed:
                continue
            probs = self._cpd_probabilities(cpds, v, columns, n_states)
            weight *= probs[flat, columns[v]]
        return {v: np.bincount(columns[v], weights=weight, minlength=len(self._values[v])) for v in self._variables}

    def cpd_table(self, v: str) -> np.ndarray:
        """The CPD of ``v`` as a table indexed ``[parent_1, ..., parent_m, value]``
        (parents in :meth:`parents` order, every axis in model value order)."""
        cpds = self._require_cpds()
        parents = self._parents[self._check_variable(v)]
        shape = [len(self._values[p]) for p in parents]
        grid = np.indices(shape).reshape(len(shape), -1) if parents else np.zeros((0, 1), dtype=np.int64)
        n = grid.shape[1]
        probs = self._cpd_probabilities(cpds, v, dict(zip(parents, grid)), n)
        return probs.reshape(shape + [len(self._values[v])])

    def to_pgmpy(self):
        """The model as a pgmpy ``DiscreteBayesianNetwork`` (built once from
        :meth:`cpd_table`; states named by the model's values)."""
        if self._pgmpy is None:
            from pgmpy.factors.discrete import TabularCPD
            from pgmpy.models import DiscreteBayesianNetwork

            self._require_cpds()
            net = DiscreteBayesianNetwork(self._links)
            net.add_nodes_from(self._variables)
            for v in self._variables:
                parents = list(self._parents[v])
                table = self.cpd_table(v)  # [parents..., value]; pgmpy wants [value, parents... (flattened)]
                net.add_cpds(
                    TabularCPD(
                        v,
                        table.shape[-1],
                        np.moveaxis(table, -1, 0).reshape(table.shape[-1], -1),
                        evidence=parents or None,
                        evidence_card=[len(self._values[p]) for p in parents] or None,
                        state_names={x: list(self._values[x]) for x in [v, *parents]},
                    )
                )
            self._pgmpy = net
        return self._pgmpy

    def _eliminated_distribution(self, fixed: Mapping[str, int]) -> dict[str, np.ndarray]:
        """:meth:`exact_distribution` by pgmpy's variable elimination: in the
        network mutilated by ``do`` (incoming links of the intervened variables
        removed, their CPDs uniform) the interventional distribution is the
        conditional one given the intervened values."""
        key = frozenset(fixed)
        with quiet_pgmpy():
            if key not in self._eliminators:
                from pgmpy.factors.discrete import TabularCPD
                from pgmpy.inference import VariableElimination

                net = self.to_pgmpy().do(sorted(key)) if key else self.to_pgmpy()
                for v in key:  # an observed value must have positive probability
                    card = len(self._values[v])
                    net.remove_cpds(v)
                    net.add_cpds(
                        TabularCPD(v, card, np.full((card, 1), 1.0 / card), state_names={v: list(self._values[v])})
                    )
                self._eliminators[key] = VariableElimination(net)
            infer = self._eliminators[key]
            evidence = {v: self._values[v][k] for v, k in fixed.items()}
            out = {}
            for v in self._variables:
                if v in fixed:
                    dist = np.zeros(len(self._values[v]))
                    dist[fixed[v]] = 1.0
                else:
                    factor = infer.query([v], evidence=evidence or None, show_progress=False)
                    states = list(factor.state_names[v])
                    dist = np.asarray(factor.values, dtype=float)[[states.index(x) for x in self._values[v]]]
                    # pgmpy multiplies factors in an order that changes from process to process (sets
                    # of factor objects), and with it the last bits: rounded, a seed's result files
                    # are the same in every run
                    dist = np.round(dist, ELIMINATION_DECIMALS)
                out[v] = dist
        return out

    # -- controls -----------------------------------------------------------
    def shuffled(self, rng: np.random.Generator, max_tries: int = 100) -> "CausalModel":
        """A negative control: same variables and values, random non-true links.

        The new links are ``n_links`` ordered pairs, none of them a true link,
        oriented along a random order of the variables (so they form a DAG).
        Reversed true links are allowed. The result has no CPDs.

        Raises
        ------
        CausalModelError
            If no such set of links was found in ``max_tries`` random orders.
        """
        truth = set(self._links)
        k = self.n_links
        for _ in range(max_tries):
            order = [self._variables[i] for i in rng.permutation(self.n_variables)]
            candidates = [
                (order[a], order[b])
                for a in range(len(order))
                for b in range(a + 1, len(order))
                if (order[a], order[b]) not in truth
            ]
            if len(candidates) < k:
                continue
            chosen = rng.choice(len(candidates), size=k, replace=False)
            links = sorted(
                (candidates[c] for c in chosen),
                key=lambda link: (self._index[link[0]], self._index[link[1]]),
            )
            return CausalModel(
                f"{self._name}-shuffled",
                self._variables,
                self._values,
                links,
                cpds=None,
                description=f"negative control: {k} random non-links of {self._name!r}",
            )
        raise CausalModelError(
            f"model {self._name!r}: found no DAG of {k} links avoiding the true links in {max_tries} tries"
        )

    # -- helpers ------------------------------------------------------------
    def _check_variable(self, v: str) -> str:
        if v not in self._index:
            raise CausalModelError(f"model {self._name!r} has no variable {v!r}")
        return v

    def _require_cpds(self) -> dict[str, CPD]:
        if self._cpds is None:
            raise CausalModelError(f"model {self._name} has no CPDs; it cannot be sampled")
        return self._cpds

    def _check_do(self, do: Mapping[str, str] | None) -> dict[str, int]:
        """Validate ``do`` and return ``{variable: value index}``."""
        if do is None:
            return {}
        if not isinstance(do, Mapping):
            raise CausalModelError(f"do() must be a mapping of variable to value, got {do!r}")
        fixed: dict[str, int] = {}
        for var, value in do.items():
            if var not in self._index:
                raise CausalModelError(f"do(): model {self._name!r} has no variable {var!r}")
            vals = self._values[var]
            if not isinstance(value, str) or value not in vals:
                raise CausalModelError(f"do(): {value!r} is not a value of {var!r}; its values are {list(vals)}")
            fixed[var] = vals.index(value)
        return fixed

    def _cpd_probabilities(
        self, cpds: Mapping[str, CPD], v: str, columns: Mapping[str, np.ndarray], n: int
    ) -> np.ndarray:
        """Call ``v``'s CPD on the parent columns; check and return ``(n, card)``."""
        card = len(self._values[v])
        parents = {p: columns[p] for p in self._parents[v]}
        probs = np.asarray(cpds[v](parents), dtype=float)
        if probs.ndim == 1 and probs.shape == (card,):
            probs = np.broadcast_to(probs, (n, card))
        if probs.shape != (n, card):
            raise CausalModelError(
                f"model {self._name!r}: the CPD of {v!r} returned shape {probs.shape}, expected {(n, card)}"
            )
        if n and (
            not np.all(np.isfinite(probs)) or probs.min() < 0.0 or np.abs(probs.sum(axis=1) - 1.0).max() > _ROW_SUM_TOL
        ):
            raise CausalModelError(
                f"model {self._name!r}: the CPD of {v!r} returned rows that are not probability distributions"
            )
        return probs


# -- validation helpers -------------------------------------------------------


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


def _draw(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of ``probs`` (inverse CDF, vectorised)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(probs.shape[0])
    # smallest k with u < cum[k]; zero-probability values are never drawn
    return (cum[:, :-1] <= u[:, None]).sum(axis=1).astype(np.int64)


# -- CPD builders --------------------------------------------------------------


def _root_cpd(p_positive: float) -> CPD:
    """Binary root: P(value 0) = ``p_positive``."""
    table = np.array([p_positive, 1.0 - p_positive])

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        return table

    return cpd


def _additive_risk_cpd(base: float, increments: Mapping[str, float], cap: float = 0.98) -> CPD:
    """Binary child: P(value 0) = min(cap, base + sum of increments of parents at value 0)."""
    increments = dict(increments)

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(parents.values())))
        p = np.full(n, float(base))
        for parent, inc in increments.items():
            p += inc * (parents[parent] == 0)
        p = np.minimum(p, cap)
        return np.column_stack([p, 1.0 - p])

    return cpd


# -- constructors --------------------------------------------------------------

_ALZHEIMER_ROOTS = {  # variable: (values, P(positive))
    "APOE4": (("Carrier", "Non-carrier"), 0.30),
    "PhysicalActivity": (("Sedentary", "Active"), 0.40),
    "Diet": (("Poor", "Healthy"), 0.45),
    "Cholesterol": (("High", "Normal"), 0.35),
    "Inflammation": (("High", "Normal"), 0.25),
    "SleepQuality": (("Poor", "Good"), 0.40),
    "Education": (("Low", "High"), 0.35),
}
_ALZHEIMER_CHILDREN = {  # variable: (values, base, {parent: increment})
    "Amyloid": (
        ("High", "Normal"),
        0.15,
        {"APOE4": 0.50, "PhysicalActivity": 0.20, "Cholesterol": 0.25, "Inflammation": 0.20},
    ),
    "Tau": (("High", "Normal"), 0.10, {"Diet": 0.35, "Inflammation": 0.20, "SleepQuality": 0.15}),
    "CognitiveDecline": (
        ("Decline", "Stable"),
        0.05,
        {"Amyloid": 0.45, "Tau": 0.30, "Education": 0.10},
    ),
}
_ALZHEIMER_LINKS = (
    ("APOE4", "Amyloid"),
    ("PhysicalActivity", "Amyloid"),
    ("Cholesterol", "Amyloid"),
    ("Inflammation", "Amyloid"),
    ("Inflammation", "Tau"),
    ("Diet", "Tau"),
    ("SleepQuality", "Tau"),
    ("Amyloid", "CognitiveDecline"),
    ("Tau", "CognitiveDecline"),
    ("Education", "CognitiveDecline"),
)


def alzheimer() -> CausalModel:
    """The public 10-variable, 10-link Alzheimer SCM (direct-method.md, section 3).

    Binary variables, positive value first; roots independent; children by
    additive risk ``P(positive) = min(0.98, base + sum of increments)``.
    """
    variables = list(_ALZHEIMER_ROOTS) + list(_ALZHEIMER_CHILDREN)
    values = {v: vals for v, (vals, _) in _ALZHEIMER_ROOTS.items()}
    values.update({v: spec[0] for v, spec in _ALZHEIMER_CHILDREN.items()})
    cpds = {v: _root_cpd(p) for v, (_, p) in _ALZHEIMER_ROOTS.items()}
    cpds.update({v: _additive_risk_cpd(base, incs) for v, (_, base, incs) in _ALZHEIMER_CHILDREN.items()})
    return CausalModel(
        "alzheimer",
        variables,
        values,
        _ALZHEIMER_LINKS,
        cpds=cpds,
        description="Alzheimer SCM (public 10-link version of Kopadi and Kalles' code)",
    )


def random_dag(
    n_variables: int,
    expected_degree: float,
    rng: np.random.Generator,
    kind: str = "erdos_renyi",
    name: str | None = None,
    max_tries: int = 100,
) -> CausalModel:
    """A random DAG with binary additive-risk CPDs.

    The undirected skeleton comes from networkx: ``"erdos_renyi"`` uses
    ``gnp_random_graph`` with ``p = expected_degree / (n - 1)``;
    ``"scale_free"`` uses ``barabasi_albert_graph`` with
    ``m = max(1, round(expected_degree / 2))``. Each edge is oriented from the
    lower to the higher networkx node number; the nodes are then given to the
    variables ``X0..X{n-1}`` through a random permutation, so that the variable
    order is not a topological order. Values are ``("on", "off")``; roots have
    ``P(on) ~ U(0.3, 0.5)``; children ``P(on) = min(0.98, 0.1 + sum of
    increments ~ U(0.2, 0.5) over parents that are on)``.

    Raises
    ------
    CausalModelError
        For ``n_variables < 2``, a bad ``kind`` or degree, or if ``max_tries``
        skeletons in a row had no edge.
    """
    if isinstance(n_variables, bool) or not isinstance(n_variables, (int, np.integer)) or n_variables < 2:
        raise CausalModelError(f"random_dag needs n_variables >= 2, got {n_variables!r}")
    n = int(n_variables)
    expected_degree = float(expected_degree)
    if not expected_degree > 0:
        raise CausalModelError(f"random_dag needs expected_degree > 0, got {expected_degree!r}")
    if kind not in ("erdos_renyi", "scale_free"):
        raise CausalModelError(f"unknown random DAG kind {kind!r}; use 'erdos_renyi' or 'scale_free'")
    for _ in range(max_tries):
        seed = int(rng.integers(2**32))
        if kind == "erdos_renyi":
            skeleton = nx.gnp_random_graph(n, min(1.0, expected_degree / (n - 1)), seed=seed)
        else:
            m = min(n - 1, max(1, round(expected_degree / 2)))
            skeleton = nx.barabasi_albert_graph(n, m, seed=seed)
        if skeleton.number_of_edges():
            break
    else:
        raise CausalModelError(
            f"random_dag: {max_tries} {kind} graphs on {n} nodes with expected degree {expected_degree} had no edge"
        )
    perm = rng.permutation(n)  # networkx node a -> variable X{perm[a]}
    names = [f"X{i}" for i in range(n)]
    links = sorted((int(perm[min(a, b)]), int(perm[max(a, b)])) for a, b in skeleton.edges())
    links_named = [(names[i], names[j]) for i, j in links]
    parents: dict[str, list[str]] = {v: [] for v in names}
    for u, v in links_named:
        parents[v].append(u)
    cpds: dict[str, CPD] = {}
    for v in names:  # parameters drawn in variable order
        if parents[v]:
            incs = rng.uniform(0.2, 0.5, size=len(parents[v]))
            cpds[v] = _additive_risk_cpd(0.1, dict(zip(parents[v], incs.tolist())))
        else:
            cpds[v] = _root_cpd(float(rng.uniform(0.3, 0.5)))
    if name is None:
        name = f"random-{kind}-{n}-{expected_degree:g}"
    return CausalModel(
        name,
        names,
        {v: ("on", "off") for v in names},
        links_named,
        cpds=cpds,
        description=f"random {kind} DAG, {n} variables, expected degree {expected_degree:g}",
    )


def _example_models_dir() -> str:
    """The folder of example networks shipped inside the pgmpy wheel."""
    return str(importlib.resources.files("pgmpy") / "utils" / "example_models")


def shipped_bif_names() -> list[str]:
    """Names of the ``.bif.gz`` networks shipped inside the pgmpy wheel."""
    folder = _example_models_dir()
    if not os.path.isdir(folder):
        return []
    return sorted(f[: -len(".bif.gz")] for f in os.listdir(folder) if f.endswith(".bif.gz"))


def _bif_cpd(table: np.ndarray, evidence: tuple[str, ...]) -> CPD:
    """Vectorised CPD from a table indexed ``[ev_1, ..., ev_m, value]``."""

    def cpd(parents: dict[str, np.ndarray]) -> np.ndarray:
        if not evidence:
            return table
        return table[tuple(parents[p] for p in evidence)]

    return cpd


def from_bif(name_or_path: str) -> CausalModel:
    """Load a Bayesian network from a BIF file, offline.

    Parameters
    ----------
    name_or_path : str
        A path to a ``.bif`` or ``.bif.gz`` file, or the name of a network
        shipped inside the pgmpy wheel (``pgmpy/utils/example_models``), e.g.
        ``"asia"`` or ``"sachs"``.

    Returns
    -------
    CausalModel
        Variables in BIF order, values the BIF state names (first state is the
        "positive" one), links the network's edges (sorted by variable index),
        vectorised CPDs from the tables; ``model.bayesian_network`` holds the
        pgmpy model.
    """
    from pgmpy.readwrite import BIFReader  # pgmpy is slow to import

    text_path = str(name_or_path)
    if os.path.isfile(text_path):
        path = text_path
        base = os.path.basename(path)
        name = base[: -len(".gz")] if base.endswith(".gz") else base
        name = name[: -len(".bif")] if name.endswith(".bif") else name
        description = f"Bayesian network read from {path}"
    else:
        names = shipped_bif_names()
        if text_path not in names:
            from .errors import suggest

            raise CausalModelError(
                f"no causal model, BIF file or shipped network named {text_path!r}"
                f"{suggest(text_path, available_models()) or ''}; models: {', '.join(available_models())}"
            )
        path = os.path.join(_example_models_dir(), text_path + ".bif.gz")
        name = text_path
        description = f"bnlearn network {name!r} (shipped with pgmpy)"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    reader = BIFReader(string=text)
    return from_pgmpy(
        reader.get_model(),
        name=name,
        description=description,
        variables=[str(v) for v in reader.variable_names],
        states={str(v): [str(s) for s in reader.variable_states[v]] for v in reader.variable_names},
    )


def from_pgmpy(
    bn: Any,
    name: str = "pgmpy",
    description: str = "",
    variables: Sequence[str] | None = None,
    states: Mapping[str, Sequence[str]] | None = None,
) -> CausalModel:
    """A model from a pgmpy Bayesian network (``pgmpy.models.DiscreteBayesianNetwork`` or
    ``BayesianNetwork``) with a tabular CPD for every variable.

    ``variables`` fixes the variable order (default: the network's node order) and
    ``states`` each variable's value order, the first being the "positive" value
    (default: the state names of its CPD). ``model.bayesian_network`` holds ``bn``.
    """
    cpd_list = list(bn.get_cpds())
    by_var = {str(t.variable): t for t in cpd_list}
    variables = [str(v) for v in (variables if variables is not None else bn.nodes())]
    missing = [v for v in variables if v not in by_var]
    if missing:
        raise CausalModelError(f"model {name!r}: no CPD for {missing[:5]} (every variable needs a tabular CPD)")
    if states is None:
        states = {v: [str(s) for s in by_var[v].state_names[by_var[v].variable]] for v in variables}
    values = {v: tuple(str(s) for s in states[v]) for v in variables}
    index = {v: i for i, v in enumerate(variables)}
    links = sorted(((str(u), str(v)) for u, v in bn.edges()), key=lambda e: (index[e[0]], index[e[1]]))
    cpds: dict[str, CPD] = {}
    for tab in cpd_list:
        v = str(tab.variable)
        scope = [str(x) for x in tab.variables]  # [v, evidence...]
        arr = np.asarray(tab.values, dtype=float).reshape([len(values[x]) for x in scope])
        # reorder each axis from pgmpy's state order to the model's value order
        for axis, x in enumerate(scope):
            cpd_states = [str(s) for s in tab.state_names[x]]
            arr = np.take(arr, [cpd_states.index(s) for s in values[x]], axis=axis)
        arr = np.moveaxis(arr, 0, -1)  # [ev..., value]
        arr = arr / arr.sum(axis=-1, keepdims=True)
        cpds[v] = _bif_cpd(np.ascontiguousarray(arr), tuple(scope[1:]))
    model = CausalModel(name, variables, values, links, cpds=cpds, description=description)
    for v in variables:
        if set(model.parents(v)) != set(_cpd_evidence(bn, v)):
            raise CausalModelError(f"model {name!r}: the CPD of {v!r} does not match its parents")
    model.bayesian_network = bn
    return model


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


def _cpd_evidence(bn: Any, v: str) -> list[str]:
    return [str(x) for x in bn.get_cpds(v).variables[1:]]


# -- registry ------------------------------------------------------------------


def available_models() -> list[str]:
    """Names :func:`get_model` accepts (besides ``random:...`` and file paths)."""
    return ["alzheimer"] + shipped_bif_names()


def from_json(path: str) -> CausalModel:
    """A structure-only model from a JSON file ``{"name", "variables", "values", "links"}``
    (``values`` maps each variable to its value names, positive first; ``links``
    is a list of ``[source, target]``). It has no CPDs: it cannot be sampled, and
    DIRECT couples its value pairs uniformly."""
    import json

    try:
        with open(path) as fh:
            spec = json.load(fh)
    except FileNotFoundError:
        raise CausalModelError(f"no such model file: {path}") from None
    except json.JSONDecodeError as exc:
        raise CausalModelError(f"{path} is not valid JSON: {exc}") from None
    missing = [key for key in ("variables", "values", "links") if key not in spec]
    if missing:
        raise CausalModelError(f"{path}: missing key(s) {missing}")
    return CausalModel(
        name=spec.get("name", Path(path).stem),
        variables=spec["variables"],
        values=spec["values"],
        links=[tuple(link) for link in spec["links"]],
        description=spec.get("description", ""),
    )


def get_model(name: str) -> CausalModel:
    """A model by name.

    ``"alzheimer"`` gives :func:`alzheimer`;
    ``"random:<n>:<degree>:<seed>[:kind]"`` gives :func:`random_dag` with
    ``numpy.random.default_rng(seed)`` (kind ``erdos_renyi`` by default);
    anything else goes to :func:`from_bif` (a path or a shipped network name).
    """
    if name == "alzheimer":
        return alzheimer()
    if name.endswith(".json"):
        return from_json(name)
    if name.startswith("random:"):
        parts = name.split(":")
        if len(parts) not in (4, 5):
            raise CausalModelError(f"bad random model name {name!r}; use 'random:<n>:<degree>:<seed>[:kind]'")
        try:
            n, degree, seed = int(parts[1]), float(parts[2]), int(parts[3])
        except ValueError:
            raise CausalModelError(f"bad random model name {name!r}; use 'random:<n>:<degree>:<seed>[:kind]'") from None
        kind = parts[4] if len(parts) == 5 else "erdos_renyi"
        return random_dag(n, degree, np.random.default_rng(seed), kind=kind, name=name)
    return from_bif(name)

"""The causal model class, :class:`CausalModel`: a validated DAG over categorical variables,
optionally with CPDs (an SCM); sampling (also under ``do()``), exact marginals (enumerated, or
by pgmpy's variable elimination), the model as a pgmpy network, and shuffled negative controls."""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import CausalModelError
from .cpds import CPD
from .validation import _check_cpds, _check_links, _check_n_rows, _check_values, _check_variables

#: Largest joint state space :meth:`CausalModel.exact_distribution` enumerates (beyond: variable elimination).
MAX_EXACT_STATES = 2**20

#: Decimals the marginals from variable elimination are rounded to (see ``_eliminated_distribution``).
ELIMINATION_DECIMALS = 12

#: Tolerance on the row sums of a CPD's output.
_ROW_SUM_TOL = 1e-6


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
        One vectorised CPD per variable (see :mod:`spiking_direct.causal.cpds`). Without
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


def _draw(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of ``probs`` (inverse CDF, vectorised)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(probs.shape[0])
    # smallest k with u < cum[k]; zero-probability values are never drawn
    return (cum[:, :-1] <= u[:, None]).sum(axis=1).astype(np.int64)

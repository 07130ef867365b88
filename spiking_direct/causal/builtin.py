"""The built-in causal models: the public 10-variable Alzheimer SCM (:func:`alzheimer`) and
random DAGs with binary additive-risk CPDs (:func:`random_dag`)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..errors import CausalModelError
from .cpds import CPD, _additive_risk_cpd, _root_cpd
from .model import CausalModel

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

"""Bayesian networks through pgmpy: BIF files, the bnlearn networks shipped inside the pgmpy
wheel read offline (:func:`from_bif`), and pgmpy network objects (:func:`from_pgmpy`)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import CausalModelError
from .catalogue import _example_models_dir, available_models, shipped_bif_names
from .cpds import CPD, _bif_cpd
from .model import CausalModel


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
            from ..errors import suggest

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


def _cpd_evidence(bn: Any, v: str) -> list[str]:
    return [str(x) for x in bn.get_cpds(v).variables[1:]]

"""Causal models: the specification (variables, values, directed links) and sampling.

A :class:`CausalModel` is plain data, validated once on construction. The
built-in Alzheimer SCM (:func:`alzheimer`), random DAGs (:func:`random_dag`)
and the bnlearn networks shipped inside the pgmpy wheel (:func:`from_bif`) are
different constructors of the same class; :func:`get_model` picks one by name.

Modules: :mod:`.model` (:class:`CausalModel`: sampling, ``do()``, exact marginals, the pgmpy
network), :mod:`.validation` (the checks of a specification), :mod:`.cpds` (the vectorised CPD
convention and CPD builders), :mod:`.builtin` (the Alzheimer SCM, random DAGs), :mod:`.catalogue`
(the names of the models that come by name), :mod:`.pgmpy_io` (BIF files and pgmpy networks),
:mod:`.tables` (models from probability tables or a data table), :mod:`.registry`
(:func:`get_model`, structure-only JSON files), :mod:`.dynamic` (a model unrolled in time:
:class:`DynamicModel`, :func:`dynamic`), :mod:`.timeseries` (time-series data: :func:`from_csv`,
:func:`check_series`, :func:`codes`).
"""

from ..errors import CausalModelError
from .builtin import alzheimer, random_dag
from .catalogue import available_models, shipped_bif_names
from .cpds import CPD as CPD
from .dynamic import DynamicModel, dynamic, motif
from .model import ELIMINATION_DECIMALS as ELIMINATION_DECIMALS
from .model import MAX_EXACT_STATES as MAX_EXACT_STATES
from .model import CausalModel
from .model import quiet_pgmpy as quiet_pgmpy
from .pgmpy_io import from_bif
from .pgmpy_io import from_pgmpy as from_pgmpy
from .registry import from_json, get_model
from .tables import from_data as from_data
from .tables import from_tables as from_tables
from .timeseries import check_series, codes, from_csv

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
    "DynamicModel",
    "dynamic",
    "motif",
    "from_csv",
    "check_series",
    "codes",
]

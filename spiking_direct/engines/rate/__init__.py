"""The rate-based engine: the Assembly Calculus (NEMO) model in NumPy/SciPy.

Model (Papadimitriou et al., PNAS 2020; docs/direct-method.md section 1)
-------------------------------------------------------------------------
Time is discrete (rounds). A brain area holds ``n`` neurons; synapses are
independent Bernoulli(``p``) draws per ordered pair of cells, weight 1 at the
start. In a round every neuron of a firing area sums the weights of its
synapses from the cells that fired in the previous round (stimulus cells and
winners of source areas), and exactly ``k`` neurons with the largest input
fire: the **k-cap**. Plasticity is multiplicative Hebbian: if ``i`` fired in
round ``t`` and ``j`` fires in round ``t + 1``, ``W[i, j] *= 1 + beta``, with
``beta`` a property of the fibre (the (source, target) connection), so that
plasticity can be turned up and down per connection.

Modules
-------
:mod:`.kernel`
    exact Bernoulli connectivity as CSR, row-entry ranges, the k-cap and its tie rules
:mod:`.nemo`
    the NEMO primitives: :class:`Fibre`, :class:`Stimulus`, :class:`Area`, :class:`Brain`
:mod:`.projection`
    the projection experiment, explicit (:func:`project`) and NEMO's sparse scheme
    (:func:`project_nemo_lazy`)
:mod:`.params`
    :class:`RateParams`, the parameters of the DIRECT engine
:mod:`.inter_area`
    the inter-area synapses of a DIRECT run and their learning rules (multiplicative, outstar)
:mod:`.runner`
    :func:`run_rate`: a Protocol in, a Recording out (set-up, windows, read-back)
:mod:`.engine`
    :class:`RateEngine`, the engine interface (``ENGINE``)

None of them imports Brian2.
"""

from .engine import ENGINE as ENGINE
from .engine import RateEngine as RateEngine
from .inter_area import _InterArea as _InterArea
from .inter_area import linked_pairs
from .kernel import TIE_BREAKS, bernoulli_csr, bernoulli_pairs, k_cap, row_entries
from .kernel import _ranges as _ranges
from .nemo import Area, Brain, Fibre, Stimulus
from .params import CONNECTIVITIES, RateParams
from .params import RULES as RULES
from .params import STIMULI as STIMULI
from .projection import project, project_nemo_lazy
from .runner import run_rate

__all__ = [
    "TIE_BREAKS",
    "CONNECTIVITIES",
    "linked_pairs",
    "bernoulli_pairs",
    "bernoulli_csr",
    "row_entries",
    "k_cap",
    "Fibre",
    "Stimulus",
    "Area",
    "Brain",
    "project",
    "project_nemo_lazy",
    "RateParams",
    "run_rate",
]

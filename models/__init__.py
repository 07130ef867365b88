"""Brian2 neuron and synapse models of spiking_direct, each declared once.

Installed as ``spiking_direct.models``. Every model is a factory that returns
Brian2 ``Equations`` (or statement strings) with symbolic parameters; values
come from the unit-carrying parameter dataclasses here, passed to Brian2
through ``namespace=`` (never formatted into the equations).
"""

# importing Brian2 installs its exception hook; this import leaves the process's hook as it was
from ..brian_state import import_brian2 as _import_brian2

_import_brian2()

from .cortical import CorticalParams  # noqa: E402
from .neurons import (  # noqa: E402
    ExcitatoryParams,
    InhibitoryParams,
    InputParams,
    NeuronModel,
    WindowClock,
    area_clock_model,
    excitatory_model,
    inhibitory_model,
    input_model,
)
from .synapses import (  # noqa: E402
    TIMING_RULES,
    WEIGHT_RULES,
    StaticParams,
    STDPParams,
    static_model,
    stdp_model,
)

__all__ = [
    "CorticalParams",
    "NeuronModel",
    "ExcitatoryParams",
    "InhibitoryParams",
    "InputParams",
    "WindowClock",
    "area_clock_model",
    "excitatory_model",
    "inhibitory_model",
    "input_model",
    "STDPParams",
    "StaticParams",
    "stdp_model",
    "static_model",
    "TIMING_RULES",
    "WEIGHT_RULES",
]

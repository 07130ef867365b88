"""spiking_direct: spiking neural assemblies that learn the direction of causal links."""

import os as _os

__version__ = "0.1.0"

# Installed, ``models/`` ships as ``spiking_direct.models``. Imported straight from a
# source checkout (the repository root on sys.path), it lies beside this package:
# let the package find it there too.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if (
    not _os.path.isdir(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "models"))
    and _os.path.isfile(_os.path.join(_root, "models", "__init__.py"))
    and _root not in __path__
):
    __path__.append(_root)

#: the front door's names and the modules that hold them, imported on first use (PEP 562), so
#: that ``import spiking_direct.engines.rate`` does not import Brian2
_LAZY = {
    "run": "api",
    "compare": "api",
    "run_sweep": "api",
    "discover": "api",
    "build": "api",
    "collect": "api",
    "configure": "api",
    "causal_models": "api",
    "params": "api",
    "model_from_tables": "api",
    "model_from_data": "api",
    "model_from_pgmpy": "api",
    "CausalModel": "causal",
    "NeuronModel": "models",
    "RunConfig": "config",
    "SpikingDirectError": "errors",
    "Result": "results",
}

#: submodules of the front door: ``sd.settings`` is the module :mod:`spiking_direct.settings`
#: itself (one checked attribute per setting), so no import can replace it by another object
_MODULES = ("settings",)

__all__ = [*_LAZY, *_MODULES, "__version__"]


def __getattr__(name):
    import importlib

    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spiking_direct' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

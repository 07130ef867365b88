"""spiking_direct: spiking neural assemblies that learn the direction of causal links."""

import os as _os

__version__ = "0.1.0"

# Installed, ``models/`` ships as ``spiking_direct.models``. Imported straight from a
# source checkout (the repository root on sys.path), it lies beside this package:
# let the package find it there too.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "models")) and \
        _os.path.isfile(_os.path.join(_root, "models", "__init__.py")) and _root not in __path__:
    __path__.append(_root)

from .brian_state import import_brian2 as _import_brian2

# Brian2 is imported here, once, so that its exception hook (which announces every uncaught
# error of the process as a possible Brian2 bug) does not replace the user's
_import_brian2()

from .api import (  # noqa: E402  (after Brian2's import above)
    build,
    collect,
    compare,
    config,
    model_from_data,
    model_from_pgmpy,
    model_from_tables,
    models,
    params,
    run,
)
from .causal import CausalModel  # noqa: E402
from .models import NeuronModel  # noqa: E402
from .config import RunConfig  # noqa: E402
from .errors import SpikingDirectError  # noqa: E402
from .results import Result  # noqa: E402

__all__ = [
    "run",
    "compare",
    "build",
    "collect",
    "config",
    "models",
    "params",
    "model_from_tables",
    "model_from_data",
    "model_from_pgmpy",
    "CausalModel",
    "NeuronModel",
    "Result",
    "RunConfig",
    "SpikingDirectError",
    "__version__",
]

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

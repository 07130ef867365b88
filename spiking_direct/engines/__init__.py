"""Engines turn a Protocol into a Recording: ``spiking`` (Brian2) and ``rate`` (Assembly Calculus).

Every engine implements :class:`Engine` and is found by name with :func:`get_engine`
(its module is imported on first use, so the rate engine never imports Brian2).
The rest of the package talks to engines only through this interface.
"""

from __future__ import annotations

import importlib
from typing import Protocol

#: engine name -> the module that holds it (its ``ENGINE`` object)
_MODULES = {"spiking": "spiking", "rate": "rate"}
ENGINES = tuple(_MODULES)


class Engine(Protocol):
    """What an engine provides (``name``, ``uses_backend``: whether ``RunConfig.backend`` applies).
    ``config`` is a :class:`~spiking_direct.config.RunConfig`, ``protocol`` a
    :class:`~spiking_direct.protocol.Protocol`, ``encoding`` an
    :class:`~spiking_direct.encoding.Encoding`; ``run`` returns a
    :class:`~spiking_direct.recording.Recording`."""

    name: str
    uses_backend: bool

    def validate(self, config) -> None:
        """Check the engine's parameters in ``config`` (also across parameters)."""

    def check(self, config) -> None:
        """Check that this machine can run ``config`` (a compiler, a GPU ...)."""

    def params_dict(self, config) -> dict:
        """The engine's parameters in ``config`` as JSON-ready values (for ``result.json``)."""

    def monitors(self, config, record: dict, dt_ms: float) -> dict:
        """``record`` ({variable: cell indices}) as the engine's monitor description (checked)."""

    def run(
        self,
        protocol,
        encoding,
        config,
        progress=None,
        monitors: dict | None = None,
    ):
        """Run ``protocol`` with ``config``'s parameters and seed; ``monitors``: state to record."""


def get_engine(name: str) -> Engine:
    """The engine called ``name``."""
    if name not in _MODULES:
        from ..errors import ConfigError, suggest

        raise ConfigError(f"unknown engine {name!r}{suggest(name, ENGINES)}; choose from {list(ENGINES)}")
    return importlib.import_module(f".{_MODULES[name]}", __name__).ENGINE

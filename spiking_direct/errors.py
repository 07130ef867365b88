"""The package's errors: one base class, :class:`SpikingDirectError`, caught once by the CLI.

Every error the package raises on bad input or an impossible run derives from it,
so a user (or the command line) can catch them all with one ``except``. Each
subclass also derives from the built-in class it refines (``ValueError`` for bad
values, ``RuntimeError`` for a run that cannot proceed), so code that catches
those keeps working.
"""

from __future__ import annotations

__all__ = [
    "SpikingDirectError",
    "ConfigError",
    "ProtocolError",
    "CausalModelError",
    "EncodingError",
    "DataError",
    "ModelError",
    "SpikingError",
    "BackendError",
    "ExportError",
    "SweepError",
    "InterventionError",
    "MemoryLimitError",
    "CLIError",
    "suggest",
]


class SpikingDirectError(Exception):
    """Base class of every error this package raises on purpose.

    Its message is one line that names the problem and, where there is a
    choice, the allowed values."""


class ConfigError(SpikingDirectError, ValueError):
    """A bad run parameter: unknown key, wrong unit, value outside its domain."""


class ProtocolError(SpikingDirectError, ValueError):
    """A protocol parameter is out of range or inconsistent."""


class CausalModelError(SpikingDirectError, ValueError):
    """An invalid or unknown causal model."""


class EncodingError(SpikingDirectError, ValueError):
    """An input encoding that cannot represent the model."""


class DataError(SpikingDirectError, ValueError):
    """A data table that does not fit the model."""


class ModelError(SpikingDirectError, ValueError):
    """An unsupported neuron/synapse model combination or parameter."""


class SpikingError(SpikingDirectError, RuntimeError):
    """The spiking engine could not build or run the network."""


class BackendError(SpikingDirectError, RuntimeError):
    """A backend is unknown or cannot be used on this machine."""


class ExportError(SpikingDirectError, RuntimeError):
    """An exported standalone build cannot be written or collected."""


class SweepError(SpikingDirectError, ValueError):
    """A bad sweep specification or a sweep that cannot go on."""


class InterventionError(SpikingDirectError, ValueError):
    """A do() query that the run cannot answer."""


class MemoryLimitError(SpikingDirectError, RuntimeError):
    """A run whose estimated memory does not fit this machine."""


class CLIError(SpikingDirectError, ValueError):
    """Bad command-line input."""


def suggest(word: str, choices, n: int = 3) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``word``, or ``""``."""
    import difflib

    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=n, cutoff=0.6)
    if not close:
        low = str(word).lower()
        close = [c for c in choices if low and (low in c.lower() or c.lower().startswith(low[:3]))][:n]
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"

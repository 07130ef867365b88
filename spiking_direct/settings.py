"""The package's settings: how it builds and runs, not what it computes.

``spiking_direct.settings`` (``sd.settings``) is this module, and each setting is
one of its attributes, read and changed from Python like Brian2's preferences:

.. code-block:: python

    import spiking_direct as sd

    sd.settings.make_jobs                  # 8: the value in force
    sd.settings.make_jobs = 2              # checked: ConfigError on a bad value
    with sd.settings.override(scratch="none", profile=True):
        sd.run("alzheimer")                # the previous values are back afterwards
    del sd.settings.make_jobs              # back to the environment variable or the default
    sd.settings.listing()                  # every setting: value, source, variable, doc

Where a value comes from, first match wins: a value set from Python, the setting's
environment variable (read each time the setting is read, so a variable exported
by a shell, CI or ``benchmarks/gpu_device.sh`` applies unchanged), the default.
``spiking-direct settings`` prints the same listing. A bad value, set from Python
or found in the environment, raises :class:`~spiking_direct.errors.ConfigError`
with one line naming the setting (and the variable) and the allowed values.

``SPIKING_DIRECT_SEED`` is not a setting: it is the runtime interface of an
exported standalone binary, whose ``./main`` reads it at start to reseed its
generators (``SPIKING_DIRECT_SEED=7 ./main``; see :mod:`spiking_direct.export`).
The package sets it for the binaries it runs and reads it nowhere.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import ConfigError, suggest

__all__ = ["Setting", "SETTINGS", "SEED_VARIABLE", "override", "source", "listing", "check", "to_environ"]

#: the environment variable an exported standalone binary reads its seed from (not a setting)
SEED_VARIABLE = "SPIKING_DIRECT_SEED"

_OFF = ("", "none", "0")  # texts that turn the results scratch folder off
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    """One setting: its ``name``, environment ``variable``, ``default`` (a value, or a
    callable giving it), the ``allowed`` values in words, the ``parse`` function that turns
    a Python value or the variable's text into the value (None: not allowed) and a one-line
    ``doc``."""

    name: str
    variable: str
    default: Any
    allowed: str
    parse: Callable[[Any], Any]
    doc: str
    default_doc: str = ""  # the default in words, where it is computed
    none_is_default: bool = True  # None (Python) or an empty variable stands for the default

    def default_value(self):
        """The setting's default (computed when the default is a function)."""
        return self.default() if callable(self.default) else self.default


_INVALID = object()


def _jobs(value):
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        try:
            value = int(value)
        except ValueError:
            return _INVALID
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return _INVALID
    return int(value)


def _flag(value):
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else _INVALID
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    return _INVALID


def _folder(value):
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        return None if text.strip().lower() in _OFF else Path(text)
    return _INVALID


def _capability(value):
    if isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            value = float(value)
        except ValueError:
            return _INVALID
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        return _INVALID
    return float(value)


def _address(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    return _INVALID


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "make_jobs",
            "SPIKING_DIRECT_MAKE_JOBS",
            lambda: os.cpu_count() or 1,
            "a whole number >= 1",
            _jobs,
            "parallel compile jobs of a standalone build (local sweeps give each worker cores / workers)",
            "the number of cores",
        ),
        Setting(
            "profile",
            "SPIKING_DIRECT_PROFILE",
            False,
            "true or false (1/0, yes/no, on/off)",
            _flag,
            "build standalone networks with Brian2's per-code-object profile (info['profile_s'] of each run)",
        ),
        Setting(
            "scratch",
            "SPIKING_DIRECT_SCRATCH",
            Path("/dev/shm"),
            "a folder, or none to write results into the build folder",
            _folder,
            "memory file system a standalone run writes its results to (unused when it lacks room)",
            none_is_default=False,
        ),
        Setting(
            "cuda_cc",
            "SPIKING_DIRECT_CUDA_CC",
            None,
            "a compute capability such as 9.0",
            _capability,
            "compute capability cuda_standalone compiles for",
            "the visible GPU's; 9.0 when none is visible",
        ),
        Setting(
            "scheduler",
            "DASK_SCHEDULER_ADDRESS",
            None,
            "a Dask scheduler address such as tcp://HOST:PORT, or none",
            _address,
            "Dask scheduler that sweeps run on",
            "a local cluster",
        ),
    )
}

_python: dict[str, Any] = {}  # the values set from Python


def _setting(name: str) -> Setting:
    if name not in SETTINGS:
        raise ConfigError(f"unknown setting {name!r}{suggest(name, SETTINGS)}; choose from {list(SETTINGS)}")
    return SETTINGS[name]


def _checked(s: Setting, value, from_environment: bool = False):
    parsed = s.parse(value)
    if parsed is _INVALID:
        where = f"${s.variable} (setting {s.name})" if from_environment else f"setting {s.name}"
        raise ConfigError(f"{where} must be {s.allowed}, got {value!r}")
    return parsed


def _get(name: str):
    s = _setting(name)
    if name in _python:
        value = _python[name]
    elif os.environ.get(s.variable) is not None:
        text = os.environ[s.variable]
        value = _checked(s, text, from_environment=True)
    else:
        return s.default_value()
    return s.default_value() if value is None and s.none_is_default else value


def _set(name: str, value) -> None:
    s = _setting(name)
    _python[name] = _checked(s, value)


def source(name: str) -> str:
    """Where setting ``name`` comes from: ``python``, ``environment`` (its variable) or ``default``."""
    s = _setting(name)
    if name in _python:
        return "python"
    if os.environ.get(s.variable) is not None:
        return "environment"
    return "default"


@contextlib.contextmanager
def override(**values) -> Iterator[None]:
    """Set settings from Python inside a ``with`` block; the previous values are back after it."""
    for name, value in values.items():
        _checked(_setting(name), value)
    saved = {name: _python[name] for name in values if name in _python}
    try:
        for name, value in values.items():
            _set(name, value)
        yield
    finally:
        for name in values:
            _python.pop(name, None)
        _python.update(saved)


def check() -> None:
    """Read every setting once: :class:`ConfigError` for the first bad one (e.g. in the environment)."""
    for name in SETTINGS:
        _get(name)


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def listing() -> list[dict]:
    """Every setting as a dict: name, value (as text), source, variable, default, doc."""
    return [
        {
            "name": s.name,
            "value": _shown(_get(s.name)),
            "source": source(s.name),
            "variable": s.variable,
            "default": s.default_doc or _shown(s.default_value()),
            "doc": s.doc,
        }
        for s in SETTINGS.values()
    ]


def to_environ(**fallbacks) -> None:
    """Write the settings set from Python into ``os.environ``, so that processes started
    afterwards (e.g. a local Dask cluster's workers) read the same values; ``fallbacks``:
    values for settings that neither Python nor the environment sets."""
    for name, value in fallbacks.items():
        s = _setting(name)
        if name not in _python and os.environ.get(s.variable) is None:
            os.environ[s.variable] = _shown(_checked(s, value))
    for name, value in _python.items():
        s = SETTINGS[name]
        if value is None and s.none_is_default:
            os.environ.pop(s.variable, None)
        else:
            os.environ[s.variable] = _shown(value)


class _SettingsModule(types.ModuleType):
    """This module, with one checked attribute per setting."""

    def __setattr__(self, name, value):
        if name in SETTINGS:
            _set(name, value)
        elif name.startswith("_") or name in self.__dict__:
            super().__setattr__(name, value)
        else:
            raise ConfigError(f"unknown setting {name!r}{suggest(name, SETTINGS)}; choose from {list(SETTINGS)}")

    def __delattr__(self, name):
        if name in SETTINGS:
            _python.pop(name, None)
        else:
            super().__delattr__(name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(SETTINGS))


for _name in SETTINGS:
    setattr(_SettingsModule, _name, property(lambda self, _n=_name: _get(_n)))
del _name

sys.modules[__name__].__class__ = _SettingsModule

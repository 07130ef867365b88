"""Run parameters one at a time: parsing, units and domains (the catalogue is in :mod:`.config`).

The parameters are the fields of :class:`~spiking_direct.config.RunConfig` and
of the dataclasses nested in it (``protocol``, ``spiking`` with its ``clock``,
``exc``, ``inh``, ``inp``, ``static`` and ``stdp`` parts, ``rate``). Each has a
dotted path (``spiking.exc.tau_m``); a leaf name that is unique among the
selected engine's parameters may stand for it (``tau_m``), as may the short
keys of :data:`~spiking_direct.config.SHORT_KEYS` (``n``, ``k``, ``lead``...).

Values with a physical dimension are Brian2 quantities and must be given as
such (``20*ms``, or the text ``"20 ms"``); a bare number is refused for them,
the protocol's times included (``lead=5*ms``). Every value is checked against its domain
(:data:`DOMAINS`) when a configuration is made, before any code is generated.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
import io
import math
import re
import tokenize
from dataclasses import dataclass, fields, is_dataclass

from .brian_state import import_brian2
from .errors import ConfigError

__all__ = ["Parameter", "coerce", "check_domain", "check_all", "parse_value", "SHORT_KEYS", "DOMAINS"]

#: the domain of every parameter, by path pattern (first match wins): (lower, lower inclusive,
#: upper, upper inclusive, what it is). Quantities are compared in SI units.
DOMAINS: tuple[tuple[str, tuple], ...] = (
    ("seed", (0, True, None, None, "a seed")),
    ("separation", (1, False, None, None, "the ratio of the positive value's rate to the others'")),
    ("protocol.lead", (0, True, None, None, "a clock lead")),
    ("protocol.probe_lag", (0, True, None, None, "a clock lag")),
    ("protocol.intervene_reps", (0, True, None, None, "a count")),
    ("protocol.intervene_*", (0, False, None, None, "a clock lag")),
    ("protocol.*_beta", (0, True, None, None, "a plasticity gain")),
    ("protocol.*", (1, True, None, None, "a count")),
    ("*.n", (2, True, None, None, "cells per area")),
    ("*.k", (1, True, None, None, "the assembly size")),
    ("*.n_in", (1, True, None, None, "input cells per set")),
    ("*.n_per_set", (1, True, None, None, "input cells per set")),
    ("*.p_*", (0, True, 1, True, "a probability")),
    ("*.inh_ratio", (0, False, None, None, "interneurons per excitatory cell")),
    ("*.k_scale", (0, False, None, None, "a scale factor")),
    ("*.tau_ref*", (0, True, None, None, "a refractory period")),
    ("*.tau*", (0, False, None, None, "a time constant")),
    ("*.T_*", (0, False, None, None, "a duration")),
    ("*.dt", (0, False, None, None, "a time step")),
    ("*.noise_dt", (0, False, None, None, "an update interval")),
    ("*.t_*", (0, True, None, None, "a time within the window")),
    ("*.delay", (0, True, None, None, "a synaptic delay")),
    ("*.delay_*", (0, True, None, None, "a synaptic delay")),
    ("*.C_m*", (0, False, None, None, "a membrane capacitance")),
    ("*.g_L*", (0, False, None, None, "a leak conductance")),
    ("*.bg_g*", (0, True, None, None, "a mean background conductance")),
    ("*.bg_dt", (0, False, None, None, "an update interval")),
    ("*.bg_ratio", (0, True, None, None, "a ratio of standard deviations")),
    ("*.nmda_ratio", (0, True, None, None, "a ratio of conductances")),
    ("*.theta_g", (0, True, None, None, "a conductance")),
    ("*.sigma", (0, True, None, None, "a noise amplitude")),
    ("*.w_max", (0, False, None, None, "a weight bound")),
    ("*.w_*", (0, True, None, None, "a synaptic weight")),
    ("*.W_*", (0, True, None, None, "a total synaptic weight")),
    ("*.ramp_amp", (0, True, None, None, "a threshold drop")),
    ("*.hold", (0, True, None, None, "a threshold raise")),
    ("*.A_*", (0, True, None, None, "an STDP amplitude")),
    ("rate.beta_*", (0, True, None, None, "a plasticity gain")),
    ("rate.outstar_gain", (0, False, None, None, "a gain")),
    ("rate.extra_rounds", (0, True, None, None, "a count")),
)


@dataclass(frozen=True)
class Parameter:
    """One run parameter: its dotted ``path``, ``default`` value, ``unit`` (Brian2's name of
    its SI unit, ``""`` for a dimensionless one), Python ``kind`` and one-line ``doc``."""

    path: str
    default: object
    unit: str
    kind: str
    doc: str

    @property
    def name(self) -> str:
        """The leaf name (``tau_m`` for ``spiking.exc.tau_m``)."""
        return self.path.rsplit(".", 1)[-1]


SHORT_KEYS = {
    "n": ("spiking.n", "rate.n"),
    "k": ("spiking.k", "rate.k"),
    "lead": ("protocol.lead",),
    "schedule": ("protocol.schedule",),
    "control": ("protocol.control",),
    "couple_steps": ("protocol.couple_steps",),
    "intervene_reps": ("protocol.intervene_reps",),
    "data_rows": ("protocol.data_rows",),
    "w_max": ("spiking.stdp.w_max",),
    "p_inter": ("spiking.stdp.p_inter", "rate.p_inter"),
}


_NUM_UNIT = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*\*?\s*([A-Za-z]+)?\s*$")


def parse_value(text: str, current):
    """Parse ``text`` into the type of ``current`` (Quantity, float, int, bool, str, None)."""
    import_brian2()
    import brian2.units as u
    from brian2 import Quantity

    text = text.strip()
    if isinstance(current, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"expected true/false, got {text!r}")
    if isinstance(current, Quantity) or isinstance(current, float) or isinstance(current, int) or current is None:
        m = _NUM_UNIT.match(text)
        if not m:
            if current is None:
                return text
            raise ConfigError(f"cannot parse {text!r} as a number (with an optional unit, e.g. 12mV)")
        number, unit = float(m.group(1)), m.group(2)
        if unit is not None:
            if not hasattr(u, unit):
                raise ConfigError(f"unknown unit {unit!r} in {text!r}")
            q = number * getattr(u, unit)
        else:
            q = number
        if isinstance(current, Quantity):
            from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

            try:
                fail_for_dimension_mismatch(q, current)
            except DimensionMismatchError:
                raise ConfigError(f"{text!r} has the wrong unit (expected the dimensions of {current})") from None
            return q
        if isinstance(q, Quantity):  # a unit given for a plain float field: SI value (e.g. seconds)
            q = float(q)
        if isinstance(current, int) and not isinstance(current, bool):
            if float(q) != int(q):
                raise ConfigError(f"expected an integer, got {text!r}")
            return int(q)
        if current is None:
            return int(q) if float(q).is_integer() and unit is None and "." not in text else float(q)
        return float(q)
    return text


def _field_docs(cls) -> dict[str, str]:
    """One-line docs of a dataclass's fields: the comment after each field in the class body,
    else a ``name : doc`` line of the class docstring."""
    docs: dict[str, str] = {}
    for line in (cls.__doc__ or "").splitlines():
        m = re.match(r"\s*(\w+)\s*:\s*(.+)", line)
        if m and m.group(1) not in docs:
            docs[m.group(1)] = m.group(2).strip()
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return docs
    names = {f.name for f in fields(cls)}
    current = None
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.NAME and tok.start[1] == 4 and tok.string in names:
            current, line = tok.string, tok.start[0]
        elif tok.type == tokenize.COMMENT and current is not None and tok.start[0] == line:
            docs[current] = tok.string.lstrip("#").strip()
            current = None
    return docs


def _unit_of(value) -> str:
    import_brian2()
    from brian2 import Quantity
    from brian2.units.fundamentalunits import get_unit

    if isinstance(value, Quantity):
        return str(get_unit(value.dim))
    return ""


def coerce(path: str, value, current):
    """``value`` (a Python value or a text from the command line) as the type of ``current``,
    the parameter's present value; a quantity must carry its dimension."""
    import_brian2()
    from brian2 import Quantity
    from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

    if isinstance(value, str):
        return _parse(path, value, current)
    if isinstance(current, Quantity):
        if not isinstance(value, Quantity):
            raise ConfigError(
                f"{path} needs a quantity in {_unit_of(current)} (e.g. {current!r}), got the bare number {value!r}"
            )
        try:
            fail_for_dimension_mismatch(value, current)
        except DimensionMismatchError:
            raise ConfigError(
                f"{path} needs a quantity in {_unit_of(current)} (e.g. {current!r}), got {value!r}"
            ) from None
        return value
    if isinstance(value, Quantity) and not value.is_dimensionless:
        raise ConfigError(f"{path} is dimensionless, got {value!r}")
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{path} needs True or False, got {value!r}")
        return value
    if isinstance(current, int) or (current is None and path.endswith((".k", ".n_in"))):
        if value is None and current is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise ConfigError(f"{path} needs an integer, got {value!r}")
        return int(value)
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path} needs a number, got {value!r}")
        return float(value)
    return value


def _parse(path: str, text: str, current):
    try:
        return parse_value(text, current)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


@functools.lru_cache(maxsize=None)
def _domain(path: str):
    for pattern, dom in DOMAINS:
        if fnmatch.fnmatchcase(path, pattern):
            return dom
    return None


def check_domain(path: str, value) -> None:
    """:class:`ConfigError` unless ``value`` lies in the domain of parameter ``path``."""
    import_brian2()
    from brian2 import Quantity

    if value is None or isinstance(value, (bool, str)):
        return
    number = float(value) if isinstance(value, (Quantity, int, float)) else None
    if number is None:
        return
    shown = str(value)
    if not math.isfinite(number):
        raise ConfigError(f"{path} = {shown} is not a finite number")
    dom = _domain(path)
    if dom is None:
        return
    lo, lo_inc, hi, hi_inc, what = dom
    ok = (lo is None or (number >= lo if lo_inc else number > lo)) and (
        hi is None or (number <= hi if hi_inc else number < hi)
    )
    if not ok:
        left = "" if lo is None else ("[" if lo_inc else "(") + f"{lo:g}"
        right = "" if hi is None else f"{hi:g}" + ("]" if hi_inc else ")")
        rng = f"in {left}, {right}" if hi is not None else (f">= {lo:g}" if lo_inc else f"> {lo:g}")
        unit = f" {_unit_of(value)}" if isinstance(value, Quantity) else ""
        raise ConfigError(f"{path} = {shown} is outside its domain: {what} must be {rng}{unit}")


def check_all(config) -> None:
    """:func:`check_domain` for every parameter of ``config``."""

    def walk(obj, prefix):
        for f in fields(obj):
            value = getattr(obj, f.name)
            if is_dataclass(value):
                walk(value, prefix + f.name + ".")
            else:
                check_domain(prefix + f.name, value)

    walk(config, "")

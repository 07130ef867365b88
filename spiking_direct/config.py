"""Run configuration: one object that says everything a run depends on.

``--set key=value`` overrides address fields by dotted path
(``protocol.lead=5ms``, ``spiking.stdp.w_max=12mV``, ``spiking.n=500``,
``rate.n=2000``, ``encoding=rate``); a few common keys have short forms
(``n``, ``k``, ``lead``, ``schedule``, ``control``, ``separation``,
``couple_steps``, ``w_max``, ``p_inter``). Quantities accept Brian2 units
(``12mV``, ``12*mV``), the protocol's times included; :meth:`RunConfig.to_dict`
(``result.json``) records those in seconds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields, is_dataclass, replace

import numpy as np

from .encoding import KINDS as ENCODINGS
from .engines import ENGINES, get_engine
from .engines.network import SpikingParams
from .errors import ConfigError, suggest
from .parameters import SHORT_KEYS, Parameter, _field_docs, _unit_of
from .protocol import ProtocolParams

#: Learning rules of the coupling phase, as the overrides they stand for
#: (``--learning NAME`` on the command line; ``--set`` items given with it win).
#: ``counting``: DIRECT as published (adaptive_soft ramp, the rate engine's
#: multiplicative Hebbian rule, additive STDP): the weights grow with how often
#: two values occur together. ``conditional``: the ``harmonic`` gain schedule
#: with the rate engine's outstar rule and STDP with a presynaptic depression
#: term (van Rossum weight dependence, ``A_pre = 1``): each weight is the
#: running mean of what its target did after its source value, an estimate of
#: ``P(target value | source value)``, which is what do() queries need (see
#: ``experiments/interventions.py``).
LEARNING_RULES: dict[str, tuple[str, ...]] = {
    "counting": (),
    "conditional": ("schedule=harmonic", "rate.rule=outstar", "spiking.stdp.weight=van_rossum", "spiking.stdp.A_pre=1"),
}

#: the learning rule a run uses unless told otherwise
DEFAULT_LEARNING = "counting"


#: the parameters some learning rule sets (full paths; a rule leaves the others at their defaults)
LEARNING_KEYS = tuple(
    dict.fromkeys(
        target
        for overrides in LEARNING_RULES.values()
        for item in overrides
        for target in SHORT_KEYS.get(item.split("=", 1)[0], (item.split("=", 1)[0],))
    )
)


def _get_path(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def learning_rule(config: "RunConfig") -> str:
    """The name of the entry of :data:`LEARNING_RULES` the config runs, or ``"custom"``
    when its learning parameters (:data:`LEARNING_KEYS`, those of the config's
    engine) match none of them (e.g. ``--set schedule=...`` on its own)."""
    keys = [k for k in LEARNING_KEYS if k.split(".")[0] in ("protocol", config.engine)]
    base = replace(RunConfig(), engine=config.engine)
    for name, overrides in LEARNING_RULES.items():
        ref = apply_overrides(base, list(overrides))
        if all(_get_path(ref, k) == _get_path(config, k) for k in keys):
            return name
    return "custom"


def _rate_params_cls():
    from .engines.rate import RateParams

    return RateParams


@dataclass
class RunConfig:
    """Everything a run depends on: the causal model, the engine and its backend, the seed, the
    encoding, and the parameters of the protocol and of each engine (nested dataclasses: every
    leaf is listed by :func:`spiking_direct.params`). Single values are checked when the config is
    made; :meth:`validate` adds the checks across parameters. Change it with
    :func:`with_params` (``{"tau_m": 20*ms}``) or :func:`apply_overrides` (``["tau_m=20ms"]``);
    :func:`spiking_direct.configure` builds one from keywords."""

    model: str = "alzheimer"  # causal model name (see causal.get_model)
    engine: str = "spiking"  # 'spiking' or 'rate'
    backend: str = "cpp_standalone"  # spiking backend: runtime, cpp_standalone, cuda_standalone
    seed: int = 0  # one seed for every random draw of the run
    encoding: str = "index"  # 'index' or 'rate'
    separation: float = 15.0  # rate-code firing ratio of the positive value to the others
    protocol: ProtocolParams = field(default_factory=ProtocolParams)
    spiking: SpikingParams = field(default_factory=SpikingParams)
    rate: object = None  # RateParams (filled in lazily)
    data: str | None = None  # CSV data table (columns = variables); None: sampled from the model

    def __post_init__(self):
        if self.rate is None:
            try:
                self.rate = _rate_params_cls()()
            except ImportError:  # rate engine not available
                self.rate = None
        self._check_fields()

    def _check_fields(self) -> None:
        """The checks of single values (names, types, domains), made at construction."""
        from .engines import backends
        from .parameters import check_all

        if self.engine not in ENGINES:
            raise ConfigError(
                f"unknown engine {self.engine!r}{suggest(self.engine, ENGINES)}; choose from {list(ENGINES)}"
            )
        if self.backend not in backends.names():
            raise ConfigError(
                f"unknown backend {self.backend!r}{suggest(self.backend, backends.names())}; "
                f"choose from {backends.names()}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.encoding not in ENCODINGS:
            raise ConfigError(
                f"unknown encoding {self.encoding!r}{suggest(self.encoding, ENCODINGS)}; choose from {list(ENCODINGS)}"
            )
        if not isinstance(self.model, str):
            raise ConfigError(
                f"model must be a model name or file path, got {type(self.model).__name__}; "
                "pass a CausalModel object to spiking_direct.run instead"
            )
        check_all(self)

    def validate(self) -> None:
        """Every check, also those across parameters (``k <= n``, the clock step for ``n``...)."""
        self._check_fields()
        self.protocol.validate()
        get_engine(self.engine).validate(self)

    def to_dict(self) -> dict:
        """The configuration as plain JSON values (protocol times in seconds; the selected engine's parameters under
        its name, the other engine's left out)."""
        engine = get_engine(self.engine)
        return {
            "model": self.model,
            "engine": self.engine,
            "backend": self.backend if engine.uses_backend else None,
            "seed": int(self.seed),
            "encoding": self.encoding,
            "separation": float(self.separation),
            "protocol": self.protocol.to_dict(),  # times in seconds
            "data": self.data,
            self.engine: engine.params_dict(self),
        }


def _set_path(obj, path: list[str], value, full: str):
    name = path[0]
    current = getattr(obj, name)
    if len(path) == 1:
        from .parameters import check_domain, coerce

        value = coerce(full, value, current)
        check_domain(full, value)
    else:
        value = _set_path(current, path[1:], value, full)
    try:
        return replace(obj, **{name: value})
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{full}={value!r}: {exc}") from None


def with_params(config: RunConfig, params: dict) -> RunConfig:
    """``config`` with parameters set by name: ``{"tau_m": 20*ms, "spiking.stdp.w_max": 12*mV}``.

    Keys are paths, short keys or unique leaf names (:func:`resolve`);
    values are Python values (quantities for dimensioned parameters) or texts as on the command
    line (``"20 ms"``). Returns a new config; every value is checked against its domain."""

    # the network first: it decides which parameters the other keys name
    items = sorted(params.items(), key=lambda kv: kv[0].strip() not in ("network", "spiking.network"))
    for key, value in items:
        for target in resolve(key, config.engine, config.spiking.network):
            path = target.split(".")
            if path[0] == "rate" and config.rate is None:
                continue
            config = _set_path(config, path, value, target)
            if target == "spiking.network":  # the network's own default window clock
                config = replace(config, spiking=config.spiking.with_network(config.spiking.network))
    return config


def apply_overrides(config: RunConfig, items: list[str]) -> RunConfig:
    """Apply ``key=value`` strings to ``config`` (returns a new config)."""
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, text = item.split("=", 1)
        config = with_params(config, {key.strip(): text})
    return config


# --------------------------------------------------------------------------
# The parameter catalogue (the fields of RunConfig and the dataclasses nested in it)
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[Parameter, ...]:
    out = []

    def walk(obj, prefix):
        docs = _field_docs(type(obj))
        for f in fields(obj):
            value = getattr(obj, f.name)
            path = prefix + f.name
            if is_dataclass(value):
                walk(value, path + ".")
                continue
            unit = _unit_of(value)
            default = value
            kind = "quantity" if unit else type(value).__name__ if value is not None else "optional"
            out.append(Parameter(path, default, unit, kind, docs.get(f.name, "")))

    walk(RunConfig(), "")
    return tuple(out)


#: parameters that only one of the spiking engine's networks uses (path prefixes); a leaf name or
#: short key resolves among the selected network's parameters only
NETWORK_ONLY: dict[str, tuple[str, ...]] = {
    "clocked": (
        "spiking.exc.",
        "spiking.inh.",
        "spiking.static.",
        "spiking.inh_ratio",
        "spiking.neuron",
        "spiking.inp.w_in",
        "spiking.inp.p_in",
        "spiking.clock.t_ramp",
        "spiking.clock.T_ramp",
        "spiking.stdp.w_max",
        "spiking.stdp.w_init",
    ),
    "cortical": ("spiking.cortical.",),
}


def _foreign(network: str | None) -> tuple[str, ...]:
    """Path prefixes of the parameters the other networks use (none without ``network``)."""
    if network is None:
        return ()
    return tuple(prefix for net, prefixes in NETWORK_ONLY.items() if net != network for prefix in prefixes)


def catalogue(engine: str | None = None, network: str | None = None) -> list[Parameter]:
    """Every parameter (those of ``engine`` only, when given: the other engine's are left out; those
    of the spiking ``network`` only, when given: the other network's are left out)."""
    other = {"spiking": "rate.", "rate": "spiking."}.get(engine)
    foreign = _foreign(network)
    return [
        p
        for p in _catalogue()
        if (other is None or not p.path.startswith(other)) and not (foreign and p.path.startswith(foreign))
    ]


def resolve(key: str, engine: str = "spiking", network: str = "clocked") -> tuple[str, ...]:
    """The full paths a key stands for: a path, a short key of
    :data:`~spiking_direct.config.SHORT_KEYS` or a leaf name unique among
    ``engine``'s parameters (and the spiking ``network``'s); :class:`ConfigError` with the
    closest names otherwise, or when a short key means a parameter the network does not use."""
    key = key.strip()
    paths = [p.path for p in _catalogue()]
    if key in paths:
        return (key,)
    if key in SHORT_KEYS:
        targets = tuple(t for t in SHORT_KEYS[key] if t.split(".")[0] in (engine, "protocol"))
        targets = targets or SHORT_KEYS[key]
        foreign = _foreign(network) if engine == "spiking" else ()
        if foreign and all(t.startswith(foreign) for t in targets):
            raise ConfigError(
                f"{key!r} ({', '.join(targets)}) is not a parameter of the {network} network "
                "(spiking-direct params --network lists its parameters)"
            )
        return targets
    own = [p.path for p in catalogue(engine, network if engine == "spiking" else None)]
    leaf = [p for p in own if p.rsplit(".", 1)[-1] == key]
    if len(leaf) == 1:
        return (leaf[0],)
    if len(leaf) > 1:
        raise ConfigError(f"parameter {key!r} is ambiguous: give its path, one of {leaf}")
    names = sorted({p.rsplit(".", 1)[-1] for p in own} | set(own) | set(SHORT_KEYS))
    hint = suggest(key.rsplit(".", 1)[-1], names) or suggest(key, names)
    raise ConfigError(f"unknown parameter {key!r}{hint or ''} (spiking-direct params lists them all)")

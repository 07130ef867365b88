"""Synapse models: static synapses and STDP with a protocol-driven plasticity gain.

STDP is composed, as in PyNN, of a *timing dependence* and a *weight
dependence*:

timing ``pair_exp``
    all-to-all pair-based rule with exponential traces. The traces are
    neuron variables (``apre`` on the presynaptic, ``apost`` on the
    postsynaptic cell: one per neuron, not per synapse, which is exact for
    the all-to-all pair rule and keeps a synapse at one float). Each spike
    adds 1 to its cell's traces at the end of the time step, so a spike pair
    in the same step neither potentiates nor depresses.
weight ``additive``
    ``dw = +gain * A_plus * w_max * apre`` on a postsynaptic spike,
    ``dw = -gain * A_minus * w_max * apost`` on a presynaptic spike,
    clipped to ``[0, w_max]`` (hard bounds).
weight ``multiplicative``
    soft bounds: potentiation scales with ``w_max - w``, depression with ``w``.
weight ``van_rossum``
    additive potentiation, multiplicative depression (van Rossum, Bi &
    Turrigiano 2000): ``dw = +gain * A_plus * w_max * apre`` on a
    postsynaptic spike, ``dw = -gain * A_minus * w * apost`` on a presynaptic
    one, clipped to ``[0, w_max]``.
presynaptic term ``A_pre`` (default 0: none)
    a non-Hebbian term on every presynaptic spike, whatever the postsynaptic
    cell does (Kempter, Gerstner & van Hemmen 1999, their ``w_in``):
    ``dw = -gain * A_pre * w`` (``multiplicative``, ``van_rossum``) or
    ``-gain * A_pre * w_max`` (``additive``). With a depression that scales
    with ``w`` it gives each synapse a fixed point that grows with the
    fraction ``P`` of the presynaptic cell's learning windows in which the
    postsynaptic cell fires after it (``a``, ``d``: potentiation and
    depression per window): ``w* = w_max (a/d) P`` under ``van_rossum``
    (linear in ``P`` up to ``w_max``: the spiking form of Grossberg's
    outstar, ``dw = g pre (c post - w)``), ``w* = w_max a P / (a P + d)``
    under ``multiplicative``. The weight then follows ``P(post | pre)``
    instead of saturating at ``w_max`` for every pair seen often enough.
    Under ``additive`` the same term makes the weight bistable.

Delay semantics: a presynaptic spike reaches the synapse after the axonal
``delay``; its transmission *and* its plasticity update happen on arrival.
Postsynaptic spikes act on the synapse at once (no dendritic delay). So a
source assembly leading its target by ``lead`` is seen by the forward
synapses as pre-before-post by ``lead - delay`` and by the reverse ones as
post-before-pre by ``lead + delay``: the lead must exceed the delay for the
forward direction to be potentiated.

``gain`` is ``plasticity_gain(t, pair)``, a protocol ``TimedArray`` indexed
by the synapse's ordered pair of areas (``area_pre * n_areas + area_post``):
the spiking form of DIRECT's ``beta`` and of its gain schedule, one value per
window and connection. ``fiber_on(t, pair)`` gates transmission per pair, and
a target area the protocol keeps inactive receives nothing (``area_active``).
Needs ``n_areas`` and the traces of :func:`stdp_traces` on both sides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from brian2 import Equations, ms, mV

from ..errors import ModelError
from ._units import Q, Quantity

TIMING_RULES = ("pair_exp",)
WEIGHT_RULES = ("additive", "multiplicative", "van_rossum")


@dataclass(frozen=True)
class StaticParams:
    """Fixed-weight synapses of the local circuit and the input."""

    W_ie: Quantity = Q(300 * mV)  # total inhibition an excitatory cell receives when its area's interneurons fire
    # (per synapse W_ie / (p_ie * n_inh): independent of the area size)
    p_ie: float = 0.5  # connection probability inhibitory -> excitatory (same area)
    p_ei: float = 1.0  # connection probability excitatory -> inhibitory (same area)
    k_scale: float = 0.9  # E->I weight = (v_th_I - E_L_I) / (k_scale * k * p_ei): sets the cap
    delay_local: Quantity = Q(0 * ms)  # E->I and I->E delay (0: zero-latency cap, inhibition in the k-th spike's step)

    def namespace(self) -> dict:
        ns = dict(asdict(self))
        ns.pop("delay_local")
        return ns


def static_model(target: str, multiplier: str | None = None) -> tuple[Equations, str]:
    """A fixed synapse adding ``w`` to the postsynaptic variable ``target`` (``w`` times the
    presynaptic variable ``multiplier``, e.g. a spike count, when given)."""
    if multiplier is None:
        return Equations("w : volt (constant)"), f"{target}_post += w"
    return Equations("w : volt (constant)"), f"{target}_post += w * {multiplier}_pre"


@dataclass(frozen=True)
class STDPParams:
    """Inter-area plastic synapses."""

    timing: str = "pair_exp"  # timing dependence (TIMING_RULES)
    weight: str = "additive"  # weight dependence (WEIGHT_RULES)
    tau_pre: Quantity = Q(20 * ms)  # presynaptic trace time constant
    tau_post: Quantity = Q(20 * ms)  # postsynaptic trace time constant
    A_plus: float = 1.5  # potentiation per unit gain, in units of w_max (x trace)
    A_minus: float = 1.6  # depression per unit gain, in units of w_max (x trace)
    A_pre: float = 0.0  # non-Hebbian depression per presynaptic spike and unit gain (0: none)
    w_max: Quantity = Q(10.0 * mV)  # upper weight bound
    w_init: Quantity = Q(1.0 * mV)  # initial weights are drawn uniformly in [0, w_init] per run
    p_inter: float = 0.2  # connection probability between two areas (every ordered pair)
    delay: Quantity = Q(2 * ms)  # axonal delay (fixed at build time)

    def validate(self) -> None:
        if self.timing not in TIMING_RULES:
            raise ModelError(f"unsupported STDP timing rule {self.timing!r}; supported: {list(TIMING_RULES)}")
        if self.weight not in WEIGHT_RULES:
            raise ModelError(f"unsupported STDP weight rule {self.weight!r}; supported: {list(WEIGHT_RULES)}")
        if not 0 < self.p_inter <= 1:
            raise ModelError(f"p_inter must be in (0, 1], got {self.p_inter}")
        if self.A_plus < 0 or self.A_minus < 0 or self.A_pre < 0:
            raise ModelError("A_plus, A_minus and A_pre must be >= 0")
        if not 0 * mV <= self.w_init <= self.w_max:
            raise ModelError(
                f"w_init must be in [0, w_max = {self.w_max}], got {self.w_init} "
                "(initial weights are drawn in [0, w_init] and must lie inside the bounds)"
            )

    def namespace(self) -> dict:
        ns = dict(asdict(self))
        for key in ("timing", "weight", "p_inter"):
            ns.pop(key)
        return ns


def stdp_traces(params: STDPParams | None = None) -> tuple[Equations, str, str]:
    """Trace equations to add to the excitatory neuron model, the statement that
    increments them on a spike, and the statement that resets them at a
    window boundary.

    Both traces start at 0 in every window and add 1 on every spike of their
    cell, so with ``tau_pre == tau_post`` (the default) they are one and the
    same function of time: given ``params`` with equal time constants, one
    trace ``a`` is integrated and ``apre`` and ``apost`` are its aliases
    (subexpressions, inlined by Brian2 into the synaptic code): one state
    variable fewer per cell and step, identical weights. Without ``params``,
    or with different time constants, the two traces are integrated apart."""
    if params is not None and params.tau_pre == params.tau_post:
        eqs = Equations(
            """
            da/dt = -a / tau_pre : 1
            apre = a : 1
            apost = a : 1
            """
        )
        return eqs, "a += 1", "a = 0"
    eqs = Equations(
        """
        dapre/dt = -apre / tau_pre : 1
        dapost/dt = -apost / tau_post : 1
        """
    )
    return eqs, "apre += 1; apost += 1", "apre = 0; apost = 0"


def stdp_model(
    params: STDPParams, unit: str = "volt", w_max: str = "w_max", transmit: str | None = None
) -> tuple[Equations, str, str]:
    """Synapse equations, ``on_pre`` and ``on_post`` of the inter-area STDP synapse.

    ``unit`` is the weight's unit (``"volt"``: the clocked network's current-based
    synapses; ``"siemens"``: the cortical network's conductances), ``w_max`` the name of the
    upper bound in the namespace, and ``transmit`` the statement that delivers a spike with
    weight ``{w}`` (default: ``ge_post += {w}``); the fibre and target gates multiply ``{w}``."""
    params.validate()
    eqs = Equations(
        f"""
        w : {unit}
        gain = plasticity_gain(t, area_pre * n_areas + area_post) : 1
        """
    )
    zero = {"volt": "0*mV", "siemens": "0*nS"}[unit]
    # the presynaptic term only where it is on: without it the code is as it was, bit for bit
    if params.weight == "additive":
        dep = (
            f"w = clip(w - gain * {w_max} * (A_minus * apost_post + A_pre), {zero}, {w_max})"
            if params.A_pre > 0
            else f"w = clip(w - gain * A_minus * {w_max} * apost_post, {zero}, {w_max})"
        )
        pot = f"w = clip(w + gain * A_plus * {w_max} * apre_pre, {zero}, {w_max})"
    else:  # depression scales with w
        dep = (
            f"w = clip(w - gain * w * (A_minus * apost_post + A_pre), {zero}, {w_max})"
            if params.A_pre > 0
            else f"w = clip(w - gain * A_minus * w * apost_post, {zero}, {w_max})"
        )
        if params.weight == "multiplicative":  # soft bounds
            pot = f"w = clip(w + gain * A_plus * ({w_max} - w) * apre_pre, {zero}, {w_max})"
        else:  # van_rossum: additive potentiation
            pot = f"w = clip(w + gain * A_plus * {w_max} * apre_pre, {zero}, {w_max})"
    # an area the protocol keeps inhibited ignores its fibres (area_active of the target)
    gated = "w * fiber_on(t, area_pre * n_areas + area_post) * area_active(t, area_post)"
    on_pre = (transmit or "ge_post += {w}").format(w=gated) + "\n" + dep
    return eqs, on_pre, pot

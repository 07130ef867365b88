"""The parameters of the rate engine's DIRECT runs (:class:`RateParams`) and their choices."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .kernel import TIE_BREAKS, _check_prob

CONNECTIVITIES = ("all", "linked")
STIMULI = ("sampled", "graded", "poisson")
RULES = ("multiplicative", "outstar")


@dataclass(frozen=True)
class RateParams:
    """Parameters of the rate (Assembly Calculus) engine.

    n : neurons per area (>= 2)
    k : cap (assembly size); ``None`` = ``round(sqrt(n))``
    p_inter : connectivity of the fibre between every ordered pair of distinct areas, in (0, 1]
    n_in : input cells per input set; ``None`` = ``k``
    p_in : input cell -> area connectivity, in (0, 1]
    p_rec : recurrent connectivity inside an area, in [0, 1] (0 = none; used by extra rounds)
    beta_rec : plasticity of the recurrent synapses (>= 0)
    beta_in : plasticity of the input -> area synapses (>= 0; 0 keeps them at weight 1)
    extra_rounds : rounds per window after the offset rounds (>= 0)
    tie_break : k-cap tie rule, one of :data:`TIE_BREAKS`
    connectivity : inter-area synapses, one of :data:`CONNECTIVITIES`: ``"all"``
        (a fibre for every ordered pair of distinct areas) or ``"linked"``
        (only the ordered pairs the protocol couples, both directions:
        :func:`linked_pairs`; the same meaning as the spiking engine's
        ``SpikingParams.connectivity``). With ``"linked"`` the weights cost
        ``2 L n^2 p_inter`` synapses for ``L`` links instead of
        ``A (A - 1) n^2 p_inter``; a probe of a pair without a fibre leaves
        the target silent, and the readouts of such pairs carry no learning
        (their ``delta`` is 0 by construction).
    stimulus : how a presentation of strength ``s`` (1 = full, ``1 / separation``
        for the rate code's other values) drives its input set, one of
        :data:`STIMULI`. ``"poisson"``: every input cell's spike count in
        the window is Poisson with mean ``poisson_rate * s`` (at full
        strength too), drawn by
        :func:`spiking_direct.stimulus.poisson_counts` from the run's seed
        (the spiking engine's ``spiking.inp.stimulus="poisson"`` draws the
        same counts for its first ``n_in`` cells); a cell's synapses
        carry its count times their weight, and a set whose cells all stay
        at 0 gives no input. The other two are its limits, for a full-strength
        presentation identical (every cell fires once): ``"sampled"``
        (default; the short-time limit, one volley of at most one spike per
        cell): ``round(s * n_in)`` cells fire (at least one), drawn anew each
        window, as in the spiking engine, whose input cells fire with
        probability ``s``. ``"graded"`` (the long-time limit, counts at their
        means): every cell fires at ``s`` of the full rate, so the input is
        the full input scaled; without an input floor a k-cap is invariant to
        the scale of its input, so every value of a rate-coded variable then
        elects the same assembly.
    poisson_rate : mean spike count of an input cell in a full-strength window
        (``stimulus="poisson"``; > 0). 1 matches the spiking engine's volley, in
        which every cell of a full-strength set fires once.
    cap_floor : input floor of the k-cap, as a fraction of the mean input that a
        full-strength volley gives a cell (``n_in * p_in``, weights 1): a cell
        with less input never wins, so an area with weak input elects fewer
        than ``k`` cells or none (:func:`~.kernel.k_cap`). 0 (default): no
        floor, exactly ``k`` winners whatever the input (NEMO). The spiking
        cap's floor is set by ``ExcitatoryParams.ramp_amp``: a cell needs a
        depolarisation of ``v_th - E_L - ramp_amp`` (7 mV) to cross the swept
        threshold, which its volley gives at a summed input weight of about
        14 mV (the peak PSP of a 20 ms synaptic current into a 10 ms membrane
        is half the weight), 0.7 of the mean full-strength input of 20 mV
        (``n_per_set * p_in * w_in``); ``cap_floor = 0.7`` is the same rule.
    cap_floor_max : input floor as a fraction of the largest input in the
        area that round (the E%-max rule with ``E = 1 - cap_floor_max``: a
        cell below ``cap_floor_max`` times the maximum never wins), in [0, 1];
        0 (default): none. With both floors the higher one applies.
    rule : plasticity of the inter-area fibres in coupling windows, one of
        :data:`RULES`. ``"multiplicative"`` (default, the NEMO rule):
        ``W[i, j] *= 1 + beta`` for a winner ``i`` and a winner ``j`` of the
        next round. ``"outstar"`` (Grossberg's outstar, presynaptically
        gated): for every synapse of a winner ``i`` into the next round's
        area, ``W[i, j] += beta * (1 + outstar_gain * [j wins] - W[i, j])``:
        the weight moves a fraction ``beta`` of the way towards what ``j``
        did, so it tends to ``1 + outstar_gain * P(j wins | i fired)``. With
        the ``harmonic`` gain schedule (``beta = 1/m`` at the ``m``-th
        presentation of ``i``'s value) it is exactly that running mean; the
        multiplicative rule instead counts the co-activations, so the
        weights encode how often two values occur *together* (a joint
        frequency, which grows without bound with exposure).
    outstar_gain : weight above 1 that a synapse tends to when its target
        always fires after its source (``rule="outstar"``; > 0)
    """

    n: int = 1000
    k: int | None = None
    p_inter: float = 0.2
    n_in: int | None = None
    p_in: float = 0.1
    p_rec: float = 0.0
    beta_rec: float = 0.0
    beta_in: float = 0.0
    extra_rounds: int = 0
    tie_break: str = "priority"
    connectivity: str = "all"
    stimulus: str = "sampled"
    rule: str = "multiplicative"
    outstar_gain: float = 30.0
    poisson_rate: float = 1.0
    cap_floor: float = 0.0
    cap_floor_max: float = 0.0

    def __post_init__(self):
        if int(self.n) != self.n or self.n < 2:
            raise ValueError(f"n must be an integer >= 2, got {self.n}")
        if self.k is not None and (int(self.k) != self.k or not 1 <= self.k <= self.n):
            raise ValueError(f"k must be an integer in [1, n={self.n}], got {self.k}")
        if self.n_in is not None and (int(self.n_in) != self.n_in or self.n_in < 1):
            raise ValueError(f"n_in must be an integer >= 1, got {self.n_in}")
        _check_prob("p_inter", self.p_inter)
        _check_prob("p_in", self.p_in)
        _check_prob("p_rec", self.p_rec, allow_zero=True)
        for name in ("beta_rec", "beta_in"):
            v = float(getattr(self, name))
            if not v >= 0.0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        if int(self.extra_rounds) != self.extra_rounds or self.extra_rounds < 0:
            raise ValueError(f"extra_rounds must be an integer >= 0, got {self.extra_rounds}")
        if self.tie_break not in TIE_BREAKS:
            raise ValueError(f"unknown tie_break {self.tie_break!r}; choose from {list(TIE_BREAKS)}")
        if self.stimulus not in STIMULI:
            raise ValueError(f"stimulus must be one of {list(STIMULI)}, got {self.stimulus!r}")
        if self.connectivity not in CONNECTIVITIES:
            raise ValueError(f"connectivity must be one of {list(CONNECTIVITIES)}, got {self.connectivity!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {list(RULES)}, got {self.rule!r}")
        if not float(self.poisson_rate) > 0:
            raise ValueError(f"poisson_rate must be > 0, got {self.poisson_rate}")
        if not float(self.cap_floor) >= 0:
            raise ValueError(f"cap_floor must be >= 0, got {self.cap_floor}")
        if not 0 <= float(self.cap_floor_max) <= 1:
            raise ValueError(f"cap_floor_max must be in [0, 1], got {self.cap_floor_max}")
        if not float(self.outstar_gain) > 0:
            raise ValueError(f"outstar_gain must be > 0, got {self.outstar_gain}")

    @property
    def k_eff(self) -> int:
        return int(self.k) if self.k is not None else max(1, int(round(math.sqrt(self.n))))

    @property
    def n_in_eff(self) -> int:
        return int(self.n_in) if self.n_in is not None else self.k_eff

    def to_dict(self) -> dict:
        """The parameters as a dict, with the effective ``k_eff`` and ``n_in_eff``."""
        return {**asdict(self), "k_eff": self.k_eff, "n_in_eff": self.n_in_eff}

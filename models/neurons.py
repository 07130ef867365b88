"""Neuron models: excitatory and inhibitory LIF cells and stimulus input cells.

All areas live in one excitatory ``NeuronGroup`` and one inhibitory group;
``area`` (an integer per neuron) indexes the protocol's two-dimensional
``TimedArray`` objects, so one compiled network runs every schedule.

The window clock
----------------
Activity is organised in windows of length ``T_win`` (a theta-like cycle, as
in the discrete Assembly Calculus each window is one k-cap round). Within a
window every area runs on its own clock, shifted by the protocol's offset
for that area (this is how the source *leads* the target). On an area's
clock: the input volley arrives at ``t_volley``; the threshold, held
``hold`` above ``v_th`` while the input is summed, is swept down by
``hold + ramp_amp`` between ``t_ramp`` and ``t_ramp + T_ramp``
(:data:`WINDOW_THRESHOLD`), so the cells reach it *in the order of their
input*: the cells with the most input fire first. The area's inhibitory
cells count those spikes (see :func:`inhibitory_model`) and, after about
``k``, silence the area for the rest of the window. Areas that the protocol
does not activate get no sweep and stay below threshold. The sweep stops
``ramp_amp`` below ``v_th``, less than the distance from rest to threshold,
so a cell with no input never fires: an area without input stays silent
instead of electing ``k`` random winners. This is the cap's input floor, set
by ``ExcitatoryParams.ramp_amp``: a cell needs a depolarisation of
``v_th - E_L - ramp_amp`` (7 mV) from its input to fire at all, reached at a
summed input weight of about 14 mV (the peak depolarisation is about half the
summed weight), 0.7 of the mean full-strength input of 20 mV; the rate
engine's k-cap has the same rule as ``RateParams.cap_floor = 0.7`` (off by
default). At every window boundary the state of every cell is reset
(membrane, synaptic currents, plasticity traces), so nothing carries from
one window into the next (the end-of-window reset).

Membrane noise
--------------
``noise = "colored"`` (the default): a background current ``I_noise``, an
Ornstein-Uhlenbeck process with correlation time ``tau_noise`` (the summed
input of many weak, unmodelled synapses), advanced by its exact update every
``noise_dt`` and held in between; it is redrawn from its stationary
distribution at every window boundary. ``noise = "white"``: Gaussian white
noise integrated by Euler-Maruyama at every step. In both, ``sigma`` is the
standard deviation of the free membrane (no input, no threshold): for
coloured noise the current's standard deviation is
``sigma * sqrt((tau_noise + tau_m) / tau_noise)`` (the variance of an
OU-driven leaky integrator). The coloured form draws one random number per
cell every ``noise_dt`` (2 ms) instead of every ``dt``; that made the
Alzheimer simulation about 4x faster (``benchmarks/profile_alzheimer.py``), the white
form stays selectable. The hold is short against the membrane's 10 ms, so
the free-membrane SD is the same for a 1 ms and a 2 ms hold (0.70 mV both,
``tests/test_noise.py``); the 2 ms hold halves the noise update's cost and
left Alzheimer learning unchanged (5 seeds; the measurements are recorded in ``CHANGELOG.md``).

``sigma`` = 0.5 mV: the cap elects the cells with
the most input only as far as the noise lets it, and a half-strength input
halves the spread of the inputs against the same noise. Measured
(``experiments/cap_drive.py``, 2 seeds x 24 windows): top-k overlap under
half drive 0.75-0.81 at 0.7 mV, 0.86-0.88 at 0.5 mV (n = 1000, 2000); the
Alzheimer forward overlap went from 0.86-0.91 to 0.90-0.93 (5 seeds) and
every negative control stays at chance (``experiments/alzheimer_spiking.py``).

Equations are integrated with the Euler(-Maruyama) method at ``dt`` = 0.1 ms.
All inhibition is current-based, so the system is not stiff: the fastest
time constant (``tau_i`` = 5 ms) is 50 ``dt``. (Large shunting conductances
of 20-250x the leak, tried in the feasibility study, made Euler unstable at
this step; they are not used.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from brian2 import Equations, ms, mV

from ..errors import ModelError
from ._units import Q, Quantity

NOISE_MODELS = ("colored", "white")


def _namespace(obj) -> dict:
    return dict(asdict(obj))


@dataclass(frozen=True)
class WindowClock:
    """Timing of one window (on the area's own, offset clock)."""

    T_win: Quantity = Q(40 * ms)  # window length; state is reset at every window boundary
    t_volley: Quantity = Q(1 * ms)  # input volley time after the area's clock offset
    t_ramp: Quantity = Q(4 * ms)  # start of the excitability ramp
    T_ramp: Quantity = Q(12 * ms)  # duration of the ramp (then held until the window ends)
    dt: Quantity = Q(0.1 * ms)  # integration step

    @property
    def win_steps(self) -> int:
        return int(round(float(self.T_win / self.dt)))

    def namespace(self) -> dict:
        ns = _namespace(self)
        ns.pop("dt")  # the groups' own clock step
        ns["win_steps"] = self.win_steps
        return ns


@dataclass(frozen=True)
class ExcitatoryParams:
    """Excitatory (pyramidal-like) LIF cell with current-based synapses."""

    E_L: Quantity = Q(-70 * mV)  # resting potential
    v_th: Quantity = Q(-50 * mV)  # spike threshold
    v_reset: Quantity = Q(-70 * mV)  # reset potential
    tau_m: Quantity = Q(10 * ms)  # membrane time constant
    tau_ref: Quantity = Q(5 * ms)  # absolute refractory period
    tau_e: Quantity = Q(20 * ms)  # excitatory synaptic current decay (slow, NMDA-like: sums volleys)
    tau_i: Quantity = Q(20 * ms)  # inhibitory current decay (slow: one burst of the cap holds to the window's end)
    sigma: Quantity = Q(0.5 * mV)  # membrane noise (standard deviation of the free membrane; see module doc)
    ramp_amp: Quantity = Q(13 * mV)  # threshold drop at the end of the sweep (< v_th - E_L: no input, no spike)
    hold: Quantity = Q(20 * mV)  # threshold raise before the sweep: input is summed, nobody fires
    noise: str = "colored"  # membrane noise model: "colored" (OU current) or "white" (see module doc)
    tau_noise: Quantity = Q(5 * ms)  # correlation time of the coloured noise current
    noise_dt: Quantity = Q(2 * ms)  # update interval of the coloured noise current (held in between)

    def validate(self) -> None:
        if self.noise not in NOISE_MODELS:
            raise ValueError(f"unknown noise model {self.noise!r}; choose from {list(NOISE_MODELS)}")
        if self.noise == "colored" and not (self.tau_noise > 0 * ms and self.noise_dt > 0 * ms):
            raise ValueError("tau_noise and noise_dt must be > 0 for coloured noise")

    def namespace(self) -> dict:
        ns = _namespace(self)
        ns.pop("noise")
        # coloured noise: current sd giving a free-membrane sd of ``sigma``; exact OU step over ``noise_dt``
        ns["sigma_noise"] = self.sigma * np.sqrt(float((self.tau_noise + self.tau_m) / self.tau_noise))
        decay = float(np.exp(-float(self.noise_dt / self.tau_noise)))
        ns["noise_decay"] = decay
        ns["noise_kick"] = float(np.sqrt(1.0 - decay**2))
        return ns


#: statement advancing the coloured noise current by ``noise_dt`` (exact OU update)
NOISE_UPDATE = "I_noise = I_noise * noise_decay + sigma_noise * noise_kick * randn()"


#: the window-clock threshold of an area's cells: held ``hold`` above ``v_th`` until the
#: area's ramp starts, then swept down by ``hold + ramp_amp`` over ``T_ramp`` (active areas only)
WINDOW_THRESHOLD = (
    "v_th + hold - area_active(t, area) * (hold + ramp_amp)"
    " * clip(((timestep(t, dt) % win_steps) * dt - area_offset(t, area) - t_ramp) / T_ramp, 0, 1)"
)

#: whether this step is the input volley of an area: ``t_volley`` after the area's clock offset
VOLLEY_STEP = "timestep(t, dt) % win_steps == timestep(area_offset(t, area) + t_volley, dt)"

THRESHOLD_FORMS = ("area", "cell")


@dataclass(frozen=True)
class NeuronModel:
    """A user's own excitatory cell model, in place of the built-in LIF membrane.

    ``membrane``: Brian2 equations (text) of the membrane and any extra state. The
    network requires of them:

    * ``dv/dt = ... : volt (unless refractory)``, the membrane potential;
    * ``ge`` and ``gi`` (volt) in it: the network declares them, as synaptic drives that
      the input and E->E synapses (``ge``) and the interneurons (``gi``) increment and that
      decay with ``tau_e`` and ``tau_i``; a model without them receives no input;
    * with coloured noise (``spiking.exc.noise = "colored"``) the noise current ``I_noise``
      (volt; the network declares and updates it) should enter ``dv/dt``; with white noise
      the model adds its own term (the built-in one is ``sigma * sqrt(2 / tau_m) * xi``);
    * the parameters of :class:`ExcitatoryParams` (``E_L``, ``tau_m``, ...) are in the
      namespace; ``namespace`` adds the model's own (quantities with units).

    ``threshold`` must compare ``v`` with ``theta``, the window clock's moving threshold that
    makes the cap work (default ``"v > theta"``); ``reset`` runs after a spike (default
    ``"v = v_reset"``); ``window_reset`` are extra statements for the window boundary (the
    network resets ``v``, ``ge``, ``gi`` and the noise itself), e.g. ``"w_a = 0*mV"``.
    """

    membrane: str
    threshold: str = "v > theta"
    reset: str = "v = v_reset"
    window_reset: str = ""
    namespace: dict = field(default_factory=dict)

    def validate(self) -> None:
        from brian2 import Equations as _Equations

        try:
            eqs = _Equations(self.membrane)
        except Exception as exc:  # Brian2's parser raises several kinds
            raise ModelError(f"neuron model: cannot parse the membrane equations: {exc}") from None
        if "v" not in eqs.diff_eq_names:
            raise ModelError("neuron model: the membrane equations must define dv/dt (the membrane potential)")
        reserved = {"ge", "gi", "theta", "learns", "area", "I_noise"} & set(eqs.names)
        if reserved:
            raise ModelError(
                f"neuron model: {sorted(reserved)} are declared by the network; use them in dv/dt "
                "without declaring them"
            )
        if "theta" not in self.threshold or "v" not in self.threshold:
            raise ModelError(
                f"neuron model: the threshold {self.threshold!r} must compare v with theta, the window "
                "clock's threshold (e.g. 'v > theta')"
            )
        missing = {"ge", "gi"} - eqs.identifiers
        if missing:
            raise ModelError(
                f"neuron model: dv/dt does not use {sorted(missing)}: the cells would receive no synaptic input"
            )


def excitatory_model(
    noise: str = "colored", theta: str = "area", neuron: NeuronModel | None = None
) -> tuple[Equations, str, str]:
    """Equations, threshold and reset of the excitatory cells.

    Needs in the namespace the parameters of :class:`ExcitatoryParams` and
    :class:`WindowClock` and the protocol's ``TimedArray`` objects
    ``area_active(t, area)`` (1 if the area may fire in the window) and
    ``area_offset(t, area)`` (its clock offset). With ``noise="colored"`` the
    group must run :data:`NOISE_UPDATE` every ``noise_dt`` and
    :func:`excitatory_window_reset` at every window boundary.

    ``theta`` says where the threshold :data:`WINDOW_THRESHOLD` is computed:
    ``"area"`` (the network's form): once per area and step by the group of
    :func:`area_clock_model`, and read by each cell through a linked variable
    (``E.theta = linked_var(clock_group, "theta", index=area)``); ``"cell"``:
    by every cell at every step, a subexpression (for a single group without
    an area clock). Both give the same threshold to the last bit; the area
    form saves two ``TimedArray`` look-ups per cell and step (the largest part
    of the excitatory thresholder's time).
    """
    if theta not in THRESHOLD_FORMS:
        raise ValueError(f"unknown threshold form {theta!r}; choose from {list(THRESHOLD_FORMS)}")
    if neuron is not None:
        neuron.validate()
        if noise not in NOISE_MODELS:
            raise ValueError(f"unknown noise model {noise!r}; choose from {list(NOISE_MODELS)}")
        membrane = neuron.membrane + ("\nI_noise : volt" if noise == "colored" else "")
    elif noise == "colored":
        membrane = "dv/dt = (E_L - v + ge - gi + I_noise) / tau_m : volt (unless refractory)\nI_noise : volt"
    elif noise == "white":
        membrane = "dv/dt = (E_L - v + ge - gi) / tau_m + sigma * sqrt(2 / tau_m) * xi : volt (unless refractory)"
    else:
        raise ValueError(f"unknown noise model {noise!r}; choose from {list(NOISE_MODELS)}")
    eqs = Equations(
        membrane
        + """
        dge/dt = -ge / tau_e : volt
        dgi/dt = -gi / tau_i : volt
        area : integer (constant)
        """
    )
    if theta == "area":
        eqs += Equations("theta : volt (linked)\nlearns : 1 (linked)")
    else:
        eqs += Equations(f"theta = {WINDOW_THRESHOLD} : volt")
    if neuron is not None:
        return eqs, neuron.threshold, neuron.reset
    return eqs, "v > theta", "v = v_reset"


def area_clock_model(n_areas: int | None = None) -> tuple[Equations, str]:
    """One cell per area holding the area's window-clock threshold, whether its
    input volley is due in this step (``volley``, see :func:`input_model`) and
    whether the area learns now: equations, and the statement to run every
    time step before the thresholds (``when="before_thresholds"``).
    Its ``area`` must be set to the cell's index; the excitatory cells link their
    ``theta`` (and ``learns``, see :data:`LEARN_EVENT`) to it (see
    :func:`excitatory_model`). Needs the ``TimedArray`` ``area_learns(t, area)``.

    ``area_learns`` is three-valued: 0, no fibre into the area is plastic in
    this window (no potentiation); 1, it learns; 2, potentiation runs on every
    spike of the area (the ungated model, which tests compare against).

    With ``n_areas``, the *source gate*: where ``area_learns`` is 1 the area
    learns only once some area ``a`` with a plastic fibre into it
    (``plasticity_gain(t, a * n_areas + area) != 0``) has fired in this window.
    ``fired_a`` (``a = 0 .. n_areas - 1``) are linked variables to be linked to
    the ``fired`` flag of a cell of area ``a`` that every excitatory spike of
    the area reaches (an interneuron with ``p_ei = 1``, see
    :data:`EI_ON_PRE`). It changes no weight: potentiation adds
    ``gain * A_plus * ... * apre_pre``, and ``apre`` is 0 in every cell that has
    not spiked since the window began (traces are reset at the boundary and a
    spike raises its own cell's trace at the end of its step), so until a
    plastic source has fired every potentiation of this area's spikes adds
    exactly 0. A source spike at step ``t`` opens the gate at ``t + dt``, when
    its trace first counts. In a coupling window this skips the leading area's
    spikes until its partner fires: about half of all potentiation walks.

    Cost: the condition is evaluated left to right and stops early (C++ ``||``
    and ``&&``), so the gain look-ups run only for learning areas and only for
    sources that have fired; what remains is reading ``n_areas`` flags per
    clock cell and step. Measured (Intel VM, n = 100, second-seed simulate
    time, gated / area gate only): 64 areas 5.0 / 4.6 s, 128 areas 18.6-19.0 /
    17.8-18.3 s; where potentiation has more to walk it pays: alarm (37 areas,
    n = 250) 9.0 / 10.0-10.1 s, Alzheimer (10 areas, n = 1000) 3.8 / 4.3-4.5 s.
    (A sum of products instead made 128 areas take 27 s.)"""
    eqs = Equations(
        """
        theta : volt
        learns : 1
        volley : 1
        area : integer (constant)
        """
    )
    clock = f"theta = {WINDOW_THRESHOLD}; volley = int({VOLLEY_STEP})"
    if n_areas is None:
        return eqs, f"{clock}; learns = area_learns(t, area)"
    eqs += Equations("\n".join(f"fired_{a} : 1 (linked)" for a in range(n_areas)))
    sources = " or ".join(
        f"(fired_{a} > 0.5 and plasticity_gain(t, {a} * n_areas + area) != 0)" for a in range(n_areas)
    )
    learns = f"learns = int(area_learns(t, area) > 1.5 or (area_learns(t, area) > 0.5 and ({sources})))"
    return eqs, f"{clock}; {learns}"


#: condition of the excitatory cells' ``learn`` event: the cell spiked in this
#: step (the spike thresholder has just set ``lastspike = t``; the event is
#: checked after it, Brian2's default slot for custom events) and its area
#: learns now (``learns``, linked to the area clock: some fibre into the area
#: is plastic in this window and a cell of such a fibre's source area has
#: fired, see :func:`area_clock_model`). The potentiation pathway of the STDP
#: synapses runs on this event instead of on every spike: where no plastic
#: source has fired, potentiation is the identity (``w + 0``, already
#: inside ``[0, w_max]``), so skipping it changes no weight and saves walking
#: every incoming synapse of every spike of the identify, probe and intervene
#: windows, of the areas a coupling window does not train, and of the leading
#: area of a coupled link until its partner fires.
LEARN_EVENT = "lastspike == t and learns > 0.5"


def excitatory_window_reset(noise: str = "colored") -> str:
    """Statements of the window-boundary reset of the excitatory cells (the
    coloured noise current is redrawn from its stationary distribution)."""
    reset = "v = E_L; ge = 0*mV; gi = 0*mV"
    return reset + ("; I_noise = sigma_noise * randn()" if noise == "colored" else "")


#: statements of the window-boundary reset of the inhibitory cells
INHIBITORY_WINDOW_RESET = "v = E_L_I; fired = 0"

#: ``on_pre`` of the excitatory -> inhibitory synapses of an area: each spike
#: counts towards the cap and marks the interneuron's area as having fired in
#: this window (``fired``, read by the area clock's source gate)
EI_ON_PRE = "v_post += w_ei; fired_post = 1"


@dataclass(frozen=True)
class InhibitoryParams:
    """Fast-spiking interneurons of the inhibitory cap.

    ``count_k``: the number of excitatory spikes of its own area after which
    an interneuron fires; each excitatory spike raises it by
    ``(v_th_I - E_L_I) / count_k`` (zero-delay, dense E->I, as basket cells
    receive from most local pyramidal cells). Its spike silences the area for
    the rest of the window through ``w_ie`` (current-based, zero delay).
    """

    E_L_I: Quantity = Q(-70 * mV)  # resting potential
    v_th_I: Quantity = Q(-50 * mV)  # threshold
    v_reset_I: Quantity = Q(-70 * mV)  # reset
    tau_I: Quantity = Q(50 * ms)  # membrane time constant (long: the cell counts the spikes of a burst)
    tau_ref_I: Quantity = Q(1 * ms)  # refractory period

    def namespace(self) -> dict:
        return _namespace(self)


def inhibitory_model() -> tuple[Equations, str, str]:
    eqs = Equations(
        """
        dv/dt = (E_L_I - v) / tau_I : volt (unless refractory)
        fired : 1
        area : integer (constant)
        """
    )
    return eqs, "v > v_th_I", "v = v_reset_I"


#: how a presentation drives the input cells (``InputParams.stimulus``)
INPUT_STIMULI = ("volley", "poisson")


@dataclass(frozen=True)
class InputParams:
    """Stimulus input cells: each input set fires one volley per window in which
    the protocol presents it; each cell of the set fires with probability
    ``stim_strength(t, inset)`` (1 for a full-strength presentation, lower for
    the weaker values of the rate code).

    ``stimulus="poisson"``: every cell of the set gets a Poisson spike count,
    mean ``poisson_rate`` times the presentation's strength, drawn by
    ``spiking_direct.stimulus.poisson_counts`` from the run's seed (the same
    counts the rate engine draws for the same seed). A cell with count ``c > 0``
    fires in the volley and its synapses deliver ``c`` coincident spikes: one
    event of ``c`` times the synaptic weight (exact for the linear synapses of the
    clocked network); a cell with count 0 stays silent. The counts reach the
    network as the TimedArray ``stim_count`` (window x input cell)."""

    n_per_set: int = 100  # input cells per input set
    p_in: float = 0.1  # probability that an input cell contacts an excitatory cell of its area
    w_in: Quantity = Q(2.0 * mV)  # mean input weight (weights drawn uniformly in [0.5, 1.5] x w_in per run)
    stimulus: str = "volley"  # INPUT_STIMULI: "volley" (fire with probability stim_strength) or "poisson"
    poisson_rate: float = 1.0  # stimulus "poisson": mean spike count of a cell at full strength

    def namespace(self) -> dict:
        return {}


def input_model(stimulus: str = "volley") -> tuple[Equations, str]:
    """Equations and threshold of the input cells (they never integrate).

    ``stimulus="poisson"`` (:class:`InputParams`): a cell fires in its volley step
    when its spike count ``count`` (the TimedArray ``stim_count``) is positive; the
    input synapses multiply their weight by ``count_pre``.

    A cell fires in the step of its area's volley (:data:`VOLLEY_STEP`) with
    probability ``stim_strength(t, inset)``. The volley step is computed once
    per area and step by the area clock (:func:`area_clock_model`) and read
    through the linked variable ``volley``, to be linked with the cell's area as
    index: two ``TimedArray`` look-ups fewer per input cell and step than
    evaluating :data:`VOLLEY_STEP` in every cell, and the same spikes from the
    same seed (``rand()`` is drawn only in the volley step either way)."""
    eqs = Equations(
        """
        area : integer (constant)
        inset : integer (constant)
        volley : 1 (linked)
        """
    )
    if stimulus == "poisson":
        eqs += Equations("count = stim_count(t, i) : 1")
        return eqs, "volley > 0.5 and count > 0.5"
    if stimulus != "volley":
        raise ModelError(f"unknown input stimulus {stimulus!r}; choose from {list(INPUT_STIMULI)}")
    return eqs, "volley > 0.5 and rand() < stim_strength(t, inset)"

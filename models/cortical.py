"""The cortical network's models: conductance-based cells, delayed local circuits, plastic assemblies.

Each area is a small patch of cortex: ``n`` excitatory (pyramidal) cells and
``n / 4`` fast-spiking (PV basket) interneurons, the 4 : 1 proportion of the
COBA benchmark network (Brette et al. 2007, after Braitenberg & Schüz 1998:
about 20 % of cortical neurons are GABAergic). Nothing in an area counts
spikes or sets a state variable at a window boundary; the cap and the cycles
come from the dynamics:

Cells
    leaky integrate-and-fire with conductance-based synapses and reversal
    potentials (Brette et al. 2007): ``C dv/dt = g_L (E_L - v) + g_e (E_e - v)
    + g_i (E_i - v)``, with ``g_e`` an AMPA conductance (decay ``tau_ampa``)
    plus an NMDA-like slow conductance (decay ``tau_nmda``, without the
    Mg2+ block: every excitatory synapse adds ``w`` to the AMPA and
    ``nmda_ratio * w`` to the slow conductance) and ``g_i`` a GABA_A
    conductance (decay ``tau_gaba``).
Background
    in vivo-like fluctuations from the point-conductance model of Destexhe et
    al. 2001: an excitatory and an inhibitory Ornstein-Uhlenbeck conductance
    (means ``bg_ge``, ``bg_gi``; correlation times ``tau_bg_e``, ``tau_bg_i``),
    updated by their exact OU step every ``bg_dt`` and held in between.
    ``sigma`` is the standard deviation of the free membrane (no synaptic
    input, no threshold): the conductances' standard deviations are derived
    from it by the effective-time-constant approximation
    (:func:`background_sd`), with ``sigma_gi / sigma_ge`` = ``bg_ratio``.
The theta cycle
    an oscillatory inhibitory drive paces the windows (a 100 ms cycle by
    default, :func:`cortical_clock`; the septo-hippocampal theta pacemaker
    acts through interneurons the same way): in every window an area's theta
    conductance ``g_theta`` is ``theta_g`` until ``t_release`` after the
    area's clock offset and then decays with ``tau_theta``; an area the
    protocol keeps inactive stays at ``theta_g``. The protocol's clock offset
    shifts the phase of an area's cycle, which is how a source assembly leads
    its target. The drive is a function of time, computed once per area and
    step (:func:`theta_clock_model`).
The input
    each input set is a population of ``n_per_set`` cells, each contacting
    the excitatory cells of its area with probability ``p_in`` (1 by default)
    through weights drawn from a lognormal distribution (mean ``w_in``, log-sd
    ``w_in_spread``; cortical weights are lognormal, Song et al. 2005). A
    presented cell fires at its area's volley step (``t_volley`` after the
    offset) with probability ``stim_strength`` and then drives its synapses'
    conductance (``g_stim``) for ``T_stim``: the mean drive of a thalamic
    burst, held instead of sampled spike by spike (:func:`input_cell_model`).
    A ``stim_strength`` above 1 is a stronger stimulus: every cell of the set
    fires and drives its synapses at that multiple of their weights.
The cap: E%-max inside a gamma cycle
    as the theta inhibition decays, the cells with the most excitation escape
    first; their spikes reach the interneurons after ``delay_ei``, which fire
    and inhibit the area after ``delay_ie``: the cells that escape within that
    loop latency win (the E%-max rule of de Almeida, Idiart & Lisman 2009:
    with decaying inhibition a cell's escape time is logarithmic in its
    excitation, so the winners are the cells within a fraction of the maximal
    excitation). The interneurons then pace the winners at gamma frequency
    (PING, Börgers & Kopell 2003) while the input lasts. The fraction, hence
    the assembly size, is set by the loop latency against ``tau_theta`` and by
    the spread of the excitation; it is measured, not imposed
    (``experiments/cortical.py``).
Feedforward inhibition (off by default)
    the input cells can also drive the interneurons of their own area (probability ``p_in_i``,
    weight ``w_in_i``, static), holding that conductance like their drive of the excitatory cells
    (``g_stim`` of the interneurons), from ``delay_in_i`` (1 ms) after the volley until
    ``delay_in_i`` after its end: the thalamocortical feedforward inhibition that recruits PV
    cells a millisecond or two before the pyramidal cells fire (Pouille & Scanziani 2001;
    Gabernet et al. 2005; Isaacson & Scanziani 2011), a candidate divisive normalisation of the
    drive (Carandini & Heeger 2012). It is off (``w_in_i`` = 0: no synapses, and the
    interneurons' equations are those without it) because in the area experiment it did not
    hold the cap: it shrank the assemblies without keeping the winners under a doubled drive
    within +-25 % of the own size (measured values in the change log).
Delays
    every local pathway has a synaptic delay (``delay_ee`` 1.5 ms,
    ``delay_ei``, ``delay_ie``, ``delay_ii`` 1 ms) and fibres between areas
    have the inter-area STDP delay (``spiking.stdp.delay``, 2 ms).
Assemblies formed by plasticity
    the input synapses and the recurrent synapses inside an area (``E -> E``,
    ``p_ee``) are plastic in the windows of the protocol's identify phase
    (``area_forms(t, area)``). An input synapse grows towards ``w_in_max``
    (soft bound, rate ``A_in_plus``) at every spike of its target cell while
    its input cell drives, and every input synapse of a firing cell shrinks
    by ``A_in_het`` of its weight (heterosynaptic depression, which bounds a
    cell's total input; Zenke, Agnes & Gerstner 2015): a synapse that drives
    a firing cell settles at ``w_in_max * A_in_plus / (A_in_plus + A_in_het)``,
    the same for every member of an assembly. Recurrent synapses follow a
    symmetric Hebbian rule (co-firing within ``tau_sym`` potentiates both
    directions, as measured at CA3 recurrent synapses by Mishra et al. 2016).
    Repeated presentations of a stimulus therefore make its winners win
    again (the set of cells that have ever won stops growing) and bind them,
    so that part of the stimulus re-evokes the whole assembly.
Between areas
    the protocol's STDP (``spiking.stdp``: timing rule, amplitudes, delay,
    ``p_inter``) on conductance weights bounded by ``w_inter_max``; each fibre
    spike adds its weight to the target's AMPA and slow conductances.

Integration: the membrane and synaptic equations are linear in the state
variables given the conductances, so they are integrated with Brian2's
``exponential_euler`` at ``dt`` (0.1 ms), which stays stable in the
high-conductance state that the theta inhibition imposes; the background
conductances follow their exact OU update.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from brian2 import Equations, ms, mV, nS, pF

from ..errors import ModelError
from ._units import Q, Quantity


@dataclass(frozen=True)
class CorticalParams:
    """Parameters of the cortical network (areas of conductance-based cells; see the module doc).

    Conductances are in nS, capacitances in pF; sources are given in the module doc."""

    # excitatory cells (Brette et al. 2007 COBA; pyramidal)
    C_m: Quantity = Q(200 * pF)  # membrane capacitance of an excitatory cell
    g_L: Quantity = Q(10 * nS)  # leak conductance of an excitatory cell (tau_m = C_m / g_L = 20 ms)
    E_L: Quantity = Q(-65 * mV)  # leak reversal potential
    v_th: Quantity = Q(-50 * mV)  # spike threshold
    v_reset: Quantity = Q(-65 * mV)  # reset potential
    tau_ref: Quantity = Q(3 * ms)  # absolute refractory period of an excitatory cell
    E_e: Quantity = Q(0 * mV)  # excitatory (AMPA, NMDA) reversal potential
    E_i: Quantity = Q(-80 * mV)  # inhibitory (GABA_A) reversal potential
    tau_ampa: Quantity = Q(5 * ms)  # AMPA conductance decay
    tau_nmda: Quantity = Q(20 * ms)  # slow (NMDA-like) conductance decay
    nmda_ratio: float = 1.0  # slow conductance added per unit of AMPA conductance
    tau_gaba: Quantity = Q(8 * ms)  # GABA_A conductance decay
    # fast-spiking interneurons (PV basket cells)
    inh_ratio: float = 0.25  # interneurons per excitatory cell (4 : 1)
    C_m_I: Quantity = Q(100 * pF)  # membrane capacitance of an interneuron
    g_L_I: Quantity = Q(10 * nS)  # leak conductance of an interneuron (tau_m = 10 ms)
    v_th_I: Quantity = Q(-52 * mV)  # interneuron threshold
    v_reset_I: Quantity = Q(-65 * mV)  # interneuron reset
    tau_ref_I: Quantity = Q(1 * ms)  # interneuron refractory period
    # background (Destexhe et al. 2001 point-conductance model)
    bg_ge: Quantity = Q(6 * nS)  # mean excitatory background conductance
    bg_gi: Quantity = Q(24 * nS)  # mean inhibitory background conductance
    tau_bg_e: Quantity = Q(2.7 * ms)  # correlation time of the excitatory background
    tau_bg_i: Quantity = Q(10.5 * ms)  # correlation time of the inhibitory background
    bg_ratio: float = 2.2  # sd of the inhibitory background per sd of the excitatory one
    sigma: Quantity = Q(2 * mV)  # free-membrane sd of an excitatory cell from the background
    bg_dt: Quantity = Q(0.5 * ms)  # update interval of the background conductances (held in between)
    # the theta cycle
    theta_g: Quantity = Q(330 * nS)  # theta inhibition before an area's release (and in inactive areas)
    t_release: Quantity = Q(3 * ms)  # release of the theta inhibition after the area's clock offset
    tau_theta: Quantity = Q(25 * ms)  # decay of the theta inhibition after the release
    # local circuit
    p_ee: float = 0.2  # recurrent E -> E connection probability inside an area
    p_ei: float = 0.5  # E -> I connection probability inside an area
    p_ie: float = 0.5  # I -> E connection probability inside an area
    p_ii: float = 0.5  # I -> I connection probability inside an area
    w_ei: Quantity = Q(2 * nS)  # E -> I weight (AMPA)
    w_ie: Quantity = Q(3 * nS)  # I -> E weight (GABA_A)
    w_ii: Quantity = Q(1.0 * nS)  # I -> I weight (GABA_A)
    delay_ee: Quantity = Q(1.5 * ms)  # recurrent E -> E delay
    delay_ei: Quantity = Q(1 * ms)  # E -> I delay
    delay_ie: Quantity = Q(1 * ms)  # I -> E delay
    delay_ii: Quantity = Q(1 * ms)  # I -> I delay
    # input: each presented input cell holds its synapses' conductance for T_stim from its volley
    T_stim: Quantity = Q(55 * ms)  # duration of an input cell's drive in a window
    p_in: float = 1.0  # probability that an input cell contacts an excitatory cell of its area
    w_in: Quantity = Q(0.4 * nS)  # mean initial input weight (lognormal, see w_in_spread)
    w_in_spread: float = 1.0  # sd of the log of the initial input weights (lognormal, Song et al. 2005)
    w_in_max: Quantity = Q(1 * nS)  # upper (soft) bound of an input weight
    A_in_plus: float = 0.5  # input potentiation per spike while the input drives, in units of (w_in_max - w)
    A_in_het: float = 0.1  # heterosynaptic depression of every input synapse of a firing cell, in units of w
    # feedforward inhibition: input cells also drive the interneurons of their area (static, held like g_stim)
    p_in_i: float = 0.5  # probability that an input cell contacts an interneuron of its area
    w_in_i: Quantity = Q(0 * nS)  # input -> interneuron weight (held conductance; 0: no feedforward inhibition)
    delay_in_i: Quantity = Q(1 * ms)  # input -> interneuron delay (onset and end of the held drive)
    # recurrent synapses (plastic during assembly formation)
    w_ee_init: Quantity = Q(0.1 * nS)  # initial recurrent weight (drawn uniformly in [0, w_ee_init])
    w_ee_max: Quantity = Q(8 * nS)  # upper (soft) bound of a recurrent weight
    A_ee: float = 0.1  # recurrent potentiation per co-firing pair, in units of (w_ee_max - w)
    tau_sym: Quantity = Q(10 * ms)  # time constant of the symmetric rule's traces
    # inter-area synapses (STDP of spiking.stdp, weights in nS here)
    w_inter_max: Quantity = Q(12 * nS)  # upper bound of an inter-area weight
    w_inter_init: Quantity = Q(0.5 * nS)  # initial inter-area weights are drawn uniformly in [0, w_inter_init]

    def validate(self) -> None:
        if self.v_th <= self.E_L:
            raise ModelError(f"cortical: v_th ({self.v_th}) must be above E_L ({self.E_L})")
        if not self.E_i < self.E_L < self.E_e:
            raise ModelError("cortical: the reversal potentials must satisfy E_i < E_L < E_e")
        if not 0 * nS <= self.w_in <= self.w_in_max:
            raise ModelError(f"cortical: w_in must be in [0, w_in_max = {self.w_in_max}], got {self.w_in}")
        if self.w_in_i < 0 * nS:
            raise ModelError(f"cortical: w_in_i must be >= 0, got {self.w_in_i}")
        if not 0 * nS <= self.w_inter_init <= self.w_inter_max:
            raise ModelError(
                f"cortical: w_inter_init must be in [0, w_inter_max = {self.w_inter_max}], got {self.w_inter_init}"
            )
        if not 0 * nS <= self.w_ee_init <= self.w_ee_max:
            raise ModelError(f"cortical: w_ee_init must be in [0, w_ee_max = {self.w_ee_max}], got {self.w_ee_init}")

    def n_inh(self, n: int) -> int:
        return max(1, int(round(self.inh_ratio * n)))

    def namespace(self) -> dict:
        ns = dict(asdict(self))
        for key in ("inh_ratio", "p_in", "p_in_i", "p_ee", "p_ei", "p_ie", "p_ii", "bg_ratio"):
            ns.pop(key)
        ns.update(background_sd(self))
        for name, tau in (("e", self.tau_bg_e), ("i", self.tau_bg_i)):
            decay = float(np.exp(-float(self.bg_dt / tau)))
            ns[f"bg_decay_{name}"] = decay
            ns[f"bg_kick_{name}"] = float(np.sqrt(1.0 - decay**2))
        return ns


def cortical_clock():
    """The window clock of the cortical network: a 100 ms theta cycle (10 Hz), volley 1 ms after
    the area's offset, 0.1 ms steps (the ramp fields of the clocked network are not used)."""
    from dataclasses import replace

    from .neurons import WindowClock

    return replace(WindowClock(), T_win=100 * ms)


def background_sd(params: CorticalParams) -> dict:
    """The background conductances' standard deviations (``bg_sd_e``, ``bg_sd_i``, nS) that give an
    excitatory cell a free-membrane sd of ``sigma``.

    Effective-time-constant approximation (Destexhe et al. 2001; Richardson 2004): around the mean
    potential ``V0`` of the cell under its mean conductances (total ``g0``), a conductance fluctuation
    ``dg`` with reversal ``E`` acts as a current ``dg (E - V0)``; an OU current of sd ``s`` and
    correlation time ``tau`` filtered by the membrane (``tau_eff = C_m / g0``) has variance
    ``(s / g0)^2 tau / (tau + tau_eff)``. The two are independent and summed."""
    gl, ge, gi = (float(x / nS) for x in (params.g_L, params.bg_ge, params.bg_gi))
    el, ee, ei = (float(x / mV) for x in (params.E_L, params.E_e, params.E_i))
    g0 = gl + ge + gi  # nS
    v0 = (gl * el + ge * ee + gi * ei) / g0  # mV
    tau_eff = float(params.C_m / (g0 * nS) / ms)
    te, ti = float(params.tau_bg_e / ms), float(params.tau_bg_i / ms)
    # membrane variance (mV^2) per nS^2 of the excitatory background's variance
    var_per_unit = ((ee - v0) / g0) ** 2 * te / (te + tau_eff) + (params.bg_ratio * (ei - v0) / g0) ** 2 * ti / (
        ti + tau_eff
    )
    sd_e = float(params.sigma / mV) / np.sqrt(var_per_unit)
    return {"bg_sd_e": sd_e * nS, "bg_sd_i": params.bg_ratio * sd_e * nS}


#: exact OU updates of the background conductances over ``bg_dt`` (clipped at zero: a conductance)
BACKGROUND_UPDATE = (
    "g_bg_e = clip(bg_ge + (g_bg_e - bg_ge) * bg_decay_e + bg_sd_e * bg_kick_e * randn(), 0*nS, inf*nS)\n"
    "g_bg_i = clip(bg_gi + (g_bg_i - bg_gi) * bg_decay_i + bg_sd_i * bg_kick_i * randn(), 0*nS, inf*nS)"
)


def excitatory_model() -> tuple[Equations, str, str]:
    """Equations, threshold and reset of the cortical excitatory cells.

    Needs ``g_theta`` linked to the area's theta clock (:func:`theta_clock_model`) and the
    run of :data:`BACKGROUND_UPDATE` every ``bg_dt``."""
    eqs = Equations(
        """
        dv/dt = (g_L * (E_L - v) + (g_ampa + g_nmda + g_stim + g_bg_e) * (E_e - v)
                 + (g_gaba + g_bg_i + g_theta) * (E_i - v)) / C_m : volt (unless refractory)
        g_stim : siemens
        dg_ampa/dt = -g_ampa / tau_ampa : siemens
        dg_nmda/dt = -g_nmda / tau_nmda : siemens
        dg_gaba/dt = -g_gaba / tau_gaba : siemens
        g_bg_e : siemens
        g_bg_i : siemens
        g_theta : siemens (linked)
        area : integer (constant)
        """
    )
    return eqs, "v > v_th", "v = v_reset"


def inhibitory_model(feedforward: bool = False) -> tuple[Equations, str, str]:
    """Equations, threshold and reset of the fast-spiking interneurons (same synapse kinetics and
    background conductances, scaled to the interneuron's leak; no theta drive). ``feedforward``
    adds ``g_stim``, the held drive of the input cells (:func:`input_inhibitory_synapse_model`);
    without it the equations are those of the network without feedforward inhibition."""
    stim = " + g_stim" if feedforward else ""
    eqs = Equations(
        f"""
        dv/dt = (g_L_I * (E_L - v) + (g_ampa + g_nmda{stim} + g_bg_e) * (E_e - v)
                 + (g_gaba + g_bg_i) * (E_i - v)) / C_m_I : volt (unless refractory)
        dg_ampa/dt = -g_ampa / tau_ampa : siemens
        dg_nmda/dt = -g_nmda / tau_nmda : siemens
        dg_gaba/dt = -g_gaba / tau_gaba : siemens
        g_bg_e : siemens
        g_bg_i : siemens
        area : integer (constant)
        """
    )
    if feedforward:
        eqs += Equations("g_stim : siemens")
    return eqs, "v > v_th_I", "v = v_reset_I"


#: the theta conductance of an area: ``theta_g`` until ``t_release`` after the area's clock offset,
#: then an exponential decay with ``tau_theta``; ``theta_g`` throughout in an inactive area
THETA_CONDUCTANCE = (
    "theta_g * (1 - area_active(t, area) + area_active(t, area)"
    " * exp(-clip((timestep(t, dt) % win_steps) * dt - area_offset(t, area) - t_release, 0*ms, inf*ms)"
    " / tau_theta))"
)


def theta_clock_model() -> tuple[Equations, str]:
    """One cell per area holding its theta conductance and whether its input volley is due in this
    step (``volley``, read by the input cells): equations, and the statement to run every step
    before the thresholds. Needs the protocol's ``TimedArray`` objects ``area_active`` and
    ``area_offset`` and the window clock's ``win_steps`` and ``t_volley``."""
    from .neurons import VOLLEY_STEP

    eqs = Equations(
        """
        g_theta : siemens
        volley : 1
        area : integer (constant)
        """
    )
    return eqs, f"g_theta = {THETA_CONDUCTANCE}; volley = int({VOLLEY_STEP})"


#: ``on_pre`` of every excitatory synapse: AMPA and the slow conductance
EXCITATORY_ON_PRE = "g_ampa_post += {w}; g_nmda_post += nmda_ratio * {w}"


def input_cell_model() -> tuple[Equations, str, dict]:
    """Input cells: equations, threshold and the ``off`` event.

    A cell of a presented set fires at its area's volley step (``volley``, linked to the theta
    clock) with probability ``stim_strength(t, inset)``; its synapses then hold their conductance
    on the target cells (``g_stim``) for ``T_stim`` (a thalamic burst's mean drive) and take it
    back at the ``off`` event. The cell is refractory while it drives."""
    eqs = Equations(
        """
        area : integer (constant)
        inset : integer (constant)
        volley : 1 (linked)
        """
    )
    return (
        eqs,
        "volley > 0.5 and rand() < stim_strength(t, inset)",
        {"off": "timestep(t - lastspike, dt) == stim_steps"},
    )


def input_synapse_model() -> tuple[Equations, dict, str]:
    """Plastic input synapses: equations, ``on_pre`` pathways (``pre``: the volley, ``off``: the
    drive's end) and ``on_post``.

    Transmission: at the volley the synapse adds its weight to the target's ``g_stim`` (times the
    set's ``stim_strength`` where that is above 1: a stronger stimulus) and takes the same amount
    (``w_on``) back at the ``off`` event, so plasticity in between leaves no residue.
    Plasticity (where ``area_forms(t, area_post)`` is 1), at every spike of the target cell:
    ``w += A_in_plus * (w_in_max - w)`` if the input cell drives now, and ``w -= A_in_het * w``
    for every input synapse of the cell (heterosynaptic), clipped to ``[0, w_in_max]``."""
    eqs = Equations(
        """
        w : siemens
        w_on : siemens
        """
    )
    on_pre = {
        "pre": "w_on = w * clip(stim_strength(t, inset_pre), 1, inf)\ng_stim_post += w_on",
        "off": "g_stim_post -= w_on\nw_on = 0*nS",
    }
    on_post = (
        "w = clip(w + area_forms(t, area_post) * (A_in_plus * (w_in_max - w) * int(w_on > 0*nS) - A_in_het * w),"
        " 0*nS, w_in_max)"
    )
    return eqs, on_pre, on_post


def input_inhibitory_synapse_model() -> dict:
    """Static input -> interneuron synapses (feedforward inhibition): ``on_pre`` pathways. At the
    volley (``pre``, delayed by ``delay_in_i``) each synapse adds ``w_in_i`` to the interneuron's
    ``g_stim`` and takes it back at the ``off`` event (delayed the same), as the input synapses onto
    the excitatory cells hold theirs."""
    return {"pre": "g_stim_post += w_in_i", "off": "g_stim_post -= w_in_i"}


def recurrent_synapse_model() -> tuple[Equations, str, str]:
    """Plastic recurrent E -> E synapses inside an area (symmetric Hebbian rule with soft bounds,
    event-driven traces): equations, ``on_pre`` and ``on_post``. Plastic where
    ``area_forms(t, area_post)`` is 1."""
    eqs = Equations(
        """
        w : siemens
        dspre/dt = -spre / tau_sym : 1 (event-driven)
        dspost/dt = -spost / tau_sym : 1 (event-driven)
        """
    )
    on_pre = (
        EXCITATORY_ON_PRE.format(w="w")
        + "\nspre += 1\nw = clip(w + area_forms(t, area_post) * A_ee * (w_ee_max - w) * spost, 0*nS, w_ee_max)"
    )
    on_post = "spost += 1\nw = clip(w + area_forms(t, area_post) * A_ee * (w_ee_max - w) * spre, 0*nS, w_ee_max)"
    return eqs, on_pre, on_post


__all__ = [
    "CorticalParams",
    "cortical_clock",
    "background_sd",
    "BACKGROUND_UPDATE",
    "excitatory_model",
    "inhibitory_model",
    "theta_clock_model",
    "THETA_CONDUCTANCE",
    "EXCITATORY_ON_PRE",
    "input_cell_model",
    "input_synapse_model",
    "input_inhibitory_synapse_model",
    "recurrent_synapse_model",
]

"""Cells and synapses of the spiking discovery protocol (:mod:`spiking_direct.discovery.assemblies_spiking`).

Data step ``m`` of a series occupies ``[m S, (m + 1) S)`` (``S``: the step); a cell that the step
presents receives an input spike of weight ``J`` half a step in, at the step's onset
``m S + S / 2`` (:data:`INPUT_KICK`, a kick on its input current), and fires a few ms later. The
synapses update at the step boundaries ``m S``, half a step after the onset, when every cell
driven by the step has fired (:func:`predictive_update`).

The cell: a leaky integrator (``tau_m``) of an exponential input current (``tau_s``), threshold
``v_th`` above rest, reset to rest and refractory for ``t_ref`` (longer than the spread of the
response, so one input spike gives one spike), with a coloured membrane noise ``I_noise`` (an
Ornstein-Uhlenbeck current of correlation time ``tau_noise``, advanced by its exact update every
``noise_dt``, :data:`NOISE_UPDATE`) that jitters the spike time by about 1 ms; free-membrane SD
``sigma``. The noise never makes a cell fire on its own (``sigma`` is 2.5 mV, the threshold 15 mV
above rest).

The eligibility kernel: ``x``, a count per cell driven by its own spikes through two delayed
pathways (:func:`eligibility_pathways`), +1 a delay ``D`` after each spike and -1 at ``D + S``:
a box of one step's length, delayed by ``D`` (``D = S / 2``). A synapse reads its presynaptic
cell's ``x``: at a postsynaptic spike of the next step (lag ``S`` +- the jitter) it holds the
presynaptic spike, at a spike of the same step (lag 0 +- the jitter) and of the step after next
(lag ``2 S``) it does not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from brian2 import Equations, ms, mV

from ._units import Q, Quantity


@dataclass(frozen=True)
class DiscoveryCellParams:
    """LIF cells of the discovery protocol (membrane relative to rest)."""

    tau_m: Quantity = Q(10 * ms)  # membrane time constant
    tau_s: Quantity = Q(5 * ms)  # input current time constant
    v_th: Quantity = Q(15 * mV)  # threshold above rest
    t_ref: Quantity = Q(8 * ms)  # refractory period (one spike per input spike)
    J: Quantity = Q(100 * mV)  # input spike weight (the current's jump): fires about 2 ms after it
    sigma: Quantity = Q(2.5 * mV)  # free-membrane SD of the noise
    tau_noise: Quantity = Q(5 * ms)  # noise correlation time
    noise_dt: Quantity = Q(1 * ms)  # noise update interval
    dt: Quantity = Q(0.1 * ms)  # integration step

    def namespace(self) -> dict:
        ns = dict(asdict(self))
        ns.pop("dt")
        # the OU current's SD that gives a free-membrane SD of sigma
        ns["sigma_I"] = self.sigma * float(((self.tau_noise + self.tau_m) / self.tau_noise) ** 0.5)
        return ns


def discovery_cell_model() -> tuple[Equations, str, str]:
    """Equations, threshold and reset of a cell. ``x``: the delayed eligibility box of its own spikes;
    ``s``: its spikes since the last update; ``u``: its dendritic prediction, the weighted delayed
    events of its presynaptic cells since the last update; ``xbar``: the running mean of ``x``;
    ``fired``: the number of steps in which it fired."""
    eqs = Equations(
        """
        dv/dt = (-v + I + I_noise) / tau_m : volt (unless refractory)
        dI/dt = -I / tau_s : volt
        I_noise : volt
        x : 1
        s : 1
        u : 1
        xbar : 1
        fired : 1
        tau_mean : 1 (shared)
        """
    )
    return eqs, "v > v_th", "v = 0*mV\ns += 1"


#: the input spike at the step onset: ``stim`` is a TimedArray of half steps, 1 where the cell is driven
INPUT_KICK = "I += J * stim(t, i)"

#: the exact update of the OU noise current over ``noise_dt``
NOISE_UPDATE = (
    "I_noise = I_noise * exp(-noise_dt / tau_noise) + sigma_I * sqrt(1 - exp(-2 * noise_dt / tau_noise)) * randn()"
)

#: the cells' bookkeeping at the step boundary ``m S`` (after the synapses' update): the step that just
#: ended counts as fired; ``x`` (now the step before it) enters the running mean from step 2 on
CELL_BOUNDARY = """
fired += int(s > 0.5) * int(t > 0.5 * step)
xbar += int(t > 1.5 * step) * (clip(x, 0, 1) - xbar) / tau_mean
u = 0
s = 0
"""


def eligibility_pathways() -> dict[str, str]:
    """The two pathways (delays ``D`` and ``D + S``) of a cell onto itself that make its box ``x``."""
    return {"arrive": "x_post += 1", "leave": "x_post -= 1"}


def discovery_synapse_model(rule: str) -> tuple[Equations, dict, str | None]:
    """Equations, pathways (``on_pre`` / ``on_post``) and the once-per-step update of the all-to-all
    synapses for ``rule`` (``hebbian`` or ``predictive``). ``eta = 0`` changes no weight (to the bit)."""
    eqs = Equations(
        """
        w : 1
        eta : 1 (shared)
        decay : 1 (shared)
        t_half : 1 (shared)
        norm : 1 (shared)
        """
    )
    if rule == "hebbian":
        # the covariance rule at the postsynaptic spike, once per step (s counts this step's earlier spikes)
        return eqs, {"on_post": "w += eta * (clip(x_pre, 0, 1) - xbar_pre) * int(s_post < 0.5)"}, None
    if rule == "predictive":
        return eqs, {"on_pre": "u_post += w"}, predictive_update()
    raise ValueError(f"unknown rule {rule!r}")


def predictive_update() -> str:
    """The normalised LMS update at the step boundary ``m S``: pairs the presynaptic cell's box ``x``
    (step ``m - 2``) with the postsynaptic spikes ``s`` of step ``m - 1`` and the prediction ``u``
    (the weighted presynaptic events of step ``m - 2``, with the weights since the last update); the
    gain ``eta_t = eta t_half / (t_half + m - 2)`` from ``m = 2`` on (the rate engine's pair ``m - 2``)."""
    g = "(int(t > 1.5 * step) * eta * t_half / (t_half + clip(int(t / step + 0.5) - 2, 0, 1e12)))"
    error = f"clip(s_post, 0, 1) - (1 - {g} * decay) * u_post"
    return f"w = w * (1 - {g} * decay) + ({g} / norm) * clip(x_pre, 0, 1) * ({error})"

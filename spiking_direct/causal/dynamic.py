"""Dynamic causal models: a :class:`CausalModel` unrolled in time (:class:`DynamicModel`, :func:`dynamic`).

Every link ``u -> v`` of the static model acts with a lag: ``v`` at step ``t`` is drawn from the
model's CPD of ``v`` with each parent ``u`` read at step ``t - lag(u, v)``. Lags are at least 1
(``u`` precedes ``v`` in time), except for the links made contemporaneous (lag 0: ``u`` at the
same step). A variable may also keep its previous value (autocorrelation).

The generative process, exactly (``L`` = the largest lag, at least 1; ``rho_v`` = the
autocorrelation of ``v``; ``N = burn_in + T`` steps are simulated, the first ``burn_in`` dropped):

1. Steps ``0 .. L-1``: independent rows of the static model
   (:meth:`CausalModel.sample_indices`, every parent at the same step).
2. Steps ``t >= L``, variable by variable in the static model's topological order:
   with probability ``rho_v``, ``v_t = v_{t-1}``; otherwise ``v_t`` is drawn from
   ``CPD_v(parents u at t - lag(u, v))``. So
   ``P(v_t = k | past) = rho_v [k == v_{t-1}] + (1 - rho_v) CPD_v(k | parents at their lags)``.

Randomness, from one ``numpy.random.default_rng(seed)``: the ``L`` initial rows
(:meth:`CausalModel.sample_indices`), then for each variable in topological order one
``rng.random(N - L)`` for the keep-or-draw choice and one for the draw (inverse CDF over the
values in model order). Because a variable's own past enters only through the keep choice and its
parents come earlier in the topological order, each variable is simulated for all steps at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import CausalModelError
from .model import CausalModel

__all__ = ["DynamicModel", "dynamic", "motif", "MOTIFS", "TIME"]

#: Name of the time column of a simulated series.
TIME = "time"

#: Steps simulated and dropped before the returned series starts (default of :class:`DynamicModel`).
BURN_IN = 100


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


class DynamicModel:
    """A causal model unrolled in time (see the module docstring for the generative process).

    Parameters
    ----------
    model : CausalModel
        The static model; its CPDs are the transition tables (needed by :meth:`simulate`).
    lags : int or mapping of (str, str) to int
        The lag of every link (an int >= 1), or of each link ``(u, v)`` (links left out: 1).
    autocorrelation : float or mapping of str to float
        ``rho`` in ``[0, 1)``: the probability that a variable keeps its previous value, for every
        variable or per variable (variables left out: 0).
    contemporaneous : bool or sequence of (str, str)
        Links that act within a step (lag 0): ``True`` for every link, or a list of links.
    burn_in : int
        Steps simulated and dropped before the returned series starts.

    Raises
    ------
    CausalModelError
        On the first bad argument, naming it and the allowed values.
    """

    def __init__(
        self,
        model: CausalModel,
        lags: int | Mapping[tuple[str, str], int] = 1,
        autocorrelation: float | Mapping[str, float] = 0.0,
        contemporaneous: bool | Sequence[tuple[str, str]] = False,
        burn_in: int = BURN_IN,
    ) -> None:
        if not isinstance(model, CausalModel):
            raise CausalModelError(f"dynamic() needs a CausalModel, got {type(model).__name__}")
        self._model = model
        links = model.links
        lag = {link: 1 for link in links}
        if _is_int(lags):
            if lags < 1:
                raise CausalModelError(f"lags must be >= 1 (lag 0 is contemporaneous=...), got {lags}")
            lag = {link: int(lags) for link in links}
        elif isinstance(lags, Mapping):
            for key, value in lags.items():
                key = tuple(key)
                if key not in lag:
                    raise CausalModelError(
                        f"lags: {key!r} is not a link of {model.name!r}; its links are {list(links)}"
                    )
                if not _is_int(value) or value < 1:
                    raise CausalModelError(f"lags: the lag of {key!r} must be an int >= 1, got {value!r}")
                lag[key] = int(value)
        else:
            raise CausalModelError(f"lags must be an int >= 1 or a mapping of link to lag, got {lags!r}")
        if contemporaneous is True:
            lag = {link: 0 for link in links}
        elif contemporaneous is not False:
            if isinstance(contemporaneous, str) or not isinstance(contemporaneous, Sequence):
                raise CausalModelError(
                    f"contemporaneous must be True, False or a list of links, got {contemporaneous!r}"
                )
            for key in contemporaneous:
                key = tuple(key)
                if key not in lag:
                    raise CausalModelError(
                        f"contemporaneous: {key!r} is not a link of {model.name!r}; its links are {list(links)}"
                    )
                lag[key] = 0
        self._lag = lag
        rho = {v: 0.0 for v in model.variables}
        if isinstance(autocorrelation, Mapping):
            for v, r in autocorrelation.items():
                if v not in rho:
                    raise CausalModelError(
                        f"autocorrelation: {v!r} is not a variable of {model.name!r}; its variables are "
                        f"{list(model.variables)}"
                    )
                rho[v] = r
        else:
            rho = {v: autocorrelation for v in model.variables}
        for v, r in rho.items():
            if isinstance(r, bool) or not isinstance(r, (int, float, np.floating, np.integer)) or not 0 <= r < 1:
                raise CausalModelError(f"autocorrelation of {v!r} must be a number in [0, 1), got {r!r}")
        self._rho = {v: float(r) for v, r in rho.items()}
        if not _is_int(burn_in) or burn_in < 0:
            raise CausalModelError(f"burn_in must be an int >= 0, got {burn_in!r}")
        self._burn_in = int(burn_in)

    # -- plain data ---------------------------------------------------------
    @property
    def model(self) -> CausalModel:
        """The static model."""
        return self._model

    @property
    def name(self) -> str:
        """The static model's name."""
        return self._model.name

    @property
    def variables(self) -> tuple[str, ...]:
        """Variable names, in index order."""
        return self._model.variables

    @property
    def values(self) -> dict[str, tuple[str, ...]]:
        """Values of each variable, in model order."""
        return self._model.values

    @property
    def autocorrelation(self) -> dict[str, float]:
        """``rho`` of each variable (a fresh dict)."""
        return dict(self._rho)

    @property
    def burn_in(self) -> int:
        """Steps simulated and dropped before the series starts."""
        return self._burn_in

    @property
    def max_lag(self) -> int:
        """The largest lag of a link (at least 1)."""
        return max([1, *self._lag.values()])

    def lag(self, u: str, v: str) -> int:
        """The lag of the link ``u -> v``."""
        if (u, v) not in self._lag:
            raise CausalModelError(f"{(u, v)!r} is not a link of {self.name!r}; its links are {list(self._lag)}")
        return self._lag[(u, v)]

    def lagged_links(self, self_links: bool = False) -> list[tuple[str, str, int]]:
        """The ground-truth lagged graph: ``(u, v, lag)`` per link, in the static model's link order
        (lag 0: contemporaneous); with ``self_links``, also ``(v, v, 1)`` for every variable with
        ``rho > 0``."""
        out = [(u, v, self._lag[(u, v)]) for u, v in self._model.links]
        if self_links:
            out += [(v, v, 1) for v in self.variables if self._rho[v] > 0]
        return out

    def adjacency(self, contemporaneous: bool = True) -> np.ndarray:
        """Boolean ``(n, n)`` truth over ordered pairs: ``[i, j]`` True iff ``variables[i]`` drives
        ``variables[j]`` at some lag >= 1, or at lag 0 when ``contemporaneous``."""
        idx = self._model.index
        adj = np.zeros((len(idx), len(idx)), dtype=bool)
        for u, v, lag in self.lagged_links():
            if lag >= 1 or contemporaneous:
                adj[idx[u], idx[v]] = True
        return adj

    def to_dict(self) -> dict:
        """JSON-ready description: the static model, the lagged links, autocorrelation and burn-in."""
        return {
            "model": self._model.to_dict(),
            "lagged_links": [list(x) for x in self.lagged_links()],
            "autocorrelation": self.autocorrelation,
            "burn_in": self._burn_in,
        }

    def __repr__(self) -> str:
        lags = sorted(set(self._lag.values()))
        rhos = sorted(set(self._rho.values()))
        return (
            f"DynamicModel(name={self.name!r}, n_variables={len(self.variables)}, "
            f"n_links={len(self._lag)}, lags={lags}, autocorrelation={rhos})"
        )

    # -- simulation -----------------------------------------------------------
    def simulate_indices(self, T: int, seed: int | np.random.Generator) -> np.ndarray:
        """``T`` steps as an int array ``(T, n_variables)`` of value indices (model value order).

        ``seed``: an int (for ``numpy.random.default_rng``) or a Generator."""
        if not _is_int(T) or T < 1:
            raise CausalModelError(f"T must be an int >= 1 (time steps), got {T!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        model = self._model
        if not model.has_cpds:
            raise CausalModelError(f"model {model.name!r} has no CPDs; it cannot be simulated")
        L = self.max_lag
        n_steps = self._burn_in + int(T)
        total = max(n_steps, L)
        idx = model.index
        x = np.empty((total, len(idx)), dtype=np.int64)
        x[:L] = model.sample_indices(L, rng)
        m = total - L
        for v in model.topological_order():
            table = model.cpd_table(v)  # [parents..., value]
            cum = np.cumsum(table, axis=-1)
            cum[..., -1] = 1.0
            parents = model.parents(v)
            steps = np.arange(L, total)
            cells = tuple(x[steps - self._lag[(p, v)], idx[p]] for p in parents)
            cdf = cum[cells] if parents else np.broadcast_to(cum, (m, cum.shape[-1]))
            keep = rng.random(m) < self._rho[v]
            u = rng.random(m)
            draws = (cdf[:, :-1] <= u[:, None]).sum(axis=1)
            col = np.concatenate([x[:L, idx[v]], draws])
            fresh = np.concatenate([np.ones(L, dtype=bool), ~keep])
            last = np.maximum.accumulate(np.where(fresh, np.arange(total), 0))
            x[:, idx[v]] = col[last]
        return x[total - int(T) :]

    def simulate(self, T: int, seed: int | np.random.Generator) -> pd.DataFrame:
        """``T`` steps as a DataFrame: the column ``time`` (``0 .. T-1``), then one categorical
        column of value names per variable (categories in model value order)."""
        x = self.simulate_indices(T, seed)
        vals = self.values
        data = {TIME: np.arange(x.shape[0])}
        for i, v in enumerate(self.variables):
            data[v] = pd.Categorical.from_codes(x[:, i], categories=list(vals[v]))
        return pd.DataFrame(data)


def dynamic(
    model: CausalModel | str,
    lags: int | Mapping[tuple[str, str], int] = 1,
    autocorrelation: float | Mapping[str, float] = 0.0,
    contemporaneous: bool | Sequence[tuple[str, str]] = False,
    burn_in: int = BURN_IN,
) -> DynamicModel:
    """The dynamic version of ``model`` (a :class:`CausalModel` or a name for
    :func:`~spiking_direct.causal.get_model`); see :class:`DynamicModel`."""
    if isinstance(model, str):
        from .registry import get_model

        model = get_model(model)
    return DynamicModel(
        model, lags=lags, autocorrelation=autocorrelation, contemporaneous=contemporaneous, burn_in=burn_in
    )


#: The motifs of :func:`motif`: their links.
MOTIFS = {
    "chain": (("A", "B"), ("B", "C")),
    "common_driver": (("A", "B"), ("A", "C")),
}


def motif(kind: str, strength: float = 0.8) -> CausalModel:
    """A three-variable binary motif (values ``("on", "off")``): ``"chain"`` (A -> B -> C) or
    ``"common_driver"`` (A -> B, A -> C). ``A`` is on with probability 0.5; a child copies its
    parent's value with probability ``strength`` (``P(on | parent on) = strength``,
    ``P(on | parent off) = 1 - strength``)."""
    from .tables import from_tables

    if kind not in MOTIFS:
        raise CausalModelError(f"unknown motif {kind!r}; use one of {list(MOTIFS)}")
    if not 0.5 <= strength <= 1:
        raise CausalModelError(f"motif strength must be in [0.5, 1], got {strength!r}")
    copy = np.array([[strength, 1 - strength], [1 - strength, strength]])
    tables = {"A": np.array([0.5, 0.5]), "B": copy, "C": copy}
    values = {v: ("on", "off") for v in "ABC"}
    return from_tables(kind, values, MOTIFS[kind], tables, description=f"{kind} motif, copy strength {strength:g}")

"""Figures of one finished run, made from ``result.json`` and ``recording.npz`` alone.

Every figure function takes the run folder, writes one PNG into
``<folder>/figures/`` and returns its path; :func:`all_figures` makes them all.
They never see engine objects, so they serve both engines (weights in mV for
the spiking engine, arbitrary units for the rate engine).

Figures are built on :class:`matplotlib.figure.Figure` directly (rendered by
Agg on ``savefig``), never through ``pyplot``: no backend is switched, no
global figure registry is touched and nothing is shown.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from pathlib import Path

import numpy as np

from .protocol import VALUE_SCHEDULES

DPI = 130
PHASE_COLOURS = {"identify": "tab:blue", "couple": "tab:orange", "probe": "tab:green", "intervene": "tab:purple"}
KIND_COLOURS = {"correct": "tab:green", "reversed": "tab:orange", "wrong": "tab:red", "true": "0.25", "missed": "0.6"}
_PREFIX = {"": 1.0, "m": 1e-3, "u": 1e-6, "µ": 1e-6, "n": 1e-9, "k": 1e3}
_BASE = {"s": "s", "second": "s", "V": "V", "volt": "V", "S": "S", "siemens": "S"}


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------
def load_run(folder: Path) -> tuple[dict, dict]:
    """``(result, npz)``: the parsed ``result.json`` and the arrays of ``recording.npz``."""
    import json

    folder = Path(folder)
    result = json.loads((folder / "result.json").read_text())
    with np.load(folder / "recording.npz") as z:
        npz = {k: z[k] for k in z.files}
    return result, npz


def _get(d: dict, path: str, default=None):
    for key in path.split("."):
        if not isinstance(d, dict) or d.get(key) is None:
            return default
        d = d[key]
    return d


def quantity(value, unit: str) -> float:
    """``'40. ms'`` / ``'1. mV'`` / ``0.04`` -> float in ``unit`` (``'ms'``, ``'s'``, ``'mV'``...)."""

    def scale(u: str) -> tuple[float, str]:
        for base in sorted(_BASE, key=len, reverse=True):
            if u.endswith(base) and u[: -len(base)] in _PREFIX:
                return _PREFIX[u[: -len(base)]], _BASE[base]
        raise ValueError(f"unknown unit {u!r}")

    f_to, b_to = scale(unit)
    if isinstance(value, (int, float)):
        return float(value) / f_to if b_to == "s" else float(value)  # bare numbers: SI seconds / as given
    m = re.match(r"^\s*([-+]?[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?)\s*\*?\s*([A-Za-zµ]*)\s*$", str(value))
    if not m or m.group(1) in ("", ".", "+", "-"):
        raise ValueError(f"cannot parse quantity {value!r}")
    number, u = float(m.group(1)), m.group(2)
    if not u:
        return number
    f_from, b_from = scale(u)
    if b_from != b_to:
        raise ValueError(f"{value!r} is not in units of {unit!r}")
    return number * f_from / f_to


def _arr(x) -> np.ndarray:
    """JSON list (``None`` for non-finite) -> float array with NaN."""
    return (
        np.array([[np.nan if v is None else v for v in row] for row in x], dtype=float)
        if x and isinstance(x[0], list)
        else np.array([np.nan if v is None else v for v in (x or [])], dtype=float)
    )


def _num(x) -> float:
    return np.nan if x is None else float(x)


def _fmt(x, spec: str = ".3f") -> str:
    x = _num(x)
    return "n/a" if not np.isfinite(x) else format(x, spec)


def weight_unit(result: dict) -> str:
    """The unit of a result's weights and of ``delta``: ``"mV"`` (clocked spiking network: current-based
    synapses), ``"nS"`` (cortical network: conductances) or ``"a.u."`` (rate engine)."""
    if result.get("engine") != "spiking":
        return "a.u."
    spiking = (result.get("params") or {}).get("spiking") or {}
    return "nS" if spiking.get("network") == "cortical" else "mV"


def initial_mean_weight(result: dict) -> float:
    """Mean initial inter-area weight: half the bound of the uniform draw for spiking (``w_init``
    in mV on the clocked network, ``w_inter_init`` in nS on the cortical one), 1.0 for rate."""
    if result.get("engine") == "spiking":
        unit = weight_unit(result)
        path = "params.spiking.cortical.w_inter_init" if unit == "nS" else "params.spiking.stdp.w_init"
        try:
            return quantity(_get(result, path), unit) / 2.0
        except (TypeError, ValueError):
            return np.nan
    return 1.0


def window_ms(result: dict, npz: dict) -> float:
    """Window length in ms: ``params.spiking.clock.T_win``, or 1 ms per rate round."""
    if result.get("engine") == "spiking":
        t = _get(result, "params.spiking.clock.T_win")
        if t is not None:
            return quantity(t, "ms")
    st = np.asarray(npz.get("spike_time", []), dtype=float)
    return float(np.floor(st.max() * 1e3 + 1e-9) + 1.0) if st.size else 1.0


def phase_names(npz: dict) -> list[str]:
    """The protocol's phase names stored in a recording (``phases``), in their index order."""
    return [str(p) for p in npz.get("phases", ("identify", "couple", "probe"))]


def phase_windows(npz: dict, name: str) -> np.ndarray:
    """Indices of the windows of phase ``name`` in a recording (empty if it has no such phase)."""
    names = phase_names(npz)
    return np.flatnonzero(npz["phase"] == names.index(name)) if name in names else np.array([], int)


def _index(result: dict) -> dict:
    return {v: i for i, v in enumerate(result["variables"])}


def _link_pairs(result: dict) -> list[tuple[int, int]]:
    idx = _index(result)
    links = result.get("links") or [{"source": s, "target": t} for s, t in result.get("true_links", [])]
    return [(idx[l["source"]], idx[l["target"]]) for l in links]


def _truth(result: dict) -> np.ndarray:
    A = len(result["variables"])
    t = np.zeros((A, A), dtype=bool)
    for i, j in _link_pairs(result):
        t[i, j] = True
    return t


def _arrow(a: str, b: str) -> str:
    return f"{a}\u2192{b}"


#: legend lines per column of a figure whose legend lists every coupled pair
LEGEND_LINES = 22


def _figure(**kw):
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kw)


#: figures made while :func:`capture` is active, by name (the PNG is still written)
_captured: ContextVar[dict | None] = ContextVar("captured_figures", default=None)


def _save(fig, folder: Path, name: str) -> Path:
    out = Path(folder) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    captured = _captured.get()
    if captured is not None:
        captured[name] = fig
    return path


def _makers() -> dict:
    """Figure name (its PNG's name) -> the function that makes it, for every figure of :data:`FIGURES`."""
    return {f.__name__.removesuffix("_figure"): f for f in FIGURES}


def names() -> list[str]:
    """The figure names :func:`figure` accepts (the PNG file names without ``.png``)."""
    return list(_makers())


def figure(folder: Path, name: str):
    """The ``matplotlib.figure.Figure`` of figure ``name`` of the run in ``folder`` (also written as
    ``figures/<name>.png``); :class:`~spiking_direct.errors.ConfigError` for an unknown name."""
    from .errors import ConfigError, suggest

    makers = _makers()
    if name not in makers:
        raise ConfigError(f"unknown figure {name!r}{suggest(name, makers)}; choose from {names()}")
    token = _captured.set({})
    try:
        makers[name](Path(folder))
        made = _captured.get()
    finally:
        _captured.reset(token)
    if name not in made:
        raise ConfigError(f"figure {name!r} does not apply to this run (e.g. no intervene phase)")
    return made[name]


def _run_tag(result: dict) -> str:
    ctrl = _get(result, "params.protocol.control", "none")
    tag = f"{result.get('scm', '?')}, {result.get('engine', '?')} engine, seed {result.get('seed', '?')}"
    return tag + (f", control={ctrl}" if ctrl not in (None, "none") else "")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


# --------------------------------------------------------------------------
# 1. raster of the coupling phase
# --------------------------------------------------------------------------
def raster_coupling(folder: Path, n_windows: int = 6) -> Path:
    """Spike raster of the first ``n_windows`` coupling windows, areas stacked and labelled."""
    result, z = load_run(folder)
    V, n = result["variables"], int(z["n"])
    T = window_ms(result, z)
    wins = phase_windows(z, "couple")[:n_windows]
    fig = _figure(figsize=(11, 6.5))
    ax = fig.add_subplot()
    sel = np.isin(z["spike_window"], wins)
    sw, sn, st = z["spike_window"][sel], z["spike_neuron"][sel], z["spike_time"][sel]
    areas = np.unique(sn // n)
    if wins.size == 0 or areas.size == 0:
        _empty(ax, "no coupling windows" if wins.size == 0 else "no spikes in the coupling windows")
        ax.set_axis_off()
        ax.set_title(f"Coupling-phase raster ({_run_tag(result)})")
        return _save(fig, folder, "raster_coupling")
    w0 = int(wins[0])
    pos = {int(w): i for i, w in enumerate(wins)}
    rate = result.get("engine") != "spiking"  # rate: round r occupies [r, r + 1) ms; draw it at its centre
    x = np.array([pos[int(w)] for w in sw]) * T + st * 1e3 + (0.5 if rate else 0.0)
    block = {int(a): b for b, a in enumerate(areas)}
    y = np.array([block[int(a)] for a in sn // n]) * n + sn % n
    # colour: the link that couples the spiking area in that window; grey otherwise
    import matplotlib

    pairs = [tuple(l) for l in _get(result, "protocol.coupled_links", [])] or _link_pairs(result)
    coupled = {}
    for w in wins:  # pairs with gain > 0; without plasticity, pairs of active areas not yet taken
        act = set(np.flatnonzero(z["active"][w]).tolist())
        for use_gain in (True, False):
            for u, v in pairs:
                free = (int(w), u) not in coupled and (int(w), v) not in coupled
                if free and u in act and v in act and (z["gain"][w, u, v] > 0 or not use_gain):
                    coupled[(int(w), u)] = coupled[(int(w), v)] = (u, v)
    used = sorted(set(coupled.values()))
    cmap = matplotlib.colormaps["tab10"]
    colour_of = {l: cmap(i % 10) for i, l in enumerate(used)}
    col = [colour_of.get(coupled.get((int(w), int(a))), (0.5, 0.5, 0.5, 1)) for w, a in zip(sw, sn // n)]
    for b, a in enumerate(areas):
        if b % 2 == 0:
            ax.axhspan(b * n, (b + 1) * n, color="0.93", zorder=0, lw=0)
        ax.axhline(b * n, color="0.6", lw=0.6, zorder=1)
    for i in range(len(wins) + 1):
        ax.axvline(i * T, color="0.3", lw=0.6, ls=":", zorder=1)
    row_pt = 6.5 * 72 * 0.8 / (len(areas) * n)  # height of one neuron row in points (roughly)
    ax.scatter(x, y, s=float(np.clip(row_pt, 2.0, 7.0)) ** 2, c=col, marker="|", linewidths=1.0, zorder=3)
    ax.set_yticks([(b + 0.5) * n for b in range(len(areas))], [V[int(a)] for a in areas])
    ax.set_ylim(0, len(areas) * n)
    ax.set_xlim(0, len(wins) * T)
    ax.tick_params(axis="y", length=0)
    sec = ax.secondary_xaxis("top")
    sec.set_xticks([(i + 0.5) * T for i in range(len(wins))], [f"w{int(w)}" for w in wins], fontsize=8)
    sec.tick_params(length=0)
    per = "; 1 ms per k-cap round, spikes drawn mid-round" if rate else ""
    ax.set_xlabel(f"time since the start of window {w0} (ms{per}); window = {T:g} ms")
    ax.set_ylabel(f"neuron (area blocks of n = {n}, local index upward)")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="s", ls="", color=colour_of[l], label=_arrow(V[l[0]], V[l[1]])) for l in used]
    if any(c == (0.5, 0.5, 0.5, 1) for c in col):
        handles.append(Line2D([], [], marker="s", ls="", color="0.5", label="area not coupled"))
    if handles:
        ax.legend(
            handles=handles,
            title="coupled link",
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=8,
            title_fontsize=8,
            frameon=False,
        )
    lead = _num(_get(result, "params.protocol.lead"))
    lead = f" (source leads by {lead * 1e3:g} ms)" if result.get("engine") == "spiking" and np.isfinite(lead) else ""
    ax.set_title(
        f"Coupling phase, first {len(wins)} windows{lead}; only areas that spiked are shown\n{_run_tag(result)}",
        fontsize=10,
    )
    return _save(fig, folder, "raster_coupling")


# --------------------------------------------------------------------------
# 2. forward vs reverse weight per link
# --------------------------------------------------------------------------
#: most true links drawn as named bars; beyond, one point per link (forward against reverse)
MAX_LINK_BARS = 24


def weights_per_link(folder: Path) -> Path:
    """Bars of the mean assembly-to-assembly weight along and against each true link
    (for more than :data:`MAX_LINK_BARS` links: forward against reverse, one point per link)."""
    result, _ = load_run(folder)
    links = result.get("links") or []
    unit = weight_unit(result)
    fwd = np.array([_num(l.get("s_forward")) for l in links])
    rev = np.array([_num(l.get("s_reverse")) for l in links])
    if len(links) > MAX_LINK_BARS:
        return _weights_scatter(result, fwd, rev, unit, folder)
    fig = _figure(figsize=(max(7.0, 0.7 * len(links) + 5), 5))
    ax = fig.add_subplot()
    x = np.arange(len(links))
    ax.bar(x - 0.2, fwd, 0.4, label="forward  S[source→target]", color="tab:blue")
    ax.bar(x + 0.2, rev, 0.4, label="reverse  S[target→source]", color="tab:gray")
    for xi, val in [(xi - 0.2, f) for xi, f in zip(x, fwd)] + [(xi + 0.2, r) for xi, r in zip(x, rev)]:
        if not np.isfinite(val):  # null in result.json: say so instead of a silent missing bar
            ax.text(xi, 0, "n/a", ha="center", va="bottom", rotation=90, fontsize=7, color="tab:red")
    w0 = initial_mean_weight(result)
    if np.isfinite(w0):
        ax.axhline(w0, color="k", ls="--", lw=1, label=f"initial mean weight ({w0:g} {unit})")
    if not links:
        _empty(ax, "no links")
    ax.set_xticks(
        x,
        [_arrow(l["source"], l["target"]) for l in links],
        rotation=40,
        ha="right",
        rotation_mode="anchor",
        fontsize=8,
    )
    ax.set_ylabel(f"mean weight between assemblies ({unit})")
    ax.set_xlabel("true link")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title(f"Learned weights per true link\n{_run_tag(result)}", fontsize=10)
    return _save(fig, folder, "weights_per_link")


def _weights_scatter(result: dict, fwd: np.ndarray, rev: np.ndarray, unit: str, folder: Path) -> Path:
    ok = np.isfinite(fwd) & np.isfinite(rev)
    fig = _figure(figsize=(6.4, 5.6))
    ax = fig.add_subplot()
    ax.scatter(rev[ok], fwd[ok], s=18, color="tab:blue", alpha=0.75, label="true link")
    hi = max(np.nanmax(np.r_[fwd[ok], rev[ok]]) if ok.any() else 1.0, 1e-12) * 1.05
    ax.plot([0, hi], [0, hi], color="k", lw=0.8, ls=":", label="forward = reverse")
    w0 = initial_mean_weight(result)
    if np.isfinite(w0):
        ax.axhline(w0, color="k", ls="--", lw=1, label=f"initial mean weight ({w0:g} {unit})")
        ax.axvline(w0, color="k", ls="--", lw=1)
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_xlabel(f"reverse  S[target→source] ({unit})")
    ax.set_ylabel(f"forward  S[source→target] ({unit})")
    ax.legend(fontsize=8, loc="lower right")
    missing = f"; {int((~ok).sum())} without a value" if (~ok).any() else ""
    ax.set_title(
        f"Learned weights, one point per true link: forward > reverse in "
        f"{int(np.sum(fwd[ok] > rev[ok]))} of {len(fwd)}{missing}\n{_run_tag(result)}",
        fontsize=10,
    )
    return _save(fig, folder, "weights_per_link")


# --------------------------------------------------------------------------
# 3. true vs learned graph
# --------------------------------------------------------------------------
def _layout(truth: np.ndarray) -> dict:
    """Layered left-to-right layout: a node sits one layer before its earliest child
    (sinks last); within a layer nodes are ordered by their neighbours' mean height."""
    import networkx as nx

    A = truth.shape[0]
    g = nx.DiGraph()
    g.add_nodes_from(range(A))
    g.add_edges_from(map(tuple, np.argwhere(truth)))
    if not nx.is_directed_acyclic_graph(g):
        return {int(k): np.asarray(v) for k, v in nx.circular_layout(g).items()}
    height = {}
    for u in reversed(list(nx.topological_sort(g))):
        height[u] = 1 + max((height[v] for v in g.successors(u)), default=-1)
    top = max(height.values(), default=0)
    layer = {u: top - h for u, h in height.items()}
    layers = [sorted(u for u in range(A) if layer[u] == L) for L in range(top + 1)]
    y = {}
    for _ in range(2):  # two sweeps of the barycentre heuristic
        for L, nodes in enumerate(layers):
            key = {u: np.mean([y[v] for v in nx.all_neighbors(g, u) if v in y] or [-nodes.index(u)]) for u in nodes}
            nodes.sort(key=lambda u: (-key[u], u))
            span = (max(map(len, layers)) - 1) / 2.0  # every layer spread over the full height
            for i, u in enumerate(nodes):
                y[u] = span - i * 2 * span / (len(nodes) - 1) if len(nodes) > 1 else 0.0
    return {u: np.array([1.6 * layer[u], y[u]]) for u in range(A)}


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Top-``k`` ordered pairs by score, ties by (source, target) index (as metrics.rank_pairs)."""
    A = scores.shape[0]
    rows, cols = np.nonzero(~np.eye(A, dtype=bool))
    s = np.nan_to_num(scores[rows, cols])
    order = np.lexsort((cols, rows, -s))[:k]
    pred = np.zeros((A, A), dtype=bool)
    pred[rows[order], cols[order]] = True
    return pred


NAME_CHAR_INCH = 0.068  # width of a character of a node name (8 pt), inches


def _name_margin(longest: int) -> float:
    """Inches beside the outer layers that hold a name of ``longest`` characters."""
    return 0.2 + NAME_CHAR_INCH * longest


def _draw_graph(ax, V, pos, edges, title, inch=None) -> None:
    """``edges``: list of (u, v, kind); nodes as dots, each name on the side of its node freest of edges
    that does not cover another node or name. ``inch``: the panel's inches per data unit (x, y), for
    the size of a name (:data:`NAME_CHAR_INCH`); without it names are placed by edges alone."""
    xy = np.array([pos[i] for i in range(len(V))])
    for u, v, kind in edges:
        ax.annotate(
            "",
            xy=pos[v],
            xytext=pos[u],
            zorder=3,  # above the names: arrowheads stay visible
            arrowprops=dict(
                arrowstyle="-|>",
                color=KIND_COLOURS[kind],
                lw=1.8 if kind != "missed" else 1.2,
                ls="--" if kind == "missed" else "-",
                shrinkA=7,
                shrinkB=7,
                mutation_scale=13,
                connectionstyle="arc3,rad=0.12",
            ),
        )
    ax.scatter(xy[:, 0], xy[:, 1], s=90, c="white", edgecolors="k", zorder=4)
    x0, x1 = xy[:, 0].min(), xy[:, 0].max()
    span = np.where(np.ptp(xy, axis=0) > 0, np.ptp(xy, axis=0), 1.0)
    places = {
        "left": (180, (-8, 0), "right", "center"),
        "right": (0, (8, 0), "left", "center"),
        "top": (90, (0, 8), "center", "bottom"),
        "bottom": (-90, (0, -8), "center", "top"),
    }
    placed = []  # boxes (x0, x1, y0, y1) of the names placed so far, data units
    ux, uy = inch if inch is not None else (1.0, 1.0)

    def box(i, side):
        w, h, off = (NAME_CHAR_INCH * len(V[i]) + 0.04) / ux, 0.16 / uy, 0.11  # inches -> data units
        x, y = pos[i]
        if side == "right":
            return x + off / ux, x + off / ux + w, y - h / 2, y + h / 2
        if side == "left":
            return x - off / ux - w, x - off / ux, y - h / 2, y + h / 2
        lo = y + off / uy if side == "top" else y - off / uy - h
        return x - w / 2, x + w / 2, lo, lo + h

    def covers(i, b):
        rx, ry = 0.07 / ux, 0.07 / uy  # node radius
        hit_node = any(
            b[0] - rx < pos[j][0] < b[1] + rx and b[2] - ry < pos[j][1] < b[3] + ry for j in range(len(V)) if j != i
        )
        return hit_node or any(b[0] < c[1] and c[0] < b[1] and b[2] < c[3] and c[2] < b[3] for c in placed)

    for i, name in enumerate(V):
        # the name goes where it is farthest (in angle) from the node's edges; sources prefer the left
        d = [pos[j if u == i else u] - pos[i] for u, j, _ in edges if i in (u, j) and u != j]
        ang = [np.degrees(np.arctan2(v[1] / span[1] * 0.8, v[0] / span[0])) for v in d]
        order = ["left", "top", "bottom"] if pos[i][0] == x0 and x0 < x1 else ["right", "top", "bottom", "left"]

        def clearance(side):
            return min((abs((places[side][0] - a + 180) % 360 - 180) for a in ang), default=180)

        free = (lambda sd: not covers(i, box(i, sd))) if inch is not None else (lambda sd: True)
        side = max(order, key=lambda sd: (free(sd), min(clearance(sd), 60), -order.index(sd)))
        if inch is not None:
            placed.append(box(i, side))
        _, off, ha, va = places[side]
        ax.annotate(
            name,
            pos[i],
            xytext=off,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=8,
            zorder=2,
            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85),
        )
    longest = max((len(s) for s in V), default=0)
    pad = _name_margin(longest) / ux if inch is not None else 0.25 + 0.045 * longest
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(xy[:, 1].min() - 0.5, xy[:, 1].max() + 0.6)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)


def _graph_figure(folder: Path, scores: list[str], name: str) -> Path:
    from matplotlib.lines import Line2D

    result, _ = load_run(folder)
    V, truth = result["variables"], _truth(result)
    K = int(truth.sum())
    pos = _layout(truth)
    labels = {"delta": "Δ (synaptic)", "delta_prop": "Δprop (probe propagation)"}
    span = np.ptp([p[1] for p in pos.values()]) if pos else 0.0
    width = np.ptp([p[0] for p in pos.values()]) if pos else 0.0  # deep graphs get wider panels
    # a layer (1.6 units) is at least one name wide, so the names of neighbouring nodes placed above
    # or below them do not run into each other
    longest = max((len(v) for v in V), default=0)
    panel_w, fig_h = max(5.2, max(0.45, NAME_CHAR_INCH * longest / 1.6) * width + 2), max(3.4, 0.55 * span + 3)
    inch = ((panel_w - 0.3 - 2 * _name_margin(longest)) / width if width > 0 else 1.0, (fig_h - 1.3) / (span + 1.1))
    fig = _figure(figsize=(panel_w * (1 + len(scores)), fig_h))
    axes = fig.subplots(1, 1 + len(scores), squeeze=False)[0]
    _draw_graph(
        axes[0], V, pos, [(int(i), int(j), "true") for i, j in np.argwhere(truth)], f"true graph (K = {K} links)", inch
    )
    for ax, key in zip(axes[1:], scores):
        mat = result.get("matrices", {}).get(key)
        m = result.get(f"metrics_{key}", {})
        head = (
            f"learned top-{K} by {labels.get(key, key)}\nPrecision@K = {_fmt(m.get('precision_at_k'), '.2f')}, "
            f"AUROC = {_fmt(m.get('auroc'), '.3f')}"
        )
        if mat is None:
            _draw_graph(ax, V, pos, [], head, inch)
            _empty(ax, f"no '{key}' matrix in result.json")
            continue
        pred = _top_k(_arr(mat), K)
        edges = [
            (int(i), int(j), "correct" if truth[i, j] else "reversed" if truth[j, i] else "wrong")
            for i, j in np.argwhere(pred)
        ]
        edges = [(int(i), int(j), "missed") for i, j in np.argwhere(truth & ~pred)] + edges
        _draw_graph(ax, V, pos, edges, head, inch)
    handles = [
        Line2D(
            [],
            [],
            color=KIND_COLOURS[k],
            lw=2,
            ls="--" if k == "missed" else "-",
            label={"true": "true link", "missed": "missed true link (learned panels)"}.get(k, k),
        )
        for k in KIND_COLOURS
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=9, frameon=False)
    fig.suptitle(f"True vs learned causal graph ({_run_tag(result)})", fontsize=11)
    return _save(fig, folder, name)


def learned_graph(folder: Path) -> Path:
    """True graph beside the learned top-K graphs by ``delta`` and by ``delta_prop`` (same layout)."""
    return _graph_figure(folder, ["delta", "delta_prop"], "learned_graph")


# --------------------------------------------------------------------------
# 4. gain schedule
# --------------------------------------------------------------------------
_FORMULAS = {
    "adaptive_soft": "β(s) = warm + (max − warm)·min(1, (s−1)/(ramp−1))",
    "constant": "β(s) = max",
    "step": "β(s) = warm if s ≤ ramp else max",
    "harmonic": "β = 1/m, m-th presentation of the presynaptic value on the link",
}


def gain_schedule(folder: Path) -> Path:
    """Plasticity gain (beta) of every coupled pair over the windows in which it is > 0."""
    result, z = load_run(folder)
    V, gain = result["variables"], z["gain"]
    p = _get(result, "params.protocol", {}) or {}
    pairs = [tuple(l) for l in _get(result, "protocol.coupled_links", [])] or _link_pairs(result)
    import matplotlib

    series: dict = {}  # pairs coupled in the same windows with the same gains share one line
    for u, v in pairs:
        w = np.flatnonzero(gain[:, u, v] > 0)
        if w.size:
            series.setdefault((tuple(w), tuple(np.round(gain[w, u, v], 12))), []).append((u, v))
    # the legend names every coupled pair: more columns (and a wider figure) for many pairs
    ncol = max(1, int(np.ceil(sum(len(m) for m in series.values()) / LEGEND_LINES)))
    fig = _figure(figsize=(10 + 2.6 * (ncol - 1), 5))
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["tab10" if len(series) <= 10 else "tab20"]
    for i, ((w, g), members) in enumerate(sorted(series.items())):  # legend in window order
        w, g = np.array(w), np.array(g)
        cuts = np.flatnonzero(np.diff(w) > 1) + 1  # no line across separate runs of windows
        for seg, (ws, gs) in enumerate(zip(np.split(w, cuts), np.split(g, cuts))):
            ax.plot(
                ws,
                gs,
                "o-",
                ms=3,
                lw=1.2,
                color=cmap(i % cmap.N),
                label="\n".join(_arrow(V[u], V[v]) for u, v in members) if seg == 0 else None,
            )
    drawn = len(series)
    cw = phase_windows(z, "couple")
    if cw.size:
        ax.set_xlim(cw[0] - 1, cw[-1] + 1)
    if drawn == 0:
        _empty(ax, "no window with gain > 0 (plasticity off?)")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("window index (coupling phase)")
    ax.set_ylabel("plasticity gain β (dimensionless)")
    if drawn:
        both = "β of u→v; v→u follows v's values" if p.get("schedule") in VALUE_SCHEDULES else "β set for u→v and v→u"
        ax.legend(
            title=f"coupled pairs ({both};\npairs coupled together share a line)",
            ncol=ncol,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=8,
            title_fontsize=8,
            frameon=False,
        )
    sched = p.get("schedule", "?")
    ramp = (
        ""
        if sched in VALUE_SCHEDULES
        else f"warm_beta = {p.get('warm_beta')}, max_beta = {p.get('max_beta')}, ramp_steps = {p.get('ramp_steps')}, "
    )
    ax.set_title(
        f"Gain schedule '{sched}': {_FORMULAS.get(sched, '')}\n"
        f"{ramp}couple_steps = {p.get('couple_steps')}; {_run_tag(result)}",
        fontsize=10,
    )
    return _save(fig, folder, "gain_schedule")


# --------------------------------------------------------------------------
# 5. winners per window
# --------------------------------------------------------------------------
def window_area_counts(npz: dict) -> np.ndarray:
    """(W, A) distinct neurons of each area that fired in each window (of a saved recording)."""
    from .recording import distinct_per_window_area

    return distinct_per_window_area(
        npz["spike_window"], npz["spike_neuron"], npz["phase"].shape[0], npz["active"].shape[1], int(npz["n"])
    )


def winners_per_window(folder: Path) -> Path:
    """Winners (distinct neurons fired) per window of the active / stimulated areas, vs the cap k."""
    result, z = load_run(folder)
    counts, k = window_area_counts(z), int(z["k"])
    names = phase_names(z)
    fig = _figure(figsize=(12, 4.8))
    ax, hx = fig.subplots(1, 2, width_ratios=[2.4, 1])
    ax.axhspan(0.75 * k, 1.25 * k, color="0.85", lw=0, label="k ± 25 %")
    ax.axhline(k, color="k", lw=1, ls="--", label=f"k = {k}")
    vals = {}
    for i, name in enumerate(names):
        wins = np.flatnonzero(z["phase"] == i)
        # cap statistics rule: active areas; in probe windows only the stimulated (probed) area
        mask = (z["stim_set"][wins] >= 0) if name == "probe" else z["active"][wins]
        ww, aa = np.nonzero(mask)
        vals[name] = counts[wins[ww], aa]
        if ww.size:
            ax.scatter(
                wins[ww],
                vals[name],
                s=8,
                alpha=0.6,
                color=PHASE_COLOURS.get(name, f"C{i}"),
                label=f"{name} ({len(wins)} windows)",
            )
    ax.set_xlabel("window index")
    ax.set_ylabel("winners per area (distinct neurons fired)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Winners per window (active areas; probe: the probed area)", fontsize=10)
    allv = np.concatenate(list(vals.values()) + [np.array([0.75 * k, 1.25 * k])])
    lo, hi = int(np.floor(allv.min())), int(np.ceil(allv.max()))
    hx.axvspan(0.75 * k, 1.25 * k, color="0.85", lw=0)
    shown = [nm for nm in names if vals[nm].size]
    for i, name in enumerate(shown):
        v, c = vals[name], PHASE_COLOURS.get(name, f"C{i}")
        inside = int(np.sum(np.abs(v - k) <= 0.25 * k))
        label = f"{name}: {inside} of {len(v)} within ±25 %"  # a count: a rounded 100 % hid the few outside
        if hi - lo < 60:  # integer counts: side-by-side bars, so equal distributions do not hide each other
            edges = np.arange(lo, hi + 2) - 0.5
            frac = np.histogram(v, edges)[0] / v.size
            wd = 0.8 / len(shown)
            hx.bar(edges[:-1] + 0.5 - 0.4 + wd * (i + 0.5), frac, wd, color=c, label=label)
        else:
            hx.hist(
                v,
                bins=np.linspace(lo - 0.5, hi + 0.5, 60),
                weights=np.full(v.size, 1 / v.size),
                histtype="step",
                lw=1.5,
                color=c,
                label=label,
            )
    hx.axvline(k, color="k", lw=1, ls="--")
    hx.set_xlabel("winners per area (distinct neurons fired)")
    hx.set_ylabel("fraction of area-windows of the phase")
    hx.set_ylim(0, 1.4 * hx.get_ylim()[1])  # room for the legend
    if shown:
        hx.legend(fontsize=8, loc="upper right")
    hx.set_title("Distribution per phase", fontsize=10)
    fig.suptitle(f"k-cap check ({_run_tag(result)})", fontsize=11)
    return _save(fig, folder, "winners_per_window")


# --------------------------------------------------------------------------
# 6. delta matrices
# --------------------------------------------------------------------------
def delta_matrices(folder: Path) -> Path:
    """Heatmaps of ``delta`` and ``delta_prop`` (row = source, column = target), true links boxed."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    result, _ = load_run(folder)
    V, truth = result["variables"], _truth(result)
    mats = result.get("matrices", {})
    A = len(V)
    side = max(4.5, 0.45 * A + 2.5)
    fig = _figure(figsize=(2 * side + 1.5, side))
    axes = fig.subplots(1, 2)
    titles = {
        "delta": f"Δ = S[u→v] − S[v→u] ({weight_unit(result)})",
        "delta_prop": "Δprop = overlap[u→v] − overlap[v→u] (fraction of k)",
    }
    for ax, key in zip(axes, ("delta", "delta_prop")):
        m = _arr(mats.get(key)) if mats.get(key) is not None else np.full((A, A), np.nan)
        lim = np.nanmax(np.abs(m)) if np.isfinite(m).any() else 1.0
        lim = lim if lim > 0 else 1.0
        cmap = __import__("matplotlib").colormaps["RdBu_r"].with_extremes(bad="0.6")
        im = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=TwoSlopeNorm(0.0, -lim, lim))
        for i, j in np.argwhere(truth):
            ax.add_patch(Rectangle((j - 0.42, i - 0.42), 0.84, 0.84, fill=False, ec="k", lw=1.6))
        ax.set_xticks(range(A), V, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
        ax.set_yticks(range(A), V, fontsize=8)
        ax.set_xlabel("target v")
        ax.set_ylabel("source u")
        ax.set_title(titles[key] if mats.get(key) is not None else f"{key}: missing", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8, label=titles[key].split("(")[-1].rstrip(")"))
    fig.suptitle(
        f"Direction scores: row = source, column = target; boxed = true link; grey = undefined "
        f"(diagonal)\n{_run_tag(result)}",
        fontsize=11,
    )
    return _save(fig, folder, "delta_matrices")


def interventions_figure(folder: Path) -> Path | None:
    """Predicted against true ACE, one point per ordered pair (colour: directed path or not),
    and the backdoor estimate from the data table against the truth (``interventions.json``)."""
    import json

    path = Path(folder) / "interventions.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    pairs = [p for p in data["pairs"] if p.get("ace_exact") is not None]
    if not pairs:
        return None
    fig = _figure(figsize=(10, 4.6))
    axes = fig.subplots(1, 2)
    for ax, key, label in (
        (axes[0], "ace_predicted", "predicted by the trained network"),
        (axes[1], "ace_backdoor", "backdoor estimate from the data table"),
    ):
        for has_path, colour, name in ((False, "0.55", "no directed path"), (True, "tab:red", "directed path")):
            sel = [p for p in pairs if p["has_path"] == has_path]
            x = [p["ace_exact"] for p in sel]
            y = [np.nan if p.get(key) is None else p[key] for p in sel]
            ax.scatter(x, y, s=22, c=colour, alpha=0.8, label=f"{name} ({len(sel)})", edgecolors="none")
        ax.axline((0, 0), slope=1, color="k", lw=0.8, ls="--")
        ax.axhline(0, color="0.8", lw=0.6)
        ax.axvline(0, color="0.8", lw=0.6)
        ax.set_xlabel("true ACE (exact, mutilated model)")
        ax.set_ylabel(f"ACE {label}")
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.legend(fontsize=8, loc="upper left")
    m = data.get("metrics") or {}
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"
    axes[0].set_title(
        f"sign agreement {fmt(m.get('sign_agreement'))} (|true| >= {m.get('min_effect')}), "
        f"AUROC path {fmt(m.get('auroc_path'))}, Spearman {fmt(m.get('spearman'))}",
        fontsize=9,
    )
    mb = data.get("metrics_backdoor_vs_exact") or {}
    axes[1].set_title(f"Spearman {fmt(mb.get('spearman'))}, {data['data'].get('rows')} rows", fontsize=9)
    fig.suptitle(
        f"do() queries: {data['contrast']}\n{data.get('scm')}, {data.get('engine')}, seed {data.get('seed')}",
        fontsize=10,
    )
    return _save(fig, folder, "interventions")


FIGURES = (
    raster_coupling,
    weights_per_link,
    learned_graph,
    gain_schedule,
    winners_per_window,
    delta_matrices,
    interventions_figure,
)


def all_figures(folder: Path) -> list[Path]:
    """Make every figure of the run in ``folder``; returns the PNG paths (figures that do
    not apply to the run, such as interventions without an intervene phase, are skipped)."""
    return [path for f in FIGURES if (path := f(Path(folder))) is not None]

"""Tests of spiking_direct.causal: validation, sampling, do(), loaders."""

import gzip
import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from spiking_direct.causal import (
    CausalModel,
    CausalModelError,
    alzheimer,
    available_models,
    from_bif,
    get_model,
    random_dag,
)

BIN = ("yes", "no")


def make(variables=("A", "B", "C"), values=None, links=(("A", "B"), ("B", "C")), **kw):
    if values is None:
        values = {v: BIN for v in variables}
    return CausalModel("toy", variables, values, links, **kw)


# -- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(variables=(), values={}), "empty variable list"),
        (dict(variables=("A", "B", "A")), "duplicate variable names: \\['A'\\]"),
        (dict(links=(("A", "B"), ("B", "Z"))), "unknown variable 'Z'"),
        (dict(links=(("A", "A"),)), "self-link 'A' -> 'A'"),
        (dict(links=(("A", "B"), ("A", "B"))), "duplicate link 'A' -> 'B'"),
        (dict(links=()), "empty graph"),
        (dict(values={"A": BIN, "B": BIN}), "values missing for variable 'C'"),
        (dict(values={"A": BIN, "B": ("yes",), "C": BIN}), "'B' has fewer than 2 values"),
        (dict(values={"A": BIN, "B": ("x", "x"), "C": BIN}), "'B' has duplicate values"),
        (dict(values={"A": BIN, "B": BIN, "C": BIN, "D": BIN}), "unknown variables \\['D'\\]"),
    ],
)
def test_validation_errors(kwargs, message):
    with pytest.raises(CausalModelError, match=message):
        make(**kwargs)


def test_cycle_is_named():
    with pytest.raises(CausalModelError, match="cycle") as info:
        make(links=(("A", "B"), ("B", "C"), ("C", "A")))
    msg = str(info.value)
    assert all(v in msg for v in "ABC")
    # the error is a ValueError too
    assert isinstance(info.value, ValueError)


def test_cycle_not_involving_all_variables():
    with pytest.raises(CausalModelError, match="B -> C -> B|C -> B -> C"):
        make(links=(("A", "B"), ("B", "C"), ("C", "B")))


def test_bad_cpds_rejected():
    with pytest.raises(CausalModelError, match="CPD missing for variable 'C'"):
        make(cpds={"A": lambda p: np.array([0.5, 0.5]), "B": lambda p: np.array([0.5, 0.5])})
    bad = make(cpds={v: (lambda p: np.array([0.5, 0.5, 0.0])) for v in "ABC"})
    with pytest.raises(CausalModelError, match="CPD of 'A' returned shape"):
        bad.sample(10, np.random.default_rng(0))
    unnormalised = make(cpds={v: (lambda p: np.array([0.5, 0.6])) for v in "ABC"})
    with pytest.raises(CausalModelError, match="not probability distributions"):
        unnormalised.sample(10, np.random.default_rng(0))


def test_structure_accessors():
    m = make(variables=("C", "A", "B"), values={v: BIN for v in "ABC"}, links=(("A", "B"), ("B", "C"), ("A", "C")))
    assert m.variables == ("C", "A", "B")
    assert m.index == {"C": 0, "A": 1, "B": 2}
    assert m.n_variables == 3 and m.n_links == 3
    assert m.topological_order() == ("A", "B", "C")
    assert m.parents("C") == ("A", "B")
    assert m.parents("A") == ()
    assert m.cardinality("B") == 2
    assert m.link_indices() == [(1, 2), (2, 0), (1, 0)]
    adj = m.adjacency()
    assert adj.dtype == bool and adj.sum() == 3
    assert adj[1, 2] and adj[2, 0] and adj[1, 0] and not adj[0, 1]
    assert isinstance(m.graph, nx.DiGraph) and m.graph is m.graph
    with pytest.raises(nx.NetworkXError):
        m.graph.add_edge("C", "A")
    with pytest.raises(CausalModelError, match="no variable 'Z'"):
        m.parents("Z")
    assert m.to_dict()["links"] == [["A", "B"], ["B", "C"], ["A", "C"]]


def test_no_cpds_cannot_sample():
    m = make()
    with pytest.raises(CausalModelError, match="model toy has no CPDs; it cannot be sampled"):
        m.sample(5, np.random.default_rng(0))
    with pytest.raises(CausalModelError, match="no CPDs"):
        m.exact_distribution()


# -- the Alzheimer SCM ----------------------------------------------------------

ROOTS = {
    "APOE4": 0.30,
    "PhysicalActivity": 0.40,
    "Diet": 0.45,
    "Cholesterol": 0.35,
    "Inflammation": 0.25,
    "SleepQuality": 0.40,
    "Education": 0.35,
}


def test_alzheimer_structure():
    m = alzheimer()
    assert m.name == "alzheimer"
    assert m.n_variables == 10 and m.n_links == 10
    assert m.values["APOE4"] == ("Carrier", "Non-carrier")
    assert m.values["CognitiveDecline"] == ("Decline", "Stable")
    assert set(m.parents("Amyloid")) == {"APOE4", "PhysicalActivity", "Cholesterol", "Inflammation"}
    assert set(m.parents("Tau")) == {"Diet", "Inflammation", "SleepQuality"}
    assert set(m.parents("CognitiveDecline")) == {"Amyloid", "Tau", "Education"}
    assert all(m.parents(r) == () for r in ROOTS)


def test_alzheimer_root_frequencies_within_3_se():
    m = alzheimer()
    n = 20000
    table = m.sample(n, np.random.default_rng(12345))
    assert list(table.columns) == list(m.variables) and len(table) == n
    for v, p in ROOTS.items():
        freq = (table[v] == m.values[v][0]).mean()
        se = np.sqrt(p * (1 - p) / n)
        assert abs(freq - p) < 3 * se, (v, freq, p)


def test_sample_dtype_and_indices_agree():
    m = alzheimer()
    table = m.sample(100, np.random.default_rng(1))
    idx = m.sample_indices(100, np.random.default_rng(1))
    assert idx.shape == (100, 10) and idx.dtype.kind == "i"
    for i, v in enumerate(m.variables):
        assert isinstance(table[v].dtype, pd.CategoricalDtype)
        assert tuple(table[v].cat.categories) == m.values[v]
        np.testing.assert_array_equal(table[v].cat.codes.to_numpy(), idx[:, i])


def test_same_seed_same_table():
    m = alzheimer()
    a = m.sample(500, np.random.default_rng(7))
    b = m.sample(500, np.random.default_rng(7))
    c = m.sample(500, np.random.default_rng(8))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def _amyloid_exact(fixed=None):
    """P(Amyloid = High) by hand, from the table in direct-method.md."""
    fixed = fixed or {}
    incs = {"APOE4": 0.50, "PhysicalActivity": 0.20, "Cholesterol": 0.25, "Inflammation": 0.20}
    total = 0.0
    for states in itertools.product([1, 0], repeat=4):
        weight, risk = 1.0, 0.15
        for (parent, inc), on in zip(incs.items(), states):
            p_on = fixed.get(parent, ROOTS[parent])
            weight *= p_on if on else 1 - p_on
            risk += inc * on
        total += weight * min(risk, 0.98)
    return total


def test_exact_distribution_by_hand_and_by_sampling():
    m = alzheimer()
    exact = m.exact_distribution()
    for v, p in ROOTS.items():
        np.testing.assert_allclose(exact[v], [p, 1 - p])
    assert exact["Amyloid"][0] == pytest.approx(_amyloid_exact())
    for v in m.variables:
        assert exact[v].shape == (2,) and exact[v].sum() == pytest.approx(1.0)
    n = 20000
    idx = m.sample_indices(n, np.random.default_rng(3))
    for i, v in enumerate(m.variables):
        p = exact[v][0]
        se = np.sqrt(p * (1 - p) / n)
        assert abs((idx[:, i] == 0).mean() - p) < 4 * se, v


def test_do_sets_constant_and_keeps_ancestors():
    m = alzheimer()
    n = 20000
    obs = m.sample(n, np.random.default_rng(5))
    itv = m.sample(n, np.random.default_rng(5), do={"Amyloid": "High"})
    assert (itv["Amyloid"] == "High").all()
    # ancestors come first in topological order: same draws, same columns
    for v in ("APOE4", "PhysicalActivity", "Cholesterol", "Inflammation"):
        pd.testing.assert_series_equal(obs[v], itv[v])
    # exact: non-descendants unchanged, the descendant moves as computed
    ex_obs = m.exact_distribution()
    ex_do = m.exact_distribution(do={"Amyloid": "High"})
    for v in m.variables:
        if v not in ("Amyloid", "CognitiveDecline"):
            np.testing.assert_allclose(ex_do[v], ex_obs[v])
    np.testing.assert_allclose(ex_do["Amyloid"], [1.0, 0.0])
    assert ex_do["CognitiveDecline"][0] > ex_obs["CognitiveDecline"][0]


def test_do_on_root_matches_exact_and_changes_child():
    m = alzheimer()
    n = 20000
    do = {"APOE4": "Carrier"}
    ex = m.exact_distribution(do=do)
    assert ex["Amyloid"][0] == pytest.approx(_amyloid_exact({"APOE4": 1.0}))
    assert ex["Amyloid"][0] > m.exact_distribution()["Amyloid"][0] + 0.3
    table = m.sample(n, np.random.default_rng(11), do=do)
    assert (table["APOE4"] == "Carrier").all()
    for v in m.variables:
        p = ex[v][0]
        se = np.sqrt(max(p * (1 - p), 1e-12) / n)
        assert abs((table[v] == m.values[v][0]).mean() - p) < 4 * se + 1e-12, v


@pytest.mark.parametrize(
    "do, message",
    [
        ({"Nope": "High"}, "no variable 'Nope'"),
        ({"Amyloid": "Medium"}, "'Medium' is not a value of 'Amyloid'"),
        ({"Amyloid": 0}, "0 is not a value of 'Amyloid'"),
    ],
)
def test_bad_do(do, message):
    m = alzheimer()
    with pytest.raises(CausalModelError, match=message):
        m.sample(10, np.random.default_rng(0), do=do)
    with pytest.raises(CausalModelError, match=message):
        m.exact_distribution(do=do)


def test_exact_distribution_beyond_enumeration_goes_through_elimination():
    """2**21 joint states (over the enumeration limit): the marginals come from
    variable elimination and match 100 000 samples of the model (within 0.01,
    more than 6 standard errors), observationally and under do()."""
    m = random_dag(21, 2.0, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    cause = max(m.variables, key=lambda v: len(nx.descendants(m.graph, v)))  # the widest-reaching do()
    for do in (None, {cause: m.values[cause][0]}):
        dist = m.exact_distribution(do)
        table = m.sample_indices(100_000, rng, do=do)
        for i, v in enumerate(m.variables):
            assert dist[v].sum() == pytest.approx(1.0, abs=1e-12)
            freq = np.bincount(table[:, i], minlength=m.cardinality(v)) / len(table)
            np.testing.assert_allclose(dist[v], freq, atol=0.01, err_msg=f"{do} {v}")


# -- shuffled negative control ---------------------------------------------------


def test_shuffled_has_no_true_links():
    m = alzheimer()
    truth = set(m.links)
    for seed in range(5):
        s = m.shuffled(np.random.default_rng(seed))
        assert s.variables == m.variables and s.values == m.values
        assert s.n_links == m.n_links
        assert not truth & set(s.links)
        assert nx.is_directed_acyclic_graph(s.graph)
        assert not s.has_cpds
    a = m.shuffled(np.random.default_rng(9)).links
    assert a == m.shuffled(np.random.default_rng(9)).links


def test_shuffled_two_variables_is_the_reverse():
    m = make(variables=("A", "B"), links=(("A", "B"),))
    assert m.shuffled(np.random.default_rng(0)).links == (("B", "A"),)


# -- random DAGs ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["erdos_renyi", "scale_free"])
def test_random_dag_reproducible_and_acyclic(kind):
    a = random_dag(15, 3.0, np.random.default_rng(42), kind=kind)
    b = random_dag(15, 3.0, np.random.default_rng(42), kind=kind)
    assert a.links == b.links and a.n_links > 0
    assert nx.is_directed_acyclic_graph(a.graph)
    assert a.variables == tuple(f"X{i}" for i in range(15))
    assert all(vals == ("on", "off") for vals in a.values.values())
    np.testing.assert_array_equal(
        a.sample_indices(200, np.random.default_rng(1)), b.sample_indices(200, np.random.default_rng(1))
    )
    c = random_dag(15, 3.0, np.random.default_rng(43), kind=kind)
    assert c.links != a.links


def test_random_dag_parameters_in_range():
    m = random_dag(12, 2.0, np.random.default_rng(4))
    ex = m.exact_distribution()
    for v in m.variables:
        if not m.parents(v):
            assert 0.3 <= ex[v][0] <= 0.5
        else:
            assert 0.1 <= ex[v][0] <= 0.98


def test_random_dag_variable_order_is_not_always_topological():
    adjs = [random_dag(10, 2.0, np.random.default_rng(s)).adjacency() for s in range(5)]
    assert any(np.tril(a).any() for a in adjs)


def test_random_dag_rejects_bad_arguments():
    with pytest.raises(CausalModelError, match="n_variables >= 2"):
        random_dag(1, 1.0, np.random.default_rng(0))
    with pytest.raises(CausalModelError, match="unknown random DAG kind"):
        random_dag(5, 1.0, np.random.default_rng(0), kind="grid")
    with pytest.raises(CausalModelError, match="had no edge"):
        random_dag(3, 1e-9, np.random.default_rng(0), max_tries=3)


# -- BIF networks -----------------------------------------------------------------


@pytest.mark.parametrize("name, n_nodes, n_edges", [("asia", 8, 8), ("sachs", 11, 17)])
def test_shipped_bif(name, n_nodes, n_edges):
    m = from_bif(name)
    assert m.name == name
    assert m.n_variables == n_nodes and m.n_links == n_edges
    assert m.bayesian_network is not None
    assert set(m.graph.edges()) == {tuple(map(str, e)) for e in m.bayesian_network.edges()}
    table = m.sample(300, np.random.default_rng(0))
    assert table.shape == (300, n_nodes)
    assert not table.isna().any().any()


def test_asia_values_and_exact():
    m = from_bif("asia")
    assert m.variables[0] == "asia" and m.values["asia"] == ("yes", "no")
    ex = m.exact_distribution()
    assert ex["asia"][0] == pytest.approx(0.01)
    assert ex["smoke"][0] == pytest.approx(0.5)
    # lung | smoke: 0.1 if smoker else 0.01
    assert ex["lung"][0] == pytest.approx(0.5 * 0.1 + 0.5 * 0.01)
    ex_do = m.exact_distribution(do={"smoke": "yes"})
    assert ex_do["lung"][0] == pytest.approx(0.1)


def test_unknown_bif_lists_available():
    with pytest.raises(CausalModelError, match="no causal model, BIF file or shipped network named 'nonesuch'") as info:
        from_bif("nonesuch")
    assert "asia" in str(info.value) and "sachs" in str(info.value)


TOY_BIF = """network toy {
}
variable A {
  type discrete [ 2 ] { a0, a1 };
}
variable B {
  type discrete [ 3 ] { b0, b1, b2 };
}
variable C {
  type discrete [ 2 ] { c0, c1 };
}
probability ( A ) {
  table 0.2, 0.8;
}
probability ( B ) {
  table 0.1, 0.3, 0.6;
}
probability ( C | B, A ) {
  (b0, a0) 0.9, 0.1;
  (b1, a0) 0.8, 0.2;
  (b2, a0) 0.7, 0.3;
  (b0, a1) 0.4, 0.6;
  (b1, a1) 0.3, 0.7;
  (b2, a1) 0.05, 0.95;
}
"""
TOY_C = {
    ("b0", "a0"): 0.9,
    ("b1", "a0"): 0.8,
    ("b2", "a0"): 0.7,
    ("b0", "a1"): 0.4,
    ("b1", "a1"): 0.3,
    ("b2", "a1"): 0.05,
}


@pytest.mark.parametrize("gz", [False, True])
def test_bif_from_path_evidence_order(tmp_path, gz):
    path = tmp_path / ("toy.bif.gz" if gz else "toy.bif")
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(TOY_BIF)
    else:
        path.write_text(TOY_BIF)
    m = from_bif(str(path))
    assert m.name == "toy"
    assert m.variables == ("A", "B", "C")
    assert m.values["B"] == ("b0", "b1", "b2")
    assert set(m.links) == {("A", "C"), ("B", "C")}
    # the CPD is indexed by parent name, whatever pgmpy's evidence order
    rows = m.cpds["C"]({"A": np.array([0, 1, 1, 0]), "B": np.array([2, 0, 2, 1])})
    np.testing.assert_allclose(rows[:, 0], [0.7, 0.4, 0.05, 0.8])
    p_a, p_b = {"a0": 0.2, "a1": 0.8}, {"b0": 0.1, "b1": 0.3, "b2": 0.6}
    expect = sum(p_a[a] * p_b[b] * TOY_C[(b, a)] for b, a in TOY_C)
    assert m.exact_distribution()["C"][0] == pytest.approx(expect)
    assert m.exact_distribution(do={"A": "a1"})["C"][0] == pytest.approx(sum(p_b[b] * TOY_C[(b, "a1")] for b in p_b))


# -- registry -----------------------------------------------------------------------


def test_get_model_registry():
    assert get_model("alzheimer").n_links == 10
    assert get_model("asia").n_variables == 8
    r = get_model("random:8:2:3")
    assert r.name == "random:8:2:3"
    assert r.links == random_dag(8, 2.0, np.random.default_rng(3)).links
    s = get_model("random:8:2:3:scale_free")
    assert s.links == random_dag(8, 2.0, np.random.default_rng(3), kind="scale_free").links
    with pytest.raises(CausalModelError, match="bad random model name"):
        get_model("random:8:x:3")
    with pytest.raises(CausalModelError, match="models: alzheimer, "):
        get_model("no-such-model")
    names = available_models()
    assert names[0] == "alzheimer" and {"asia", "sachs"} <= set(names)

"""Ground truth for interventions: exact, Monte-Carlo, backdoor and pgmpy ACEs; CSV tables."""

from __future__ import annotations

import os

import numpy as np
import pytest

from spiking_direct.causal import CausalModel, CausalModelError, get_model
from spiking_direct.truth import (
    DataError,
    backdoor_ace,
    contrast,
    directed_paths,
    exact_ace,
    interventional_distributions,
    load_table,
    observational_contrast,
    pgmpy_ace,
    shuffle_columns,
    write_table,
)


@pytest.fixture(scope="module")
def alz():
    return get_model("alzheimer")


@pytest.fixture(scope="module")
def alz_ace(alz):
    return exact_ace(alz)


@pytest.fixture(scope="module")
def sachs():
    return get_model("sachs")


@pytest.fixture(scope="module")
def sachs_ace(sachs):
    return exact_ace(sachs)


def _off_diagonal(n: int) -> np.ndarray:
    return ~np.eye(n, dtype=bool)


# -- exact ACE ------------------------------------------------------------------


def test_contrast_values(alz, sachs):
    assert contrast(alz, "APOE4") == (0, 1)
    assert contrast(sachs, "PKA") == (0, 2)
    with pytest.raises(CausalModelError):
        contrast(alz, "NoSuchVariable")


def test_directed_paths_alzheimer(alz):
    paths = directed_paths(alz)
    idx = alz.index
    assert paths.dtype == bool and paths.shape == (10, 10)
    assert not paths.diagonal().any()
    assert paths[idx["APOE4"], idx["CognitiveDecline"]]  # APOE4 -> Amyloid -> CognitiveDecline
    assert paths[idx["Amyloid"], idx["CognitiveDecline"]]
    assert not paths[idx["CognitiveDecline"], idx["Amyloid"]]
    assert not paths[idx["APOE4"], idx["Tau"]]
    for u, v in alz.links:
        assert paths[idx[u], idx[v]]
    # 10 links + 6 root -> (Amyloid or Tau) -> CognitiveDecline paths (Education is a direct link)
    assert paths.sum() == 16


def test_exact_ace_zero_without_directed_path(alz, alz_ace):
    paths = directed_paths(alz)
    assert np.isnan(alz_ace.diagonal()).all()
    no_path = ~paths & _off_diagonal(10)
    assert np.all(alz_ace[no_path] == 0.0)
    assert np.all(np.abs(alz_ace[paths]) > 0.01)
    # the structural zeros agree with the enumerated interventional distributions
    dists = interventional_distributions(alz)
    for i, v in enumerate(alz.variables):
        for j, w in enumerate(alz.variables):
            if no_path[i, j]:
                assert abs(dists[(v, 0)][w][0] - dists[(v, 1)][w][0]) < 1e-12


def test_exact_ace_signs_alzheimer(alz, alz_ace):
    idx = alz.index
    # P(Amyloid=High) = 0.15 + 0.5 [APOE4=Carrier] + ... (capped at 0.98)
    apoe_amyloid = alz_ace[idx["APOE4"], idx["Amyloid"]]
    assert 0.3 < apoe_amyloid <= 0.5
    amyloid_decline = alz_ace[idx["Amyloid"], idx["CognitiveDecline"]]
    assert 0.3 < amyloid_decline <= 0.45
    assert alz_ace[idx["APOE4"], idx["CognitiveDecline"]] > 0


def test_interventional_distributions_match_exact_ace(alz, alz_ace):
    dists = interventional_distributions(alz)
    assert set(dists) == {(v, x) for v in alz.variables for x in range(2)}
    idx = alz.index
    d_plus, d_minus = dists[("APOE4", 0)], dists[("APOE4", 1)]
    assert d_plus["APOE4"] == pytest.approx([1.0, 0.0]) and d_minus["APOE4"] == pytest.approx([0.0, 1.0])
    for d in dists.values():
        assert all(p.sum() == pytest.approx(1.0) for p in d.values())
    assert d_plus["Amyloid"][0] - d_minus["Amyloid"][0] == pytest.approx(
        alz_ace[idx["APOE4"], idx["Amyloid"]], abs=1e-12
    )


def test_exact_ace_matches_monte_carlo_on_true_links(alz, alz_ace):
    rng = np.random.default_rng(2024)
    idx = alz.index
    values = alz.values
    for u, v in alz.links:
        plus, minus = contrast(alz, u)
        p = []
        for k in (plus, minus):
            sample = alz.sample_indices(200_000, rng, do={u: values[u][k]})
            p.append(np.mean(sample[:, idx[v]] == 0))
        assert p[0] - p[1] == pytest.approx(alz_ace[idx[u], idx[v]], abs=0.01), (u, v)


def test_exact_ace_needs_cpds(alz):
    structure = CausalModel("s", alz.variables, alz.values, alz.links)
    with pytest.raises(CausalModelError):
        exact_ace(structure)


# -- estimates from data ------------------------------------------------------------


def test_backdoor_matches_exact_on_alzheimer(alz, alz_ace):
    table = alz.sample_indices(200_000, np.random.default_rng(7))
    bd = backdoor_ace(table, alz)
    off = _off_diagonal(10)
    assert np.isnan(bd.diagonal()).all()
    assert np.max(np.abs(bd[off] - alz_ace[off])) < 0.02
    # the conditional contrast is confounded, e.g. CognitiveDecline -> Amyloid (reverse)
    obs = observational_contrast(table, alz)
    idx = alz.index
    assert alz_ace[idx["CognitiveDecline"], idx["Amyloid"]] == 0.0
    assert obs[idx["CognitiveDecline"], idx["Amyloid"]] > 0.2


def test_observational_is_confounded_on_sachs_backdoor_is_not(sachs, sachs_ace):
    table = sachs.sample_indices(200_000, np.random.default_rng(11))
    obs = observational_contrast(table, sachs)
    bd = backdoor_ace(table, sachs)
    paths = directed_paths(sachs)
    gap_obs = np.abs(obs - sachs_ace)
    gap_bd = np.abs(bd - sachs_ace)
    # some causal pair whose naive contrast is off by > 0.05 and the adjustment does better
    fixed = paths & (gap_obs > 0.05) & (gap_bd < gap_obs)
    assert fixed.any()
    # PKC -> PKA and PKC -> P38: PKA -> P38 is confounded by PKC
    idx = sachs.index
    i, j = idx["PKA"], idx["P38"]
    assert gap_obs[i, j] > 0.2
    assert gap_bd[i, j] < 0.03
    # PKA's only parent PKC has well-populated strata: every effect of PKA is recovered
    row = np.delete(gap_bd[i], i)
    assert np.max(row) < 0.03  # sampling noise: PKA=HIGH is ~11% of rows


def test_observational_contrast_nan_for_unseen_value(alz):
    table = alz.sample_indices(1000, np.random.default_rng(3))
    table[:, alz.index["APOE4"]] = 1  # nobody is a carrier
    for est in (observational_contrast(table, alz), backdoor_ace(table, alz)):
        assert np.isnan(est[alz.index["APOE4"]]).all()
        assert np.isfinite(est[alz.index["Amyloid"]][np.arange(10) != alz.index["Amyloid"]]).all()


def test_estimators_reject_bad_tables(alz):
    with pytest.raises(DataError, match="shape"):
        backdoor_ace(np.zeros((5, 3), dtype=int), alz)
    bad = np.zeros((5, 10), dtype=int)
    bad[2, 4] = 2
    with pytest.raises(DataError, match=r"row 3, column 'Inflammation'"):
        observational_contrast(bad, alz)


def test_shuffle_columns_is_a_negative_control(alz, alz_ace):
    rng = np.random.default_rng(5)
    table = alz.sample_indices(50_000, rng)
    shuffled = shuffle_columns(table, rng)
    assert shuffled.shape == table.shape and shuffled.dtype == table.dtype
    for c in range(table.shape[1]):
        assert np.array_equal(np.sort(shuffled[:, c]), np.sort(table[:, c]))
    assert not np.array_equal(shuffled, table)
    off = _off_diagonal(10)
    assert np.max(np.abs(observational_contrast(shuffled, alz)[off])) < 0.03
    assert np.max(np.abs(backdoor_ace(shuffled, alz)[off])) < 0.03
    # the unshuffled table does carry the effects
    assert np.max(np.abs(backdoor_ace(table, alz)[off])) > 0.3


# -- pgmpy cross-check -------------------------------------------------------------


def test_pgmpy_ace_agrees_on_sachs(sachs, sachs_ace):
    pairs = [
        ("PKC", "Akt"),
        ("PKA", "Erk"),
        ("Raf", "Akt"),
        ("Plcg", "PIP2"),
        ("PKC", "Mek"),
        ("Mek", "Erk"),
        ("Akt", "PKC"),
        ("Jnk", "Akt"),
    ]
    got = pgmpy_ace(sachs, pairs)
    assert set(got) == set(pairs)
    idx = sachs.index
    for x, y in pairs:
        assert got[(x, y)] == pytest.approx(sachs_ace[idx[x], idx[y]], abs=1e-6), (x, y)
    assert abs(got[("PKA", "Erk")]) > 0.1


@pytest.mark.parametrize("name", ["alzheimer", "sachs", "random:8:2:3"])
def test_elimination_agrees_with_enumeration(name):
    """The two exact paths of ``exact_distribution`` (enumeration up to 2**20
    joint states, pgmpy variable elimination beyond) give the same marginals,
    observational and under one and two interventions (value orders included:
    the last value is intervened on, so a swapped order would show)."""
    model = get_model(name)
    first, second = model.variables[0], model.variables[-2]
    for do in (
        None,
        {second: model.values[second][-1]},
        {first: model.values[first][0], second: model.values[second][-1]},
    ):
        enumerated = model.exact_distribution(do)
        eliminated = model._eliminated_distribution(model._check_do(do))
        for v in model.variables:
            np.testing.assert_allclose(eliminated[v], enumerated[v], rtol=0, atol=1e-12, err_msg=f"{name} {do} {v}")
    table = model.cpd_table(model.variables[-1])
    assert table.shape == tuple(model.cardinality(p) for p in model.parents(model.variables[-1])) + (
        model.cardinality(model.variables[-1]),
    )


def test_exact_ace_beyond_enumeration_agrees_with_pgmpy_causal_inference():
    """alarm (37 variables, 8.7e15 joint states) goes through elimination; its
    ACEs match pgmpy's own do() queries (CausalInference) on the BIF network,
    and non-descendants are structural zeros."""
    alarm = get_model("alarm")
    ace = exact_ace(alarm)
    paths = directed_paths(alarm)
    off = _off_diagonal(alarm.n_variables)
    assert np.all(ace[off & ~paths] == 0.0)
    idx = alarm.index
    strong = [(alarm.variables[i], alarm.variables[j]) for i, j in np.argwhere(paths & (np.abs(ace) > 0.2))]
    far = [(x, y) for x, y in strong if (x, y) not in set(alarm.links)]
    pairs = strong[:4] + far[:4]
    assert len(far) >= 2  # effects over two or more links are checked too
    got = pgmpy_ace(alarm, pairs)
    for x, y in pairs:
        assert got[(x, y)] == pytest.approx(ace[idx[x], idx[y]], abs=1e-9), (x, y)


def test_pgmpy_ace_needs_bif_model(alz):
    with pytest.raises(ValueError, match="BIF"):
        pgmpy_ace(alz, [("APOE4", "Amyloid")])


# -- CSV tables ---------------------------------------------------------------------


def _write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    return path


def _names(model, table):
    values = model.values
    return [[values[v][k] for v, k in zip(model.variables, row)] for row in table]


def test_table_round_trip(alz, tmp_path):
    table = alz.sample_indices(500, np.random.default_rng(0))
    path = tmp_path / "data.csv"
    write_table(table, alz, path)
    assert os.listdir(tmp_path) == ["data.csv"]  # no temporary file left
    assert path.read_text().splitlines()[0] == ",".join(alz.variables)
    back = load_table(path, alz)
    assert back.dtype == np.int64
    assert np.array_equal(back, table)
    write_table(table[:10], alz, path)  # overwrite in place
    assert np.array_equal(load_table(str(path), alz), table[:10])


def test_reordered_columns_and_whitespace(alz, tmp_path):
    table = alz.sample_indices(20, np.random.default_rng(1))
    names = _names(alz, table)
    order = list(range(10))[::-1]
    header = [" " + alz.variables[c] for c in order]
    rows = [["  " + r[c] + " " for c in order] for r in names]
    back = load_table(_write_csv(tmp_path / "rev.csv", header, rows), alz)
    assert np.array_equal(back, table)


@pytest.fixture()
def good_rows(alz):
    return _names(alz, alz.sample_indices(5, np.random.default_rng(2)))


def test_unknown_column(alz, good_rows, tmp_path):
    header = list(alz.variables[:-1]) + ["Mood"]
    with pytest.raises(DataError) as err:
        load_table(_write_csv(tmp_path / "t.csv", header, good_rows), alz)
    msg = str(err.value)
    assert "unknown column 'Mood'" in msg and "APOE4" in msg and "CognitiveDecline" in msg


def test_missing_column(alz, good_rows, tmp_path):
    rows = [r[:-1] for r in good_rows]
    with pytest.raises(DataError, match="no column for the model variable 'CognitiveDecline'"):
        load_table(_write_csv(tmp_path / "t.csv", alz.variables[:-1], rows), alz)


def test_duplicate_column(alz, good_rows, tmp_path):
    header = list(alz.variables) + ["Diet"]
    rows = [r + [r[2]] for r in good_rows]
    with pytest.raises(DataError, match="'Diet' appears more than once"):
        load_table(_write_csv(tmp_path / "t.csv", header, rows), alz)


@pytest.mark.parametrize("cell", ["", "   ", "NA", "nan", "NULL"])
def test_missing_cell(alz, good_rows, tmp_path, cell):
    good_rows[2][3] = cell  # data row 3, column Cholesterol
    with pytest.raises(DataError) as err:
        load_table(_write_csv(tmp_path / "t.csv", alz.variables, good_rows), alz)
    msg = str(err.value)
    assert "row 3 (file line 4)" in msg and "column 'Cholesterol'" in msg and "missing" in msg


def test_short_row_and_blank_line_are_missing_cells(alz, good_rows, tmp_path):
    lines = [",".join(alz.variables)] + [",".join(r) for r in good_rows]
    lines[2] = ",".join(good_rows[1][:4])  # data row 2 stops after 4 cells
    (tmp_path / "short.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 2 \(file line 3\), column 'Inflammation': missing"):
        load_table(tmp_path / "short.csv", alz)
    lines = [",".join(alz.variables)] + [",".join(r) for r in good_rows]
    lines.insert(4, "")  # a blank line as data row 4
    (tmp_path / "blank.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 4 \(file line 5\), column 'APOE4': missing"):
        load_table(tmp_path / "blank.csv", alz)


def test_unknown_value(alz, good_rows, tmp_path):
    good_rows[4][8] = "Sometimes"  # data row 5, column Tau
    good_rows[4][9] = "Maybe"  # a second bad cell on the same row, later column
    with pytest.raises(DataError) as err:
        load_table(_write_csv(tmp_path / "t.csv", alz.variables, good_rows), alz)
    msg = str(err.value)
    assert "row 5 (file line 6)" in msg and "column 'Tau'" in msg
    assert "'Sometimes'" in msg and "['High', 'Normal']" in msg
    assert "1 more bad cell" in msg


def test_earliest_bad_row_is_reported(alz, good_rows, tmp_path):
    good_rows[3][0] = "x"  # row 4, first column
    good_rows[1][9] = "y"  # row 2, last column: reported first
    with pytest.raises(DataError, match=r"row 2 \(file line 3\), column 'CognitiveDecline'"):
        load_table(_write_csv(tmp_path / "t.csv", alz.variables, good_rows), alz)


def test_na_like_text_that_is_a_real_value(tmp_path):
    model = CausalModel("m", ["A", "B"], {"A": ["NA", "EU"], "B": ["on", "off"]}, [("A", "B")])
    _write_csv(tmp_path / "t.csv", ["B", "A"], [["on", "NA"], ["off", "EU"]])
    assert load_table(tmp_path / "t.csv", model).tolist() == [[0, 0], [1, 1]]


def test_empty_and_missing_files(alz, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty table"):
        load_table(tmp_path / "empty.csv", alz)
    (tmp_path / "header.csv").write_text(",".join(alz.variables) + "\n")
    with pytest.raises(DataError, match="empty table"):
        load_table(tmp_path / "header.csv", alz)
    with pytest.raises(DataError, match="no such data file"):
        load_table(tmp_path / "absent.csv", alz)
    with pytest.raises(DataError, match="cannot read"):
        load_table(tmp_path, alz)  # a folder


def test_write_table_rejects_bad_table(alz, tmp_path):
    with pytest.raises(DataError):
        write_table(np.full((3, 10), 5), alz, tmp_path / "t.csv")
    assert os.listdir(tmp_path) == []


def test_exact_ace_by_elimination_is_the_same_in_every_process():
    """pgmpy's variable elimination multiplies factors in an order that changes
    between processes; the rounded marginals make a model's exact ACEs (and so a
    seed's result files) identical from run to run."""
    import subprocess
    import sys

    code = (
        "import hashlib, numpy as np; from spiking_direct.causal import get_model; "
        "from spiking_direct.truth import exact_ace; "
        "print(hashlib.sha1(np.nan_to_num(exact_ace(get_model('child'))).tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
        for _ in range(3)
    }
    assert len(digests) == 1, digests

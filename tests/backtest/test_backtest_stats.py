"""The statistics against reference implementations (scikit-learn, scipy),
on generated data and on the real X Education sample."""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl.backtest import stats

from budget import examples

sklearn_metrics = pytest.importorskip("sklearn.metrics")
scipy_stats = pytest.importorskip("scipy.stats")

ROOT = Path(__file__).resolve().parents[2]

# Scores with many ties (small integers) and some spread floats.
scores_and_labels = st.integers(min_value=2, max_value=60).flatmap(lambda size: st.tuples(
    st.lists(st.one_of(st.integers(-5, 5).map(float), st.floats(-100, 100, allow_nan=False)),
             min_size=size, max_size=size),
    st.lists(st.booleans(), min_size=size, max_size=size),
))


@settings(max_examples=examples(100), deadline=None)
@given(scores_and_labels)
def test_auc_matches_sklearn(data: tuple[list[float], list[bool]]) -> None:
    scores, labels = data
    ours = stats.roc_auc(scores, labels)
    if all(labels) or not any(labels):
        assert ours is None
        return
    assert ours == pytest.approx(sklearn_metrics.roc_auc_score(labels, scores), abs=1e-12)


@settings(max_examples=examples(80), deadline=None)
@given(scores_and_labels)
def test_roc_curve_matches_sklearn_and_its_area_is_the_auc(data: tuple[list[float], list[bool]]) -> None:
    scores, labels = data
    if all(labels) or not any(labels):
        assert stats.roc_curve(scores, labels) == [(0.0, 0.0), (1.0, 1.0)]
        return
    points = stats.roc_curve(scores, labels)
    fpr, tpr, _ = sklearn_metrics.roc_curve(labels, scores, drop_intermediate=False)
    assert [(round(f, 12), round(t, 12)) for f, t in points] == \
        [(round(float(f), 12), round(float(t), 12)) for f, t in zip(fpr, tpr)]
    area = sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in itertools.pairwise(points))
    assert area == pytest.approx(stats.roc_auc(scores, labels), abs=1e-12)


@settings(max_examples=examples(100), deadline=None)
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_scipy(data: tuple[int, int]) -> None:
    positives, leads = data
    reference = scipy_stats.binomtest(positives, leads).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = stats.wilson(positives, leads)
    assert low == pytest.approx(reference.low, abs=1e-9)
    assert high == pytest.approx(reference.high, abs=1e-9)


def test_wilson_edges() -> None:
    assert stats.wilson(0, 0) == (None, None)  # a tier with no leads has no interval
    low, high = stats.wilson(0, 10)  # no positives: starts at 0, not below
    assert low == 0.0 and 0.2 < high < 0.35
    low, high = stats.wilson(10, 10)  # all positive: ends at 1
    assert high == 1.0 and 0.65 < low < 0.8
    low, high = stats.wilson(1, 1)  # a single lead: wide
    assert high == 1.0 and low == pytest.approx(0.2065, abs=1e-4)


def test_auc_edges() -> None:
    assert stats.roc_auc([], []) is None
    assert stats.roc_auc([5.0], [True]) is None  # a single lead
    assert stats.roc_auc([1.0, 2.0], [True, True]) is None  # all positive
    assert stats.roc_auc([1.0, 2.0], [False, False]) is None  # no positives
    assert stats.roc_auc([3.0, 3.0], [True, False]) == 0.5  # a tie counts half
    assert stats.roc_auc([1.0, 2.0], [False, True]) == 1.0
    assert stats.roc_auc([1.0, 2.0], [True, False]) == 0.0


def _xeducation() -> tuple[list[float], list[bool]]:
    with (ROOT / "policies" / "data" / "xeducation_sample.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [float(row["Total Time Spent on Website"]) for row in rows], [row["Converted"] == "1" for row in rows]


def test_auc_and_wilson_on_real_data() -> None:
    """Time on site against conversion, 300 real leads (many zero-time ties)."""
    scores, labels = _xeducation()
    assert stats.roc_auc(scores, labels) == pytest.approx(sklearn_metrics.roc_auc_score(labels, scores), abs=1e-12)
    reference = scipy_stats.binomtest(sum(labels), len(labels)).proportion_ci(method="wilson")
    assert stats.wilson(sum(labels), len(labels)) == pytest.approx((reference.low, reference.high), abs=1e-12)


@settings(max_examples=examples(80), deadline=None)
@given(scores_and_labels, st.lists(st.floats(-120, 120, allow_nan=False), min_size=1, max_size=10))
def test_sweep_counts_match_a_direct_count(data: tuple[list[float], list[bool]], candidates: list[float]) -> None:
    values, labels = data
    for cut in stats.sweep(values, labels, candidates):
        chosen = [label for value, label in zip(values, labels) if value >= cut.threshold]
        assert cut.volume == len(chosen)
        assert cut.positives == sum(chosen)
        assert cut.volume_share == len(chosen) / len(values)
        expected_precision = sum(chosen) / len(chosen) if chosen else None
        assert cut.precision == expected_precision
        if any(labels) and chosen and sum(chosen):
            assert cut.recall == sum(chosen) / sum(labels)
            assert cut.f1 == pytest.approx(sklearn_metrics.f1_score(labels, [v >= cut.threshold for v in values]))


def test_sweep_proposals() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    labels = [False, False, False, False, False, True, True, True, True, True]
    cuts = stats.sweep(values, labels, values)
    best = stats.best_f1(cuts)
    assert best is not None and best.threshold == 60.0 and best.f1 == 1.0
    target = stats.for_volume(cuts, 0.2)
    assert target is not None and target.threshold == 90.0 and target.volume == 2
    assert stats.best_f1(stats.sweep(values, [False] * 10, values)) is None  # no positives: no F1
    assert stats.for_volume([], 0.2) is None


def test_deciles_edges() -> None:
    assert stats.deciles([], []) == []
    single = stats.deciles([7.0], [True])
    assert [(d.decile, d.leads, d.positives, d.rate) for d in single] == [(10, 1, 1, 1.0)]
    many = stats.deciles([float(i) for i in range(25)], [i % 2 == 0 for i in range(25)])
    assert sum(d.leads for d in many) == 25 and len(many) == 10
    assert many[0].score_max == 24.0 and many[-1].score_min == 0.0
    assert all(a.score_min >= b.score_max for a, b in itertools.pairwise(many))  # highest first
    assert {d.leads for d in many} == {2, 3}


def test_rate() -> None:
    assert stats.rate(0, 0) is None
    assert stats.rate(1, 4) == 0.25
    assert not math.isnan(stats.wilson(3, 7)[0] or 0.0)

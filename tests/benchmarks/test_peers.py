"""The benchmark's peer engines decide the subset policy exactly as qualdsl does.

No timing assertions: only that every implementation (hand-written baseline,
zen-engine graph and expressions, rule-engine) gives the same
(icp_pass, fit, tier) as qualdsl on every lead, including missing fields,
odd casing and wrong-typed values.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _load_peers() -> Any:
    path = ROOT / "benchmarks" / "peers.py"
    spec = importlib.util.spec_from_file_location("qualdsl_bench_peers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


peers = _load_peers()


def _edge_leads() -> list[Any]:
    """Hand-picked leads at the edges of the contract's semantics."""
    good_company = {"industry": "Software", "employees": 850, "country": "US", "tech": ["salesforce"]}
    good_person = {"email": "a@acme.io", "title": "VP Sales", "seniority": "vp"}
    variants: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"industry": "sOfTwArE", "country": "us"}, {"seniority": "Vp"}),
        ({"country": "Gb "}, {}),  # whitespace is not trimmed: unsupported
        ({"country": None}, {}),
        ({"country": 1}, {}),
        ({"employees": "850"}, {}),
        ({"employees": "+850"}, {}),
        ({"employees": "850.00"}, {}),
        ({"employees": " 850"}, {}),
        ({"employees": "1,000"}, {}),
        ({"employees": "1e3"}, {}),
        ({"employees": 850.0}, {}),
        ({"employees": 850.5}, {}),
        ({"employees": True}, {}),
        ({"employees": float("nan")}, {}),
        ({"employees": float("inf")}, {}),
        ({"employees": None}, {}),
        ({"employees": 10}, {}),
        ({"employees": 9}, {}),
        ({"employees": 200}, {}),
        ({"employees": 5000}, {}),
        ({"employees": 5001}, {}),
        ({"employees": -3}, {}),
        ({"tech": ["SalesForce", None]}, {}),
        ({"tech": ["salesforce", 5, 7.0]}, {}),
        ({"tech": ["salesforce", True]}, {}),  # a bad element: the field is missing
        ({"tech": ["salesforce", 1.5]}, {}),
        ({"tech": ["salesforce", {"x": 1}]}, {}),
        ({"tech": "salesforce"}, {}),  # a scalar is not wrapped
        ({"tech": ("hubspot", "SALESFORCE")}, {}),
        ({"tech": []}, {}),
        ({"tech": None}, {}),
        ({"industry": "AGENCY"}, {"seniority": "cxo"}),
        ({"industry": "agency", "employees": 12}, {"seniority": None}),
        ({"industry": 7}, {}),
        ({}, {"email": "someone@GMAIL.COM"}),
        ({}, {"email": "x@y@Yahoo.com"}),
        ({}, {"email": "gmail.com"}),  # no "@": domain is missing, not rejected
        ({}, {"email": "x@"}),
        ({}, {"email": 12345}),
        ({}, {"email": None}),
        ({}, {"title": "PhD STUDENT"}),
        ({}, {"title": "Studentische Hilfskraft"}),
        ({}, {"title": None}),
        ({}, {"title": 42}),
        ({}, {"seniority": "DIRECTOR"}),
        ({}, {"seniority": "directors"}),
    ]
    leads: list[Any] = []
    for index, (company_patch, person_patch) in enumerate(variants):
        company = {**good_company, **company_patch} if company_patch or index else {}
        person = {**good_person, **person_patch} if person_patch or index else {}
        leads.append({"id": f"E-{index}", "company": company, "person": person})
    leads += [
        {"id": "E-str-company", "company": "Acme", "person": good_person},
        {"id": "E-no-person", "company": good_company},
        {"id": "E-list-person", "company": good_company, "person": ["a@b.io"]},
        {"id": "E-none", "company": None, "person": None},
        {"id": "E-full", "company": good_company, "person": good_person},
    ]
    return leads


def _random_leads() -> list[dict[str, Any]]:
    return peers.generate_leads(150, seed=20261101)


LEADS = _edge_leads() + _random_leads()


@pytest.fixture(scope="module")
def expected() -> list[tuple[bool, float, str]]:
    run = peers.make_qualdsl(AS_OF)
    return [run(lead) for lead in LEADS]


def _assert_agrees(name: str, run: Any, expected: list[tuple[bool, float, str]]) -> None:
    mismatches = []
    for lead, want in zip(LEADS, expected):
        got = run(lead)
        if got != want:
            mismatches.append(f"{lead!r}: qualdsl {want}, {name} {got}")
    assert not mismatches, f"{len(mismatches)}/{len(LEADS)} disagree:\n" + "\n".join(mismatches[:10])


def test_leads_cover_every_outcome(expected: list[tuple[bool, float, str]]) -> None:
    assert len(LEADS) >= 190
    assert {tier for _, _, tier in expected} == {"disqualified", "A", "B", "C"}
    assert {icp for icp, _, _ in expected} == {True, False}
    assert len({fit for _, fit, _ in expected}) >= 8  # the rules combine in many ways
    assert any(fit < 0 for _, fit, _ in expected)  # agency alone


def test_baseline_agrees_with_qualdsl(expected: list[tuple[bool, float, str]]) -> None:
    _assert_agrees("baseline", peers.baseline, expected)


def test_zen_graph_agrees_with_qualdsl(expected: list[tuple[bool, float, str]]) -> None:
    pytest.importorskip("zen")
    _assert_agrees("zen-engine", peers.make_zen(AS_OF, {}), expected)


def test_zen_expressions_agree_with_qualdsl(expected: list[tuple[bool, float, str]]) -> None:
    pytest.importorskip("zen")
    _assert_agrees("zen-engine (expressions)", peers.make_zen_expressions(AS_OF, {}), expected)


def test_rule_engine_agrees_with_qualdsl(expected: list[tuple[bool, float, str]]) -> None:
    pytest.importorskip("rule_engine")
    _assert_agrees("rule-engine", peers.make_rule_engine(AS_OF), expected)


def test_a_wrong_peer_is_caught(expected: list[tuple[bool, float, str]]) -> None:
    """The agreement check can fail: a baseline that compares case-sensitively disagrees."""

    def case_sensitive(lead: Any) -> tuple[bool, float, str]:
        icp, fit, tier = peers.baseline(lead)
        country = (lead.get("company") or {}).get("country") if isinstance(lead.get("company"), dict) else None
        if icp and country not in peers.SUPPORTED_COUNTRIES:
            return False, fit, "disqualified"
        return icp, fit, tier

    with pytest.raises(AssertionError, match="disagree"):
        _assert_agrees("case-sensitive", case_sensitive, expected)


def test_run_peers_reports_every_engine() -> None:
    leads = peers.generate_leads(60, seed=3)
    rows = peers.run_peers(leads, AS_OF, repeat=1)
    names = [row.name for row in rows]
    assert names[0].startswith("baseline") and "qualdsl" in names
    assert {"zen-engine", "zen-engine (expressions)", "rule-engine"} <= set(names)
    for row in rows:
        assert row.total == len(leads)
        if math.isnan(row.seconds):
            assert row.note.startswith("skipped")
        else:
            assert row.agree == row.total, row
            assert row.per_lead_us > 0 and row.ratio_vs_baseline > 0
    assert "µs/lead" in peers.format_table(rows)


def test_generated_leads_are_seeded() -> None:
    assert peers.generate_leads(50) == peers.generate_leads(50)
    assert peers.generate_leads(50, seed=8) != peers.generate_leads(50)

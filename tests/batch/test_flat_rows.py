"""The flat output row the policy's evaluate function writes itself (given
the policy's hash; what `score` writes to CSV and Parquet) is, cell for
cell, the row outputs.FlatRows makes of the Decision. The fuzz tests check
the same on hostile leads (fuzz_properties.check_flat_row); these check the
bundled policies, the ledger text's pieces (many rules) and the Decision's path for a number that is not finite."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

import qualdsl
from qualdsl.api import format_as_of
from qualdsl.backends.python import compile_policy
from qualdsl.batch.engines import Chunk, Decider
from qualdsl.batch.outputs import FlatRows, encoder

from .helpers import POLICIES, invoke, saas_leads

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
TEXT = format_as_of(AS_OF)
BUNDLED = sorted(path for path in POLICIES.glob("*.qual") if path.with_suffix(".leads.jsonl").exists())


def leads_of(path: Path) -> list[Any]:
    lines = path.with_suffix(".leads.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def same_row(policy: qualdsl.Policy, lead: Any, function: Any = None) -> Any:
    """The function's flat row, checked against the Decision's; returns it."""
    function = function or policy.compiled.function
    made = function(lead, AS_OF, TEXT, policy.hash)
    rows = FlatRows(policy.blocks, policy.hash)
    decision = function(lead, AS_OF, TEXT)
    assert repr(rows.row(made)) == repr(rows.row(decision))
    return made


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.stem)
def test_the_bundled_policies_write_the_decisions_flat_rows(path: Path) -> None:
    policy = qualdsl.load(path)
    leads = leads_of(path)
    assert leads
    for lead in leads:
        assert type(same_row(policy, lead)) is tuple  # every number finite: no Decision made


def test_many_rules_make_the_same_ledger_text() -> None:
    # 70 rules: three f-string statements of the ledger text; when rules with
    # and without decay, per-event rules with and without `max`.
    rules = []
    for index in range(70):
        name = f"r{index}"
        if index % 3 == 0:
            rules.append(f'  rule {name} +{index}.5 per event "e{index % 4}"' + (" max 2" if index % 2 else ""))
        else:
            rules.append(f'  rule {name} -{index} when size >= {index}')
    text = ("policy many\nschema {\n  id: string\n  size: int\n  events: events\n}\n"
            "score plain {\n" + "\n".join(rules[:35]) + "\n}\n"
            "score decayed {\n  decay 10% every 7d\n" + "\n".join(rules[35:]) + "\n}\n")
    policy = qualdsl.loads(text)
    assert len(policy.rules) == 70
    for size in (None, 0, 40, 100, "12"):
        events = [{"type": f"e{n % 4}", "at": f"2026-10-{1 + n % 28:02d}T00:00:00Z"} for n in range(9)]
        made = same_row(policy, {"id": "x", "size": size, "events": events})
        assert type(made) is tuple
        ledger = json.loads(made[-2])
        assert [entry["rule"] for entry in ledger] == [rule.rule for rule in policy.rules]
        whens = [entry["fired"] for index, entry in enumerate(ledger) if index % 3]
        assert whens == [size is not None and int(size) >= index for index in range(70) if index % 3]


def test_a_policy_without_rules_writes_an_empty_ledger() -> None:
    policy = qualdsl.loads('policy none\nschema {\n  id: string\n}\ntiers {\n  tier all otherwise\n}\n')
    made = same_row(policy, {"id": "a"})
    assert made[-2] == "[]" and made[-4] == "all"


def test_a_number_that_is_not_finite_takes_the_decisions_path() -> None:
    # The checker keeps points within 10**15, so no policy text reaches this:
    # points of 1e308 are put into the IR itself to reach the defensive path.
    policy = qualdsl.load(POLICIES / "saas_inbound.qual")
    block = policy.ir.blocks[1]
    huge = (attrs.evolve(block.rules[0], points=1e308), *block.rules[1:])
    changed = attrs.evolve(policy.ir, blocks=(policy.ir.blocks[0], attrs.evolve(block, rules=huge)))
    function = compile_policy(changed).function
    lead = {"id": "a", "company": {"country": "US", "employees": 300},
            "events": [{"type": "demo_request", "at": "2026-10-31T00:00:00Z"}] * 2}
    made = same_row(policy, lead, function)
    assert isinstance(made, qualdsl.Decision)  # not a flat row: the encoder mends it
    row = FlatRows(policy.blocks, policy.hash).row(made)
    assert json.loads(row[-2])[5] == {"block": "engagement", "rule": "demo_request", "fired": True, "points": None}
    assert "points inf is not a finite number" in row[-1]


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_the_decider_gives_each_format_what_its_encoder_makes_of_the_decisions(kind: str) -> None:
    pytest.importorskip("pyarrow")
    policy = qualdsl.load(POLICIES / "saas_inbound.qual")
    leads = saas_leads()
    decide = Decider(policy, (kind, policy.blocks, policy.hash))
    chunk = decide.many(leads, AS_OF)
    assert type(chunk) is Chunk
    decisions = [policy.evaluate(lead, as_of=AS_OF) for lead in leads]
    tiers, routes, want = encoder(kind, policy.blocks, policy.hash).chunk(decisions)
    assert (list(chunk.tiers), list(chunk.routes)) == (list(tiers), list(routes))
    assert [d.tier for d in decisions] == list(tiers)
    if kind == "parquet":
        assert chunk.rows.equals(want)
    else:
        assert chunk.rows == want
    one = [decide.one(lead, AS_OF) for lead in leads]
    assert [(tier, route) for tier, route, _ in one] == list(zip(tiers, routes, strict=True))
    if kind == "csv":
        assert [row for _, _, row in one] == want
    assert Decider(policy, None).many(leads, AS_OF) == decisions


def test_score_writes_the_same_decisions_to_csv_parquet_and_jsonl(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    source = POLICIES / "saas_inbound.leads.jsonl"
    policy = str(POLICIES / "saas_inbound.qual")
    outputs = {}
    for name in ("o.jsonl", "o.csv", "o.parquet"):
        result = invoke("score", policy, str(source), "--as-of", "2026-11-01", "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        outputs[name] = tmp_path / name
    decisions = [json.loads(line) for line in outputs["o.jsonl"].read_text(encoding="utf-8").splitlines()]
    table = pq.read_table(outputs["o.parquet"]).to_pylist()
    assert len(table) == len(decisions) > 0
    for row, want in zip(table, decisions, strict=True):
        assert json.loads(row["rules"]) == want["rules"]
        assert (row["lead"], row["tier"], row["route"], row["score_total"]) == (
            want["lead"], want["tier"], want["route"], want["scores"]["total"])
        assert json.loads(row["icp_reasons"]) == want["icp"]["reasons"]
        assert json.loads(row["warnings"]) == want["warnings"]
    import csv

    with open(outputs["o.csv"], newline="", encoding="utf-8") as file:
        cells = list(csv.DictReader(file))
    assert [json.loads(row["rules"]) for row in cells] == [want["rules"] for want in decisions]
    assert [row["icp_pass"] for row in cells] == [json.dumps(want["icp"]["pass"]) for want in decisions]

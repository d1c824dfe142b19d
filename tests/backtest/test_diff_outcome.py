"""`qualdsl diff OLD NEW --leads FILE --outcome FIELD`: how the leads each
change moves converted, against today's conversion where they land."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import qualdsl
from qualdsl.backtest import AsOf, Outcomes
from qualdsl.cli import cli
from qualdsl.diff.impact import measure_impact
from qualdsl.leads import LeadRecord

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
OLD = """
policy p
score fit { rule big +30 when employees >= 100 }
tiers {
  tier SQL when score >= 50
  tier MQL when score >= 20
  tier nurture otherwise
}
"""
NEW = OLD.replace("score >= 50", "score >= 30")


def leads() -> list[LeadRecord]:
    rows = ([{"employees": 500, "won": 1}] * 3 + [{"employees": 500, "won": 0}]   # MQL → SQL: 3 of 4
            + [{"employees": 500}]                                                # MQL → SQL, no outcome
            + [{"employees": 5, "won": 1}] + [{"employees": 5, "won": "no"}] * 3)  # nurture, stays
    return [LeadRecord(row, f"leads.jsonl:{i + 1}") for i, row in enumerate(rows)]


def test_transitions_count_the_conversions_of_the_leads_they_move() -> None:
    impact = measure_impact(qualdsl.loads(OLD), qualdsl.loads(NEW), leads(), as_of=AS_OF,
                            outcomes=Outcomes.build("won"))
    (moved,) = impact.tier_transitions
    assert (moved.before, moved.after, moved.count, moved.with_outcome, moved.converted) == ("MQL", "SQL", 5, 4, 3)
    assert moved.rate == 0.75
    outcome = impact.outcome
    assert outcome is not None
    assert (outcome.with_outcome, outcome.converted, outcome.unknown) == (8, 4, 1)
    assert {c.name: (c.leads, c.converted) for c in outcome.tiers} == {"SQL": (0, 0), "MQL": (4, 3),
                                                                       "nurture": (4, 1)}
    assert outcome.tier_rate("nurture") == 0.25 and outcome.tier_rate("SQL") is None
    data = impact.to_dict()
    assert data["tier_transitions"][0]["converted"] == 3 and data["tier_transitions"][0]["rate"] == 0.75
    assert data["outcome"]["old_tiers"][1] == {"tier": "MQL", "leads": 4, "converted": 3, "rate": 0.75}


def test_without_outcome_the_json_is_unchanged() -> None:
    impact = measure_impact(qualdsl.loads(OLD), qualdsl.loads(NEW), leads(), as_of=AS_OF)
    data = impact.to_dict()
    assert "outcome" not in data and set(data["tier_transitions"][0]) == {"from", "to", "count", "examples"}


def test_as_of_field_per_lead_and_unusable_times_are_errors() -> None:
    old = qualdsl.loads("""
policy p
schema { created: datetime }
score fit { rule fresh +60 when days_since(created) <= 7 }
tiers {
  tier SQL when score >= 50
  tier nurture otherwise
}
""")
    new = qualdsl.loads(old.checked.source.text.replace("<= 7", "<= 3"))
    rows = [LeadRecord({"created": "2025-01-01"}, "l:1"), LeadRecord({"created": "soon"}, "l:2")]
    impact = measure_impact(old, new, rows, as_of=AsOf.of_field("created", dt.timedelta(days=5)))
    assert impact.leads == 1 and impact.tier_transitions[0].before == "SQL"
    assert impact.errors[0].location == "l:2" and "as-of time unusable" in impact.errors[0].error
    assert impact.as_of == "each lead's created + 5d"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "old.qual").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.qual").write_text(NEW, encoding="utf-8")
    (tmp_path / "leads.jsonl").write_text("".join(json.dumps(r.lead) + "\n" for r in leads()), encoding="utf-8")
    return tmp_path


def run(files: Path, *args: str):
    return CliRunner().invoke(cli, ["--color", "never", "diff", str(files / "old.qual"), str(files / "new.qual"),
                                    *args], catch_exceptions=False)


def test_cli_text_and_markdown_say_it_in_words(files: Path) -> None:
    common = ["--leads", str(files / "leads.jsonl"), "--as-of", "2026-11-01", "--outcome", "won"]
    text = run(files, *common)
    assert text.exit_code == 0, text.output
    assert ("MQL → SQL       5   75% of them converted (3 of 4 with an outcome); no lead with an outcome "
            "is SQL today; e.g.") in text.stdout
    assert "Outcome won: 4 of 8 leads converted (50.0%); 1 lead with a missing or unknown outcome" in text.stdout
    markdown = run(files, *common, "--format", "markdown")
    assert "| From | To | Leads | Share | Converted | Today's rate in To | Examples |" in markdown.stdout
    assert "| MQL | SQL | 5 | 55.6% | 75% of 4 | n/a |" in markdown.stdout
    as_json = json.loads(run(files, *common, "--format", "json").stdout)
    assert as_json["impact"]["outcome"]["converted"] == 4


@pytest.mark.parametrize("args,message", [
    (["--outcome", "won"], "need --leads FILE"),
    (["--leads", "x.jsonl", "--as-of", "2026-11-01", "--as-of-field", "created"], "not both"),
    (["--leads", "x.jsonl", "--as-of-offset", "1d", "--as-of", "2026-11-01"], "--as-of-offset needs --as-of-field"),
    (["--leads", "x.jsonl", "--as-of", "2026-11-01", "--positive", "won"], "--positive needs --outcome"),
    (["--leads", "x.jsonl", "--as-of-field", "created", "--as-of-offset", "soon"], "is not a duration"),
])
def test_cli_usage_errors(files: Path, args: list[str], message: str) -> None:
    result = run(files, *args)
    assert result.exit_code == 2 and message in result.stderr

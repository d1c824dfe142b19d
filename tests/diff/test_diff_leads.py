"""`qualdsl diff --leads` reads leads the way `qualdsl score` does (issue 12):
every input score reads, the same reader, unreadable rows kept, each lead as
of its own time with --as-of-field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualdsl.cli import cli

OLD = """\
policy p
schema {
  id:          string
  `Lead Note`: string
  tags:        list[string]
  seen:        date
  won:         int
}
score s {
  rule noted  +10 when `Lead Note` == "[1]"
  rule tagged +10 when "a" in tags
  rule fresh  +10 when days_since(seen) <= 10
}
tiers {
  tier hot  when score >= 20
  tier warm when score >= 10
  tier cold otherwise
}
"""
NEW = OLD.replace("score >= 20", "score >= 25").replace("rule noted  +10", "rule noted   +5")

# `[1]` is text in a string field and a list in a list field: read as JSON
# only where the schema says so (a reader without the schema made it a list,
# so `noted` never fired in diff while it did in score).
CSV = ('id,Lead Note,tags,seen,won\n'
       'A,[1],"[""a""]",2026-01-01,1\n'
       'B,plain,"[""a""]",2026-02-25,0\n'
       'C,[1],[],2026-02-27,1\n'
       'D,[1],"[""b""]",2025-01-01,0\n')
AS_OF = "2026-03-01"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--color", "never", *args], input=input, catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.qual").write_text(OLD, encoding="utf-8")
    (tmp_path / "new.qual").write_text(NEW, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(CSV, encoding="utf-8")
    return tmp_path


def scored(policy: str, leads: str, *options: str) -> dict[str, dict]:
    result = invoke("score", policy, leads, "--no-progress", *options)
    assert result.exit_code == 0, result.output
    return {d["lead"]: d for d in map(json.loads, result.stdout.splitlines())}


def impact_of(*args: str, input: str | None = None) -> dict:
    result = invoke("diff", "old.qual", "new.qual", "--format", "json", *args, input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["impact"]


def transitions_from_score(*leads_and_options: str) -> Counter[tuple[str, str]]:
    old, new = scored("old.qual", *leads_and_options), scored("new.qual", *leads_and_options)
    assert old.keys() == new.keys()
    return Counter((old[k]["tier"], new[k]["tier"]) for k in old if old[k]["tier"] != new[k]["tier"])


def parquet(path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "id": ["A", "B", "C", "D"], "Lead Note": ["[1]", "plain", "[1]", "[1]"],
        "tags": [["a"], ["a"], [], ["b"]], "seen": ["2026-01-01", "2026-02-25", "2026-02-27", "2025-01-01"],
        "won": [1, 0, 1, 0]}), path)


@pytest.mark.parametrize("kind", ["csv", "jsonl", "json", "parquet"])
def test_diff_sees_the_leads_score_sees(workdir: Path, kind: str) -> None:
    rows = [{"id": "A", "Lead Note": "[1]", "tags": ["a"], "seen": "2026-01-01", "won": 1},
            {"id": "B", "Lead Note": "plain", "tags": ["a"], "seen": "2026-02-25", "won": 0},
            {"id": "C", "Lead Note": "[1]", "tags": [], "seen": "2026-02-27", "won": 1},
            {"id": "D", "Lead Note": "[1]", "tags": ["b"], "seen": "2025-01-01", "won": 0}]
    name = f"leads.{kind}"
    if kind == "jsonl":
        (workdir / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif kind == "json":
        (workdir / name).write_text(json.dumps(rows), encoding="utf-8")
    elif kind == "parquet":
        parquet(workdir / name)
    want = transitions_from_score(name, "--as-of", AS_OF)
    # noted fires for A, C and D (`[1]` is text); read as a list it never did,
    # and only B moved.
    assert want == Counter({("hot", "warm"): 3, ("warm", "cold"): 1}), want
    impact = impact_of("--leads", name, "--as-of", AS_OF)
    got = Counter({(t["from"], t["to"]): t["count"] for t in impact["tier_transitions"]})
    assert got == want
    assert impact["leads"] == 4 and impact["errors"] == []


def test_a_csv_cell_of_json_text_in_a_string_field_stays_text(workdir: Path) -> None:
    impact = impact_of("--leads", "leads.csv", "--as-of", AS_OF)
    # A, C and D have `[1]` as their note: `noted` fires for each, in both
    # versions, and gives 5 points fewer in the new one.
    assert impact["score_changed"] == 3
    assert impact["score_deltas"]["min"] == impact["score_deltas"]["max"] == -5


def test_csv_on_stdin_with_input_format(workdir: Path) -> None:
    from_file = impact_of("--leads", "leads.csv", "--as-of", AS_OF)
    from_stdin = impact_of("--leads", "-", "--input-format", "csv", "--as-of", AS_OF, input=CSV)
    assert from_stdin["tier_transitions"] == from_file["tier_transitions"] != []
    assert from_stdin["leads"] == 4


def test_unreadable_rows_are_counted_and_located_never_dropped(workdir: Path) -> None:
    (workdir / "bad.csv").write_text(CSV + "E,too,many,cells,here,6\n" + 'F,"[1]","[""a""]",2026-02-28,1\n',
                                     encoding="utf-8")
    result = invoke("diff", "old.qual", "new.qual", "--leads", "bad.csv", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    impact = json.loads(result.stdout)["impact"]
    assert impact["leads"] == 5  # A-D and F
    assert [e["location"] for e in impact["errors"]] == ["bad.csv:6"]
    assert "bad.csv:6: error:" in result.stderr and "1 lead could not be read" in result.stderr


def test_as_of_field_judges_each_lead_when_it_arrived(workdir: Path) -> None:
    args = ("--as-of-field", "seen", "--as-of-offset", "1d")
    want = transitions_from_score("leads.csv", *args)
    impact = impact_of("--leads", "leads.csv", *args)
    assert impact["as_of"] == "each lead's seen + 1d"
    # Judged a day after it was seen, every lead is fresh (+10): A stays hot.
    assert Counter({(t["from"], t["to"]): t["count"] for t in impact["tier_transitions"]}) == want
    assert want == Counter({("hot", "warm"): 3})


def test_an_unusable_as_of_field_is_a_located_error(workdir: Path) -> None:
    (workdir / "late.csv").write_text(CSV + "E,plain,[],soon,0\n", encoding="utf-8")
    result = invoke("diff", "old.qual", "new.qual", "--leads", "late.csv", "--as-of-field", "seen")
    assert result.exit_code == 0, result.output
    assert "late.csv:6: error: as-of time unusable: seen is not a date or datetime: soon" in result.stdout


def test_id_field_names_the_examples(workdir: Path) -> None:
    (workdir / "crm.csv").write_text(CSV.replace("id,", "Prospect ID,", 1), encoding="utf-8")
    impact = impact_of("--leads", "crm.csv", "--as-of", AS_OF, "--id-field", "Prospect ID")
    assert sorted(e for t in impact["tier_transitions"] for e in t["examples"]) == ["A", "B", "C", "D"]
    without = impact_of("--leads", "crm.csv", "--as-of", AS_OF)
    assert sorted(e for t in without["tier_transitions"] for e in t["examples"]) == [
        "crm.csv:2", "crm.csv:3", "crm.csv:4", "crm.csv:5"]


@pytest.mark.parametrize(("args", "message"), [
    (["--input-format", "csv"], "need --leads FILE"),
    (["--id-field", "Prospect ID"], "need --leads FILE"),
    (["--leads", "leads.csv", "--as-of", AS_OF, "--id-field", "a..b"], "--id-field"),
    (["--leads", "nope.csv", "--as-of", AS_OF], "error: nope.csv: no such file"),
    (["--leads", "/dev/zero", "--as-of", AS_OF], "error: /dev/zero: file is binary"),
])
def test_usage_and_unreadable_files_exit_2(workdir: Path, args: list[str], message: str) -> None:
    result = invoke("diff", "old.qual", "new.qual", *args)
    assert result.exit_code == 2
    assert message in result.output

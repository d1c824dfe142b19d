"""`qualdsl test --update`: rewrite failing expectations to the actual outcome.

For a deliberate policy change: the reviewer then sees, in the diff of the
test files, exactly which outcomes the change moved.

What is rewritten, and nothing else:
- YAML suites: the `expect:` mapping of each failing case (or failing
  timeline entry) is replaced in place. Keys keep their order; keys whose
  expectation failed get the actual value (a failing range or `~` becomes the
  exact actual score; `fired`/`not_fired` entries move to the list that is
  now true); keys that held stay as they were, re-written in plain YAML.
  Comments *inside* that `expect:` mapping are lost; every other byte of the
  file (other cases, comments, order) is kept.
- CSV tables: the failing `expect.*` cells of failing rows. The file is
  re-written by Python's csv module, so quoting may be normalised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ..decision import Decision
from . import yamlsource as ys
from .cases import MAX_SUITE_BYTES, TableOrigin, YamlOrigin, plain, read_user_file
from .runner import Outcome

LIST_KEYS = ("reasons", "warnings", "fired", "not_fired")


def _number(value: float) -> int | float:
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def _rule_ref(decision: Decision, written: str) -> Any:
    for result in decision.rules:
        if written == f"{result.block}.{result.rule}" or ("." not in written and written == result.rule):
            return result
    return None


def _flow(value: Any) -> str:
    text = yaml.safe_dump(plain(value), default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False)
    return text.removesuffix("\n...\n").rstrip("\n")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def updated_expect(expect: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The expect mapping with every failing key set to what the decision shows."""
    decision = outcome.decision
    failing = {m.expectation.key for m in outcome.mismatches}
    new: dict[str, Any] = {}
    for key, value in expect.items():
        if key == "scores" and isinstance(value, dict):
            new[key] = {
                block: (_number(decision.scores[block])
                        if ("total" if block == "total" else f"scores.{block}") in failing else spec)
                for block, spec in value.items()
            }
        elif key in failing:
            if key == "icp":
                new[key] = "pass" if decision.icp_pass else "fail"
            elif key in ("tier", "route"):
                new[key] = getattr(decision, key)
            elif key == "total":
                new[key] = _number(decision.scores["total"])
            elif key == "reasons":
                new[key] = list(decision.reasons)
            elif key == "warnings":
                new[key] = list(decision.warnings)
            else:
                new[key] = value  # fired / not_fired: settled below
        else:
            new[key] = value
    if failing & {"fired", "not_fired"}:
        written = _as_list(expect.get("fired")) + _as_list(expect.get("not_fired"))
        fired = [w for w in written if getattr(_rule_ref(decision, w), "fired", False)]
        not_fired = [w for w in written if w not in fired]
        for key, names in (("fired", fired), ("not_fired", not_fired)):
            if names:
                new[key] = names
            else:
                new.pop(key, None)
    return new


def _block(mapping: dict[str, Any], indent: int) -> str:
    """A block mapping whose first line starts where the old one did."""
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            lines.append(f"{key}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {_flow(value)}")
    return ("\n" + " " * indent).join(lines)


def update_yaml(path: str, outcomes: Sequence[Outcome]) -> int:
    """Rewrite the expect mappings of failing YAML cases in one file; returns how many."""
    text = read_user_file(path, MAX_SUITE_BYTES, "a test suite")
    edits = []
    for outcome in outcomes:
        origin = outcome.item.origin
        assert isinstance(origin, YamlOrigin)
        expect = origin.expect
        node = expect.node
        start, end = node.start_mark.index, ys.node_end(node).index
        new = updated_expect(dict(expect), outcome)
        if node.flow_style:
            replacement = _flow(new)
        else:
            replacement = _block(new, node.start_mark.column)
        edits.append((start, end, replacement))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    Path(path).write_text(text, encoding="utf-8")
    return len(edits)


def _cell(key: str, decision: Decision) -> str:
    if key == "icp":
        return "pass" if decision.icp_pass else "fail"
    if key in ("tier", "route"):
        value = getattr(decision, key)
        return "null" if value is None else value
    if key == "total" or key.startswith("scores."):
        block = "total" if key == "total" else key.removeprefix("scores.")
        return str(_number(decision.scores[block]))
    if key in ("reasons", "warnings"):
        values = decision.reasons if key == "reasons" else decision.warnings
        return "; ".join(values) if values else "none"
    raise AssertionError(key)


def update_table(path: str, outcomes: Sequence[Outcome]) -> int:
    """Rewrite the failing expect.* cells of failing rows in one CSV table."""
    text = read_user_file(path, MAX_SUITE_BYTES, "a case table")
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # Data rows in the order the loader counted them (blank rows skipped).
    data_rows = [i for i, row in enumerate(rows[1:], start=1) if any(c.strip() for c in row)]
    for outcome in outcomes:
        origin = outcome.item.origin
        assert isinstance(origin, TableOrigin)
        row = rows[data_rows[origin.row]]
        columns = dict(origin.columns)
        failing = {m.expectation.key for m in outcome.mismatches}
        decision = outcome.decision
        for key in failing - {"fired", "not_fired"}:
            if key in columns:
                row[columns[key]] = _cell(key, decision)
        if failing & {"fired", "not_fired"}:
            written = [part.strip() for key in ("fired", "not_fired") if key in columns
                       for part in row[columns[key]].split(";") if part.strip()]
            fired = [w for w in written if getattr(_rule_ref(decision, w), "fired", False)]
            if "fired" in columns:
                row[columns["fired"]] = "; ".join(fired)
            if "not_fired" in columns:
                row[columns["not_fired"]] = "; ".join(w for w in written if w not in fired)
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(rows)
    Path(path).write_text(out.getvalue(), encoding="utf-8", newline="")
    return len(outcomes)


def update(outcomes: Sequence[Outcome]) -> dict[str, int]:
    """Rewrite every failing outcome's expectations; returns cases rewritten per file."""
    by_file: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if not outcome.passed:
            by_file.setdefault(outcome.item.origin.path, []).append(outcome)
    done = {}
    for path, failing in by_file.items():
        if isinstance(failing[0].item.origin, TableOrigin):
            done[path] = update_table(path, failing)
        else:
            done[path] = update_yaml(path, failing)
    return done

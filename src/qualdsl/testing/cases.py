"""Test suites: `*.test.yaml` files and the CSV case tables they name.

A suite is read, checked against its policy (a tier, route, block, rule or
ICP reason the policy does not have is an error), and turned into test items:
one lead, one `as_of`, the expectations to check. Every problem is a located
Diagnostic; a suite with any problem runs no cases (like a pytest collection
error), so a typo never silently weakens a test.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..api import Policy, load, normalize_as_of
from ..diagnostics import Diagnostic
from ..errors import QualError
from ..leads import MAX_LEADS_BYTES, LeadFileError, parse_leads
from ..loader import find_policy_files
from ..source import Span, UnreadableFile, read_text_file
from . import yamlsource as ys
from .yamlsource import Mapping, Sequence

DISQUALIFIED = "disqualified"
SUITE_KEYS = ("policy", "as_of", "cases", "tables", "description")
CASE_KEYS = ("name", "description", "lead", "lead_file", "lead_id", "as_of", "expect", "timeline")
POINT_KEYS = ("as_of", "expect")
EXPECT_KEYS = ("icp", "reasons", "total", "scores", "tier", "route", "fired", "not_fired", "warnings")
# Columns of a case table that are not lead fields.
TABLE_COLUMNS = ("name", "as_of")
EXACT_TOLERANCE = 1e-6  # absorbs float64 summation order, nothing a person would notice
APPROX_TOLERANCE = 0.01
# Bounds on what a suite may hold: a suite or a case table is hand-written
# (or generated, but reviewed), so these are far above real use.
MAX_SUITE_BYTES = 16 * 1024 * 1024
MAX_CASES = 100_000  # per suite, YAML cases and table rows together


# ------------------------------------------------------------------ model


@attrs.frozen
class NumberExpectation:
    """A score expectation: exact, approximately (± tolerance), or a range."""

    kind: str  # "exact" | "approx" | "range"
    value: float | None = None
    tolerance: float = APPROX_TOLERANCE
    low: float | None = None
    high: float | None = None

    def holds(self, actual: float) -> bool:
        if self.kind == "exact":
            assert self.value is not None
            return abs(actual - self.value) <= EXACT_TOLERANCE * max(1.0, abs(self.value))
        if self.kind == "approx":
            assert self.value is not None
            return abs(actual - self.value) <= self.tolerance + 1e-12
        return (self.low is None or actual >= self.low - 1e-12) and (
            self.high is None or actual <= self.high + 1e-12
        )

    def describe(self) -> str:
        if self.kind == "exact":
            return number_text(self.value)
        if self.kind == "approx":
            return f"≈ {number_text(self.value)} (± {number_text(self.tolerance)})"
        if self.low is not None and self.high is not None:
            return f"between {number_text(self.low)} and {number_text(self.high)}"
        if self.low is not None:
            return f"at least {number_text(self.low)}"
        return f"at most {number_text(self.high)}"


def number_text(value: float | None) -> str:
    """A score as a person writes it: 38.4, 50, not 38.400000000000006."""
    if value is None:
        return "null"
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@attrs.frozen
class Expectation:
    """One thing a case expects of the decision, and where it is written.

    `key` is icp, reasons, total, scores.<block>, tier, route, fired,
    not_fired or warnings. List expectations become one Expectation per item
    (each has its own line); an empty `reasons`/`warnings` list is one
    Expectation with `want=None`: "none at all".
    """

    key: str
    want: Any
    path: str
    span: Span


@attrs.frozen
class YamlOrigin:
    """Where --update rewrites a YAML case: its `expect` mapping."""

    path: str
    expect: Mapping = attrs.field(eq=False, repr=False)


@attrs.frozen
class TableOrigin:
    """Where --update rewrites a table row: its expect.* cells."""

    path: str
    row: int  # 0-based index among the data rows
    columns: tuple[tuple[str, int], ...]  # expect key -> column index


@attrs.frozen
class TestItem:
    """One lead decided as of one moment, with what the decision must show."""

    __test__ = False  # not a pytest class

    suite: str
    name: str  # unique within the suite
    path: str  # the file the case is written in (the suite, or its table)
    span: Span
    lead: Any
    as_of: dt.datetime
    expectations: tuple[Expectation, ...]
    origin: YamlOrigin | TableOrigin = attrs.field(eq=False, repr=False)
    # Expectations naming what the policy no longer has (a tier, route, block,
    # rule or reason): errors of this item only; it still runs the others.
    errors: tuple[Diagnostic, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.suite}::{self.name}"


@attrs.frozen
class Suite:
    """A test file with its policy, its items, and every problem found in it."""

    path: str
    policy_path: str | None
    policy: Policy | None = attrs.field(eq=False, repr=False)
    items: tuple[TestItem, ...]
    problems: tuple[Diagnostic, ...]  # in the suite or its tables
    policy_problems: tuple[Diagnostic, ...]  # the policy does not compile

    @property
    def ok(self) -> bool:
        return not self.problems and not self.policy_problems


# --------------------------------------------------------------- discovery


SUITE_PATTERNS = ("*.test.yaml", "*.test.yml")


def discover(paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """Suite files under the paths (sorted; hidden folders below a path
    skipped, see loader.find_policy_files), and the paths that do not exist."""
    found: list[str] = []
    missing: list[str] = []
    for given in paths:
        if os.path.exists(given):  # a FIFO or a device too: reading it says why
            found.extend(find_policy_files([given], patterns=SUITE_PATTERNS))
        else:
            missing.append(given)
    unique = list(dict.fromkeys(os.path.normpath(p) for p in found))
    return unique, missing


# ----------------------------------------------------------------- loading


class PolicyCache:
    """Each policy compiles once per run, however many suites name it."""

    def __init__(self) -> None:
        self._policies: dict[str, Policy | QualError] = {}

    def get(self, path: str) -> Policy | QualError:
        key = os.path.realpath(path)
        if key not in self._policies:
            try:
                self._policies[key] = load(path)
            except QualError as error:
                self._policies[key] = error
        return self._policies[key]


class _Reader:
    """Reads one suite, collecting problems instead of stopping at the first."""

    def __init__(self, path: str, text: str, cache: PolicyCache):
        self.path = path
        self.text = text
        self.cache = cache
        self.base = Path(path).parent
        self.problems: list[Diagnostic] = []
        self.gaps: list[Diagnostic] = []  # see TestItem.errors
        self.case_names: dict[str, int] = {}
        self.policy: Policy | None = None

    # -- problems

    def problem(
        self, message: str, span: Span, *, help: str | None = None, path: str | None = None,
        text: str | None = None,
    ) -> None:
        self.problems.append(
            Diagnostic.error(message, path or self.path, span, help=help,
                             source_text=text if path else self.text)
        )

    def check_keys(self, mapping: Mapping, allowed: tuple[str, ...], what: str) -> None:
        for key, node in mapping.duplicates:
            self.problem(f"duplicate key `{key}` in {what}", ys.node_span(node),
                         help="YAML keeps only the last one; remove one of them")
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                self.problem(
                    f"unknown key `{key}` in {what}", ys.key_span(mapping, key),
                    help=f"did you mean `{close[0]}`?" if close
                    else "allowed keys: " + ", ".join(f"`{k}`" for k in allowed),
                )

    def relative(self, value: str) -> str:
        return os.path.normpath(self.base / value)

    def as_of(self, value: Any, span: Span) -> dt.datetime | None:
        try:
            if isinstance(value, (str, dt.date)):
                return normalize_as_of(value)
        except (ValueError, OverflowError):  # not a date, or out of range once in UTC
            pass
        self.problem(f"`as_of` must be a date or an ISO 8601 datetime, not `{value}`", span,
                     help="for example `as_of: 2026-11-01` or `as_of: 2026-11-01T09:30:00Z`")
        return None

    # -- the suite

    def read(self) -> Suite:
        try:
            data = ys.load(self.text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = getattr(error, "problem", None) or str(error)
            context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
            if context and context_mark is not None and context_mark is not mark:
                problem += f" ({context} at line {context_mark.line + 1})"
            span = Span(0, 0, line, column, line, column + 1)
            self.problem(f"invalid YAML: {problem}", span)
            return self.suite(None, ())
        if not isinstance(data, Mapping):
            self.problem("a test suite is a YAML mapping with `policy`, `as_of` and `cases`",
                         ys.span_of(data) if data is not None else Span(0, 0, 1, 1, 1, 1))
            return self.suite(None, ())
        self.check_keys(data, SUITE_KEYS, "the suite")
        policy_path = None
        if not isinstance(data.get("policy"), str):
            self.problem("the suite must name its policy: `policy: <file>.qual` (relative to the suite)",
                         ys.key_span(data, "policy") if "policy" in data else Span(0, 0, 1, 1, 1, 1))
        else:
            policy_path = self.relative(data["policy"])
            loaded = self.cache.get(policy_path)
            if isinstance(loaded, QualError):
                if all(d.message == "no such file" for d in loaded.diagnostics):
                    self.problem(f"policy file `{policy_path}` does not exist",
                                 ys.value_span(data, "policy"),
                                 help="the policy path is relative to the suite file")
                    return self.suite(policy_path, ())
                return self.suite(policy_path, (), loaded.diagnostics)
            self.policy = loaded
        suite_as_of = None
        if "as_of" not in data:
            self.problem("the suite must give `as_of`, the moment cases are decided at",
                         Span(0, 0, 1, 1, 1, 1), help="for example `as_of: 2026-11-01`")
        else:
            suite_as_of = self.as_of(data["as_of"], ys.value_span(data, "as_of"))
        if "cases" not in data and "tables" not in data:
            self.problem("the suite has no `cases` and no `tables`", Span(0, 0, 1, 1, 1, 1))
        if self.policy is None:
            return self.suite(policy_path, ())
        items: list[TestItem] = []
        cases = data.get("cases", [])
        if cases is None:
            cases = []
        if not isinstance(cases, list):
            self.problem("`cases` must be a list of cases", ys.value_span(data, "cases"))
        elif len(cases) > MAX_CASES:
            self.problem(f"the suite has {len(cases)} cases; the limit is {MAX_CASES}",
                         ys.value_span(data, "cases"), help="split it into several suite files")
        else:
            for index, case in enumerate(cases):
                items.extend(self.case(case, ys.item_span(cases, index), suite_as_of))
        tables = data.get("tables", [])
        if isinstance(tables, str):
            tables = [tables]
        if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
            self.problem("`tables` must be a CSV file name or a list of them",
                         ys.value_span(data, "tables"))
        else:
            for index, table in enumerate(tables):
                span = (ys.item_span(tables, index) if isinstance(tables, Sequence)
                        else ys.value_span(data, "tables"))
                items.extend(self.table(table, span, suite_as_of))
        seen: dict[str, TestItem] = {}
        for item in items:
            if item.name in seen:
                self.problem(f"two cases are named `{item.name}`", item.span,
                             help=f"the other is at line {seen[item.name].span.line}; "
                                  "names must be unique in a suite (reports and JUnit XML key on them)",
                             path=item.path, text=None if item.path == self.path else self.table_text)
            seen[item.name] = item
        return self.suite(policy_path, tuple(items))

    table_text: str | None = None

    def suite(self, policy_path: str | None, items: tuple[TestItem, ...],
              policy_problems: Iterable[Diagnostic] = ()) -> Suite:
        problems = tuple(sorted(self.problems, key=lambda d: (d.path != self.path, d.path, d.span.line,
                                                              d.span.column)))
        return Suite(self.path, policy_path, self.policy, items, problems,
                     tuple(policy_problems))

    # -- one YAML case

    def case(self, case: Any, span: Span, suite_as_of: dt.datetime | None) -> list[TestItem]:
        if not isinstance(case, Mapping):
            self.problem("a case is a mapping with `name`, `lead` and `expect`", span)
            return []
        before = len(self.problems)
        self.check_keys(case, CASE_KEYS, "a case")
        name = case.get("name")
        if not isinstance(name, (str, int, float)) or isinstance(name, bool) or str(name).strip() == "":
            self.problem("a case needs a `name`", span)
            name = None
        else:
            name = str(name)
            span = ys.value_span(case, "name")
            if name in self.case_names:
                self.problem(f"two cases are named `{name}`", span,
                             help=f"the other is at line {self.case_names[name]}; names must be unique "
                                  "in a suite (reports and JUnit XML key on them)")
            self.case_names.setdefault(name, span.line)
        lead = self.lead(case, span)
        as_of = suite_as_of
        if "as_of" in case:
            as_of = self.as_of(case["as_of"], ys.value_span(case, "as_of"))
        points: list[tuple[dt.datetime | None, Mapping, Span, bool]] = []
        if "expect" in case and "timeline" in case:
            self.problem("a case has either `expect` or `timeline`, not both", ys.key_span(case, "timeline"),
                         help="put the expectations for each moment under its `timeline` entry")
        elif "timeline" in case:
            timeline = case["timeline"]
            if not isinstance(timeline, Sequence) or not timeline:
                self.problem("`timeline` must be a list of `{as_of, expect}` entries",
                             ys.value_span(case, "timeline"))
            else:
                for index, point in enumerate(timeline):
                    point_span = ys.item_span(timeline, index)
                    if not isinstance(point, Mapping):
                        self.problem("a timeline entry is a mapping with `as_of` and `expect`", point_span)
                        continue
                    self.check_keys(point, POINT_KEYS, "a timeline entry")
                    if "as_of" not in point or "expect" not in point:
                        self.problem("a timeline entry needs both `as_of` and `expect`", point_span)
                        continue
                    moment = self.as_of(point["as_of"], ys.value_span(point, "as_of"))
                    points.append((moment, point["expect"], ys.value_span(point, "as_of"), True))
        elif "expect" in case:
            points.append((as_of, case["expect"], ys.key_span(case, "expect"), False))
        else:
            self.problem("the case has no `expect` (or `timeline`): it would test nothing", span)
        items = []
        for moment, expect, point_span, labelled in points:
            gaps = len(self.gaps)
            expectations = self.expectations(expect, point_span)
            if name is None or lead is _NO_LEAD or moment is None or len(self.problems) > before:
                continue
            label = f"{name} @ {as_of_label(moment)}" if labelled else name
            items.append(TestItem(self.path, label, self.path, point_span if labelled else span, lead,
                                  moment, tuple(expectations), YamlOrigin(self.path, expect),
                                  tuple(self.gaps[gaps:])))
        return items

    def lead(self, case: Mapping, span: Span) -> Any:
        if ("lead" in case) == ("lead_file" in case):
            self.problem("a case needs exactly one of `lead` (inline) or `lead_file`", span)
            return _NO_LEAD
        if "lead_id" in case and "lead_file" not in case:
            self.problem("`lead_id` picks a lead from a `lead_file`", ys.key_span(case, "lead_id"))
            return _NO_LEAD
        if "lead" in case:
            lead = case["lead"]
            if not isinstance(lead, Mapping):
                self.problem("`lead` must be a mapping of lead fields", ys.value_span(case, "lead"))
                return _NO_LEAD
            return plain(lead)
        file = case["lead_file"]
        where = ys.value_span(case, "lead_file")
        if not isinstance(file, str):
            self.problem("`lead_file` must be a file name (relative to the suite)", where)
            return _NO_LEAD
        resolved = self.relative(file)
        try:
            records = list(parse_leads(read_user_file(resolved, MAX_LEADS_BYTES, "a leads file"), resolved))
        except LeadFileError as error:
            self.problem(f"lead file: {error}", where, help="lead files are relative to the suite file")
            return _NO_LEAD
        bad = [r for r in records if r.error is not None]
        if bad:
            self.problem(f"lead file {bad[0].location}: {bad[0].error}", where)
            return _NO_LEAD
        if "lead_id" in case:
            wanted = str(case["lead_id"])
            matches = [r.lead for r in records if isinstance(r.lead, dict) and str(r.lead.get("id")) == wanted]
            if len(matches) != 1:
                ids = [str(r.lead.get("id")) for r in records if isinstance(r.lead, dict)]
                close = difflib.get_close_matches(wanted, ids, n=1, cutoff=0.6)
                self.problem(
                    f"`{resolved}` has {'no' if not matches else len(matches)} lead"
                    f"{'s' if len(matches) > 1 else ''} with id `{wanted}`",
                    ys.value_span(case, "lead_id"),
                    help=f"did you mean `{close[0]}`?" if close else None,
                )
                return _NO_LEAD
            return matches[0]
        if len(records) != 1:
            self.problem(f"`{resolved}` holds {len(records)} leads; say which with `lead_id`", where)
            return _NO_LEAD
        return records[0].lead

    # -- expectations, shared by YAML cases and table cells

    def expectations(self, expect: Any, span: Span) -> list[Expectation]:
        if not isinstance(expect, Mapping):
            self.problem("`expect` must be a mapping, e.g. `{tier: SQL, route: ae-pool}`", span)
            return []
        self.check_keys(expect, EXPECT_KEYS, "`expect`")
        if not expect:
            self.problem("`expect` is empty: the case would test nothing", span)
        out: list[Expectation] = []
        for key, value in expect.items():
            if key not in EXPECT_KEYS:
                continue
            where = ys.key_span(expect, key)
            value_where = ys.value_span(expect, key)
            if key == "scores":
                if not isinstance(value, Mapping) or not value:
                    self.problem("`scores` maps block names (or `total`) to expected scores", value_where)
                    continue
                for block, spec in value.items():
                    block_where = ys.key_span(value, block)
                    out.extend(self.expect_one(f"scores.{block}", spec, block_where, ys.value_span(value, block)))
            elif key in ("reasons", "warnings", "fired", "not_fired"):
                items = value if isinstance(value, list) else [value]
                if isinstance(value, str):
                    items = [value]
                if not isinstance(value, (list, str)):
                    self.problem(f"`{key}` must be a list of strings", value_where)
                    continue
                if not items:
                    if key in ("fired", "not_fired"):
                        self.problem(f"`{key}` is empty: list rule names", value_where)
                    else:
                        out.extend(self.expect_one(key, None, where, value_where))
                    continue
                for index, item in enumerate(items):
                    item_where = ys.item_span(value, index) if isinstance(value, Sequence) else value_where
                    out.extend(self.expect_one(key, item, item_where, item_where))
            else:
                out.extend(self.expect_one(key, value, where, value_where))
        return out

    def expect_one(self, key: str, value: Any, where: Span, value_where: Span,
                   *, path: str | None = None, text: str | None = None) -> list[Expectation]:
        """Validate one expectation against the policy; [] (and a problem) when wrong."""
        assert self.policy is not None
        policy = self.policy
        file = path or self.path

        def bad(message: str, help: str | None = None) -> list[Expectation]:
            self.problem(message, value_where, help=help, path=path, text=text)
            return []

        def gap(message: str, help: str | None = None, span: Span = value_where) -> list[Expectation]:
            """The policy lacks what the expectation names: an error of this case only."""
            self.gaps.append(Diagnostic.error(message, file, span, help=help,
                                              source_text=text if path else self.text))
            return []

        def made(want: Any) -> list[Expectation]:
            return [Expectation(key, want, file, where)]

        if key == "icp":
            if value in ("pass", True):
                return made(True)
            if value in ("fail", False):
                return made(False)
            return bad(f"`icp` is `pass` or `fail`, not `{value}`")
        if key in ("tier", "route"):
            if value is None:
                return made(None)
            if not isinstance(value, str):
                return bad(f"`{key}` must be a name, not `{value}`")
            if key == "tier":
                known = list(policy.tiers) + ([DISQUALIFIED] if policy.checked.icp else [])
                what = "tier"
            else:
                known = list(dict.fromkeys(policy.routes))
                what = "route queue"
            if value not in known:
                folded = {k.casefold(): k for k in known}
                close = [folded[value.casefold()]] if value.casefold() in folded else \
                    difflib.get_close_matches(value, known, n=1, cutoff=0.5)
                listed = ", ".join(f"`{k}`" for k in known) or "none"
                return gap(f"policy `{policy.name}` has no {what} `{value}`",
                           f"did you mean `{close[0]}`?" if close else f"its {what}s: {listed}")
            return made(value)
        if key == "total" or key.startswith("scores."):
            block = key.removeprefix("scores.") if key != "total" else "total"
            if block != "total" and block not in policy.blocks:
                close = difflib.get_close_matches(block, list(policy.blocks) + ["total"], n=1, cutoff=0.5)
                return gap(f"policy `{policy.name}` has no score block `{block}`",
                           f"did you mean `{close[0]}`?" if close
                           else "blocks: " + ", ".join(f"`{b}`" for b in policy.blocks) + ", `total`", where)
            key = "total" if block == "total" else key
            number, message = parse_number(value)
            if number is None:
                return bad(message)
            return [Expectation(key, number, file, where)]
        if key == "reasons":
            if value is None:
                return made(None)
            known = [s.reason for s in policy.checked.icp.statements] if policy.checked.icp else []
            if not isinstance(value, str) or value not in known:
                close = difflib.get_close_matches(str(value), known, n=1, cutoff=0.5)
                return gap(f"policy `{policy.name}` has no ICP reason `{value}`",
                           f"did you mean `{close[0]}`?" if close
                           else "reasons: " + (", ".join(f"`{k}`" for k in known) or "none (no icp)"))
            return made(value)
        if key == "warnings":
            if value is None:
                return made(None)
            if not isinstance(value, str) or not value:
                return bad("a warning expectation is text found in the warning")
            return made(value)
        if key in ("fired", "not_fired"):
            if not isinstance(value, str):
                return bad(f"`{key}` lists rule names (`rule` or `block.rule`), not `{value}`")
            rules = [(r.block, r.rule) for r in policy.rules]
            if "." in value:
                block, _, rule = value.partition(".")
                matches = [r for r in rules if r == (block, rule)]
            else:
                matches = [r for r in rules if r[1] == value]
            if len(matches) == 1:
                return made(matches[0])
            if len(matches) > 1:
                return bad(f"rule `{value}` is in several blocks",
                           "write `block.rule`: " + ", ".join(f"`{b}.{r}`" for b, r in matches))
            names = [f"{b}.{r}" for b, r in rules] + [r for _, r in rules]
            close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
            return gap(f"policy `{policy.name}` has no rule `{value}`",
                       f"did you mean `{close[0]}`?" if close else None)
        raise AssertionError(key)

    # -- a CSV case table

    def table(self, name: str, span: Span, suite_as_of: dt.datetime | None) -> list[TestItem]:
        path = self.relative(name)
        try:
            text = read_user_file(path, MAX_SUITE_BYTES, "a case table")
        except LeadFileError as error:
            self.problem(f"case table: {error}", span, help="table paths are relative to the suite file")
            return []
        self.table_text = text
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            self.problem(f"case table `{path}` is empty", span)
            return []
        except csv.Error as error:
            self.problem(f"invalid CSV: {error}", line_span(text, 1), path=path, text=text)
            return []
        before = len(self.problems)
        columns: list[tuple[str, str]] = []  # (kind, key): kind lead | expect | name | as_of
        expect_keys = [k for k in EXPECT_KEYS if k != "scores"]
        for index, column in enumerate(header):
            column = column.strip()
            if column in TABLE_COLUMNS:
                columns.append((column, column))
            elif column.startswith("expect."):
                key = column.removeprefix("expect.")
                if key not in expect_keys and not (key.startswith("scores.") and len(key) > 7):
                    close = difflib.get_close_matches(key, expect_keys + ["scores.<block>"], n=1, cutoff=0.6)
                    self.problem(f"unknown expectation column `{column}` (column {index + 1})",
                                 header_span(text, header, index), path=path, text=text,
                                 help=f"did you mean `expect.{close[0]}`?" if close
                                 else "expectation columns: " + ", ".join(f"`expect.{k}`" for k in expect_keys)
                                 + ", `expect.scores.<block>`")
                columns.append(("expect", key))
            elif column == "":
                self.problem(f"column {index + 1} of the header has no name", line_span(text, 1),
                             path=path, text=text)
                columns.append(("skip", ""))
            else:
                self.check_lead_column(column, header_span(text, header, index), path, text)
                columns.append(("lead", column))
        if not any(kind == "expect" for kind, _ in columns):
            self.problem(f"case table `{path}` has no `expect.*` columns: it would test nothing",
                         line_span(text, 1), path=path, text=text,
                         help="add e.g. `expect.tier` and `expect.route` columns")
        if len(self.problems) > before:
            return []
        items: list[TestItem] = []
        row_index = -1
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                self.problem(f"invalid CSV: {error}", line_span(text, reader.line_num), path=path, text=text)
                return items
            if not any(cell.strip() for cell in row):
                continue
            row_index += 1
            where = line_span(text, start)
            if row_index >= MAX_CASES:
                self.problem(f"case table `{path}` has more than {MAX_CASES} rows", where, path=path, text=text,
                             help="split it into several tables")
                return items
            if len(row) != len(header):
                self.problem(f"row has {len(row)} cells but the header has {len(header)}", where,
                             path=path, text=text)
                continue
            lead: dict[str, Any] = {}
            expectations: list[Expectation] = []
            gaps = len(self.gaps)
            expect_columns: list[tuple[str, int]] = []
            label = ""
            as_of = suite_as_of
            for index, ((kind, key), cell) in enumerate(zip(columns, row)):
                if kind == "name":
                    label = cell.strip()
                elif kind == "as_of":
                    if cell.strip():
                        try:
                            as_of = normalize_as_of(cell)
                        except (ValueError, OverflowError):
                            self.problem(f"`as_of` must be a date or an ISO 8601 datetime, not `{cell}`",
                                         where, path=path, text=text)
                            as_of = None
                elif kind == "expect":
                    expect_columns.append((key, index))
                    if cell.strip() == "":
                        continue
                    expectations.extend(self.cell(key, cell.strip(), where, path, text))
                elif kind == "lead" and cell != "":
                    set_path(lead, key, cell_value(cell))
            row_gaps = tuple(self.gaps[gaps:])
            if not expectations and not row_gaps and len(self.problems) == before:
                self.problem("row has no expectations (every `expect.*` cell is empty)", where,
                             path=path, text=text)
            if len(self.problems) > before or as_of is None:
                continue
            test_name = f"{Path(path).name}:{start}" + (f" {label}" if label else "")
            items.append(TestItem(self.path, test_name, path, where, lead, as_of, tuple(expectations),
                                  TableOrigin(path, row_index, tuple(expect_columns)), row_gaps))
        return items

    def check_lead_column(self, column: str, span: Span, path: str, text: str) -> None:
        """A lead column the policy's schema does not know is a typo (`Lead Sorce`):
        its values would silently never reach a rule."""
        assert self.policy is not None
        schema = self.policy.schema
        if schema is None or column == "id" or column in schema:
            return
        if any(field.startswith(column + ".") for field in schema):
            return  # a whole object in one cell, as JSON
        fields = list(schema)
        folded = {f.casefold(): f for f in fields}
        close = [folded[column.casefold()]] if column.casefold() in folded else \
            difflib.get_close_matches(column, fields, n=1, cutoff=0.6)
        self.problem(f"lead column `{column}` is not a field of policy `{self.policy.name}`", span,
                     path=path, text=text,
                     help=f"did you mean `{close[0]}`?" if close else
                     "lead columns are schema fields: " + ", ".join(f"`{f}`" for f in fields[:12])
                     + (", ..." if len(fields) > 12 else ""))

    def cell(self, key: str, cell: str, where: Span, path: str, text: str) -> list[Expectation]:
        """A table cell: lists are `;`-separated, `null` is no tier/route."""
        if key in ("reasons", "warnings", "fired", "not_fired"):
            parts = [p.strip() for p in cell.split(";") if p.strip()]
            if cell.casefold() == "none" and key in ("reasons", "warnings"):
                return self.expect_one(key, None, where, where, path=path, text=text)
            out = []
            for part in parts:
                out.extend(self.expect_one(key, part, where, where, path=path, text=text))
            return out
        if key in ("tier", "route") and cell == "null":
            return self.expect_one(key, None, where, where, path=path, text=text)
        return self.expect_one(key, cell, where, where, path=path, text=text)


_NO_LEAD = object()


def read_user_file(path: str, limit: int, what: str) -> str:
    """A file a suite names, read safely (source.read_text_file); LeadFileError
    with the path and the reason otherwise."""
    try:
        return read_text_file(path, limit, what)
    except UnreadableFile as error:
        raise LeadFileError(f"{path}: {error}") from None


def load_suite(path: str, cache: PolicyCache | None = None) -> Suite:
    """Read a suite file and its tables; problems are collected, never raised."""
    cache = cache or PolicyCache()
    try:
        text = read_text_file(path, MAX_SUITE_BYTES, "a test suite")
    except UnreadableFile as error:
        return Suite(path, None, None, (), (Diagnostic.error(str(error), path),), ())
    return _Reader(path, text, cache).read()


# ------------------------------------------------------------------ values


def parse_number(value: Any) -> tuple[NumberExpectation | None, str]:
    """`50`, `"~38.4"`, `"30..60"`, `{approx: 38.4, tolerance: 0.5}`, `{min: 30, max: 60}`."""
    def number(x: Any) -> float | None:
        if isinstance(x, bool):
            return None
        if isinstance(x, (int, float)):
            try:
                return float(x) if math.isfinite(x) else None
            except OverflowError:  # an int beyond any float (a 400-digit score)
                return None
        if isinstance(x, str):
            try:
                parsed = float(x.strip())
            except ValueError:
                return None
            return parsed if math.isfinite(parsed) else None
        return None

    usage = ("a score is a number (`50`), approximate (`~38.4` or `{approx: 38.4, tolerance: 0.5}`) "
             "or a range (`30..60`, `80..`, or `{min: 30, max: 60}`)")
    if isinstance(value, dict):
        keys = set(value)
        if keys <= {"approx", "tolerance"} and "approx" in keys:
            center = number(value["approx"])
            tolerance = number(value.get("tolerance", APPROX_TOLERANCE))
            if center is None or tolerance is None or tolerance < 0:
                return None, f"bad approximate score `{dict(value)}`: {usage}"
            return NumberExpectation("approx", center, tolerance), ""
        if keys and keys <= {"min", "max"}:
            low = number(value["min"]) if "min" in value else None
            high = number(value["max"]) if "max" in value else None
            if ("min" in value and low is None) or ("max" in value and high is None) or (
                low is not None and high is not None and low > high
            ):
                return None, f"bad score range `{dict(value)}`: {usage}"
            return NumberExpectation("range", low=low, high=high), ""
        return None, f"unknown score form `{dict(value)}`: {usage}"
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("~"):
            center = number(text[1:])
            if center is not None:
                return NumberExpectation("approx", center), ""
        elif ".." in text:
            left, _, right = text.partition("..")
            low = number(left) if left.strip() else None
            high = number(right) if right.strip() else None
            if (left.strip() and low is None) or (right.strip() and high is None) or (
                low is None and high is None
            ) or (low is not None and high is not None and low > high):
                return None, f"bad score range `{text}`: {usage}"
            return NumberExpectation("range", low=low, high=high), ""
    exact = number(value)
    if exact is None:
        return None, f"`{value}` is not a score: {usage}"
    return NumberExpectation("exact", exact), ""


def plain(value: Any) -> Any:
    """YAML data as the JSON a lead file would hold: dates become ISO text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat() + "Z"
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def cell_value(cell: str) -> Any:
    """A table cell as a lead value: JSON lists/objects (tech stacks, events)
    are parsed; everything else stays text for the schema to coerce."""
    stripped = cell.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except (json.JSONDecodeError, RecursionError, ValueError):  # ValueError: a 5,000-digit int
            return cell
    return cell


def set_path(lead: dict[str, Any], dotted: str, value: Any) -> None:
    """`company.employees` -> lead["company"]["employees"]."""
    parts = dotted.split(".")
    target = lead
    for part in parts[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
    target[parts[-1]] = value


def header_span(text: str, header: list[str], index: int) -> Span:
    """The span of one header cell, when the header is plain (no quoting)."""
    first = text.splitlines()[0] if text else ""
    if first.split(",") != header:
        return line_span(text, 1)
    start = sum(len(cell) + 1 for cell in header[:index])
    return Span(start, start + len(header[index]), 1, start + 1, 1, start + len(header[index]) + 1)


def line_span(text: str, line: int) -> Span:
    lines = text.splitlines()
    width = len(lines[line - 1]) if 1 <= line <= len(lines) else 0
    return Span(0, 0, line, 1, line, width + 1)


def as_of_label(moment: dt.datetime) -> str:
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

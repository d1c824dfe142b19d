"""Reports of a run: pytest-like text, JSON, GitHub annotations, JUnit XML.

The text report is what a person reads: one line per suite with a mark per
test, then every failure with the file and line of the expectation, expected
vs actual, and the decision's rule ledger, so nobody reruns anything to see
why. It ends with `N passed, M failed`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic
from ..explain import explain
from ..render import render_all_text
from .cases import Suite, as_of_label
from .runner import Coverage, Outcome, Run

WIDTH = 80


def _style(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _rule(title: str, char: str = "=") -> str:
    title = f" {title} "
    left = max((WIDTH - len(title)) // 2, 3)
    right = max(WIDTH - len(title) - left, 3)
    return char * left + title + char * right


def summary(run: Run) -> str:
    """The last line: `N passed, M failed` (and errors, when a suite could not run)."""
    text = f"{run.passed} passed, {run.failed} failed"
    if run.errors:
        text += f", {run.errors} error{'s' if run.errors != 1 else ''}"
    return text


def problems_of(suite: Suite) -> tuple[Diagnostic, ...]:
    return suite.problems + suite.policy_problems


def failure_lines(outcome: Outcome) -> list[str]:
    lines = [f"{d.path}:{d.span.line}: error: {d.message}" + (f" ({d.help})" if d.help else "")
             for d in outcome.errors]
    return lines + [
        f"{m.expectation.path}:{m.expectation.span.line}: {m.message}" for m in outcome.mismatches
    ]


def render_text(run: Run, *, coverage: bool = False, min_coverage: float | None = None,
                color: bool = False) -> str:
    """The pytest-like report, ending with the summary line."""
    out: list[str] = []
    outcomes_by_suite: dict[str, list[Outcome]] = {}
    for outcome in run.outcomes:
        outcomes_by_suite.setdefault(outcome.item.suite, []).append(outcome)
    for suite in run.suites:
        if not suite.ok:
            out.append(f"{suite.path} {_style('E', '1;31', color)}")
            continue
        marks = "".join(
            _style(".", "32", color) if o.passed else _style("F", "1;31", color)
            for o in outcomes_by_suite.get(suite.path, [])
        )
        out.append(f"{suite.path} {marks}")
    broken = [s for s in run.suites if not s.ok]
    if broken:
        out += ["", _rule("ERRORS")]
        for suite in broken:
            out.append(_rule(f"could not run {suite.path}", "_"))
            if suite.policy_problems:
                out.append(f"policy {suite.policy_path} does not compile:")
            out.append(render_all_text(problems_of(suite), color=color))
    failures = [o for o in run.outcomes if not o.passed]
    if failures:
        out += ["", _rule("FAILURES")]
        for outcome in failures:
            out.append(_rule(outcome.item.id, "_"))
            out += failure_lines(outcome)
            policy = next(s.policy for s in run.suites if s.path == outcome.item.suite)
            out.append("")
            out += ["    " + line if line else "" for line in explain(outcome.decision, policy).splitlines()]
            out.append("")
    if coverage or min_coverage is not None:
        out += ["", render_coverage(run.coverage, min_coverage)]
    # The final line is the bare summary, for people and scripts that read the tail.
    good = not (run.failed or run.errors or below(run.coverage, min_coverage))
    out += ["", _style(summary(run), "1;32" if good else "1;31", color)]
    return "\n".join(out)


def render_coverage(coverage: Sequence[Coverage], min_coverage: float | None = None) -> str:
    out = [_rule("decision coverage")]
    for item in coverage:
        out.append(f"{item.policy} ({item.path}): {item.covered}/{item.items} = {item.percent:.1f}%")
        for label, missing in (
            ("rules never fired", item.rules_never_fired),
            ("ICP statements never failed a lead", item.icp_never_failed),
            ("tiers never reached", item.tiers_never_reached),
            ("routes never reached", item.routes_never_reached),
        ):
            if missing:
                out.append(f"  {label}:")
                out += [f"    {name}" for name in missing]
    out.append("(items: rules fired + ICP statements failed + tiers reached + routes reached; "
               "percent = covered / items)")
    for item in below(coverage, min_coverage):
        out.append(f"coverage of {item.policy} is {item.percent:.1f}%, below --min-coverage {min_coverage:g}")
    return "\n".join(out)


def below(coverage: Sequence[Coverage], min_coverage: float | None) -> list[Coverage]:
    if min_coverage is None:
        return []
    # Round like the report does, so "100.0%" never fails a 100 threshold by a hair.
    return [c for c in coverage if round(c.percent, 6) < min_coverage]


# -------------------------------------------------------------------- JSON


def coverage_dict(item: Coverage) -> dict[str, Any]:
    return {
        "policy": item.policy, "path": item.path, "items": item.items, "covered": item.covered,
        "percent": round(item.percent, 2),
        "rules_never_fired": list(item.rules_never_fired),
        "icp_never_failed": list(item.icp_never_failed),
        "tiers_never_reached": list(item.tiers_never_reached),
        "routes_never_reached": list(item.routes_never_reached),
    }


def render_json(run: Run, *, coverage: bool = False) -> str:
    tests = []
    for outcome in run.outcomes:
        item = outcome.item
        tests.append({
            "id": item.id, "suite": item.suite, "name": item.name, "file": item.path,
            "line": item.span.line, "as_of": outcome.decision.as_of,
            "outcome": "passed" if outcome.passed else "failed",
            "failures": [
                {"file": m.expectation.path, "line": m.expectation.span.line, "key": m.expectation.key,
                 "expected": m.expected, "actual": m.actual, "message": m.message}
                for m in outcome.mismatches
            ],
            "errors": [d.to_dict() for d in outcome.errors],
            "decision": outcome.decision.to_dict(),
        })
    data: dict[str, Any] = {
        "passed": run.passed, "failed": run.failed, "errors": run.errors, "tests": tests,
        "problems": [d.to_dict() for s in run.suites for d in problems_of(s)],
    }
    if coverage:
        data["coverage"] = [coverage_dict(c) for c in run.coverage]
    return json.dumps(data, indent=2, ensure_ascii=False)


# ------------------------------------------------------------------ GitHub


def _property(value: str) -> str:
    return (value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace(":", "%3A").replace(",", "%2C"))


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(run: Run, *, min_coverage: float | None = None) -> str:
    """`::error file=...,line=...::` for each failing expectation and each problem."""
    from ..render import render_github as render_problems

    out = []
    problems = [d for s in run.suites for d in problems_of(s)]
    if problems:
        out.append(render_problems(problems))
    for outcome in run.outcomes:
        if outcome.errors:
            out.append(render_problems(list(outcome.errors)))
        for m in outcome.mismatches:
            title = f"qualdsl test: {outcome.item.name}"
            out.append(f"::error file={_property(m.expectation.path)},line={m.expectation.span.line},"
                       f"title={_property(title)}::{_data(m.message)}")
    for item in below(run.coverage, min_coverage):
        out.append(f"::error file={_property(item.path)},line=1,title=qualdsl test coverage::"
                   f"{_data(f'decision coverage {item.percent:.1f}% is below {min_coverage:g}%')}")
    return "\n".join(out)


# --------------------------------------------------------------- JUnit XML

# Characters XML 1.0 cannot hold at all: lead data may carry them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def classname(suite_path: str) -> str:
    """`policies/saas_inbound.test.yaml` -> `policies.saas_inbound`: CI tools
    (GitLab's "Suite" column, Jenkins' package.class) key tests on it."""
    path = Path(suite_path).as_posix()
    for suffix in (".test.yaml", ".test.yml"):
        path = path.removesuffix(suffix)
    return path.strip("./").replace("/", ".") or path


JUNIT_FAMILIES = ("xunit2", "xunit1")


def render_junit(run: Run, family: str = "xunit2") -> str:
    """One <testsuite> per suite file, one <testcase> per test, a <failure> per
    failing test, an <error> for a test whose expectation names what the
    policy lacks and for a suite that could not run.

    `family` as pytest's junit_family: xunit2 (the default) validates against
    Jenkins' junit-10.xsd, which has no `file` or `line` on <testcase>;
    xunit1 adds them (some reporting actions annotate lines with them)."""
    if family not in JUNIT_FAMILIES:
        raise ValueError(f"unknown JUnit family `{family}`")
    located = family == "xunit1"
    root = ET.Element("testsuites", name="qualdsl test")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}

    def testcase(parent: ET.Element, suite: str, name: str, path: str, line: int, seconds: str) -> ET.Element:
        attributes = {"classname": _xml(classname(suite)), "name": _xml(name)}
        if located:
            attributes.update(file=_xml(path), line=str(line))
        attributes["time"] = seconds
        return ET.SubElement(parent, "testcase", attributes)

    for suite in run.suites:
        outcomes = [o for o in run.outcomes if o.item.suite == suite.path]
        element = ET.SubElement(root, "testsuite", name=_xml(suite.path))
        failures = sum(1 for o in outcomes if o.mismatches and not o.errors)
        errors = sum(1 for o in outcomes if o.errors) + (0 if suite.ok else 1)
        seconds = sum(o.seconds for o in outcomes)
        tests = len(outcomes) + (0 if suite.ok else 1)
        for outcome in outcomes:
            item = outcome.item
            line = (outcome.errors[0].span.line if outcome.errors
                    else outcome.mismatches[0].expectation.span.line if outcome.mismatches else item.span.line)
            case = testcase(element, suite.path, item.name, item.path, line, f"{outcome.seconds:.6f}")
            if outcome.errors:
                first = outcome.errors[0]
                error = ET.SubElement(case, "error", message=_xml(first.message), type="policy")
                error.text = _xml("\n".join(failure_lines(outcome)))
            elif outcome.mismatches:
                message = outcome.mismatches[0].message
                if len(outcome.mismatches) > 1:
                    message += f" (and {len(outcome.mismatches) - 1} more)"
                body = "\n".join(failure_lines(outcome)) + "\n\n" + explain(outcome.decision, suite.policy)
                failure = ET.SubElement(case, "failure", message=_xml(message), type="expectation")
                failure.text = _xml(body)
        if not suite.ok:
            problems = problems_of(suite)
            case = testcase(element, suite.path, "(suite could not run)", suite.path,
                            problems[0].span.line if problems else 1, "0")
            first = problems[0] if problems else None
            message = f"{first.path}:{first.span.line}: {first.message}" if first else "suite could not run"
            error = ET.SubElement(case, "error", message=_xml(message),
                                  type="policy" if suite.policy_problems else "suite")
            error.text = _xml(render_all_text(problems))
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", str(errors))
        element.set("skipped", "0")
        element.set("time", f"{seconds:.6f}")
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
        totals["time"] += seconds
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", f"{totals['time']:.6f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def as_of_text(outcome: Outcome) -> str:
    return as_of_label(outcome.item.as_of)

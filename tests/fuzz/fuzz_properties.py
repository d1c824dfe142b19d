"""What must hold for any input: shared by the hypothesis tests and the
atheris harnesses in fuzz/. Each check raises AssertionError (or lets an
unexpected exception out) when a promise breaks."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import qualdsl
from qualdsl.build import parse_module
from qualdsl.fmt import format_source
from qualdsl.lint.engine import lint_policy
from qualdsl.render import render_json, render_text
from qualdsl.source import Source

# Diagnostics are capped (issue 13: a 25 KB policy once wrote 188 MB of them).
MAX_RENDERED = 2 * 1024 * 1024


def _no_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: {name}")


def strict_json(text: str) -> Any:
    """Parse like a strict consumer: NaN and Infinity are errors."""
    return json.loads(text, parse_constant=_no_constant)


def check_error(error: qualdsl.QualError, text: str | None) -> None:
    """A QualError carries diagnostics, and they render as text and JSON."""
    assert error.diagnostics, f"QualError without diagnostics: {error!r}"
    rendered = 0
    for diagnostic in error.diagnostics:
        assert diagnostic.message, diagnostic
        assert diagnostic.span.line >= 0 and diagnostic.span.column >= 0, diagnostic
        shown = render_text(diagnostic, source_text=text)
        assert isinstance(shown, str) and shown
        rendered += len(shown)
    strict_json(render_json(error.diagnostics))
    str(error)
    assert rendered < MAX_RENDERED, f"{rendered} characters of diagnostics for {len(text or '')} of text"


def check_fmt(text: str, path: str) -> str | None:
    """`fmt` refuses (QualError) or gives text that parses to the same AST and
    formats to itself. Returns the formatted text, or None when refused."""
    source = Source(text, path)
    try:
        formatted = format_source(source)
    except qualdsl.QualError as error:
        check_error(error, text)
        return None
    assert parse_module(Source(formatted, path)) == parse_module(source), "fmt changed the AST"
    assert format_source(Source(formatted, path)) == formatted, "fmt is not idempotent"
    return formatted


def check_policy_text(text: str | bytes, path: Path | str | None = None) -> qualdsl.Policy | None:
    """`loads` raises QualError with diagnostics that render, or returns a Policy
    that lint and fmt handle. Returns the Policy (None when refused)."""
    try:
        policy = qualdsl.loads(text, path=path)
    except qualdsl.QualError as error:
        check_error(error, text if isinstance(text, str) else None)
        policy = None
    if isinstance(text, str):
        if policy is not None:
            findings = lint_policy(policy.checked)
            for finding in findings:
                render_text(finding, source_text=text)
        check_fmt(text, str(path) if path is not None else "<string>")
    return policy


def schema_fields(policy: qualdsl.Policy) -> tuple[str, ...]:
    return tuple(policy.schema or ())


def check_lead(policy: qualdsl.Policy, lead: Any, as_of: dt.datetime | dt.date | str) -> qualdsl.Decision:
    """evaluate returns a Decision whose JSON parses strictly, the same as
    evaluate_many's and the same the second time."""
    decision = policy.evaluate(lead, as_of=as_of)
    assert isinstance(decision, qualdsl.Decision), type(decision)
    data = strict_json(decision.to_json())
    assert data["policy"] == policy.name
    assert isinstance(data["scores"]["total"], (int, float))
    assert list(policy.evaluate_many([lead], as_of=as_of)) == [decision], "evaluate_many differs from evaluate"
    assert policy.evaluate(lead, as_of=as_of) == decision, "a second evaluation differs"
    assert isinstance(decision.explain(), str)
    check_flat_row(policy, lead, as_of, decision)
    return decision


def check_flat_row(policy: qualdsl.Policy, lead: Any, as_of: dt.datetime | dt.date | str,
                   decision: qualdsl.Decision) -> None:
    """The flat output row the evaluate function writes itself (given the
    policy's hash: what `score` writes to CSV and Parquet) is the row the
    encoder makes of the Decision; it falls back to the Decision only when a
    number is not finite."""
    from qualdsl.api import format_as_of, normalize_as_of
    from qualdsl.batch.outputs import FlatRows

    moment = normalize_as_of(as_of)
    made = policy.compiled.function(lead, moment, format_as_of(moment), policy.hash)
    encoder = FlatRows(policy.blocks, policy.hash)
    assert repr(encoder.row(made)) == repr(encoder.row(decision)), "the flat row differs from the Decision's"
    numbers = [*decision.scores.values(), *(rule.points for rule in decision.rules)]
    if not all(math.isfinite(number) for number in numbers):
        assert type(made) is not tuple, "a number that is not finite must take the Decision's path"
    elif math.isfinite(math.fsum(abs(number) for number in numbers) * 2):  # the check's sum cannot overflow
        assert type(made) is tuple, "every number is finite, yet the flat row was not made"

"""Amplification: a small policy must not produce huge diagnostics (issue 13,
"Amplification and slowness"; "Text fidelity": form feeds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import qualdsl
from qualdsl.check import MAX_CHECK_ERRORS
from qualdsl.cli import cli
from qualdsl.diagnostics import Severity
from qualdsl.errors import QualError
from qualdsl.render import MAX_LINE_SHOWN, render_all_text


def unknown_names(count: int) -> str:
    condition = " or ".join(f"nope{i} > 1" for i in range(count))
    return f"policy p\nschema {{ id: string }}\nscore fit {{\n  rule r +1 when {condition}\n}}\n"


def test_amplification_5000_unknown_names_on_one_line_are_capped(tmp_path: Path) -> None:
    with pytest.raises(QualError) as caught:
        qualdsl.loads(unknown_names(5000))
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) == MAX_CHECK_ERRORS + 1
    assert [d.message for d in diagnostics[:2]] == [
        "unknown name `nope0`: not a schema field, let or set", "unknown name `nope1`: not a schema field, let or set"]
    note = diagnostics[-1]
    assert note.severity is Severity.INFO
    assert note.message == f"{5000 - MAX_CHECK_ERRORS:,} more errors not shown (the first {MAX_CHECK_ERRORS} are)"
    # 25 KB of policy: the report stays small (it was 590 MB).
    assert len(render_all_text(diagnostics)) < 60_000

    policy = tmp_path / "p.qual"
    policy.write_text(unknown_names(5000), encoding="utf-8")
    for command in ("check", "lint"):
        result = CliRunner().invoke(cli, ["--color", "never", command, str(policy)])
        assert result.exit_code == 1, result.output
        assert len(result.output) < 60_000
        assert "4,900 more errors not shown" in result.stderr + result.stdout
    checked = CliRunner().invoke(cli, ["--color", "never", "check", str(policy)])
    assert checked.stderr.endswith("100 errors in 1 policy\n")


def test_amplification_a_huge_line_is_shown_as_a_window_around_the_span() -> None:
    with pytest.raises(QualError) as caught:
        qualdsl.loads(unknown_names(300))
    far = next(d for d in caught.value.diagnostics if d.message.startswith("unknown name `nope90`"))
    shown = render_all_text([far]).splitlines()
    line, caret = shown[2], shown[3]
    assert len(line) <= MAX_LINE_SHOWN + 20
    assert line.startswith("4 | …") and line.endswith("…")
    # The caret still sits under the name.
    column = caret.index("^")
    assert line[column:column + len("nope90")] == "nope90"
    assert caret.count("^") == len("nope90")


def test_amplification_few_errors_are_not_capped() -> None:
    with pytest.raises(QualError) as caught:
        qualdsl.loads(unknown_names(3))
    assert len(caught.value.diagnostics) == 3
    assert all(d.severity is Severity.ERROR for d in caught.value.diagnostics)


def test_text_fidelity_form_feed_in_a_comment_keeps_the_line_shown() -> None:
    text = "policy p\n# page\x0cbreak\nschema { id: string }\nscore fit {\n  rule r +1 when nope > 1\n}\n"
    with pytest.raises(QualError) as caught:
        qualdsl.loads(text)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span.line == 5
    shown = render_all_text([diagnostic]).splitlines()
    assert shown[2] == "5 |   rule r +1 when nope > 1"
    assert shown[3].index("^") == shown[2].index("nope") and shown[3].count("^") == 4


def test_text_fidelity_line_separator_in_a_string_keeps_the_line_shown() -> None:
    text = 'policy p "a\u2028b"\nschema { id: string }\nscore fit {\n  rule r +1 when nope > 1\n}\n'
    with pytest.raises(QualError) as caught:
        qualdsl.loads(text)
    shown = render_all_text(caught.value.diagnostics).splitlines()
    assert shown[2] == "4 |   rule r +1 when nope > 1"


def test_missing_include_cascades_are_suppressed(tmp_path: Path) -> None:
    # The set the missing file would have defined is not reported as unknown
    # (with a misleading did-you-mean): only the include is.
    policy = tmp_path / "p.qual"
    policy.write_text('policy p\ninclude "missing.qual"\nschema { person.email: string }\n'
                      'icp { reject domain(person.email) in free_mail as "free" }\n', encoding="utf-8")
    with pytest.raises(QualError) as caught:
        qualdsl.load(policy)
    assert [(d.span.line, d.message) for d in caught.value.diagnostics] == [
        (2, "include `missing.qual`: no such file")]

"""Each rule on its fixture: the reported lines are exactly the marked ones,
and the rendered diagnostics match the snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualdsl.lint import lint_file
from qualdsl.lint.config import config_for
from qualdsl.render import render_all_text

from .helpers import FIXTURES, expected, fixture_files

FILES = fixture_files()


def lint_fixture(path: Path, monkeypatch: pytest.MonkeyPatch):
    # Lint from the fixtures directory so paths in the output are just names;
    # the configuration (forbidden fields) is found next to the fixtures.
    monkeypatch.chdir(FIXTURES)
    return lint_file(path.name, config_for(path.name, None, {}))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_findings_are_on_the_marked_lines(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = lint_fixture(path, monkeypatch)
    assert result.compiled, render_all_text(result.diagnostics)
    found = {(d.span.line, d.code) for d in result.diagnostics}
    assert found == expected(path), render_all_text(result.diagnostics)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_rendered_findings(path: Path, monkeypatch: pytest.MonkeyPatch, snapshot) -> None:
    result = lint_fixture(path, monkeypatch)
    assert render_all_text(result.diagnostics) == snapshot


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_finding_says_how_to_fix_it(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for diagnostic in lint_fixture(path, monkeypatch).diagnostics:
        assert diagnostic.help, diagnostic
        assert diagnostic.message[0].islower() or diagnostic.message[0] in "`", diagnostic.message


def test_bundled_policies_lint_clean(policies_dir: Path) -> None:
    from qualdsl.cli import expand_policy_paths

    files = expand_policy_paths([str(policies_dir)]) if policies_dir.is_dir() else []
    if not files:
        pytest.skip("no bundled policies yet")
    warnings = []
    for path in files:
        result = lint_file(path)
        assert result.compiled, render_all_text(result.diagnostics)
        warnings += [d for d in result.diagnostics if d.severity.value != "info"]
    assert warnings == [], render_all_text(warnings)

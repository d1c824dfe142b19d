"""The docs' policy examples compile, and the README's commands are real."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qualdsl

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"```qualdsl\n(.*?)```", re.S)


def _blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((path.name, line, match.group(1)))
    return found


BUNDLED = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "policies").rglob("*.qual")))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("doc,line,block", _blocks(), ids=lambda v: str(v)[:40])
def test_policy_examples_compile(doc: str, line: int, block: str) -> None:
    """A complete example compiles; a fragment either compiles under a bare
    `policy` line or is quoted from a bundled policy."""
    stripped = re.sub(r"^(\s*#.*\n)*", "", block)
    if stripped.startswith("policy ") and "..." not in block:
        if "include " in block:
            pytest.skip("example includes a file that is not beside it")
        qualdsl.loads(block, name=f"{doc}:{line}")
        return
    try:
        qualdsl.loads("policy doc\n" + block, name=f"{doc}:{line}")
    except qualdsl.QualError:
        lines = [text for text in block.splitlines() if text.strip() and not text.strip().startswith("#")]
        missing = [text for text in lines if _normalise(text) not in _normalise(BUNDLED)]
        assert not missing, f"{doc}:{line}: fragment neither compiles nor is quoted from policies/: {missing}"


def test_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands = re.findall(r"^make (\w+)", readme, re.M)
    assert commands == ["demo", "test"]
    for target in commands:
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_every_doc_link_resolves() -> None:
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_cli_doc_shows_the_real_explanation() -> None:
    """docs/cli.md quotes `qualdsl explain` on the bundled demo lead verbatim."""
    import json

    from qualdsl.explain import explain

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    quoted = text.split("--as-of 2026-11-01`):\n\n```\n", 1)[1].split("\n```", 1)[0]
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    lead = json.loads((ROOT / "policies" / "saas_inbound.lead.json").read_text(encoding="utf-8"))
    assert explain(policy.evaluate(lead, as_of="2026-11-01"), policy) == quoted


def test_builtin_functions_section_is_generated_from_the_table() -> None:
    from qualdsl.functions import markdown_table

    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    assert markdown_table() in text

"""docs/api.md "Loading policies": its example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_loading_example_runs() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = text.split("## Loading policies\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "docs/api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert "policy" in namespace  # it ran to the end (its asserts hold)


def test_cli_doc_limits_match_the_code() -> None:
    from qualdsl.leads import MAX_LEADS_BYTES
    from qualdsl.lint.config import MAX_CONFIG_BYTES
    from qualdsl.source import MAX_SOURCE_BYTES
    from qualdsl.testing.cases import MAX_CASES, MAX_SUITE_BYTES
    from qualdsl.testing.yamlsource import MAX_ALIAS_NODES, MAX_DEPTH

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"| a policy, an include, a policy on stdin | {MAX_SOURCE_BYTES >> 20} MiB |" in text
    assert f"| a lint configuration (`qualdsl.toml`, `pyproject.toml`) | {MAX_CONFIG_BYTES >> 20} MiB |" in text
    assert f"| a test suite, a case table | {MAX_SUITE_BYTES >> 20} MiB, and at most {MAX_CASES:,} cases" in text
    assert f"| a leads file | {MAX_LEADS_BYTES >> 20} MiB |" in text
    assert f"may nest at most\n{MAX_DEPTH} levels" in text and f"at most {MAX_ALIAS_NODES:,} values" in text

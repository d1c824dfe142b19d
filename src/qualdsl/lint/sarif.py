"""SARIF 2.1.0 output, as GitHub code scanning accepts it.

One run; the driver lists every lint rule (and QD000) with its
documentation; each result names its rule by `ruleId` and `ruleIndex`, has
a `level` (error, warning, note), a message, and one physical location with
a region (1-based lines and columns, counted in Unicode code points).
Relative paths are kept relative to `%SRCROOT%` (the repository root when
run from it), so GitHub can place the alert on the file. Fingerprints are
left to `github/codeql-action/upload-sarif`, which computes them from the
file when missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .. import __version__
from ..diagnostics import Diagnostic
from .registry import COMPILE_ERROR, LintRule, load_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/qualdsl/qualdsl/blob/main/docs/lint-rules.md"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _descriptor(rule: LintRule) -> dict[str, object]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": f"{INFORMATION_URI}#{rule.code.lower()}-{rule.name}",
        "defaultConfiguration": {"level": LEVELS[rule.level.value]},
        "properties": {"tags": ["qualdsl", "lead-qualification"]},
    }


def artifact_uri(path: str) -> tuple[str, str | None]:
    """A relative URI (with `%SRCROOT%`) when the file is under the working
    directory, else an absolute file URI."""
    if path.startswith("<"):
        return path, None
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path(os.getcwd()).resolve())
        except ValueError:
            return candidate.as_uri(), None
    return str(PurePosixPath(*candidate.parts)), "%SRCROOT%"


def sarif_log(diagnostics: Iterable[Diagnostic]) -> dict[str, object]:
    rules = [COMPILE_ERROR, *load_rules().values()]
    index = {rule.code: position for position, rule in enumerate(rules)}
    results = []
    for d in diagnostics:
        code = d.code or COMPILE_ERROR.code
        uri, base = artifact_uri(d.path)
        location: dict[str, object] = {"uri": uri}
        if base:
            location["uriBaseId"] = base
        region = {
            "startLine": max(d.span.line, 1),
            "startColumn": max(d.span.column, 1),
            "endLine": max(d.span.end_line, d.span.line, 1),
            "endColumn": max(d.span.end_column, 1),
        }
        if region["endLine"] == region["startLine"] and region["endColumn"] <= region["startColumn"]:
            region["endColumn"] = region["startColumn"] + 1
        text = d.message + (f"\nhelp: {d.help}" if d.help else "")
        result: dict[str, object] = {
            "ruleId": code,
            "level": LEVELS[d.severity.value],
            "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": location, "region": region}}],
        }
        if code in index:
            result["ruleIndex"] = index[code]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "qualdsl",
                "semanticVersion": __version__,
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


def render_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    """The SARIF document as JSON text."""
    return json.dumps(sarif_log(diagnostics), indent=2, ensure_ascii=False)

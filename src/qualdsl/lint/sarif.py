"""SARIF 2.1.0 output, as GitHub code scanning accepts it.

One run; the driver lists every lint rule (and QD000) with its
documentation; each result names its rule by `ruleId` and `ruleIndex`, has
a `level` (error, warning, note), a message, and one physical location with
a region (1-based lines and columns, counted in Unicode code points).
Relative paths are kept relative to `%SRCROOT%` (the repository root when
run from it), so GitHub can place the alert on the file. Each result has a
`partialFingerprints` entry computed from the rule, the file, the message
and the text of the flagged line (not its number), so an alert keeps its
identity when lines move and code scanning does not duplicate it.
Compile errors are reported under their QE code, with a descriptor each.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from .. import __version__
from ..diagnostics import Diagnostic
from ..error_codes import CODES, CompileErrorCode
from .registry import COMPILE_ERROR, LintRule, load_rules

FINGERPRINT_KEY = "qualdsl/v1"

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/qualdsl/qualdsl/blob/main/docs/lint-rules.md"
COMPILE_ERRORS_URI = "https://github.com/qualdsl/qualdsl/blob/main/docs/compile-errors.md"
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


def _compile_error_descriptor(entry: CompileErrorCode) -> dict[str, object]:
    doc = entry.documentation()
    return {
        "id": entry.code,
        "name": entry.name,
        "shortDescription": {"text": entry.title},
        "fullDescription": {"text": entry.title},
        "help": {"text": doc, "markdown": doc},
        "helpUri": f"{COMPILE_ERRORS_URI}#{entry.code.lower()}-{entry.name}",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["qualdsl", "compile-error"]},
    }


def _identity(d: Diagnostic, code: str) -> tuple[str, str, str, str]:
    """Rule, file, message and the flagged line's text (not its number)."""
    lines = (d.source_text or "").split("\n")
    line = lines[d.span.line - 1].strip() if 1 <= d.span.line <= len(lines) else ""
    return (code, d.path, d.message, line)


def fingerprint(identity: tuple[str, ...], occurrence: int) -> str:
    """A stable identity; `occurrence` tells apart identical findings."""
    key = "\0".join((*identity, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


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
    diagnostics = list(diagnostics)
    rules = [COMPILE_ERROR, *load_rules().values()]
    descriptors = [_descriptor(rule) for rule in rules]
    used = sorted({d.code for d in diagnostics if d.code is not None and d.code in CODES})
    descriptors += [_compile_error_descriptor(CODES[code]) for code in used]
    index = {str(descriptor["id"]): position for position, descriptor in enumerate(descriptors)}
    results = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for d in diagnostics:
        code = d.code or COMPILE_ERROR.code
        identity = _identity(d, code)
        occurrence = seen[identity] = seen.get(identity, -1) + 1
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
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint(identity, occurrence)},
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
                "rules": descriptors,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


def render_sarif(diagnostics: Iterable[Diagnostic]) -> str:
    """The SARIF document as JSON text."""
    return json.dumps(sarif_log(diagnostics), indent=2, ensure_ascii=False)

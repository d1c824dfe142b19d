"""Lint configuration: `[tool.qualdsl.lint]` in pyproject.toml, or `[lint]` in
qualdsl.toml, found by walking up from the linted file.

```toml
[tool.qualdsl.lint]
select = ["QD1"]                 # codes or prefixes; default: every rule
ignore = ["QD109"]               # taken out of the selection
severity = { QD106 = "error" }   # change a rule's level: error, warning, info
forbidden-fields = ["Tags", "Lead Quality"]   # QD116
fail-on = "warning"              # the exit code's threshold
```

A bad file is reported with its line, and `qualdsl lint` exits 2.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import Diagnostic, Severity
from ..errors import QualError
from ..source import Source, Span, UnreadableFile, read_text_file
from .registry import COMPILE_ERROR, RULES, load_rules

# A configuration file is small; anything larger is not one (and is not read whole).
MAX_CONFIG_BYTES = 1024 * 1024

KEYS = ("select", "ignore", "severity", "forbidden-fields", "fail-on")
LEVELS = tuple(s.value for s in Severity)


class ConfigError(QualError):
    """The lint configuration (or a --select/--ignore code) is wrong."""


@attrs.frozen
class LintConfig:
    """Which rules run, at what level, and the forbidden fields."""

    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    forbidden_fields: tuple[tuple[str, ...], ...] = ()
    fail_on: Severity | None = None  # None: the command's default (warning)
    path: str | None = None  # the file it was read from

    def enabled(self, code: str) -> bool:
        selected = self.select is None or any(matches(code, s) for s in self.select)
        return selected and not any(matches(code, i) for i in self.ignore)

    def level(self, code: str, default: Severity) -> Severity:
        return dict(self.severity).get(code, default)


def matches(code: str, selector: str) -> bool:
    """A selector is `ALL`, a code (`QD101`) or a prefix of codes (`QD1`)."""
    selector = selector.strip().upper()
    return selector == "ALL" or code.upper().startswith(selector)


def known_selector(selector: str) -> bool:
    load_rules()
    return any(matches(code, selector) for code in RULES)


def parse_field_path(text: str) -> tuple[str, ...]:
    """`company.employees` -> (company, employees); backticks keep dots and spaces:
    ``company.`Annual Revenue` ``. A name with spaces needs no backticks: `Lead Quality`."""
    segments = re.findall(r"`([^`]*)`|([^.`]+)", text.strip())
    return tuple((quoted or plain).strip() for quoted, plain in segments)


# ============================================================== discovery


def find_config(start: Path) -> Path | None:
    """The nearest qualdsl.toml, or pyproject.toml with [tool.qualdsl.lint],
    in `start` (a file's directory) or above it."""
    directory = Path(os.path.realpath(start))  # Path.resolve() raises on a symlink loop
    if not directory.is_dir():
        directory = directory.parent
    for folder in (directory, *directory.parents):
        candidate = folder / "qualdsl.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_lint_table(pyproject):
            return pyproject
    return None


def _has_lint_table(pyproject: Path) -> bool:
    try:
        text = read_text_file(pyproject, MAX_CONFIG_BYTES)
    except UnreadableFile:
        return False
    # A cheap test first: most pyproject files do not mention qualdsl at all.
    return "qualdsl" in text and re.search(r"^\s*\[\s*tool\.qualdsl", text, re.MULTILINE) is not None


def load_config(path: Path) -> LintConfig:
    """Read and validate one configuration file; raise ConfigError with its line."""
    display = str(path)
    try:
        text = read_text_file(path, MAX_CONFIG_BYTES, "a configuration file")
    except UnreadableFile as problem:
        raise ConfigError([Diagnostic.error(f"cannot read lint configuration: {problem}", display)]) from None
    source = Source(text, display)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        message = str(problem)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        span = _span_at(source, int(found.group(1)), int(found.group(2))) if found else _span_at(source, 1, 1)
        raise ConfigError([Diagnostic.error(
            f"invalid TOML: {re.sub(r' ?[(]at line .*[)]', '', message)}", display, span, source_text=text,
        )]) from None
    if path.name == "pyproject.toml":
        table, section = data.get("tool", {}).get("qualdsl", {}).get("lint", {}), "tool.qualdsl.lint"
    else:
        table, section = data.get("lint", {}), "lint"
    return parse_config(table, source, section)


def parse_config(table: Any, source: Source, section: str) -> LintConfig:
    """Validate the `[lint]` table; every problem is reported, with its line."""
    load_rules()  # `severity` looks codes up in RULES even when no `select` has loaded them
    problems: list[Diagnostic] = []

    def problem(message: str, key: str, help: str | None = None, value: str | None = None) -> None:
        span = _locate(source, section, key, value)
        problems.append(Diagnostic.error(message, source.path, span, help=help, source_text=source.text))

    if not isinstance(table, dict):
        problem(f"`{section}` must be a table", section)
        raise ConfigError(problems)
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            problem(f"unknown lint setting `{key}`", key,
                    help=f"did you mean `{close[0]}`?" if close else f"settings are {', '.join(KEYS)}")

    def codes(key: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problem(f"`{key}` must be a list of rule codes", key, help=f'{key} = ["QD101", "QD2"]')
            return ()
        for code in value:
            if not known_selector(code):
                problem(f"`{key}` names no lint rule: `{code}`", key,
                        help="run `qualdsl rule` to list the codes", value=code)
        return tuple(v.upper() for v in value)

    select = codes("select")
    ignore = codes("ignore") or ()

    levels: list[tuple[str, Severity]] = []
    raw_levels = table.get("severity", {})
    if not isinstance(raw_levels, dict):
        problem("`severity` must be a table of code = level", "severity", help='severity = { QD106 = "error" }')
    else:
        for code, level in raw_levels.items():
            if code.upper() not in RULES:
                problem(f"`severity` names no lint rule: `{code}`", "severity", value=code,
                        help="give a full code such as `QD101`" if known_selector(code) else None)
            elif not isinstance(level, str) or level.lower() not in LEVELS:
                problem(f"`severity` of `{code}` must be one of {', '.join(LEVELS)}, not `{level}`",
                        "severity", value=code)
            else:
                levels.append((code.upper(), Severity(level.lower())))

    forbidden: list[tuple[str, ...]] = []
    raw_forbidden = table.get("forbidden-fields", [])
    if not isinstance(raw_forbidden, list) or not all(isinstance(v, str) and v.strip() for v in raw_forbidden):
        problem("`forbidden-fields` must be a list of field paths", "forbidden-fields",
                help='forbidden-fields = ["Tags", "Lead Quality"]')
    else:
        forbidden = [parse_field_path(v) for v in raw_forbidden]

    fail_on = None
    if "fail-on" in table:
        raw = table["fail-on"]
        if not isinstance(raw, str) or raw.lower() not in LEVELS:
            problem(f"`fail-on` must be one of {', '.join(LEVELS)}", "fail-on")
        else:
            fail_on = Severity(raw.lower())

    if problems:
        raise ConfigError(problems)
    return LintConfig(select, ignore, tuple(levels), tuple(forbidden), fail_on, source.path)


def _span_at(source: Source, line: int, column: int) -> Span:
    text = source.line_text(line)
    offset = sum(len(before) + 1 for before in source.text.splitlines()[: line - 1]) + column - 1
    width = max(len(text) - (column - 1), 1)
    span = source.span_at(offset, width)
    return span


def _locate(source: Source, section: str, key: str, value: str | None = None) -> Span:
    """The line of `key` (and `value`, when given) inside `[section]`.
    tomllib gives no positions, so search the text: the header, then the key."""
    lines = source.text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    key_pattern = re.compile(r'^\s*"?' + re.escape(key) + r'"?\s*=')
    for index in range(start, len(lines)):
        line = lines[index]
        if (index > start and re.match(r"^\s*\[", line) and not line.strip().startswith("[[")
                and not header.match(line) and "=" not in line):
            break
        if key_pattern.match(line) or (value is not None and f'"{value}"' in line) or \
                (value is not None and re.match(r"^\s*" + re.escape(value) + r"\s*=", line)):
            if value is not None and value not in line:
                # The key's line; look for the value on the following lines of the list.
                for follow in range(index, min(index + 50, len(lines))):
                    if value in lines[follow]:
                        column = lines[follow].index(value) + 1
                        return _span_at(source, follow + 1, column)
            if value is not None and value in line:
                column = line.index(value) + 1
            else:
                column = len(line) - len(line.lstrip()) + 1
            return _span_at(source, index + 1, column)
    return _span_at(source, start + 1, 1)


def config_for(path: str, explicit: str | None, cache: dict[Path, LintConfig]) -> LintConfig:
    """The configuration that applies to one policy file."""
    if explicit is not None:
        found: Path | None = Path(explicit)
    else:
        found = find_config(Path(path))
    if found is None:
        return LintConfig()
    key = Path(os.path.realpath(found))
    if key not in cache:
        cache[key] = load_config(found)
    return cache[key]


def with_options(config: LintConfig, select: tuple[str, ...], ignore: tuple[str, ...],
                 fail_on: str | None) -> LintConfig:
    """Command-line options over the file: --select replaces, --ignore adds."""
    return attrs.evolve(
        config,
        select=select if select else config.select,
        ignore=config.ignore + ignore,
        fail_on=Severity(fail_on) if fail_on else config.fail_on,
    )


def split_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select QD101,QD102 --select QD2` -> (QD101, QD102, QD2)."""
    return tuple(part.strip().upper() for value in values for part in value.split(",") if part.strip())


__all__ = ["COMPILE_ERROR", "ConfigError", "LintConfig", "config_for", "find_config", "load_config"]

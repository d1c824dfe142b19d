"""Python's `str.casefold` in DuckDB: `lower()` plus a table generated from
Python's own casefold, shipped as data (casefold_duckdb.json).

DuckDB's lower() maps every code point to one code point; casefold differs on
a few hundred (ß -> ss, ς -> σ, Cherokee small letters to capitals, ...).
Grouping code points by DuckDB's lower(), every group but one agrees on a
single casefold, so `table.after` maps lower()'s result to it; the one group
that disagrees (`İ` lowers to `i`, but casefolds to `i̇`) is rewritten
before lower() (`table.before`). ASCII text skips all of it. A test runs
every code point through DuckDB against Python; regenerate the table with
`python -m qualdsl.backends.sql.casefold` when DuckDB or Python changes.
"""

from __future__ import annotations

import functools
import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from sqlglot import exp

from . import builders as b

TABLE_FILE = "casefold_duckdb.json"
LOWER_FILE = "lower_duckdb.json"  # the same for Python's str.lower (lower(), domain())


def code_points() -> list[str]:
    """Every Unicode scalar value (surrogates cannot be in UTF-8 text)."""
    return [chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF]


def build_table(
    lower: Callable[[Sequence[str]], Sequence[str]], target: Callable[[str], str] = str.casefold
) -> dict[str, Any]:
    """The table for an engine whose lower() of each code point is `lower`,
    to compute `target` (str.casefold, or str.lower)."""
    chars = code_points()
    groups: dict[str, list[str]] = {}
    for char, lowered in zip(chars, lower(chars)):
        groups.setdefault(lowered, []).append(char)
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for lowered, members in groups.items():
        folds: dict[str, list[str]] = {}
        for char in members:
            folds.setdefault(target(char), []).append(char)
        # The casefold of most of the group is lower()'s to fix; the others
        # are replaced before lower() by their casefold.
        main = max(folds, key=lambda fold: (len(folds[fold]), fold == lowered))
        if main != lowered:
            after[lowered] = main
        for fold, chars_ in folds.items():
            if fold != main:
                for char in chars_:
                    before[char] = fold
    single = {k: v for k, v in after.items() if len(v) == 1}
    multi = {k: v for k, v in after.items() if len(v) != 1}
    # One pass must be enough: no output may hold a key applied after it.
    for output in list(single.values()) + list(multi.values()):
        assert not any(char in multi for char in output), output
    for output in before.values():
        assert lower([output])[0] == output and not any(c in after for c in output), output
    return {
        "python_unicode": unicodedata.unidata_version,
        "before": sorted(before.items()),
        "translate": ["".join(single), "".join(single.values())],
        "replace": sorted(multi.items()),
    }


@functools.lru_cache(maxsize=2)
def table(name: str = TABLE_FILE) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    """The table as it reads back from its file (pairs as lists)."""
    result: dict[str, Any] = json.loads(json.dumps(data))
    return result


def casefold(text: exp.Expr) -> exp.Expr:
    """The SQL of `text.casefold()` for a VARCHAR expression (NULL stays NULL)."""
    return _marked(_mapped(text, table(TABLE_FILE)), "casefold", text)


def python_lower(text: exp.Expr) -> exp.Expr:
    """The SQL of `text.lower()`, character by character. Known gap: Python
    lowers a word-final `Σ` to `ς` (context), this gives `σ`; comparisons
    casefold both to `σ`, so only `matches` on such a value can differ."""
    return _marked(_mapped(text, table(LOWER_FILE)), "lower", text)


FOLD = "qualdsl_fold"  # meta key: (what, text) of a folded expression, for dialects built without lower()


def _marked(folded: exp.Expr, what: str, text: exp.Expr) -> exp.Expr:
    folded.meta[FOLD] = (what, text)
    return folded


def _mapped(text: exp.Expr, data: dict[str, Any]) -> exp.Expr:
    lowered: exp.Expr = text
    for char, fold in data["before"]:
        lowered = exp.Replace(this=lowered, expression=b.string(char), replacement=b.string(fold))
    # translate() and the replace() chain are slow (a map built per row): a
    # regex scan lets only text holding one of the rare characters pay. Each
    # step is bound to a name so the SQL stays small.
    folded: exp.Expr = exp.column("__cf")
    singles = data["translate"]
    if singles[0]:
        translated = b.call("translate", folded, b.string(singles[0]), b.string(singles[1]))
        folded = b.case((_holds_any(folded, singles[0]), translated), default=folded)
    if data["replace"]:
        replaced = b.replace_all(exp.column("__cg"), [(char, fold) for char, fold in data["replace"]])
        keys = "".join(char for char, _ in data["replace"])
        folded = b.bind(folded, "__cg", b.case((_holds_any(exp.column("__cg"), keys), replaced),
                                                default=exp.column("__cg")))
    folded = b.bind(b.call("lower", lowered), "__cf", folded)
    ascii_only = b.eq(b.call("strlen", text), b.call("length", text))
    return b.case((ascii_only, b.call("lower", text)), default=folded)


def _holds_any(text: exp.Expr, chars: str) -> exp.Expr:
    """Whether text holds one of `chars` (none of them is special in a class)."""
    return b.call("regexp_matches", text, b.string(f"[{chars}]"))


def _duckdb_lower(chars: Sequence[str]) -> list[str]:
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped]

    connection = duckdb.connect()
    chars_table = pa.table({"c": list(chars)})  # noqa: F841 (read by name below)
    return [row[0] for row in connection.execute("SELECT lower(c) FROM chars_table").fetchall()]


def main() -> None:
    import pathlib

    for name, target in ((TABLE_FILE, str.casefold), (LOWER_FILE, str.lower)):
        path = pathlib.Path(__file__).with_name(name)
        data = build_table(_duckdb_lower, target)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}: {len(data['replace'])} replacements", file=sys.stderr)


if __name__ == "__main__":
    main()

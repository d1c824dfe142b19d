"""The compile errors' stable codes: QE0xx for files and syntax, QE1xx for
the checker. A code, once given, is never reused for another mistake.

Each entry is documentation (`qualdsl rule QE101`, docs/compile-errors.md)
and a test: its example fails to compile with exactly its code, and its fix
compiles. `python -m qualdsl.error_codes > docs/compile-errors.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs


@attrs.frozen
class CompileErrorCode:
    """One kind of compile error."""

    code: str
    name: str  # kebab-case, like the lint rules
    title: str  # one line: what is wrong
    explanation: str
    example: str | None  # a policy that fails with exactly this code (None: not a policy text)
    fix: str | None  # the example, fixed: it compiles
    in_memory: bool = False  # the example fails only when loaded from a string, not a file
    # Other files next to the example policy (name, text), for include errors.
    files: tuple[tuple[str, str], ...] = ()

    def documentation(self) -> str:
        """What `qualdsl rule QE101` prints."""
        out = [f"# {self.code} {self.name}", "", f"{self.title}.", "", self.explanation.strip(), ""]
        if self.example is not None:
            # A NUL byte is shown as `\0`: the page stays text.
            out += ["## Example", "", "```", self.example.rstrip().replace("\x00", "\\0"), "```", ""]
            for name, text in self.files:
                out += [f"with `{name}`:", "", "```", text.rstrip(), "```", ""]
        if self.fix is not None:
            out += ["## Fix", "", "```", self.fix.rstrip(), "```", ""]
        return "\n".join(out)


def _p(body: str) -> str:
    """A policy: the `policy` line and a body."""
    return "policy example\n" + body.strip("\n") + "\n"


_SCHEMA = "schema {\n  company.employees: int\n  company.country: string\n}\n"

_ENTRIES = (
    # ------------------------------------------------------------- files
    CompileErrorCode(
        "QE001", "unreadable-file", "The file cannot be read",
        "The path does not exist, is a directory, or the operating system refused to read it "
        "(permissions, a device, a FIFO).",
        None, None,
    ),
    CompileErrorCode(
        "QE002", "file-too-large", "The file is too large to be a policy",
        "A policy file is at most 2 MiB; a larger file is refused before it is parsed. Split a "
        "very large policy with `include`.",
        None, None,
    ),
    CompileErrorCode(
        "QE003", "binary-file", "The file is binary (it contains NUL bytes)",
        "Policy files are text. A NUL byte means the path names a binary file.",
        "policy example\x00\n", "policy example\n",
    ),
    CompileErrorCode(
        "QE004", "not-utf8", "The file is not valid UTF-8",
        "Policy files are UTF-8 (a byte-order mark is allowed). Re-save the file as UTF-8.",
        None, None,
    ),
    # ------------------------------------------------------------ syntax
    CompileErrorCode(
        "QE010", "unexpected-token", "Unexpected text",
        "The parser met a word, symbol or character it cannot accept at that place; the message "
        "says what it expected instead.",
        _p("score fit {\n  rule big +10 when\n}"),
        _p("score fit {\n  rule big +10 when company.employees > 100\n}"),
    ),
    CompileErrorCode(
        "QE011", "unterminated-string", "A string is not closed, or has an invalid escape",
        'Strings are JSON strings on one line: `"..."`, with escapes `\\"`, `\\\\`, `\\n`, `\\u00e9`.',
        _p('set countries = ["DE", "FR]'),
        _p('set countries = ["DE", "FR"]'),
    ),
    CompileErrorCode(
        "QE012", "single-equals", "`=` where a comparison was meant",
        "`=` only follows `set NAME` and `let NAME`; comparisons use `==`.",
        _p('icp {\n  require country = "DE" else "not in Germany"\n}'),
        _p('icp {\n  require country == "DE" else "not in Germany"\n}'),
    ),
    CompileErrorCode(
        "QE013", "unterminated-backticks", "A `backticked` name is not closed",
        "A field path segment that is a keyword or has odd characters is written in backticks; "
        "the closing backtick is missing.",
        _p("icp {\n  require `x > 1 else \"x\"\n}"),
        _p("icp {\n  require `x` > 1 else \"x\"\n}"),
    ),
    CompileErrorCode(
        "QE014", "stray-slash", "A `/` outside a regex",
        "A regex literal `/pattern/` only follows `matches`.",
        _p("let student = /intern/"),
        _p("let student = title matches /intern/"),
    ),
    CompileErrorCode(
        "QE015", "unexpected-end", "The file ends in the middle of a statement",
        "The last statement is unfinished; the message says what was expected.",
        _p("let big ="),
        _p("let big = company.employees > 100"),
    ),
    CompileErrorCode(
        "QE016", "unclosed-block", "A block's `{` is never closed",
        "A block (`schema`, `icp`, `score`, `tiers`, `route`) is missing its `}`. The help names "
        "the line where the block left open starts.",
        _p("score fit {\n  rule big +10 when company.employees > 100\n\ntiers {\n  tier A when score > 5\n}"),
        _p("score fit {\n  rule big +10 when company.employees > 100\n}\ntiers {\n  tier A when score > 5\n}"),
    ),
    CompileErrorCode(
        "QE017", "unfinished-statement", "The statement before this keyword is unfinished",
        "A line ends in the middle of an expression, so the statement word that starts the next "
        "line was read as a name.",
        _p("score fit {\n  rule big +10 when company.employees >\n  rule small +1 when x > 1\n}"),
        _p("score fit {\n  rule big +10 when company.employees > 100\n  rule small +1 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE018", "chained-comparison", "Comparisons do not chain",
        "`1 < x < 3` is not a range test in qualdsl; write `1 < x and x < 3` or `x between 1 and 3`.",
        _p('icp {\n  require 10 <= employees <= 5000 else "size"\n}'),
        _p('icp {\n  require employees between 10 and 5000 else "size"\n}'),
    ),
    CompileErrorCode(
        "QE019", "glued-keyword", "A keyword glued to a name",
        "`whenx` is one word, never the keyword `when` followed by `x`.",
        _p("score fit {\n  rule big +10 whenx > 1\n}"),
        _p("score fit {\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE020", "bad-duration", "A malformed duration",
        "A duration is a number and a unit: `12h`, `30d`, `1.5d`, `2w`.",
        _p("score fit {\n  decay 10% every 7days\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  decay 10% every 7d\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE021", "nested-too-deeply", "An expression is nested too deeply",
        "An expression nested more than 64 levels deep is refused (redundant parentheses do not "
        "count). Split it into named parts with `let`.",
        _p("score fit {\n  rule big +10 when " + "not " * 70 + "x\n}"),
        _p("score fit {\n  rule big +10 when not x\n}"),
    ),
    CompileErrorCode(
        "QE022", "block-option-twice", "A block's `max` or `min` is given twice",
        "A score block has at most one `max` and one `min`.",
        _p("score fit max 10 max 20 {\n  rule big +10 when x > 1\n}"),
        _p("score fit max 20 {\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE023", "fractional-max-events", "`max` of a per-event rule is not a whole number",
        "`max K` keeps the K most recent events; K is a whole number.",
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo" max 2.5\n}'),
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo" max 2\n}'),
    ),
    CompileErrorCode(
        "QE024", "invalid-date", "A date that does not exist",
        "Date literals are `YYYY-MM-DD` calendar dates.",
        _p("icp {\n  require signup > 2026-02-30 else \"old\"\n}"),
        _p("icp {\n  require signup > 2026-02-28 else \"old\"\n}"),
    ),
    CompileErrorCode(
        "QE025", "invalid-datetime", "A datetime that does not exist",
        "Datetime literals are ISO 8601: `2026-01-31T09:30:00Z`, an offset, or no zone (UTC).",
        _p("icp {\n  require signup > 2026-01-31T25:00:00Z else \"old\"\n}"),
        _p("icp {\n  require signup > 2026-01-31T23:00:00Z else \"old\"\n}"),
    ),
    CompileErrorCode(
        "QE026", "number-out-of-range", "A number literal is out of range",
        "Numbers are float64: a literal larger than about 1.8e308 cannot be represented. Very long "
        "literals are refused without being converted, whatever their length.",
        _p("icp {\n  require x < 1" + "0" * 400 + " else \"big\"\n}"),
        _p("icp {\n  require x < 1000000000000000 else \"big\"\n}"),
    ),
    CompileErrorCode(
        "QE027", "datetime-out-of-range", "A datetime is out of range once converted to UTC",
        "Datetimes are compared in UTC; a literal whose offset moves it past year 9999 (or before "
        "year 1) cannot be represented.",
        _p("icp {\n  require signup < 9999-12-31T23:00:00-05:00 else \"x\"\n}"),
        _p("icp {\n  require signup < 9999-12-31T23:00:00Z else \"x\"\n}"),
    ),
    CompileErrorCode(
        "QE030", "include-without-file", "`include` in a policy that was not read from a file",
        "Includes are relative to the including file; a policy given as a string has none. Load "
        "it with `qualdsl.load(path)` or pass `path=` to `loads`.",
        _p('include "common.qual"'), _p(""), in_memory=True,
    ),
    CompileErrorCode(
        "QE031", "absolute-include", "An include path is absolute",
        "Include paths are relative to the including file, so a policy folder can move.",
        _p('include "/etc/common.qual"'), _p(""),
    ),
    CompileErrorCode(
        "QE032", "include-outside-root", "An include leaves the policy's folder",
        "Included files must be inside the folder of the policy being loaded (symbolic links are "
        "resolved first).",
        _p('include "../../common.qual"'), _p(""),
    ),
    CompileErrorCode(
        "QE033", "include-cycle", "Includes make a cycle",
        "A file includes itself, directly or through other files. (A file included twice along "
        "different paths is fine: it is read once.)",
        _p('include "policy.qual"'), _p(""),
    ),
    CompileErrorCode(
        "QE034", "include-unreadable", "An included file cannot be read",
        "The included file is missing, not a regular file, too large, binary or not UTF-8; the "
        "message says which. Errors that the missing file could explain (unknown names) are not "
        "reported.",
        _p('include "missing.qual"'), _p(""),
    ),
    # ----------------------------------------------------------- checker
    CompileErrorCode(
        "QE100", "missing-policy-line", "The file has no `policy` line",
        'A policy file starts with `policy NAME "title"`. (An included fragment has none; it is '
        "checked through the policies that include it.)",
        "let big = x > 1\n", _p("let big = x > 1"),
    ),
    CompileErrorCode(
        "QE101", "policy-line-not-first", "The `policy` line is not first",
        "The `policy` line names the file's policy and comes before everything else.",
        "let big = x > 1\npolicy example\n", _p("let big = x > 1"),
    ),
    CompileErrorCode(
        "QE102", "second-policy-line", "A second `policy` line",
        "A file holds one policy.",
        _p("policy other"), _p(""),
    ),
    CompileErrorCode(
        "QE103", "second-block", "A second `schema`, `icp`, `tiers` or `route` block",
        "A policy has at most one of each; merge the second into the first.",
        _p('icp {\n  require x > 1 else "a"\n}\nicp {\n  require y > 1 else "b"\n}'),
        _p('icp {\n  require x > 1 else "a"\n  require y > 1 else "b"\n}'),
    ),
    CompileErrorCode(
        "QE104", "statement-in-include", "An included file holds more than declarations",
        "An included file holds only `schema`, `set`, `let` and `include`; ICP, scores, tiers and "
        "routes belong to the policy.",
        _p('include "common.qual"'), _p(""),
        files=(("common.qual", 'icp {\n  require x > 1 else "small"\n}\n'),),
    ),
    CompileErrorCode(
        "QE105", "unknown-type", "A schema field has an unknown type",
        "Field types are string, int, number, bool, date, datetime, list[string], list[number] "
        "and events. The suggestion names the closest type.",
        _p("schema {\n  company.employees: integer\n}"),
        _p("schema {\n  company.employees: int\n}"),
    ),
    CompileErrorCode(
        "QE106", "conflicting-field-types", "A field is declared with two types",
        "The same field path is declared twice (here or in an included file) with different types.",
        _p("schema {\n  employees: int\n  employees: string\n}"),
        _p("schema {\n  employees: int\n}"),
    ),
    CompileErrorCode(
        "QE107", "duplicate-field", "A field is declared twice",
        "The same field path appears twice in one file's schema.",
        _p("schema {\n  employees: int\n  employees: int\n}"),
        _p("schema {\n  employees: int\n}"),
    ),
    CompileErrorCode(
        "QE108", "second-events-field", "A second `events` field",
        "A policy reads one list of events; per-event rules and `count` read it.",
        _p("schema {\n  events: events\n  activity: events\n}"),
        _p("schema {\n  events: events\n}"),
    ),
    CompileErrorCode(
        "QE109", "duplicate-definition", "A set or let is defined twice",
        "Each `set` and `let` name is defined once, across the policy and its includes.",
        _p("let big = x > 1\nlet big = x > 2"),
        _p("let big = x > 1\nlet bigger = x > 2"),
    ),
    CompileErrorCode(
        "QE110", "name-clash", "Two things have the same name",
        "Fields, sets, lets, score blocks and tiers share one namespace of bare words, so one name "
        "means one thing.",
        _p("set big = [1]\nlet big = x > 1"),
        _p("set sizes = [1]\nlet big = x > 1"),
    ),
    CompileErrorCode(
        "QE111", "reserved-block-name", "A score block has a reserved name",
        "`total`, `score`, `icp` and `tier` already mean something in tiers and routes.",
        _p("score total {\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE112", "duplicate-block", "A score block is defined twice",
        "Block names are unique; merge the rules into one block or rename one.",
        _p("score fit {\n  rule a +1 when x > 1\n}\nscore fit {\n  rule b +1 when x > 2\n}"),
        _p("score fit {\n  rule a +1 when x > 1\n  rule b +1 when x > 2\n}"),
    ),
    CompileErrorCode(
        "QE113", "tier-named-disqualified", "A tier is named `disqualified`",
        "`disqualified` is the tier of every lead that fails ICP.",
        _p("tiers {\n  tier disqualified when score < 1\n}"),
        _p("tiers {\n  tier cold when score < 1\n}"),
    ),
    CompileErrorCode(
        "QE114", "duplicate-tier", "A tier is declared twice",
        "Tier names ignore case: `SQL` and `sql` are the same tier.",
        _p("tiers {\n  tier SQL when score > 50\n  tier sql when score > 10\n}"),
        _p("tiers {\n  tier SQL when score > 50\n  tier MQL when score > 10\n}"),
    ),
    CompileErrorCode(
        "QE115", "min-above-max", "A block's `min` is above its `max`",
        "A block's score is capped at `max` and floored at `min`; with `min` above `max` no score fits.",
        _p("score fit max 10 min 20 {\n  rule big +10 when x > 1\n}"),
        _p("score fit max 20 min 10 {\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE116", "duplicate-decay", "A block declares `decay` twice",
        "A block has one decay: `decay P% every D` or `decay half_life D`.",
        _p("score fit {\n  decay 10% every 7d\n  decay half_life 30d\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  decay half_life 30d\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE117", "duplicate-expire", "A block declares `expire` twice",
        "A block has at most one `expire after D`.",
        _p("score fit {\n  expire after 30d\n  expire after 60d\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  expire after 30d\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE118", "decay-percent-range", "A decay percentage is outside 0–100%",
        "`decay P% every D` takes more than 0% and at most 100% per period.",
        _p("score fit {\n  decay 150% every 7d\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  decay 15% every 7d\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE119", "zero-duration", "A period is zero",
        "The period of a decay, a half-life and an expiry must be longer than zero.",
        _p("score fit {\n  expire after 0d\n  rule big +10 when x > 1\n}"),
        _p("score fit {\n  expire after 1d\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE120", "duplicate-rule", "A rule is defined twice in a block",
        "Rule names are unique within a block (a decision reports rules by name).",
        _p("score fit {\n  rule big +10 when x > 1\n  rule big +5 when x > 2\n}"),
        _p("score fit {\n  rule big +10 when x > 1\n  rule bigger +5 when x > 2\n}"),
    ),
    CompileErrorCode(
        "QE121", "max-events-zero", "`max K` counts no events",
        "`max K` keeps the K most recent matching events; K is 1 or more.",
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo" max 0\n}'),
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo" max 1\n}'),
    ),
    CompileErrorCode(
        "QE122", "events-without-field", "Events are read but the schema has no `events` field",
        "Per-event rules and `count` read the lead's events; with a schema, one field must have "
        "the type `events`.",
        _p('schema {\n  x: int\n}\nscore e {\n  rule demo +5 per event "demo"\n}'),
        _p('schema {\n  x: int\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo"\n}'),
    ),
    CompileErrorCode(
        "QE123", "otherwise-not-last", "`otherwise` is not last",
        "Tiers and routes are first-match: every tier or route after `otherwise` could never be chosen.",
        _p("tiers {\n  tier B otherwise\n  tier A when score > 5\n}"),
        _p("tiers {\n  tier A when score > 5\n  tier B otherwise\n}"),
    ),
    CompileErrorCode(
        "QE124", "let-cycle", "A let depends on itself",
        "Lets are evaluated in dependency order; a cycle has none.",
        _p("let a = b\nlet b = a"),
        _p("let a = b\nlet b = x > 1"),
    ),
    CompileErrorCode(
        "QE125", "condition-not-boolean", "A condition is not true or false",
        "`require`, `reject`, `when`, `where` and the conditions of tiers and routes need a "
        "boolean: compare the value.",
        _p(_SCHEMA + 'icp {\n  require company.employees else "small"\n}'),
        _p(_SCHEMA + 'icp {\n  require company.employees >= 10 else "small"\n}'),
    ),
    CompileErrorCode(
        "QE126", "unknown-name", "A bare word names nothing",
        "A bare word is a schema field, a let or a set (and in tiers and routes a score block, "
        "`score`, `icp`, `tier` or a tier). The suggestion names the closest known name.",
        _p(_SCHEMA + "let big = company.employees > 100\nicp {\n  require bgi else \"small\"\n}"),
        _p(_SCHEMA + "let big = company.employees > 100\nicp {\n  require big else \"small\"\n}"),
    ),
    CompileErrorCode(
        "QE127", "unknown-field", "A field is not in the schema",
        "With a schema, every dotted path read must be declared. The suggestion names the closest field.",
        _p(_SCHEMA + 'icp {\n  require company.employes >= 10 else "small"\n}'),
        _p(_SCHEMA + 'icp {\n  require company.employees >= 10 else "small"\n}'),
    ),
    CompileErrorCode(
        "QE128", "unknown-set", "`in` names an unknown set",
        "The right side of `in` is a list literal, a set or a list field.",
        _p(_SCHEMA + 'set countries = ["DE"]\nicp {\n  require company.country in countrys else "x"\n}'),
        _p(_SCHEMA + 'set countries = ["DE"]\nicp {\n  require company.country in countries else "x"\n}'),
    ),
    CompileErrorCode(
        "QE129", "unknown-function", "An unknown function",
        "The built-in functions are listed in the language reference (\"Built-in functions\").",
        _p(_SCHEMA + 'icp {\n  require lowr(company.country) == "de" else "x"\n}'),
        _p(_SCHEMA + 'icp {\n  require lower(company.country) == "de" else "x"\n}'),
    ),
    CompileErrorCode(
        "QE130", "wrong-argument-count", "A function is given the wrong number of arguments",
        "Each built-in takes a fixed number of arguments (all of today's take one).",
        _p(_SCHEMA + 'icp {\n  require lower(company.country, company.country) == "de" else "x"\n}'),
        _p(_SCHEMA + 'icp {\n  require lower(company.country) == "de" else "x"\n}'),
    ),
    CompileErrorCode(
        "QE131", "count-without-query", "`count` is not given an events query",
        "`count` counts events: `count(events where ... within ...)`.",
        _p("schema {\n  events: events\n  x: int\n}\nicp {\n  require count(x) > 1 else \"x\"\n}"),
        _p("schema {\n  events: events\n  x: int\n}\nicp {\n  require count(events) > 1 else \"x\"\n}"),
    ),
    CompileErrorCode(
        "QE132", "count-in-where", "`count` inside `where`",
        "`where` reads one event; counting events inside it has no meaning.",
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo" where count(events) > 1\n}'),
        _p('schema {\n  events: events\n}\nscore e {\n  rule demo +5 per event "demo"\n}'),
    ),
    CompileErrorCode(
        "QE133", "negative-within", "`within` is negative",
        "`within D` keeps events at most D old; D is zero or more.",
        None, None,
    ),
    CompileErrorCode(
        "QE134", "query-outside-count", "An events query given to a function other than `count`",
        "Only `count` takes `events where ...`. To name a field called `events`, write "
        "`` `events` ``.",
        _p('schema {\n  events: events\n}\nicp {\n  require len(events) > 1 else "x"\n}'),
        _p('schema {\n  events: events\n}\nicp {\n  require count(events) > 1 else "x"\n}'),
    ),
    CompileErrorCode(
        "QE135", "argument-type", "A function argument has the wrong type",
        "Each built-in takes arguments of given types (see \"Built-in functions\").",
        _p(_SCHEMA + 'icp {\n  require lower(company.employees) == "de" else "x"\n}'),
        _p(_SCHEMA + 'icp {\n  require lower(company.country) == "de" else "x"\n}'),
    ),
    CompileErrorCode(
        "QE136", "stray-events-query", "An events query outside `count(...)`",
        "`events where ...` is a query; it only goes inside `count(...)`. (The grammar admits a "
        "query only as a function argument, where QE134 reports it first; this code is kept for "
        "other front ends.)",
        None, None,
    ),
    CompileErrorCode(
        "QE137", "unknown-tier", "A route compares `tier` with an unknown tier",
        "`tier == X` in a route must name a declared tier (or `disqualified`); tier names ignore case.",
        _p('tiers {\n  tier SQL when score > 5\n}\nroute {\n  to "sales" when tier == SLQ\n}'),
        _p('tiers {\n  tier SQL when score > 5\n}\nroute {\n  to "sales" when tier == SQL\n}'),
    ),
    CompileErrorCode(
        "QE138", "incomparable-types", "A comparison of different types",
        "Values of different types are never equal and have no order, so the comparison is never true.",
        _p(_SCHEMA + 'icp {\n  require company.employees >= "10" else "small"\n}'),
        _p(_SCHEMA + 'icp {\n  require company.employees >= 10 else "small"\n}'),
    ),
    CompileErrorCode(
        "QE139", "unordered-type", "An ordering of values that have no order",
        "`<`, `<=`, `>`, `>=` and `between` order numbers, strings, dates and datetimes only.",
        _p('schema {\n  paid: bool\n}\nicp {\n  require paid > true else "x"\n}'),
        _p('schema {\n  paid: bool\n}\nicp {\n  require paid == true else "x"\n}'),
    ),
    CompileErrorCode(
        "QE140", "in-needs-list", "`in` is given something that is not a list",
        "`in` tests membership of a list literal, a set or a list field; `contains` tests substrings.",
        _p(_SCHEMA + 'icp {\n  require "D" in company.country else "x"\n}'),
        _p(_SCHEMA + 'icp {\n  require company.country contains "D" else "x"\n}'),
    ),
    CompileErrorCode(
        "QE141", "in-element-type", "`in` looks for a value of another type than the list's",
        "A number is never in a list of strings (and so on): the test never matches.",
        _p('schema {\n  tech: list[string]\n}\nicp {\n  reject 10 in tech as "x"\n}'),
        _p('schema {\n  tech: list[string]\n}\nicp {\n  reject "10" in tech as "x"\n}'),
    ),
    CompileErrorCode(
        "QE142", "string-test-type", "`contains`, `starts_with` or `ends_with` on a non-string",
        "These test substrings of strings; to test a list, write `\"value\" in field`.",
        _p('schema {\n  tech: list[string]\n}\nicp {\n  reject tech contains "x" as "x"\n}'),
        _p('schema {\n  tech: list[string]\n}\nicp {\n  reject "x" in tech as "x"\n}'),
    ),
    CompileErrorCode(
        "QE143", "matches-type", "`matches` on a non-string",
        "A regex matches text.",
        _p(_SCHEMA + 'icp {\n  reject company.employees matches /1/ as "x"\n}'),
        _p(_SCHEMA + 'icp {\n  reject company.country matches /1/ as "x"\n}'),
    ),
    CompileErrorCode(
        "QE144", "regex-unsupported", "A regex uses a construct RE2 does not have",
        "Regexes are RE2's, so matching always takes linear time: backreferences (`\\1`) and "
        "lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) are not supported. Most uses can be written as "
        "two tests joined with `and` / `and not`.",
        _p('icp {\n  reject title matches /(?!intern)student/ as "x"\n}'),
        _p('icp {\n  reject title matches /student/ and not (title matches /intern/) as "x"\n}'),
    ),
    CompileErrorCode(
        "QE145", "regex-invalid", "A regex does not parse",
        "The message gives RE2's reason (an unclosed group, a bad escape, a repetition of nothing).",
        _p('icp {\n  reject title matches /(student|intern/ as "x"\n}'),
        _p('icp {\n  reject title matches /(student|intern)/ as "x"\n}'),
    ),
    CompileErrorCode(
        "QE146", "regex-too-large", "A regex is too large",
        "A counted repetition is at most 1000 (`a{1001}` is refused, and so is a count too long to "
        "read, which RE2 would otherwise take as literal text), and the compiled pattern must fit "
        "RE2's memory budget.",
        _p('icp {\n  reject title matches /a{99999999999}/ as "x"\n}'),
        _p('icp {\n  reject title matches /a{3}/ as "x"\n}'),
    ),
    CompileErrorCode(
        "QE147", "arithmetic-type", "Arithmetic on a non-number",
        "`+`, `-`, `*` and `/` work on numbers.",
        _p(_SCHEMA + 'icp {\n  reject company.country + 1 > 2 as "x"\n}'),
        _p(_SCHEMA + 'icp {\n  reject company.employees + 1 > 2 as "x"\n}'),
    ),
    CompileErrorCode(
        "QE148", "negation-type", "`-` on a non-number",
        "Unary minus works on numbers.",
        _p(_SCHEMA + 'icp {\n  reject -company.country > 2 as "x"\n}'),
        _p(_SCHEMA + 'icp {\n  reject -company.employees > 2 as "x"\n}'),
    ),
    CompileErrorCode(
        "QE150", "points-out-of-range", "Points, a block's `max`/`min`, or `max K` are out of range",
        "Points and block caps are at most 1e15 in size, so every sum of points is exact and "
        "finite; `max K` is at most 1,000,000,000.",
        _p("score fit {\n  rule big +1" + "0" * 20 + " when x > 1\n}"),
        _p("score fit {\n  rule big +10 when x > 1\n}"),
    ),
    CompileErrorCode(
        "QE151", "duration-out-of-range", "A duration is out of range",
        "Durations are at most 365,000 days (about 1,000 years), so dates computed from them stay "
        "representable.",
        _p('schema {\n  events: events\n}\nicp {\n  require count(events within 99999999999999d) > 0 else "x"\n}'),
        _p('schema {\n  events: events\n}\nicp {\n  require count(events within 30d) > 0 else "x"\n}'),
    ),
)

CODES: Mapping[str, CompileErrorCode] = MappingProxyType({entry.code: entry for entry in _ENTRIES})


def get_code(code: str) -> CompileErrorCode | None:
    """A catalogue entry by code (any case) or name."""
    wanted = code.strip().casefold()
    for entry in CODES.values():
        if entry.code.casefold() == wanted or entry.name == wanted:
            return entry
    return None


def markdown() -> str:
    """docs/compile-errors.md (a test keeps the file equal to this)."""
    out = [
        "# Compile errors",
        "",
        "<!-- Generated by `python -m qualdsl.error_codes > docs/compile-errors.md` from",
        "     src/qualdsl/error_codes.py. Do not edit by hand. -->",
        "",
        "Every error `qualdsl check` reports has a stable code: `QE0xx` for files and",
        "syntax, `QE1xx` for the checker. A code is never reused. `qualdsl rule QE101`",
        "prints one of these entries; the JSON output carries the code and, for a",
        "mistyped name, a structured `suggestion` an editor can apply.",
        "",
        "| Code | Name | What is wrong |",
        "|------|------|---------------|",
    ]
    for entry in CODES.values():
        out.append(f"| [{entry.code}](#{entry.code.lower()}-{entry.name}) | `{entry.name}` | {entry.title} |")
    out.append("")
    for entry in CODES.values():
        out.append(entry.documentation().replace("# ", "## ", 1).replace("\n## Example", "\n### Example")
                   .replace("\n## Fix", "\n### Fix"))
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    import sys

    sys.stdout.write(markdown())


if __name__ == "__main__":
    main()

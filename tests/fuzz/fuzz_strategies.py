"""Hypothesis strategies for hostile input: policy text (from the grammar's
productions, and mutations of the bundled policies) and lead data.

Generated policies are *plausible*: expressions mostly name declared fields,
sets, lets and blocks, so that many pass the checker and reach lint, fmt and
evaluation; the odd literals (huge numbers, escapes, hostile regexes, dates
out of range) are mixed in everywhere a literal may stand.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
# The bundled policies and fragments: (path, text). Mutations keep the path,
# so `include` still resolves from the policy's folder.
BUNDLED = tuple(
    (path, path.read_text(encoding="utf-8"))
    for path in sorted(POLICIES.glob("*.qual")) + sorted(POLICIES.glob("shared/*.qual"))
)

UTC = dt.UTC
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)

# ============================================================ literals

KEYWORDS = [
    "policy", "include", "schema", "set", "let", "icp", "require", "else", "reject", "as", "score", "max",
    "min", "decay", "every", "half_life", "expire", "after", "rule", "when", "per", "event", "events", "where",
    "within", "tiers", "tier", "route", "to", "otherwise", "or", "and", "not", "in", "between", "matches", "is",
    "missing", "present", "true", "false", "contains", "starts_with", "ends_with",
]
FUNCTIONS = ("domain", "lower", "len", "days_since", "count")
FIELD_TYPES = ("string", "int", "number", "bool", "date", "datetime", "list[string]", "list[number]",
               "events", "list[int]", "map", "list[events]")  # the last three are wrong on purpose

digits = st.text("0123456789", min_size=1, max_size=6)
huge_digits = st.integers(300, 5000).map(lambda n: "9" * n)
odd_integers = st.sampled_from(["0", "00", "007", "1" + "0" * 15, "1" + "0" * 16, "9" * 17, "9" * 309,
                                "9" * 4300, "9" * 4301, "18446744073709551616", "2147483648"])
integer_text = st.one_of(digits, digits, odd_integers, huge_digits)
decimal_text = st.one_of(
    st.builds(lambda a, b: f"{a}.{b}", digits, digits),
    st.sampled_from(["0.5", "9" * 400 + ".5", "0." + "0" * 400 + "1", "1.7976931348623157", "4.9"]),
)
number_text = st.one_of(integer_text, decimal_text)
signed_number = st.builds(lambda sign, number: sign + number, st.sampled_from(["", "", "+", "-"]), number_text)

_ESCAPES = ["\\n", "\\t", '\\"', "\\\\", "\\/", "\\b", "\\f", "\\r", "\\u00e9", "\\u0000", "\\ud800",
            "\\udfff", "\\ud83d\\ude00", "\\u2028", "\\u001b[31m", "\\uFFFF"]
string_char = st.one_of(
    st.characters(exclude_characters='"\\\n', exclude_categories=["Cc", "Cs"]),
    st.sampled_from(_ESCAPES),
    st.sampled_from(["é", "日本", "\u202e", "\ufeff", "\u0085", "\u2028", "𝔘", "\\"]),  # and a stray backslash
)
string_literal = st.lists(string_char, max_size=8).map(lambda chars: '"' + "".join(chars) + '"')

dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0000-00-00", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "2024-02-29"]),
)
_offsets = st.sampled_from(["", "Z", "+00:00", "-23:59", "+23:59", "+99:99", "+14:00", "-00:00"])
_times = st.sampled_from(["00:00", "23:59:59", "24:00", "12:30:61", "10:00:00.123456789", "10:00:00.5"])
datetimes = st.builds(lambda d, t, o: f"{d}T{t}{o}", dates, _times, _offsets)
durations = st.builds(lambda n, unit: n + unit, st.one_of(number_text, st.just("99999999999999")),
                      st.sampled_from("hdw"))
percents = st.builds(lambda n: n + "%", st.one_of(digits, decimal_text, st.just("100"), st.just("0")))

_REGEX_ATOMS = [
    "a", ".", "\\d", "\\w+", "[a-z]", "[^@]+", "(a+)+", "(a|a)*", "a{2,5}", "a{99999999999}", "a{1000}{1000}",
    "(?=x)", "(?!x)", "(?<=x)", "\\1", "(a)\\1", "(?P<n>a)", "^", "$", "\\b", "(?i)", "[", "(", ")", "*",
    "\\p{L}", "\\x{10FFFF}", "é", "\\/", "\\\\", "\\Q.\\E", "(?s).", "a**",
]
regex_body = st.one_of(
    st.lists(st.sampled_from(_REGEX_ATOMS), max_size=6).map("".join),
    st.integers(1, 1200).map(lambda n: "(" * n + "a" + ")" * n),  # nested groups
)
regex_literal = st.builds(lambda body, flag: "/" + body.replace("/", "\\/").replace("\n", "") + "/" + flag,
                          regex_body, st.sampled_from(["", "i"]))

literal = st.one_of(string_literal, number_text, st.sampled_from(["true", "false"]), dates, datetimes)
list_literal = st.lists(st.one_of(string_literal, signed_number, st.sampled_from(["true", "false"]),
                                  dates, datetimes), max_size=5).map(lambda items: "[" + ", ".join(items) + "]")

# ============================================================ policies

# ============================================================ policies

# Contextual keywords (`score`, `type`, `max`, `events`, `rule`, `tier`) are
# usable as names; the pool keeps names colliding, as real policies do.
NAME_POOL = ("fit", "intent", "usage", "a", "b_2", "lead_source", "score", "type", "max", "rule", "tier",
             "events", "x" * 60, "_")
names = st.one_of(st.sampled_from(NAME_POOL), st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True))
SEGMENTS = ("company", "person", "id", "employees", "country", "email", "plan", "tech", "`Lead Source`",
            "`a.b`", "`é`", "last_seen", "revenue", "active")
_SIMPLE_STRINGS = ('"US"', '"gmail.com"', '"demo_request"', '""', '"vp"', '"a b"', '"é"')
_SIMPLE_REGEXES = ("/^[a-z]+$/", "/@(gmail|yahoo)\\.com$/i", "/\\d{3}/", "/./", "/^$/")
SOUND_TYPES = FIELD_TYPES[:8]  # `events` is the one `events` field


class _Writer:
    """Writes one policy's expressions by type, from a hypothesis `draw`.

    A hand-written recursive generator: much cheaper than `st.recursive` for
    text this size. In hostile mode odd literals, unknown names and wrong types
    are mixed in; otherwise most output type-checks."""

    def __init__(self, draw: st.DrawFn, hostile: bool, fields: dict[str, str], sets: list[str],
                 lets: list[str], blocks: list[str], tiers: list[str]):
        self.draw, self.hostile = draw, hostile
        self.fields, self.sets, self.lets, self.blocks, self.tiers = fields, sets, lets, blocks, tiers
        self.outcome = False  # inside tiers/route: block names, `score` and `tier` are in scope

    def chance(self, one_in: int) -> bool:
        return chance(self.draw, one_in)

    def pick(self, options: Any) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def typed(self, *types: str) -> list[str]:
        return [path for path, kind in self.fields.items() if kind in types]

    def odd(self) -> str:
        regex = regex_literal.map(lambda r: f"x matches {r}")
        return self.draw(st.one_of(literal, signed_number, list_literal, names, regex))

    def number(self) -> str:
        if self.hostile and self.chance(3):
            return self.draw(number_text)
        return self.pick(["0", "1", "3", "10", "200", "1000", "2.5", "0.1"])

    def string(self) -> str:
        if self.hostile and self.chance(3):
            return self.draw(string_literal)
        return self.pick(_SIMPLE_STRINGS)

    def num(self, depth: int) -> str:
        options = ["literal"] + ["field"] * 3 + ["len", "count", "days"]
        if depth < 3:
            options += ["arith", "neg", "paren"]
        if self.outcome and self.blocks:
            options += ["block", "block"]
        kind = self.pick(options)
        if kind == "field" and self.typed("int", "number"):
            return self.pick(self.typed("int", "number"))
        if kind == "len" and self.typed("string", "list[string]", "list[number]"):
            return f"len({self.pick(self.typed('string', 'list[string]', 'list[number]'))})"
        if kind == "days" and self.typed("date", "datetime"):
            return f"days_since({self.pick(self.typed('date', 'datetime'))})"
        if kind == "count":
            where = f" where {self.event_cond(depth + 1)}" if self.draw(st.booleans()) else ""
            within = f" within {self.duration()}" if self.draw(st.booleans()) else ""
            return f"count(events{where}{within})"
        if kind == "arith":
            return f"{self.num(depth + 1)} {self.pick('+-*/')} {self.num(depth + 1)}"
        if kind == "neg":
            return f"-{self.num(depth + 1)}"
        if kind == "paren":
            return f"({self.num(depth + 1)})"
        if kind == "block":
            return self.pick(self.blocks + ["score"])
        return self.number()

    def text(self, depth: int) -> str:
        kind = self.pick(["literal", "field", "field", "lower", "domain"] if depth < 3 else ["literal", "field"])
        if kind == "field" and self.typed("string"):
            return self.pick(self.typed("string"))
        if kind in ("lower", "domain"):
            return f"{kind}({self.text(depth + 1)})"
        return self.string()

    def duration(self) -> str:
        if self.hostile and self.chance(3):
            return self.draw(durations)
        return self.pick(["1h", "7d", "30d", "2w", "0.5d"])

    def event_cond(self, depth: int) -> str:
        leaves = ["type", "raw", "app", "in", "at"]
        kind = self.pick([*leaves, "cond"] if depth < 3 else leaves)
        if kind == "type":
            return f"type == {self.string()}"
        if kind == "raw":  # `type` as it is, not its casefold
            return self.pick([f"type matches {self.pick(_SIMPLE_REGEXES)}", "len(type) > 8",
                              f"lower(type) == {self.string()}"])
        if kind == "app":
            return f"{self.pick(['app', 'feature', 'value'])} {self.pick(['==', '!=', 'contains'])} {self.string()}"
        if kind == "in" and self.sets:
            return f"{self.pick(['app', 'feature'])} {self.pick(['in', 'not in'])} {self.pick(self.sets)}"
        if kind == "at":
            return f"at {self.pick(['<', '>='])} {self.pick(['2026-01-01', '2026-10-01T12:00:00Z'])}"
        return f"{self.event_cond(depth + 1)} {self.pick(['and', 'or'])} {self.event_cond(depth + 1)}"

    def cond(self, depth: int = 0) -> str:
        if self.hostile and self.chance(8):
            return self.odd()
        leaves = ["compare", "in", "missing", "bool", "text", "matches", "between", "time"]
        if self.lets:
            leaves.append("let")
        if self.outcome and self.tiers:
            leaves += ["tier", "tier"]
        options = leaves + (["and", "or", "not", "paren", "and"] if depth < 4 else [])
        kind = self.pick(options)
        if kind == "compare":
            return f"{self.num(depth + 1)} {self.pick(['==', '!=', '<', '<=', '>', '>='])} {self.num(depth + 1)}"
        if kind == "between":
            return f"{self.num(depth + 1)} between {self.num(depth + 1)} and {self.num(depth + 1)}"
        if kind == "in":
            negated = self.pick(["in", "not in"])
            lists = self.typed("list[string]")
            if lists and self.draw(st.booleans()):
                return f"{self.string()} {negated} {self.pick(lists)}"
            target = self.pick(self.sets) if self.sets and self.draw(st.booleans()) else self.draw(list_literal)
            return f"{self.text(depth + 1)} {negated} {target}"
        if kind == "missing":
            subject = self.pick(list(self.fields)) if self.fields else self.draw(names)
            return f"{subject} is {self.pick(['missing', 'present'])}"
        if kind == "bool" and self.typed("bool"):
            return self.pick(self.typed("bool") + ["true", "false"])
        if kind == "text":
            left = self.text(depth + 1)  # drawn in the order they are written
            op = self.pick(["==", "!=", "contains", "starts_with", "ends_with"])
            return f"{left} {op} {self.text(depth + 1)}"
        if kind == "matches":
            regex = self.draw(regex_literal) if self.hostile and self.chance(2) else self.pick(_SIMPLE_REGEXES)
            return f"{self.text(depth + 1)} matches {regex}"
        if kind == "time" and self.typed("date", "datetime"):
            moment = self.draw(dates if self.hostile else st.just("2026-06-01"))
            return f"{self.pick(self.typed('date', 'datetime'))} {self.pick(['<', '>=', '=='])} {moment}"
        if kind == "let":
            return self.pick(self.lets)
        if kind == "tier":
            return f"tier {self.pick(['==', '!='])} {self.pick(self.tiers)}"
        if kind in ("and", "or"):
            return f"{self.cond(depth + 1)} {kind} {self.cond(depth + 1)}"
        if kind == "not":
            return f"not {self.cond(depth + 1)}"
        if kind == "paren":
            return f"({self.cond(depth + 1)})"
        return self.pick(["true", "false"])

    def deep(self) -> str:
        """Nesting and width near and past the parser's limits."""
        depth = self.draw(st.integers(1, 100))
        width = self.draw(st.integers(2, 600))
        return self.pick([
            "(" * depth + "1 == 1" + ")" * depth,
            "not " * depth + "true",
            "-" * depth + "1 > 0",
            " or ".join(["1 == 1"] * width),
            " + ".join(["1"] * width) + " > 0",
        ])

    def condition(self) -> str:
        return self.deep() if self.hostile and self.chance(10) else self.cond()


def chance(draw: st.DrawFn, one_in: int) -> bool:
    # sampled_from draws near-uniformly (st.integers favours its bounds) and shrinks to False
    return bool(draw(st.sampled_from([False] * (one_in - 1) + [True])))


@st.composite
def policies(draw: st.DrawFn) -> str:
    """Policy text from the grammar's productions: mostly well typed, a third
    hostile (odd literals, wrong types, unknown names, deep nesting)."""
    hostile = chance(draw, 3)
    paths = draw(st.lists(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map(".".join),
                          max_size=8, unique=True))
    types = FIELD_TYPES if hostile else SOUND_TYPES
    fields = {path: draw(st.sampled_from(types)) for path in paths if path != "events"}
    if not chance(draw, 4):
        fields["events"] = "events"
    # Sets, lets, blocks and fields share one namespace: clashes only when hostile.
    taken = {path.split(".")[0] for path in fields}
    own = draw(st.lists(names.filter(lambda name: hostile or name not in taken), max_size=9, unique=True))
    sets, lets, blocks = own[0:3], own[3:6], own[6:9]
    if hostile:
        sets, lets, blocks = (draw(st.lists(st.sampled_from(own), max_size=3, unique=True)) if own else []
                              for _ in range(3))
    tiers = draw(st.lists(st.sampled_from(["SQL", "MQL", "Hot", "Warm", "Cold", "nurture", "score"]),
                          max_size=3, unique=True))
    write = _Writer(draw, hostile, fields, sets, [], blocks, tiers)

    parts: list[str] = []
    if not chance(draw, 10):  # mostly a policy, sometimes a fragment
        title = draw(st.one_of(st.just(""), string_literal if hostile else st.just('"A title"')))
        parts.append(f"policy {draw(names)} {title}")
    if chance(draw, 5):
        target = draw(st.sampled_from(["shared/common.qual", "nope.qual", "../x", "", "shared", "generated.qual"]))
        parts.append(f'include "{target}"')
    if fields or draw(st.booleans()):
        parts.append("schema {\n" + "\n".join(f"  {f}: {t}" for f, t in fields.items()) + "\n}")
    for name in sets:
        items = draw(list_literal) if hostile else "[" + ", ".join(draw(st.lists(st.sampled_from(_SIMPLE_STRINGS),
                                                                                    max_size=4))) + "]"
        parts.append(f"set {name} = {items}")
    for name in lets:
        parts.append(f"let {name} = {write.condition()}")
        write.lets.append(name)
    if draw(st.booleans()):
        statements = [
            f"require {write.condition()} else {write.string()}" if draw(st.booleans())
            else f"reject {write.condition()} as {write.string()}"
            for _ in range(draw(st.integers(0, 3)))
        ]
        parts.append("icp {\n  " + "\n  ".join(statements) + "\n}")

    def points() -> str:
        if hostile and write.chance(3):
            return draw(signed_number)
        return draw(st.sampled_from(["+1", "+5", "+10", "-5", "+0.5", "+40"]))

    for block in blocks:
        bounds = draw(st.lists(st.sampled_from(["max", "min"]), max_size=2, unique=not hostile))
        options = [f"{bound} {points()}" for bound in bounds]
        statements: list[str] = []
        once = {"decay", "half", "expire"}
        for _ in range(draw(st.integers(0, 5))):
            kind = write.pick(["decay", "half", "expire", "when", "when", "event", "event"])
            if kind in once and not hostile:
                once -= {"decay", "half"} if kind in ("decay", "half") else {kind}
            elif kind in ("decay", "half", "expire") and not hostile:
                continue
            if kind == "decay":
                percent = draw(percents) if hostile else write.pick(["10%", "50%", "2.5%"])
                statements.append(f"decay {percent} every {write.duration()}")
            elif kind == "half":
                statements.append(f"decay half_life {write.duration()}")
            elif kind == "expire":
                statements.append(f"expire after {write.duration()}")
            elif kind == "when":
                statements.append(f"rule {draw(names)} {points()} when {write.condition()}")
            else:
                where = f" where {write.event_cond(0)}" if draw(st.booleans()) else ""
                cap = f" max {write.number()}" if draw(st.booleans()) else ""
                statements.append(f"rule {draw(names)} {points()} per event {write.string()}{where}{cap}")
        parts.append(f"score {block} {' '.join(options)} {{\n  " + "\n  ".join(statements) + "\n}")
    write.outcome = True
    if tiers or draw(st.booleans()):
        lines = [f"tier {t} when {write.condition()}" for t in tiers]
        if draw(st.booleans()):
            lines.append(f"tier {write.pick(['Rest', 'nurture', 'Other'])} otherwise")
        parts.append("tiers {\n  " + "\n  ".join(lines) + "\n}")
    if draw(st.booleans()):
        lines = [f"to {write.string()} when {write.condition()}" for _ in range(draw(st.integers(0, 3)))]
        if draw(st.booleans()):
            lines.append(f"to {write.string()} otherwise")
        parts.append("route {\n  " + "\n  ".join(lines) + "\n}")
    if hostile and write.chance(4):
        parts = draw(st.permutations(parts))
    separator = draw(st.sampled_from(["\n", "\n\n", "\n# a comment \u00e9\n", "\r\n", "\n\f\n", " "]))
    return separator.join(parts) + draw(st.sampled_from(["\n", "", "\n# trailing", "\n\n\n"]))


# ============================================================ mutations

_TOKEN = re.compile(r'\s+|"(?:[^"\\\n]|\\.)*"|/(?:\\.|[^\\/\n])+/i?|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+[%hdw]?|.', re.DOTALL)
_INSERTS = st.one_of(
    st.sampled_from(KEYWORDS + list(FUNCTIONS) + ["{", "}", "(", ")", "[", "]", ",", ":", "=", ".", '"', "`",
                                                 "/", "#", "\n", "\t", "\f", "\x00", "\ufeff", "\ud800"]),
    number_text, string_literal, regex_literal, durations, datetimes,
    st.text(max_size=4),
)


@st.composite
def mutated_policies(draw: st.DrawFn) -> tuple[Path, str]:
    """A bundled policy with a few tokens deleted, duplicated, swapped,
    replaced or inserted, or cut short. Returns (its path, the text)."""
    path, text = draw(st.sampled_from(BUNDLED))
    tokens = _TOKEN.findall(text)
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert", "truncate"]))
        if action == "delete":
            del tokens[at]
        elif action == "duplicate":
            tokens.insert(at, tokens[at])
        elif action == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        elif action == "replace":
            tokens[at] = draw(_INSERTS)
        elif action == "insert":
            tokens.insert(at, draw(_INSERTS.map(lambda t: f" {t} ")))
        else:
            tokens = tokens[:at]
    return path, "".join(tokens)


@st.composite
def mutated_bytes(draw: st.DrawFn) -> tuple[Path, bytes]:
    """A bundled policy's UTF-8 bytes with raw bytes spliced in (bad UTF-8, NUL, BOM)."""
    path, text = draw(st.sampled_from(BUNDLED))
    data = text.encode("utf-8")
    at = draw(st.integers(0, len(data)))
    junk = draw(st.one_of(st.binary(min_size=1, max_size=8),
                          st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\x80"])))
    return path, data[:at] + junk + data[at:]


# ============================================================ leads

LONE_SURROGATES = ("\ud800", "\udfff", "a\udc80b", "\ud83d")
_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(LONE_SURROGATES + ("", " ", "\x1b[31mred\x1b[0m", "\u2028", "\u0085", "gmail.com", "a@b.co",
                                       "US", "demo_request", "salesforce", "director", "1e309", "NaN", "12",
                                       "2026-10-01", "Infinity", "true", "-0")),
)
_ints = st.one_of(st.integers(-(10**6), 10**6), st.integers(),
                  # built, not listed: the repr of a 4,301-digit int raises
                  st.builds(lambda sign, exponent: sign * 10**exponent, st.sampled_from([1, -1]),
                            st.sampled_from([18, 19, 63, 308, 309, 4299, 4300, 4301, 5000])))
_floats = st.one_of(st.floats(), st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]))
scalars = st.one_of(st.none(), st.booleans(), _ints, _floats, _text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(_text, children, max_size=4)),
    max_leaves=10,
)


def nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


deep_values = st.builds(nested, st.integers(50, 1500), st.sampled_from(["list", "dict"]))
hostile_values = st.one_of(scalars, json_values, json_values, deep_values)

event_times = st.one_of(
    st.sampled_from([
        "2026-10-01T00:00:00Z", "2026-10-31T23:59:59+14:00", "2026-10-01T00:00:00-23:59", "2026-10-01T00:00:00+99:00",
        "0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59Z",
        "10000-01-01T00:00:00Z", "-0001-01-01", "2026-10-01", "2026-10-01 10:00", "2026-10-01t10:00z",
        "2026-02-30T00:00:00Z", "2099-01-01T00:00:00Z", "2026-10-01T10:00:00.1234567891Z", "", "yesterday",
        "2026-W40", "20261001T000000Z", "2026-10-01T25:00:00Z", "\ud800",
    ]),
    st.datetimes(timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=14)),
                                            dt.timezone(dt.timedelta(hours=-23, minutes=-59))])).map(
        lambda d: d.isoformat()),
    hostile_values,
)
event_types = st.one_of(st.sampled_from(["demo_request", "webinar_attended", "email_click", "pricing_view",
                                         "session_started", "integration_connected", "feature_used"]),
                        hostile_values)


@st.composite
def events(draw: st.DrawFn) -> Any:
    if chance(draw, 10):
        return draw(hostile_values)  # not a list at all
    items: list[Any] = []
    for _ in range(draw(st.integers(0, 6))):
        if chance(draw, 8):
            items.append(draw(hostile_values))  # not an object
            continue
        event: dict[Any, Any] = {}
        if not chance(draw, 6):
            event["type"] = draw(event_types)
        if not chance(draw, 6):
            event["at"] = draw(event_times)
        for key in draw(st.lists(st.sampled_from(["app", "feature", "value", "type.sub", "at.x"]), max_size=2)):
            event[key] = draw(hostile_values)
        items.append(event)
    return items


def _put(lead: dict[str, Any], path: str, value: Any, flat: bool) -> None:
    if flat:
        lead[path] = value
        return
    *parents, last = path.split(".")
    here = lead
    for key in parents:
        child = here.get(key)
        if not isinstance(child, dict):
            child = here[key] = {}
        here = child
    here[last] = value


@st.composite
def leads(draw: st.DrawFn, fields: tuple[str, ...] = ()) -> Any:
    """A hostile lead for a policy whose schema declares `fields` (dotted paths):
    every declared field may hold any JSON value, nested or as a flat dotted key;
    undeclared keys, events of odd shapes and times; sometimes not an object."""
    if chance(draw, 20):
        return draw(hostile_values)  # not an object
    lead: dict[str, Any] = {}
    flat = draw(st.booleans())
    for field in fields:
        if chance(draw, 4):
            continue
        value = draw(events()) if field == "events" else draw(hostile_values)
        _put(lead, field, value, flat and draw(st.booleans()))
    if draw(st.booleans()):
        lead["id"] = draw(st.one_of(_text, _ints, hostile_values))
    for key in draw(st.lists(_text, max_size=3)):
        lead.setdefault(key, draw(hostile_values))
    if "events" not in lead and draw(st.booleans()):
        lead["events"] = draw(events())
    return lead


as_of_moments = st.sampled_from([
    AS_OF, dt.date(2026, 11, 1), "2026-11-01T12:00:00+14:00", dt.datetime(1, 1, 1, tzinfo=UTC),
    dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "0001-01-01", "9999-12-31T23:59:59Z",
])

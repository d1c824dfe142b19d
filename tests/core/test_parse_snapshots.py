"""Snapshots of the AST (repr of each nodes.Module item) for representative
policies in tests/cases/parse/, plus hand-written checks of the shapes the
contract decides (precedence, grouping, literals, keywords as names)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

import qualdsl
from qualdsl import nodes as n
from qualdsl.build import parse_module
from qualdsl.errors import ParseError
from qualdsl.source import Source, read_source

from qd_helpers import T

CASES = Path(__file__).resolve().parents[1] / "cases" / "parse"
PARSE_FILES = sorted(p.name for p in CASES.glob("*.qual"))


def module_of(name: str) -> n.Module:
    return parse_module(read_source(CASES / name))


def items_text(module: n.Module) -> str:
    return "\n".join(repr(item) for item in module.items)


@pytest.mark.parametrize("name", PARSE_FILES)
def test_ast_snapshot(name, snapshot):
    assert items_text(module_of(name)) == snapshot


@pytest.mark.parametrize("name", [p for p in PARSE_FILES if p not in ("fragment.qual", "expressions.qual")])
def test_parse_fixtures_are_valid_policies(name):
    text = (CASES / name).read_text(encoding="utf-8")
    policy = qualdsl.loads(text, name=name)
    policy.evaluate({}, as_of=T)


def N(*path: str) -> n.Name:
    return n.Name(tuple(path))


def L(value) -> n.Literal:
    return n.Literal(value)


def lets(name: str) -> dict[str, n.Expr]:
    return {item.name: item.value for item in module_of(name).all(n.LetDecl)}


class TestExpressionShapes:
    """Expressions and the Lexing edge cases, checked node by node."""

    def test_between_grouping(self):
        # `x between 1 and 5 and y` means `(x between 1 and 5) and y`
        assert lets("expressions.qual")["grouping"] == n.And((n.Between(N("x"), L(1), L(5)), N("y")))

    def test_not_and_or_precedence(self):
        expected = n.Or((
            n.And((n.Not(N("a")), N("b"))),
            n.And((N("c"), n.Not(n.Compare("==", N("d"), L(1))))),
        ))
        assert lets("expressions.qual")["precedence"] == expected

    def test_arithmetic_precedence(self):
        left = n.Arith("-", n.Arith("+", n.Negate(N("x")), n.Arith("*", L(2), N("y"))), n.Arith("/", N("z"), L(4)))
        assert lets("expressions.qual")["arithmetic"] == n.Compare(">=", left, L(10.5))

    def test_unary_plus_is_dropped(self):
        assert lets("expressions.qual")["unary_plus"] == n.Compare("==", N("x"), L(1))

    def test_dates_and_datetimes(self):
        value = lets("expressions.qual")["dates"]
        assert value.operands[0].right == L(dt.date(2019, 1, 1))
        assert value.operands[1].right == L(dt.datetime(2026, 1, 31, 9, 30, tzinfo=dt.UTC))
        offset = lets("expressions.qual")["offset"]
        assert offset.right == L(dt.datetime(2026, 1, 31, 7, 30, tzinfo=dt.UTC))

    def test_date_shaped_subtraction_with_spaces(self):
        value = lets("expressions.qual")["date_minus"]
        assert value == n.Compare("==", n.Arith("-", n.Arith("-", n.Arith("-", N("year"), L(2019)), L(1)), L(1)), L(5))

    def test_list_literal_items(self):
        value = lets("expressions.qual")["lists"]
        assert value.operands[0].container == n.ListLiteral(
            (L(1), L(-2), L(2.5), L("a"), L(True), L(dt.date(2026, 1, 1)))
        )
        assert value.operands[1] == n.In(N("y"), n.ListLiteral(()), negated=True)

    def test_string_escapes_are_json(self):
        value = lets("expressions.qual")["strings"]
        assert value.operands[2] == n.StringTest("ends_with", N("title"), L('"x"\u00e9'))

    def test_regex_flags_and_escaped_slash(self):
        value = lets("expressions.qual")["regexes"]
        assert value.operands[0] == n.Matches(N("title"), r"^(vp|head)\b", ignore_case=True)
        assert value.operands[1] == n.Matches(N("path"), "a/b", ignore_case=False)

    def test_counting_queries(self):
        value = lets("expressions.qual")["counting"]
        sum_ = value.left
        calls = []
        while isinstance(sum_, n.Arith):
            calls.append(sum_.right)
            sum_ = sum_.left
        calls.append(sum_)
        queries = [c.arguments[0] for c in reversed(calls)]
        assert [q.where is None for q in queries] == [True, False, True, False]
        assert [str(q.within) if q.within else None for q in queries] == [None, None, "12h", "1.5d"]
        assert queries[3].within.amount == Decimal("1.5")

    def test_backticks(self):
        value = lets("expressions.qual")["backticks"]
        assert value.operands[0].left.path == ("Lead Source",)
        assert value.operands[1].left.path == ("company", "Annual Revenue")

    def test_two_dates_no_spaces_is_a_date_not_a_subtraction(self):
        # `2019-01-01` is always a date
        module = parse_module(Source("policy p\nlet d = 2019-01-01\n"))
        assert module.all(n.LetDecl)[0].value == L(dt.date(2019, 1, 1))


class TestBlockShapes:
    def test_statements_keep_order_and_decay_anywhere(self):
        blocks = {b.name: b for b in module_of("blocks.qual").all(n.ScoreBlock)}
        capped = blocks["capped"]
        assert (capped.max, capped.min) == (40, -10)
        assert capped.decay == n.DecayEvery(Decimal("12.5"), n.Duration(Decimal("1"), "w"))
        assert capped.expire == n.Expire(n.Duration(Decimal("90"), "d"))
        assert [r.name for r in capped.rules] == ["hits", "some", "later"]
        assert capped.rules[1] == n.EventRule("some", 1, "Hit", n.Compare(">=", N("n"), L(2)), 3)
        assert [r.points for r in blocks["unsigned"].rules] == [5, 2.5, -0.25]
        assert blocks["halflife"].decay == n.DecayHalfLife(n.Duration(Decimal("36"), "h"))
        assert blocks["empty"].statements == ()

    def test_keywords_as_names(self):
        module = module_of("keywords_as_names.qual")
        (block,) = module.all(n.ScoreBlock)
        assert block.name == "event" and block.max == 10
        assert [r.name for r in block.rules] == ["score", "tier", "max", "rule", "type", "events"]
        schema = module.first(n.Schema)
        assert [f.field.path for f in schema.fields][:6] == [
            ("score",), ("tier",), ("type",), ("max",), ("rule",), ("events",)]
        (tier,) = module.first(n.Tiers).tiers
        assert tier.name == "per"
        assert tier.condition == n.Compare(">", N("event"), L(5))


def test_spans_are_not_part_of_equality():
    # The same policy in another layout, without comments, is the same AST.
    text = (CASES / "saas_inbound.qual").read_text(encoding="utf-8")
    compact = re.sub(r"#[^\n]*", "", text)
    compact = re.sub(r"[ \t]+", " ", compact).replace("\n\n", "\n")
    original, relaid = parse_module(Source(text)), parse_module(Source(compact))
    assert original == relaid
    assert original.comments != () and relaid.comments == ()
    assert original.first(n.PolicyDecl).span != relaid.first(n.PolicyDecl).span


def test_spans_locate_items():
    module = module_of("saas_inbound.qual")
    icp = module.first(n.Icp)
    assert (icp.span.line, icp.span.column) == (26, 1)
    require = icp.statements[1]
    assert (require.span.line, require.span.column) == (28, 3)
    assert (require.condition.span.line, require.condition.span.column) == (28, 11)
    # `company.employees >= 10` is 23 characters from column 11; the end column is exclusive
    assert (require.condition.span.end_line, require.condition.span.end_column) == (28, 34)


@pytest.mark.parametrize(
    "text",
    [
        "policy p\nlet x = 1 < y < 3\n",
        "policy p\nlet x = a == b == c\n",
        "policy p\nlet x = a between 1 and 2 between 3 and 4\n",
        "policy p\nlet x = y within 30d\n",  # durations only after every/half_life/after/within/decay
        "policy p\nlet x = 30d\n",
        "policy p\nlet x = 10%\n",
        "policy p\nlet x = y / / 2\n",
        "policy p\nlet x = y matches \"a\"\n",  # a regex literal only after `matches`
    ],
)
def test_syntax_errors(text):
    with pytest.raises(ParseError) as error:
        parse_module(Source(text))
    assert error.value.diagnostics[0].span.line == 2

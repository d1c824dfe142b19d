"""The typed IR: lowering, the portable JSON form, its schema and the policy hash."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import qualdsl
from qualdsl import backends, ir, ir_json, ir_schema
from qualdsl.backends.python import compile_policy, unsupported
from qualdsl.build import parse_module
from qualdsl.printer import format_module
from qualdsl.source import Source

ROOT = Path(__file__).resolve().parents[2]
POLICIES = sorted(p for p in (ROOT / "policies").glob("*.qual"))
T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def leads_of(policy_path: Path) -> list[object]:
    path = policy_path.with_suffix(".leads.jsonl")
    if not path.exists():  # olist's leads are a CSV export (policies/data/)
        return [{"id": "x"}, {}]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def lowered(text: str) -> ir.Policy:
    return qualdsl.loads(text).ir


# ============================================================= lowering


def test_every_expression_carries_its_type_and_nullability():
    policy = lowered(
        "policy t\nschema {\n n: int\n b: bool\n s: string\n}\n"
        "let big = n >= 10\n"
        "score x {\n rule r1 1 when b\n rule r2 1 when big\n rule r3 1 when n + 1 > 2\n}\n"
    )
    r1, r2, r3 = policy.blocks[0].rules
    assert isinstance(r1, ir.WhenRule) and isinstance(r2, ir.WhenRule) and isinstance(r3, ir.WhenRule)
    # A bool field may be missing: as a condition it is wrapped in Truth.
    assert r1.condition == ir.Truth(operand=ir.FieldRef(path=("b",), type="bool"))
    # A let of a comparison is a boolean that is never missing: no Truth.
    assert r2.condition == ir.LetRef(name="big", type="bool", nullable=False)
    compare = r3.condition
    assert isinstance(compare, ir.Compare) and isinstance(compare.left, ir.Arith)
    assert (compare.left.type, compare.left.nullable) == ("int", True)
    assert compare.right == ir.Const(value=2, type="int")


def test_names_are_resolved_once_sets_become_values_and_lets_are_ordered():
    policy = lowered(
        'policy t\nlet b = a and x == "1"\nlet a = x in s\nset s = ["p", "q"]\n'
        "tiers {\n tier Hot when score > 1 and icp\n tier Cold otherwise\n}\n"
        'route {\n to "hot" when tier == Hot\n to "rest" otherwise\n}\n'
    )
    assert [let.name for let in policy.lets] == ["a", "b"]  # a before the let that reads it
    member = policy.lets[0].value
    assert isinstance(member, ir.Member)
    assert member.container == ir.ConstList(values=("p", "q"), type="list[string]", set="s")
    assert policy.fields == (ir.Field(path=("x",), type="any", declared=False),)  # no schema: read raw
    tier = policy.tiers[0].condition  # type: ignore[index]
    assert isinstance(tier, ir.And)
    assert tier.operands[1] == ir.Outcome(outcome="icp", type="bool")
    route = policy.routes[0].condition  # type: ignore[index]
    assert route == ir.Compare(
        op="==", left=ir.Outcome(outcome="tier", type="tier", nullable=True), right=ir.TierConst(name="Hot")
    )


def test_blocks_carry_decay_expiry_and_caps_explicitly():
    policy = lowered(
        "policy t\nscore e max 50 min -5 {\n decay 10% every 7d\n expire after 90d\n"
        ' rule w 10 per event "Webinar" where type == "webinar" max 2\n}\n'
    )
    (block,) = policy.blocks
    assert block.decay == ir.StepDecay(percent="10", keep=1 - 10 / 100, period=7 * 86400 * 10**6)
    assert block.expire == ir.Expiry(after=90 * 86400 * 10**6)
    assert (block.max, block.min) == (50.0, -5.0)
    (rule,) = block.rules
    assert isinstance(rule, ir.EventRule)
    assert (rule.event_type_folded, rule.max_events, rule.points) == ("webinar", 2, 10.0)
    assert policy.events == ir.Events(path=("events",), position=None)


def test_includes_are_merged(tmp_path):
    (tmp_path / "common.qual").write_text('schema {\n c: string\n}\nset s = ["a"]\n', encoding="utf-8")
    main = tmp_path / "main.qual"
    main.write_text('policy m\ninclude "common.qual"\nicp {\n require c in s else "no"\n}\n', encoding="utf-8")
    policy = qualdsl.load(main).ir
    assert [field.name for field in policy.fields] == ["c"]
    (check,) = policy.icp
    assert isinstance(check.condition, ir.Member)
    assert check.condition.container == ir.ConstList(values=("a",), type="list[string]", set="s")
    assert check.loc is not None and check.loc.path.endswith("main.qual")


# ======================================================== the JSON form


def test_the_shipped_schema_is_the_generated_one():
    assert ir_schema.SCHEMA_PATH.read_text(encoding="utf-8") == ir_schema.schema_text()


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_bundled_policies_export_valid_json_that_round_trips(path):
    policy = qualdsl.load(path)
    data = json.loads(ir_json.dumps(policy.ir))
    jsonschema.validate(data, ir_schema.schema())
    back = ir_json.loads(ir_json.dumps(policy.ir))
    assert back == policy.ir
    # The round-tripped IR decides exactly as the original.
    function = compile_policy(back).function
    for lead in leads_of(path):
        assert function(lead, T, "2026-11-01T00:00:00Z") == policy.evaluate(lead, as_of=T)


def test_the_schema_rejects_what_is_not_an_ir():
    data = json.loads(ir_json.dumps(lowered("policy t\n")))
    data["blocks"] = [{"node": "Block", "name": "x"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, ir_schema.schema())


def test_loading_json_checks_format_and_hash():
    policy = qualdsl.loads("policy t\nscore s {\n rule r 1 when x > 1\n}\n")
    text = json.dumps({**ir_json.to_data(policy.ir), "hash": policy.hash})
    assert ir_json.loads(text) == policy.ir
    with pytest.raises(ValueError, match="does not match"):
        ir_json.loads(text.replace('"points": 1.0', '"points": 2.0'))
    with pytest.raises(ValueError, match="format"):
        ir_json.loads(text.replace('"format": 1', '"format": 99'))
    with pytest.raises(ValueError, match="unknown IR node"):
        ir_json.loads(text.replace('"node": "WhenRule"', '"node": "Nope"'))


# ============================================================ the hash


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_the_hash_ignores_layout_and_comments(path):
    policy = qualdsl.load(path)
    text = path.read_text(encoding="utf-8")
    source = Source(text, str(path))
    formatted = format_module(parse_module(source))
    spaced = "# a new comment\n" + text.replace("\n", "\n\n")
    for variant in (formatted, spaced):
        assert qualdsl.loads(variant, path=path).hash == policy.hash


def test_the_hash_changes_with_meaning_but_not_with_the_id_field():
    text = (ROOT / "policies" / "saas_inbound.qual").read_text(encoding="utf-8")
    path = ROOT / "policies" / "saas_inbound.qual"
    base = qualdsl.loads(text, path=path)
    assert len(base.hash) == 64 and int(base.hash, 16) >= 0
    for old, new in (("+40", "+41"), ('"GB"', '"IE"'), ("every 7d", "every 8d"), ("tier MQL", "tier MQLX")):
        assert old in text
        changed = text.replace(old, new).replace("tier == MQL", "tier == MQLX" if new == "tier MQLX" else "tier == MQL")
        assert qualdsl.loads(changed, path=path).hash != base.hash, (old, new)
    assert qualdsl.loads(text, path=path, id_field="person.email").hash == base.hash


# ========================================================= the backends


def test_a_backend_without_a_builtin_names_the_call():
    policy = lowered("policy t\nscore s {\n rule r 1 when len(x) > 1\n}\n")
    assert unsupported(policy) == []
    (rule,) = policy.blocks[0].rules
    assert isinstance(rule, ir.WhenRule)
    strange = ir.Call(function="soundex", arguments=(), type="string",
                      loc=ir.Loc("p.qual", rule.condition.loc.span))  # type: ignore[union-attr]
    evolved = ir.Policy(**{**{f: getattr(policy, f) for f in ("format", "name", "title", "fields", "events",
                                                               "lets", "icp", "tiers", "routes", "lead_id")},
                           "blocks": (ir.Block(name="s", max=None, min=None, decay=None, expire=None,
                                               rules=(ir.WhenRule(name="r", points=1.0,
                                                                  condition=ir.Truth(operand=strange)),)),)})
    (found,) = unsupported(evolved)
    assert found.function == "soundex" and found.loc is not None and found.loc.path == "p.qual"


def test_the_backend_registry():
    assert "python" in backends.available()
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    evaluator = backends.evaluator("python", policy.ir)
    lead = leads_of(ROOT / "policies" / "saas_inbound.qual")[0]
    assert evaluator.evaluate(lead, as_of="2026-11-01") == policy.evaluate(lead, as_of=T)
    with pytest.raises(KeyError):
        backends.evaluator("cobol", policy.ir)


# ====================================================== qualdsl compile


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qualdsl", *args], capture_output=True, text=True, cwd=ROOT)


def test_compile_json_prints_the_ir_with_its_hash():
    result = run("compile", "policies/saas_inbound.qual", "--target", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, ir_schema.schema())
    policy = qualdsl.load(ROOT / "policies" / "saas_inbound.qual")
    assert data["hash"] == policy.hash
    assert (data["format"], data["name"], data["title"]) == (ir.FORMAT, "saas_inbound", policy.title)
    assert ir_json.loads(result.stdout) == policy.ir


def test_compile_python_prints_the_generated_function():
    result = run("compile", "policies/saas_inbound.qual", "--target", "python")
    assert result.returncode == 0
    assert result.stdout.startswith("def evaluate(lead, T, T_TEXT, HASH=None, EVENTS=MISS):")
    assert "'unsupported country'" in result.stdout  # user text only as repr() literals


def test_compile_errors_are_located_and_never_tracebacks(tmp_path):
    broken = tmp_path / "broken.qual"
    broken.write_text("policy b\nscore s {\n rule r 1 when nope(x)\n}\n", encoding="utf-8")
    result = run("compile", str(broken))
    assert result.returncode == 1
    assert "broken.qual:3:" in result.stderr and "Traceback" not in result.stderr
    result = run("compile", "policies/saas_inbound.qual", "--id-field", "a..b")
    assert result.returncode == 2 and "empty segment" in result.stderr
    result = run("compile", "policies/saas_inbound.qual", "--as-of", "yesterday")
    assert result.returncode == 2 and "--as-of" in result.stderr


# ============================================================ the docs


def test_docs_compile_example_is_the_real_output():
    doc = (ROOT / "docs" / "compile.md").read_text(encoding="utf-8")
    policy_text = (ROOT / "docs" / "examples" / "tiny.qual").read_text(encoding="utf-8")
    assert f"```qualdsl\n{policy_text}```" in doc
    result = run("compile", "docs/examples/tiny.qual")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "docs" / "examples" / "tiny.ir.json").read_text(encoding="utf-8")
    excerpt = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    rules = json.loads(result.stdout)["blocks"][0]["rules"]
    assert excerpt == rules[0]


def test_docs_compile_lists_every_node_kind():
    doc = (ROOT / "docs" / "compile.md").read_text(encoding="utf-8")
    table = doc.split("The node kinds:", 1)[1]
    for kind in ir.NODE_TYPES:
        assert f"`{kind}`" in table, kind


def test_generated_code_has_no_syntax_warnings():
    """Regression (hardening): `"a" is missing` compiled to `'a' is None`, a
    SyntaxWarning (a SyntaxError under PYTHONWARNINGS=error)."""
    import warnings

    text = 'policy t\nscore s {\n rule r 1 when "a" is missing\n rule q 1 when 3 is present\n}\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        policy = qualdsl.loads(text)
    assert "is None" not in policy.compiled.source
    decision = policy.evaluate({}, as_of=T)
    assert [r.fired for r in decision.rules] == [False, True]


def _decide_in_worker(policy: qualdsl.Policy, lead: dict[str, object]) -> dict[str, object]:
    return policy.evaluate(lead, as_of=T).to_dict()


def test_a_policy_pickles_with_its_includes_and_works_in_a_process_pool(tmp_path):
    """Hardening: `Policy` pickles (recompiled from its source texts on load)."""
    import concurrent.futures
    import multiprocessing
    import pickle

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "common.qual").write_text('set big = ["acme"]\n', encoding="utf-8")
    main = tmp_path / "p.qual"
    main.write_text('policy p\ninclude "shared/common.qual"\nscore s {\n rule r 5 when c in big\n}\n',
                    encoding="utf-8")
    policy = qualdsl.load(main, id_field="key")
    copy = pickle.loads(pickle.dumps(policy))
    # The files change after pickling: the copy is still the policy that was loaded.
    (tmp_path / "shared" / "common.qual").write_text('set big = ["other"]\n', encoding="utf-8")
    lead = {"key": "L-9", "c": "ACME"}
    assert copy.hash == policy.hash and copy.path == policy.path
    assert copy.evaluate(lead, as_of=T) == policy.evaluate(lead, as_of=T)
    assert copy.evaluate(lead, as_of=T).lead == "L-9" and copy.evaluate(lead, as_of=T).total == 5.0
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(_decide_in_worker, policy, lead).result() == policy.evaluate(lead, as_of=T).to_dict()


def test_a_lead_value_nested_thousands_deep_is_a_warning_not_a_crash():
    """Hardening: the warning shows a value's JSON, and json.dumps recursed on
    a list nested ~1,000 deep (RecursionError out of evaluate)."""
    from qualdsl import runtime

    deep: list[object] = []
    cursor = deep
    for _ in range(5000):
        inner: list[object] = []
        cursor.extend([inner, {"a": None}])
        cursor = inner
    policy = qualdsl.loads("policy t\nschema {\n l: list[string]\n s: string\n}\n")
    decision = policy.evaluate({"l": deep, "s": deep}, as_of=T)
    assert [w.split(":")[0] for w in decision.warnings] == ["l", "s"]
    assert decision.warnings[0].startswith("l: expected list[string], got [[[[")
    assert decision.warnings[0].endswith("...; treated as missing")
    small = [[1, {"a": None, 2: "x", True: 1.5}], 2.5, "é", None, 10**20, {}, []]
    assert runtime._json_prefix(small, 10**6) == json.dumps(small, ensure_ascii=False)
    assert runtime._json_prefix(small, 7) == json.dumps(small, ensure_ascii=False)[:7]


def test_compiling_a_builtin_the_backend_lacks_is_a_located_error():
    import attrs as _attrs

    policy = lowered("policy t\nscore s {\n rule r 1 when len(x) > 1\n}\n")
    (rule,) = policy.blocks[0].rules
    strange = ir.Call(function="soundex", arguments=(), type="string",
                      loc=ir.Loc("p.qual", rule.condition.loc.span))  # type: ignore[union-attr]
    block = _attrs.evolve(policy.blocks[0], rules=(ir.WhenRule(name="r", points=1.0,
                                                             condition=ir.Truth(operand=strange)),))
    with pytest.raises(qualdsl.CheckError) as raised:
        compile_policy(_attrs.evolve(policy, blocks=(block,)))
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.path == "p.qual" and "soundex" in diagnostic.message


def test_a_json_form_nested_absurdly_deep_is_a_value_error():
    with pytest.raises(ValueError, match="nested too deeply"):
        ir_json.loads('{"node": "Policy", "format": 1, "title": ' + "[" * 100_000 + "]" * 100_000 + "}")

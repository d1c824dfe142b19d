"""Changes are found by identity, each with before and after in policy syntax."""

from __future__ import annotations

from pathlib import Path

import qualdsl
from qualdsl.diff.semantic import Added, Changed, Moved, Removed, change_to_dict, diff_policies

BASE = """
policy p "Title"
schema {
  id: string
  employees: int
  country: string
  events: events
}
set countries = ["US", "CA"]
let big = employees >= 1000
icp {
  require country in countries else "unsupported country"
  reject employees < 5 as "too small"
}
score fit max 60 {
  rule big_company +20 when big
  rule mid         +10 when employees between 100 and 999
}
score engagement max 50 {
  decay 10% every 7d
  rule demo +40 per event "demo_request"
}
tiers {
  tier SQL when score >= 50
  tier MQL when score >= 20
  tier nurture otherwise
}
route {
  to "ae" when tier == SQL
  to "sdr" when tier == MQL
  to "nurture" otherwise
}
"""


def edit(*pairs: tuple[str, str]) -> str:
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_identical_text_has_no_change(diff_texts) -> None:
    assert diff_texts(BASE, BASE) == ()


def test_layout_and_comments_alone_are_no_change(diff_texts) -> None:
    noisy = "# a comment\n" + BASE.replace("\n", "\n\n").replace(" +20 ", "    +20   # why\n ")
    assert diff_texts(BASE, noisy) == ()


def test_rule_points_change_shows_before_and_after(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("+20 when big", "+25 when big")))
    assert changes == (Changed("score", "fit.big_company", "rule big_company +20 when big",
                               "rule big_company +25 when big", ("points",)),)


def test_rule_condition_and_event_rule_aspects(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("between 100 and 999", "between 50 and 999"),
                                    ('per event "demo_request"', 'per event "demo_request" max 1')))
    assert [(c.target, c.aspects) for c in changes] == [
        ("fit.mid", ("condition",)), ("engagement.demo", ("cap",))]


def test_event_type_case_is_no_change(diff_texts) -> None:
    # Event types match case-insensitively, so only the spelling changed.
    assert diff_texts(BASE, edit(('"demo_request"', '"Demo_Request"'))) == ()


def test_rules_added_and_removed(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("  rule mid         +10 when employees between 100 and 999\n",
                                     '  rule tiny -5 when employees < 20\n')))
    assert changes == (
        Added("score", "fit.tiny", "rule tiny -5 when employees < 20"),
        Removed("score", "fit.mid", "rule mid +10 when employees between 100 and 999"),
    )


def test_block_max_decay_and_expire(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("score fit max 60", "score fit max 70 min 0"),
                                    ("decay 10% every 7d", "decay half_life 14d\n  expire after 90d")))
    assert changes == (
        Changed("score", "score fit", "score fit max 60", "score fit max 70 min 0", ("max", "min")),
        Changed("score", "engagement decay", "decay 10% every 7d", "decay half_life 14d", ("decay",)),
        Added("score", "engagement expire", "expire after 90d"),
    )


def test_whole_block_added_is_one_change_with_its_body(diff_texts) -> None:
    changes = diff_texts(BASE, BASE.replace("tiers {", "score intent {\n rule x +1 when big\n}\ntiers {"))
    assert changes == (Added("score", "score intent", "score intent {\n  rule x +1 when big\n}"),)


def test_set_items_added_and_removed_but_order_ignored(diff_texts) -> None:
    changes = diff_texts(BASE, edit(('["US", "CA"]', '["CA", "GB", "US", "DE"]')))
    assert len(changes) == 1
    change = changes[0]
    assert isinstance(change, Changed)
    assert (change.target, change.items_added, change.items_removed) == ("set countries", ('"GB"', '"DE"'), ())
    assert change.before == 'set countries = ["US", "CA"]'
    assert diff_texts(BASE, edit(('["US", "CA"]', '["CA", "US"]'))) == ()


def test_let_and_icp_by_reason(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("employees >= 1000", "employees >= 500"),
                                    ('reject employees < 5 as "too small"',
                                     'require employees >= 5 else "too small"')))
    assert [(c.section, c.target, c.aspects) for c in changes] == [
        ("let", "let big", ("value",)),
        ("icp", "icp too small", ("kind", "condition")),
    ]
    assert changes[1].after == 'require employees >= 5 else "too small"'


def test_icp_reason_renamed_is_removed_plus_added(diff_texts) -> None:
    changes = diff_texts(BASE, edit(('"too small"', '"company too small"')))
    assert [c.kind for c in changes] == ["added", "removed"]


def test_schema_fields(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("  employees: int\n", "  employees: number\n  region: string\n")))
    assert changes == (
        Changed("schema", "field employees", "employees: int", "employees: number", ("type",)),
        Added("schema", "field region", "region: string"),
    )


def test_policy_title(diff_texts) -> None:
    assert diff_texts(BASE, edit(('"Title"', '"New title"'))) == (
        Changed("policy", "policy", 'policy p "Title"', 'policy p "New title"', ("title",)),)


def test_tier_threshold_is_a_changed_condition(diff_texts) -> None:
    changes = diff_texts(BASE, edit(("score >= 50", "score >= 45")))
    assert changes == (Changed("tiers", "tier SQL", "tier SQL when score >= 50",
                               "tier SQL when score >= 45", ("condition",)),)


def test_swapped_tiers_are_moved_with_positions(diff_texts) -> None:
    swapped = edit(("  tier SQL when score >= 50\n  tier MQL when score >= 20\n",
                    "  tier MQL when score >= 20\n  tier SQL when score >= 50\n"))
    changes = diff_texts(BASE, swapped)
    assert len(changes) == 1 and isinstance(changes[0], Moved)
    moved = changes[0]
    assert (moved.target, moved.before, moved.after) in {("tier SQL", 1, 2), ("tier MQL", 2, 1)}
    assert change_to_dict(moved)["before"] in (1, 2)
    assert change_to_dict(moved)["statement"] in ("tier SQL when score >= 50", "tier MQL when score >= 20")


def test_inserting_a_route_on_top_moves_nothing(diff_texts) -> None:
    changes = diff_texts(BASE, edit(('  to "ae" when tier == SQL\n',
                                     '  to "vip" when big\n  to "ae" when tier == SQL\n')))
    assert changes == (Added("route", 'route "vip"', 'to "vip" when big'),)


def test_route_moved_to_the_end(diff_texts) -> None:
    changes = diff_texts(BASE, edit(('  to "ae" when tier == SQL\n  to "sdr" when tier == MQL\n',
                                     '  to "sdr" when tier == MQL\n  to "ae" when tier == SQL\n')))
    assert [(c.kind, c.target) for c in changes] in (
        [("moved", 'route "ae"')], [("moved", 'route "sdr"')])


def test_repeated_queue_keeps_both_routes(diff_texts) -> None:
    old = edit(('  to "sdr" when tier == MQL\n', '  to "sdr" when tier == MQL\n  to "sdr" when big\n'))
    new = edit(('  to "sdr" when tier == MQL\n', '  to "sdr" when tier == MQL\n  to "sdr" when not big\n'))
    changes = diff_texts(old, new)
    assert [(c.target, c.before, c.after) for c in changes] == [
        ('route "sdr" #2', 'to "sdr" when big', 'to "sdr" when not big')]


def test_new_policy_has_everything_added() -> None:
    changes = diff_policies(None, qualdsl.loads(BASE).checked)
    assert changes and all(isinstance(c, Added) for c in changes)
    targets = {c.target for c in changes}
    assert {"policy", "field employees", "set countries", "let big", "icp too small",
            "score fit", "tier SQL", 'route "ae"'} <= targets


def test_included_set_change_is_a_policy_change(tmp_path: Path, fixtures: Path) -> None:
    for name in ("features.qual", "features_shared.qual"):
        (tmp_path / name).write_text((fixtures / name).read_text(encoding="utf-8"), encoding="utf-8")
    before = qualdsl.load(tmp_path / "features.qual").checked
    shared = tmp_path / "features_shared.qual"
    shared.write_text(shared.read_text().replace('"test.org"]', '"test.org", "spam.io"]'))
    changes = diff_policies(before, qualdsl.load(tmp_path / "features.qual").checked)
    assert [(c.kind, c.target, getattr(c, "items_added", None)) for c in changes] == [
        ("changed", "set blocked_domains", ('"spam.io"',))]


def test_json_record_shape() -> None:
    change = Changed("set", "set s", "set s = [1]", "set s = [2]", ("items",), ("2",), ("1",))
    assert change_to_dict(change) == {
        "kind": "changed", "section": "set", "target": "set s", "before": "set s = [1]",
        "after": "set s = [2]", "aspects": ["items"], "items_added": ["2"], "items_removed": ["1"]}
    assert change_to_dict(Added("let", "let x", "let x = 1"))["before"] is None

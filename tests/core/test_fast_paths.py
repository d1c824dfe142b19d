"""Fast paths in the runtime agree with the general code they short-cut."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qualdsl import runtime

from budget import examples

SHAPED = st.text(alphabet="0123456789-:TZt +./", min_size=20, max_size=20)
DIGITS = st.text(alphabet="0123456789", min_size=14, max_size=14)


def _as_shaped(d: str) -> str:
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


@settings(max_examples=examples(400))
@given(st.one_of(SHAPED, DIGITS.map(_as_shaped)))
def test_datetime_fast_path_matches_general_parser(text: str) -> None:
    fast = runtime.to_datetime(text)
    general = runtime._parse_datetime_text(text)
    assert (fast is runtime.BAD) == (general is runtime.BAD), text
    if fast is not runtime.BAD:
        assert fast == general and fast.utcoffset() == general.utcoffset()


def test_fast_path_refuses_what_the_contract_refuses() -> None:
    for text in ("2026-10-30t10:00:00Z", "2026-10-30T24:00:00Z", "2026-02-30T10:00:00Z",
                 "2026-10-30T10:00:0\uff10Z", "0000-10-30T10:00:00Z"):
        assert runtime.to_datetime(text) is runtime.BAD, text
    assert runtime.to_datetime("2026-10-30T10:00:00Z").isoformat() == "2026-10-30T10:00:00+00:00"


def test_loads_refuses_huge_text_like_files() -> None:
    import pytest

    import qualdsl

    with pytest.raises(qualdsl.SourceError) as error:
        qualdsl.loads("policy p\n" + "#" * 3_000_000, name="huge.qual")
    assert "too large" in error.value.diagnostics[0].message

"""The HTML report: self-contained, escaped, and rendered by a real browser."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import qualdsl
from qualdsl.backtest import AsOf, Outcomes, run_backtest
from qualdsl.backtest.html import render_html
from qualdsl.batch.inputs import Row, read_rows

ROOT = Path(__file__).resolve().parents[2]
AS_OF = AsOf(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))


def xeducation_page() -> str:
    policy = qualdsl.load(ROOT / "policies" / "xeducation.qual")
    report = run_backtest(policy, read_rows([str(ROOT / "policies/data/xeducation_sample.csv")]),
                          Outcomes.build("Converted"), AS_OF, target_volume=0.2)
    return render_html(report)


def test_page_is_self_contained() -> None:
    page = xeducation_page()
    assert "<script" not in page.lower()
    assert not re.search(r"\b(src|href)\s*=", page)  # nothing to fetch, not even a link
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")
    assert page.count("<svg") == 5  # tiers, routes, lift per rule, ROC, distribution
    for title in ("Conversion by tier", "ROC curve of the total score", "Score distribution by outcome",
                  "Lift per rule"):
        assert f"<title>{title}</title>" in page


HOSTILE = qualdsl.loads("""
policy hostile "<b>title</b>"
score fit {
  rule a +10 when x == "<script>"
}
tiers {
  tier hot when score >= 10
  tier cold otherwise
}
route {
  to "<img src=x onerror=alert(1)>" when tier == hot
  to "a&b \\"quoted\\"" otherwise
}
""")


def test_every_user_string_is_escaped() -> None:
    rows = [Row("l", 1, {"x": "<script>", "won<i>": "1"}), Row("l", 2, {"x": "y", "won<i>": "0"}),
            Row("l", 3, {"x": "y", "won<i>": "<svg onload=alert(1)>"})]
    page = render_html(run_backtest(HOSTILE, rows, Outcomes.build("`won<i>`"), AS_OF))
    assert "<img" not in page and "<svg onload" not in page and "<i>" not in page and "<script" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;svg onload=alert(1)&gt;" in page  # the unknown outcome value, in the warnings
    assert "a&amp;b &quot;quoted&quot;" in page


def _png_is_not_blank(data: bytes) -> bool:
    """Decode an 8-bit RGB(A) PNG (what Chromium writes) and look for more than one colour."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    raw = zlib.decompress(chunks)
    # Filter bytes make exact decoding long; distinct bytes in the raw stream are enough:
    # a blank (all white) page compresses to rows of one repeated value.
    sample = raw[: min(len(raw), (width * (4 if colour == 6 else 3) + 1) * height)]
    return len(set(sample)) > 16


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(page: Path, screenshot: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
         "--window-size=1100,2400", f"--screenshot={screenshot}", page.as_uri()],
        check=False, capture_output=True, text=True, timeout=120)


def _console_messages(stderr: str) -> list[str]:
    # Chromium logs every console message and uncaught error as `...:CONSOLE:N] "text", source: ...`.
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.mark.slow  # a real browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package: chromium)")
def test_headless_chromium_renders_it_without_errors(tmp_path: Path) -> None:
    # The check itself: a page with a script error is caught.
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>undefinedFunction()</script></body></html>", encoding="utf-8")
    result = _chromium(broken, tmp_path / "broken.png", tmp_path / "profile-broken")
    assert any("undefinedFunction" in line for line in _console_messages(result.stderr))

    page = tmp_path / "backtest.html"
    page.write_text(xeducation_page(), encoding="utf-8")
    screenshot = tmp_path / "backtest.png"  # kept under pytest's tmp dir as the test artifact
    result = _chromium(page, screenshot, tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_messages(result.stderr) == []
    data = screenshot.read_bytes()
    assert len(data) > 10_000 and _png_is_not_blank(data)


@pytest.mark.parametrize("rows", [
    [],  # nothing usable
    [{"x": "<script>", "won<i>": "1"}],  # a single lead, all positive
    [{"x": "y", "won<i>": "0"}, {"x": "<script>", "won<i>": "0"}],  # no positives
], ids=["empty", "single", "no-positives"])
def test_edge_reports_render(rows: list[dict[str, str]]) -> None:
    records = [Row("l", i, row) for i, row in enumerate(rows)]
    report = run_backtest(HOSTILE, records, Outcomes.build("`won<i>`"), AS_OF)
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert "AUC n/a" in page  # the ROC chart says the AUC is undefined
    assert "nan" not in page.lower().replace("nurture", "")

"""The promises the issue makes to users: the docs' suite works as written,
and every bundled policy has a suite at 100% decision coverage."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "testing.md"


def first_suite_in_docs() -> str:
    text = DOC.read_text()
    section = text.split("## A first suite", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)


def test_the_docs_first_suite_passes_then_fails_as_documented(tmp_path, monkeypatch, qualdsl_test):
    (tmp_path / "policies").mkdir()
    policy = tmp_path / "policies" / "saas_inbound.qual"
    shutil.copy(ROOT / "policies" / "saas_inbound.qual", policy)
    (tmp_path / "policies" / "saas_inbound.test.yaml").write_text(first_suite_in_docs())
    monkeypatch.chdir(tmp_path)
    result = qualdsl_test("policies/saas_inbound.test.yaml")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"
    # The documented failure: raise the SQL threshold.
    policy.write_text(policy.read_text().replace("tier SQL      when score >= 80", "tier SQL      when score >= 95"))
    result = qualdsl_test("policies/saas_inbound.test.yaml")
    assert result.exit_code == 1
    assert "policies/saas_inbound.test.yaml:15: tier: expected SQL, got MQL" in result.stdout
    assert "policies/saas_inbound.test.yaml:16: route: expected ae-pool, got sdr-pool" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_every_bundled_policy_has_a_suite_at_full_coverage(monkeypatch, qualdsl_test):
    monkeypatch.chdir(ROOT)
    result = qualdsl_test("policies/", "--min-coverage", "100")
    assert result.exit_code == 0, result.stdout
    policies = sorted(p.stem for p in (ROOT / "policies").glob("*.qual"))
    for name in policies:
        assert re.search(rf"^{name} \(policies/{name}\.qual\): (\d+)/\1 = 100\.0%$", result.stdout, re.MULTILINE), name

"""Hot reload: a changed policy is swapped in, a broken one leaves the last
good version serving with its diagnostics shown, fragments and removals count."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from qualdsl.serve.reload import PolicyStore, discover_policies

from .conftest import AS_OF, DEMO_LEAD, POLICIES

SAAS = "/v1/policies/saas_inbound"


class TickingClock:
    """Each call a minute later: tells a fresh `loaded_at` from a kept one."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a later mtime even on a coarse filesystem clock
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def _store(directory: Path) -> PolicyStore:
    store = PolicyStore(directory, TickingClock())
    store.reload()
    return store


def test_discovery_skips_fragments_and_hidden_files(policy_dir: Path) -> None:
    (policy_dir / ".hidden").mkdir()
    (policy_dir / ".hidden" / "x.qual").write_text("policy x\n")
    (policy_dir / "notes.txt").write_text("policy y\n")
    (policy_dir / "zz").mkdir()
    (policy_dir / "zz" / "a.qual").write_text("policy a\n")
    names = [str(p.relative_to(policy_dir)) for p in discover_policies(policy_dir)]
    assert names == sorted(p.name for p in POLICIES.glob("*.qual")) + ["zz/a.qual"]
    assert "shared/common.qual" not in names


def test_nothing_changed_means_nothing_recompiled(policy_dir: Path) -> None:
    store = _store(policy_dir)
    before = store.entries
    assert store.reload() == []
    assert store.entries is before


def test_an_edit_swaps_in_the_new_version(policy_dir: Path) -> None:
    store = _store(policy_dir)
    old = store.by_name["saas_inbound"]
    untouched = store.by_name["bant"]
    _edit(policy_dir / "saas_inbound.qual", "+20  when", "+25  when")
    changes = store.reload()
    assert [(c.name, c.result) for c in changes] == [("saas_inbound", "loaded")]
    new = store.by_name["saas_inbound"]
    assert new.policy is not None and old.policy is not None
    assert new.policy.hash != old.policy.hash and changes[0].hash == new.policy.hash
    assert new.loaded_at is not None and old.loaded_at is not None and new.loaded_at > old.loaded_at
    assert store.by_name["bant"].loaded_at == untouched.loaded_at  # same hash: kept as it was


def test_a_reformatting_keeps_the_hash_and_loaded_at(policy_dir: Path) -> None:
    store = _store(policy_dir)
    old = store.by_name["saas_inbound"]
    path = policy_dir / "saas_inbound.qual"
    path.write_text("# a comment changes nothing\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert store.reload() == []
    assert store.by_name["saas_inbound"].loaded_at == old.loaded_at


def test_a_broken_edit_keeps_the_last_good_version(policy_dir: Path) -> None:
    store = _store(policy_dir)
    good = store.by_name["saas_inbound"].policy
    assert good is not None
    _edit(policy_dir / "saas_inbound.qual", "+20  when", "+  when")
    changes = store.reload()
    assert [(c.name, c.result) for c in changes] == [("saas_inbound", "failed")]
    assert changes[0].error and changes[0].hash == good.hash
    entry = store.by_name["saas_inbound"]
    assert entry.policy is good
    assert entry.error and entry.error[0].path.endswith("saas_inbound.qual") and entry.error[0].span.line == 35
    assert store.ready()  # still serving its last good version
    _edit(policy_dir / "saas_inbound.qual", "+  when", "+20  when")
    assert [(c.name, c.result) for c in store.reload()] == [("saas_inbound", "loaded")]
    assert store.by_name["saas_inbound"].error == ()
    assert store.by_name["saas_inbound"].policy.hash == good.hash  # type: ignore[union-attr]


def test_a_changed_fragment_recompiles_the_policies_including_it(policy_dir: Path) -> None:
    store = _store(policy_dir)
    _edit(policy_dir / "shared" / "common.qual", '"owner"]', '"owner", "founder"]')
    changed = sorted((c.name, c.result) for c in store.reload())
    assert changed == [("abm_outbound", "loaded"), ("bant", "loaded"), ("plg_signups", "loaded")]


def test_removed_and_added_policies(policy_dir: Path) -> None:
    store = _store(policy_dir)
    (policy_dir / "bant.qual").unlink()
    (policy_dir / "sub").mkdir()
    (policy_dir / "sub" / "tiny.qual").write_text(
        'policy tiny\nschema {\n  id: string\n}\nscore fit {\n  rule a +1 when id == "x"\n}\n')
    changes = {(c.name, c.result) for c in store.reload()}
    assert changes == {("bant", "removed"), ("tiny", "loaded")}
    assert "bant" not in store.by_name and store.by_name["tiny"].policy is not None


def test_over_http_an_edit_shows_the_new_hash_without_a_restart(serve: Any, policy_dir: Path) -> None:
    served = serve(reload_interval=0.05, clock=TickingClock())
    client = served.client
    old = client.get(SAAS).json()["hash"]
    _edit(policy_dir / "saas_inbound.qual", "+20  when", "+25  when")
    served.wait_for(lambda: client.get(SAAS).json()["hash"] != old)
    decision = client.post(SAAS + "/evaluate", json={"lead": DEMO_LEAD, "as_of": AS_OF}).json()
    assert decision["policy_hash"] == client.get(SAAS).json()["hash"]

    new = decision["policy_hash"]
    _edit(policy_dir / "saas_inbound.qual", "+25  when", "+  when")  # broken
    served.wait_for(lambda: client.get(SAAS).json()["error"] is not None)
    listed = client.get(SAAS).json()
    assert listed["hash"] == new  # the last good version still serves
    assert listed["error"][0]["severity"] == "error" and listed["error"][0]["line"] > 1
    still = client.post(SAAS + "/evaluate", json={"lead": DEMO_LEAD, "as_of": AS_OF})
    assert still.status_code == 200 and still.json()["policy_hash"] == new
    failed = [line for line in served.log_lines() if line["event"] == "reload" and line["result"] == "failed"]
    assert failed and failed[-1]["policy"] == "saas_inbound" and failed[-1]["error"][0]["message"]
    metrics = client.get("/metrics").text
    assert 'qualdsl_reloads_total{policy="saas_inbound",result="failed"} 1' in metrics
    assert 'qualdsl_reloads_total{policy="saas_inbound",result="loaded"} 2' in metrics

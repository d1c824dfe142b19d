"""docs/serve.md is true: its curl requests are sent (and the responses it
shows are what comes back), every error code the server can answer is in its
table, and every option it names exists."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from qualdsl.serve import cli as serve_cli

from .conftest import ROOT

DOC = (ROOT / "docs" / "serve.md").read_text(encoding="utf-8")


def _curls() -> list[tuple[dict[str, Any], Any]]:
    """Each curl command in a console block, with the JSON block that follows it (if any)."""
    found = []
    blocks = list(re.finditer(r"```(\w*)\n(.*?)```", DOC, re.DOTALL))
    for number, block in enumerate(blocks):
        if block.group(1) != "console" or not block.group(2).startswith("curl "):
            continue
        words = shlex.split(block.group(2))
        request: dict[str, Any] = {"method": "GET", "headers": {}}
        for index, word in enumerate(words):
            if word == "-X":
                request["method"] = words[index + 1]
            elif word == "-H":
                name, _, value = words[index + 1].partition(": ")
                request["headers"][name] = value
            elif word == "--data":
                request["body"] = words[index + 1]
            elif word.startswith("http://"):
                request["path"] = word.removeprefix("http://127.0.0.1:8080")
        following = blocks[number + 1] if number + 1 < len(blocks) else None
        shown = None
        if following and following.group(1) == "json" and len(DOC[block.end():following.start()]) < 200:
            shown = json.loads(following.group(2))  # a response shown right after the request
        found.append((request, shown))
    return found


def test_the_curl_examples_get_what_the_page_shows(serve: Any) -> None:
    client = serve().client
    curls = _curls()
    assert len(curls) == 3
    statuses = []
    for request, shown in curls:
        response = client.request(request["method"], request["path"], content=request["body"].encode(),
                                  headers=request["headers"])
        statuses.append(response.status_code)
        answer = response.json()
        if shown is None:
            continue
        if "decision" in shown:  # the rules list is shown cut: its first entries, then "..."
            rules = shown["decision"].pop("rules")
            actual_rules = answer["decision"].pop("rules")
            assert rules[-1] == "..." and actual_rules[:len(rules) - 1] == rules[:-1]
        assert answer == shown
    assert statuses == [200, 200, 422]


def _codes_in_source() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "qualdsl" / "serve").glob("*.py"))
    codes = set(re.findall(r'ApiError\(\d+, "(\w+)"', source)) | set(re.findall(r'error_body\("(\w+)"', source))
    codes |= set(re.findall(r'\d+: "(\w+)"', source.split("_HTTP_CODES = ", 1)[1].split("\n", 1)[0]))
    codes |= {"missing_lead", "missing_leads"}  # built as f"missing_{required}"
    return codes


def test_every_error_code_is_documented() -> None:
    table = DOC.split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(\w+)`", table))
    missing = _codes_in_source() - documented
    assert not missing, f"docs/serve.md does not explain: {sorted(missing)}"
    assert len(_codes_in_source()) >= 18


def test_every_option_the_page_names_exists() -> None:
    options = {param.opts[0] for param in serve_cli.serve_command.params if param.opts[0].startswith("--")}
    named = set(re.findall(r"`(--[a-z-]+)", DOC)) | set(re.findall(r" (--[a-z-]+) ", DOC))
    named -= {"--no-cache-dir", "--data"}  # pip's and curl's
    assert named <= options | {"--help"}, named - options
    assert {"--token-file", "--insecure-no-auth", "--reload-interval", "--max-batch"} <= named

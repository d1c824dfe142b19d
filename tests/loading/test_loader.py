"""Loaders (loader.py): includes read through a loader, on disk or in memory,
confined to a root; the project root from qualdsl.toml."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

import qualdsl
from qualdsl.errors import QualError, SourceError
from qualdsl.loader import DictLoader, FileSystemLoader, Loader, project_root

T = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MAIN = 'policy m\ninclude "lib/sets.qual"\nicp {\n  require country in supported else "n"\n}\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def messages(error: QualError) -> list[tuple[str, int, str]]:
    return [(os.path.basename(d.path), d.span.line, d.message) for d in error.diagnostics]


# ============================================================ DictLoader


class TestDictLoader:
    def test_loads_follows_includes_without_a_disk(self):
        store = {"main.qual": MAIN, "lib/sets.qual": 'set supported = ["US", "GB"]\n'}
        policy = qualdsl.loads(store["main.qual"], path="main.qual", loader=DictLoader(store))
        assert policy.evaluate({"country": "GB"}, as_of=T).icp_pass
        assert not policy.evaluate({"country": "FR"}, as_of=T).icp_pass

    def test_load_reads_the_main_file_through_the_loader(self):
        store = {"p/main.qual": MAIN, "p/lib/sets.qual": b'set supported = ["US"]\n'}
        policy = qualdsl.load("p/main.qual", loader=DictLoader(store))
        assert policy.path == "p/main.qual"
        assert policy.evaluate({"country": "US"}, as_of=T).icp_pass

    def test_includes_resolve_against_the_including_file(self):
        store = {
            "main.qual": 'policy m\ninclude "lib/a.qual"\nicp {\n  require x in b else "n"\n}\n',
            "lib/a.qual": 'include "../shared/b.qual"\n',
            "shared/b.qual": 'set b = ["y"]\n',
        }
        policy = qualdsl.load("main.qual", loader=DictLoader(store))
        assert policy.evaluate({"x": "Y"}, as_of=T).icp_pass

    def test_a_missing_include_is_located_at_the_include(self):
        store = {"main.qual": MAIN}
        with pytest.raises(QualError) as error:
            qualdsl.load("main.qual", loader=DictLoader(store))
        first = error.value.diagnostics[0]
        assert (first.path, first.span.line, first.message) == (
            "main.qual", 2, "include `lib/sets.qual`: no such file")

    def test_climbing_above_the_store_is_refused(self):
        store = {"main.qual": 'policy m\ninclude "../x.qual"\n', "x.qual": ""}
        with pytest.raises(QualError) as error:
            qualdsl.load("main.qual", loader=DictLoader(store))
        assert messages(error.value)[0] == ("main.qual", 2, "include `../x.qual` leaves the policy's directory")

    def test_a_cycle_is_reported_once(self):
        store = {"main.qual": 'policy m\ninclude "a.qual"\n', "a.qual": 'include "b.qual"\n',
                 "b.qual": 'include "a.qual"\n'}
        with pytest.raises(QualError) as error:
            qualdsl.load("main.qual", loader=DictLoader(store))
        assert messages(error.value) == [("b.qual", 1, "include `a.qual` makes a cycle")]

    def test_the_mapping_is_read_at_each_load(self):
        store = {"main.qual": MAIN, "lib/sets.qual": 'set supported = ["US"]\n'}
        loader = DictLoader(store)
        assert qualdsl.load("main.qual", loader=loader).evaluate({"country": "US"}, as_of=T).icp_pass
        store["lib/sets.qual"] = 'set supported = ["GB"]\n'  # the user typed in the buffer
        assert not qualdsl.load("main.qual", loader=loader).evaluate({"country": "US"}, as_of=T).icp_pass

    def test_undecodable_bytes_are_a_located_error(self):
        store = {"main.qual": MAIN, "lib/sets.qual": b"set supported = [\xff]\n"}
        with pytest.raises(QualError) as error:
            qualdsl.load("main.qual", loader=DictLoader(store))
        assert messages(error.value)[0] == (
            "main.qual", 2, "include `lib/sets.qual`: file is not valid UTF-8 (bad byte at offset 17)")

    def test_get_source_raises_a_source_error_naming_the_file(self):
        with pytest.raises(SourceError) as error:
            DictLoader({}).get_source("nope.qual")
        assert error.value.diagnostics[0].message == "`nope.qual`: no such file"

    def test_both_loaders_satisfy_the_protocol(self, tmp_path):
        assert isinstance(DictLoader({}), Loader)
        assert isinstance(FileSystemLoader(tmp_path), Loader)


# ====================================================== FileSystemLoader


class TestFileSystemLoader:
    def test_load_uses_the_policy_folder(self, tmp_path):
        write(tmp_path / "lib" / "sets.qual", 'set supported = ["US"]\n')
        policy = qualdsl.load(write(tmp_path / "main.qual", MAIN))
        assert policy.evaluate({"country": "US"}, as_of=T).icp_pass

    def test_a_sibling_folder_is_refused_without_a_project(self, tmp_path):
        write(tmp_path / "shared" / "sets.qual", 'set supported = ["US"]\n')
        main = write(tmp_path / "policies" / "m.qual", MAIN.replace("lib/sets.qual", "../shared/sets.qual"))
        with pytest.raises(QualError) as error:
            qualdsl.load(main)
        assert messages(error.value)[0] == (
            "m.qual", 2, "include `../shared/sets.qual` leaves the policy's directory")

    def test_a_project_root_lets_includes_reach_a_sibling_folder(self, tmp_path):
        write(tmp_path / "qualdsl.toml", "[lint]\n")
        write(tmp_path / "shared" / "sets.qual", 'set supported = ["US"]\n')
        main = write(tmp_path / "policies" / "m.qual", MAIN.replace("lib/sets.qual", "../shared/sets.qual"))
        assert qualdsl.load(main).evaluate({"country": "US"}, as_of=T).icp_pass

    def test_the_project_root_still_confines(self, tmp_path):
        project = tmp_path / "project"
        write(project / "qualdsl.toml", "")
        write(tmp_path / "outside.qual", 'set supported = ["US"]\n')
        main = write(project / "policies" / "m.qual", MAIN.replace("lib/sets.qual", "../../outside.qual"))
        with pytest.raises(QualError) as error:
            qualdsl.load(main)
        assert messages(error.value)[0] == ("m.qual", 2, "include `../../outside.qual` leaves the project")
        assert error.value.diagnostics[0].help == f"included files must be inside `{os.path.realpath(project)}`"

    def test_project_root_is_the_nearest_qualdsl_toml(self, tmp_path):
        write(tmp_path / "qualdsl.toml", "")
        write(tmp_path / "a" / "qualdsl.toml", "")
        (tmp_path / "a" / "b").mkdir()
        assert project_root(tmp_path / "a" / "b") == os.path.realpath(tmp_path / "a")

    def test_a_qualdsl_toml_symlink_loop_is_no_project(self, tmp_path):
        (tmp_path / "qualdsl.toml").symlink_to(tmp_path / "qualdsl.toml")
        assert project_root(tmp_path) != os.path.realpath(tmp_path)

    def test_loads_with_a_path_reads_includes_from_disk(self, tmp_path):
        write(tmp_path / "lib" / "sets.qual", 'set supported = ["US"]\n')
        policy = qualdsl.loads(MAIN, path=tmp_path / "unsaved.qual")
        assert policy.evaluate({"country": "US"}, as_of=T).icp_pass

    @pytest.mark.parametrize("name, shown", [
        ("a\u0000b.qual", "a\\u0000b.qual"),
        ("a\ud800.qual", "a\\ud800.qual"),
    ])
    def test_an_include_path_with_nul_or_a_lone_surrogate_is_located(self, tmp_path, name, shown):
        main = write(tmp_path / "m.qual", f"policy m\ninclude {json.dumps(name)}\n")  # a JSON escape
        with pytest.raises(QualError) as error:
            qualdsl.load(main)
        diagnostic = error.value.diagnostics[0]
        assert diagnostic.span.line == 2
        assert diagnostic.message.startswith(f"include `{shown}`: the path ")
        diagnostic.message.encode("utf-8")  # printable: no lone surrogate left in the message

    def test_a_fifo_include_is_refused_without_blocking(self, tmp_path):
        os.mkfifo(tmp_path / "pipe.qual")
        main = write(tmp_path / "m.qual", 'policy m\ninclude "pipe.qual"\n')
        with pytest.raises(QualError) as error:
            qualdsl.load(main)
        assert messages(error.value)[0] == ("m.qual", 2, "include `pipe.qual`: is a FIFO, not a regular file")

    def test_a_device_include_inside_the_root_is_refused(self, tmp_path):
        (tmp_path / "zero.qual").symlink_to("/dev/zero")
        write(tmp_path / "qualdsl.toml", "")
        loader = FileSystemLoader("/")  # a root that holds /dev: only the file type stops it
        with pytest.raises(SourceError) as error:
            loader.get_source(str(tmp_path / "zero.qual").lstrip("/"))
        assert error.value.diagnostics[0].message.endswith(": is a character device, not a regular file")

    def test_a_symlink_loop_include_is_a_located_error(self, tmp_path):
        (tmp_path / "loop.qual").symlink_to(tmp_path / "loop.qual")
        main = write(tmp_path / "m.qual", 'policy m\ninclude "loop.qual"\n')
        with pytest.raises(QualError) as error:
            qualdsl.load(main)
        assert messages(error.value)[0][:2] == ("m.qual", 2)
        assert "symlink loop" in messages(error.value)[0][2]

    def test_the_same_file_through_two_names_is_read_once(self, tmp_path):
        write(tmp_path / "sets.qual", 'set supported = ["US"]\n')
        (tmp_path / "alias.qual").symlink_to(tmp_path / "sets.qual")
        main = write(tmp_path / "m.qual", MAIN.replace('include "lib/sets.qual"',
                                                        'include "sets.qual"\ninclude "alias.qual"'))
        assert qualdsl.load(main).evaluate({"country": "US"}, as_of=T).icp_pass  # no "defined twice"

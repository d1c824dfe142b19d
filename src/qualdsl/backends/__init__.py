"""Backends: each turns an ir.Policy into something that decides leads.

Every backend answers to one protocol, `Evaluator`, so one corpus of tests
(the golden semantics, the policies' own suites, the differential tests)
holds each of them to the same meaning. `BACKENDS` names them; a backend
whose engine is not installed says so when asked for, not at import.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .. import ir
from ..decision import Decision


class Evaluator(Protocol):
    """Decides one lead as of a moment, as the contract says."""

    def evaluate(self, lead: Mapping[str, Any], *, as_of: dt.datetime | dt.date | str) -> Decision: ...


class BackendUnavailable(Exception):
    """The backend's engine is not installed here (the message says how to get it)."""


class LeadRefused(ValueError):
    """A lead this backend cannot hold or show exactly (the message names the
    value and the backend): an error in place of a decision, never a
    different decision."""


# name -> "module:function" building an Evaluator from an ir.Policy.
BACKENDS: dict[str, str] = {
    "python": "qualdsl.backends.python:evaluator",
    "duckdb": "qualdsl.backends.sql.duckdb_engine:evaluator",
    "spark": "qualdsl.backends.sql.spark_engine:evaluator",
}


def evaluator(name: str, policy: ir.Policy) -> Evaluator:
    """The named backend's evaluator for a policy (KeyError for an unknown name)."""
    module_name, function = BACKENDS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise BackendUnavailable(
            f"the `{name}` backend needs `{error.name}`: pip install 'qualdsl[{name}]'"
        ) from None
    build: Callable[[ir.Policy], Evaluator] = getattr(module, function)
    return build(policy)


def available() -> list[str]:
    """The backends whose engines are installed here, in `BACKENDS` order."""
    names = []
    for name, target in BACKENDS.items():
        try:
            importlib.import_module(target.split(":")[0])
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names

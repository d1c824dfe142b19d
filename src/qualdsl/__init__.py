"""qualdsl: lead-qualification policies as code.

The public names are imported on first use (PEP 562), so `qualdsl --version`
and other light commands do not pay for lark and the compiler.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Policy": "api",
    "load": "api",
    "loads": "api",
    "Decision": "decision",
    "RuleResult": "decision",
    "Diagnostic": "diagnostics",
    "Severity": "diagnostics",
    "CheckError": "errors",
    "ParseError": "errors",
    "QualError": "errors",
    "SourceError": "errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qualdsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from .api import Policy, load, loads
    from .decision import Decision, RuleResult
    from .diagnostics import Diagnostic, Severity
    from .errors import CheckError, ParseError, QualError, SourceError

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

# Static, so type checkers and `from qualdsl import *` see the public API
# (tests/packaging checks it matches _EXPORTS).
__all__ = [
    "CheckError",
    "Decision",
    "Diagnostic",
    "ParseError",
    "Policy",
    "QualError",
    "RuleResult",
    "Severity",
    "SourceError",
    "__version__",
    "load",
    "loads",
]


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
    # `import X as X`: an explicit re-export for `mypy --strict` in users' code.
    from .api import Policy as Policy
    from .api import load as load
    from .api import loads as loads
    from .decision import Decision as Decision
    from .decision import RuleResult as RuleResult
    from .diagnostics import Diagnostic as Diagnostic
    from .diagnostics import Severity as Severity
    from .errors import CheckError as CheckError
    from .errors import ParseError as ParseError
    from .errors import QualError as QualError
    from .errors import SourceError as SourceError

"""qualdsl: lead-qualification policies as code."""

from .api import Policy, load, loads
from .decision import Decision, RuleResult
from .diagnostics import Diagnostic, Severity
from .errors import CheckError, ParseError, QualError, SourceError

__version__ = "0.1.0"

__all__ = [
    "CheckError", "Decision", "Diagnostic", "ParseError", "Policy", "QualError", "RuleResult",
    "Severity", "SourceError", "load", "loads", "__version__",
]

"""`qualdsl lint`: find policy mistakes that compile but do not mean what the
author meant (unreachable tiers, shadowed routes, unbounded scores, ...).

Data flow: a policy file -> `qualdsl.load` (compile errors keep their QE codes) ->
every enabled rule in `registry.RULES` reads the CheckedPolicy -> findings
become Diagnostics (code, configured level) -> inline suppressions drop some
-> one of the renderers (text, json, github, sarif).
"""

from .engine import LintResult, lint_file, lint_policy
from .registry import RULES, LintRule, get_rule

__all__ = ["RULES", "LintResult", "LintRule", "get_rule", "lint_file", "lint_policy"]

"""`qualdsl diff`: what a policy change means, and what it does to leads.

semantic.py finds the changes (by identity, never by line), impact.py
evaluates both versions on leads, report.py renders text, markdown and JSON,
gitsource.py reads the old version from a git revision, syntax.py prints
nodes back in policy syntax.
"""

from .impact import Impact, measure_impact
from .report import DiffReport, render_json, render_markdown, render_text
from .semantic import Added, Change, Changed, Moved, Removed, diff_policies

__all__ = [
    "Added", "Change", "Changed", "DiffReport", "Impact", "Moved", "Removed", "diff_policies",
    "measure_impact", "render_json", "render_markdown", "render_text",
]

"""Fixtures of the batch tests (helpers live in helpers.py)."""

from .helpers import saas_policy  # noqa: F401

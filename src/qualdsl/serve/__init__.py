"""`qualdsl serve`: policies as an HTTP service (install `qualdsl[serve]`).

app.py      the Starlette app: routes, limits, errors, auth (`create_app`)
reload.py   policy discovery, compilation and hot reload
metrics.py  Prometheus text
logs.py     one structured line per decision and per reload
openapi.py  the OpenAPI 3.1 document
cli.py      the `qualdsl serve` command (uvicorn)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ApiError", "Limits", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy, so `qualdsl serve --help` and its "install the extra" message work without starlette.
    if name not in __all__:
        raise AttributeError(f"module 'qualdsl.serve' has no attribute {name!r}")
    from . import app

    return getattr(app, name)


if TYPE_CHECKING:
    from .app import ApiError, Limits, create_app

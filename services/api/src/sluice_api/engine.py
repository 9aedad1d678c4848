"""The run engine (``sluice_engine``, another team's library) seen from the API.

The API never advances runs itself: starts, event routing, operator controls
and task completions go through the engine's functions, inside the request's
transaction, so the answer can name what happened. Until the engine library
is installed these answer 503 ``ENGINE_UNAVAILABLE`` and record nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from sluice_api.problems import ProblemError


def engine() -> ModuleType:
    try:
        return importlib.import_module("sluice_engine")
    except ModuleNotFoundError:
        raise ProblemError(
            503, "ENGINE_UNAVAILABLE", "the run engine is not installed in this API build"
        ) from None

"""The ``http`` plugin (entry point in group ``sluice.plugins``): the ``http.request`` action.

Loaded in every service by default (``sluice_engine.plugins.BUILTIN_PLUGINS``):
the API needs the contract for publish validation and discovery, the executor
the handler. Not transactional: it runs as a leased job, never inside a
database transaction.
"""

from __future__ import annotations

from sluice_engine import ActionHandlers
from workflow_core.registry import Registry

from sluice_http_request.contract import SPEC
from sluice_http_request.handler import HttpRequestAction


def register(registry: Registry, handlers: ActionHandlers) -> None:
    registry.actions.register(SPEC)
    handlers.register(SPEC.action_id, SPEC.version, HttpRequestAction())

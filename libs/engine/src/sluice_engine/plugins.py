"""Loading extra node types and actions from ``WF_PLUGINS`` (SPEC section 15).

``WF_PLUGINS`` is a comma-separated list; each item is either the name of an
entry point in the ``sluice.plugins`` group or ``module:function``. A plugin
function receives the (unfrozen) Registry and the ActionHandlers table and
registers into both; the caller freezes them afterwards.

Built-in plugins (``BUILTIN_PLUGINS``: the help-desk email node types and
actions of the reference workflow, the ``http.request`` action) are loaded
first in every service whenever their entry point is installed, so the
reference workflow works out of the box without any ``WF_PLUGINS``; naming
one in ``WF_PLUGINS`` too loads it once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from workflow_core.registry import Registry

from sluice_engine.errors import PluginError
from sluice_engine.handlers import ActionHandlers

ENTRY_POINT_GROUP = "sluice.plugins"
BUILTIN_PLUGINS = ("helpdesk", "http")
Plugin = Callable[[Registry, ActionHandlers], None]


def plugin_names(spec: str) -> list[str]:
    return [name.strip() for name in spec.split(",") if name.strip()]


def resolve_plugin(name: str) -> Plugin:
    """An entry point of ``sluice.plugins`` by name, else ``module:function``."""
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    target: Any
    if found:
        target = found[0].load()
    elif ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            target = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"cannot load plugin {name!r}: {exc}") from exc
    else:
        raise PluginError(
            f"unknown plugin {name!r}: not an entry point of {ENTRY_POINT_GROUP!r} "
            "and not of the form module:function"
        )
    if not callable(target):
        raise PluginError(f"plugin {name!r} is not callable")
    plugin: Plugin = target
    return plugin


def installed_builtins() -> list[str]:
    """The built-in plugins whose entry points are installed (a slim deploy may omit one)."""
    available = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return [name for name in BUILTIN_PLUGINS if name in available]


def load_plugins(
    spec: str, registry: Registry, handlers: ActionHandlers, *, builtins: bool = True
) -> list[str]:
    """Run the built-in plugins, then every plugin named in ``spec``; returns the names run."""
    names: list[str] = []
    for name in [*(installed_builtins() if builtins else []), *plugin_names(spec)]:
        if name not in names:
            resolve_plugin(name)(registry, handlers)
            names.append(name)
    return names

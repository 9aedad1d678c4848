"""``sluice definitions validate DIR``: the full publish validation, offline, for CI.

Every ``*.json`` file in DIR (not recursive) is one definition document (SPEC
section 3). Each is checked exactly as ``POST .../publish`` checks it: the core
registry plus the ``WF_PLUGINS`` node types and actions, and the other files'
ids as the workflows ``control.callWorkflow`` may name (a directory is a
tenant's set of definitions). Output, one line per finding:

    examples/x.json: error INVALID_CONFIG at root.steps[2] (/steps/2/config/durationMs): ...

``--output json`` prints ``{file: {ok, errors: [PublishError]}}`` instead.
Exit code 0 when no file has an error (warnings do not fail), 1 when one has,
2 when DIR cannot be read. ``export`` and ``apply`` (over the API) are not
built yet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


@click.group("definitions")
def command() -> None:
    """Workflow definitions as files (definitions as code)."""


def _load(directory: Path) -> dict[str, Any]:
    documents: dict[str, Any] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            documents[str(path)] = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            documents[str(path)] = exc
    return documents


def _known(documents: dict[str, Any]) -> dict[str, Any]:
    from workflow_core.validation.context import WorkflowInfo

    return {
        doc["id"]: WorkflowInfo(workflow_id=doc["id"], name=doc.get("name"))
        for doc in documents.values()
        if isinstance(doc, dict) and isinstance(doc.get("id"), str)
    }


@command.command("validate")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(directory: Path, output: str) -> None:
    """Validate every *.json definition in DIRECTORY as publishing would (exit 1 on errors)."""
    from sluice_config import load_settings
    from sluice_engine import ActionHandlers, load_plugins
    from workflow_core.registry import create_registry
    from workflow_core.validation import validate_definition

    if not directory.is_dir():
        click.echo(f"sluice definitions validate: error: {directory} is not a directory", err=True)
        sys.exit(2)
    registry = create_registry()
    load_plugins(load_settings().plugins, registry, ActionHandlers())
    registry.freeze()
    documents = _load(directory)
    known = _known(documents)
    results: dict[str, dict[str, Any]] = {}
    for name, document in documents.items():
        if isinstance(document, Exception):
            problem = {"severity": "error", "stepPath": "root", "code": "INVALID_JSON",
                       "message": f"not a JSON document: {document}"}  # fmt: skip
            results[name] = {"ok": False, "errors": [problem]}
            continue
        report = validate_definition(document, registry=registry, known_workflows=known)
        results[name] = report.wire()
    _print(results, output)
    sys.exit(0 if all(result["ok"] for result in results.values()) else 1)


def _print(results: dict[str, dict[str, Any]], output: str) -> None:
    if output == "json":
        click.echo(json.dumps(results, indent=2))
        return
    for name, result in results.items():
        for error in result["errors"]:
            where = error["stepPath"] + (f" ({error['pointer']})" if error.get("pointer") else "")
            click.echo(
                f"{name}: {error['severity']} {error['code']} at {where}: {error['message']}"
            )
    failed = sum(1 for result in results.values() if not result["ok"])
    click.echo(f"{len(results)} definitions checked, {failed} with errors", err=True)

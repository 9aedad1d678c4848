"""``sluice definitions validate|export|apply|schema``: definitions as code.

``validate DIR`` runs the full publish validation offline (no API) on every
``*.json`` file in DIR (not recursive): the core registry plus the
``WF_PLUGINS`` node types and actions, and the other files' ids as the
workflows ``control.callWorkflow`` may name. One line per finding::

    examples/x.json: error INVALID_CONFIG at root.steps[2] (/steps/2/config/durationMs): ...

``export DIR`` (API) writes each workflow's latest published version (``--draft``:
its draft) to DIR, one stable file per workflow (:mod:`sluice_cli.definition_files`).

``apply DIR`` (API) validates the files as ``validate`` does (also knowing the
tenant's published workflows), prints the plan -- each file ``create``,
``change`` (with the step-level diff from the latest published version) or
``unchanged`` -- asks for confirmation on a terminal (``--yes`` for CI,
``--dry-run`` stops after the plan), then creates or updates the drafts of the
files that differ and publishes exactly those, a called workflow before its
callers. Applying the same directory again finds everything unchanged.

``schema`` prints the JSON Schema of the definition format (the committed
``schemas/workflow-definition.schema.json``; the API serves it at
``/schemas/workflow-definition.json``).

Exit codes: 0 done; 1 a file has an error (validation, publish refused) or the
API refused a request; 2 usage (DIR unreadable, no ``--yes`` without a
terminal); 3 the API unreachable or failing (:mod:`sluice_cli.api`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from sluice_cli.api import (
    EXIT_REFUSED,
    EXIT_USAGE,
    ApiContext,
    ApiError,
    api_command,
    echo_json,
)
from sluice_cli.definition_files import (
    FileError,
    PlanEntry,
    describe,
    file_names,
    file_text,
    load_directory,
    plan_entry,
    publish_order,
    workflow_id_of,
)

Results = dict[str, dict[str, Any]]  # file -> {ok, errors: [PublishError wire form]}


@click.group("definitions")
def command() -> None:
    """Workflow definitions as files (definitions as code)."""


def _directory(command_name: str, directory: Path) -> None:
    if not directory.is_dir():
        click.echo(
            f"sluice definitions {command_name}: error: {directory} is not a directory", err=True
        )
        sys.exit(EXIT_USAGE)


def _problem(code: str, message: str) -> dict[str, Any]:
    return {"severity": "error", "stepPath": "root", "code": code, "message": message}


def validate_documents(
    documents: Mapping[str, dict[str, Any] | FileError], known: Mapping[str, Any] | None = None
) -> Results:
    """Publish validation of each document, offline; ``known``: other workflows
    (``WorkflowInfo`` by id) besides the documents' own ids."""
    from sluice_config import load_settings
    from sluice_engine import ActionHandlers, load_plugins
    from workflow_core.registry import create_registry
    from workflow_core.validation import validate_definition
    from workflow_core.validation.context import WorkflowInfo

    registry = create_registry()
    load_plugins(load_settings().plugins, registry, ActionHandlers())
    registry.freeze()
    workflows = dict(known or {})
    for document in documents.values():
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            workflows[document["id"]] = WorkflowInfo(document["id"], document.get("name"))
    results: Results = {}
    for name, document in documents.items():
        if isinstance(document, FileError):
            results[name] = {"ok": False, "errors": [_problem(document.code, str(document))]}
            continue
        report = validate_definition(document, registry=registry, known_workflows=workflows)
        results[name] = report.wire()
    return results


def _echo_findings(results: Results) -> None:
    for name, result in results.items():
        for error in result["errors"]:
            where = error["stepPath"] + (f" ({error['pointer']})" if error.get("pointer") else "")
            click.echo(
                f"{name}: {error['severity']} {error['code']} at {where}: {error['message']}"
            )


@command.command("validate")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(directory: Path, output: str) -> None:
    """Validate every *.json definition in DIRECTORY as publishing would (exit 1 on errors)."""
    _directory("validate", directory)
    results = validate_documents(load_directory(directory))
    if output == "json":
        click.echo(json.dumps(results, indent=2))
    else:
        _echo_findings(results)
        failed = sum(1 for result in results.values() if not result["ok"])
        click.echo(f"{len(results)} definitions checked, {failed} with errors", err=True)
    sys.exit(0 if all(result["ok"] for result in results.values()) else EXIT_REFUSED)


@command.command("schema")
def schema() -> None:
    """Print the JSON Schema of the definition format (for editors)."""
    from workflow_core.definitions import definition_json_schema

    click.echo(json.dumps(definition_json_schema(), indent=2, ensure_ascii=False))


def _all_definitions(api: ApiContext) -> list[dict[str, Any]]:
    items, _ = api.client.pages("/workflow-definitions", {"limit": 500}, follow=True)
    return [item for item in items if isinstance(item, dict)]


@command.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--draft", is_flag=True, help="each workflow's draft [default: latest published]")
@api_command
def export(api: ApiContext, directory: Path, draft: bool) -> None:
    """Write every workflow to DIRECTORY, one JSON file each (stable names and key order)."""
    summaries = _all_definitions(api)
    chosen = [s for s in summaries if draft or s.get("latestVersion")]
    skipped = [s for s in summaries if s not in chosen]
    names = file_names([(str(s["id"]), str(s.get("name", ""))) for s in chosen])
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for summary in sorted(chosen, key=lambda s: names[str(s["id"])]):
        version = "draft" if draft else summary["latestVersion"]
        found = api.client.get(f"/workflow-definitions/{summary['id']}/{version}")
        path = directory / names[str(summary["id"])]
        path.write_text(file_text(found["definition"]), encoding="utf-8")
        written.append({"file": str(path), "id": summary["id"], "name": summary.get("name"),
                        "version": version})  # fmt: skip
    if api.output == "json":
        left = [{"id": s["id"], "name": s.get("name")} for s in skipped]
        echo_json({"directory": str(directory), "files": written, "skipped": left})
        return
    for item in written:
        click.echo(f"wrote {item['file']}  {json.dumps(item['name'])} ({item['version']})")
    if skipped:
        click.echo(f"{len(skipped)} never published, not written (--draft writes drafts): "
                   + ", ".join(json.dumps(s.get("name")) for s in skipped), err=True)  # fmt: skip
    click.echo(f"{len(written)} definitions exported to {directory}", err=True)


@command.command("apply")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="apply without asking (CI)")
@click.option("--dry-run", is_flag=True, help="print the plan only")
@api_command
def apply(api: ApiContext, directory: Path, yes: bool, dry_run: bool) -> None:
    """Create, update and publish the workflows of DIRECTORY that differ (plan first)."""
    _directory("apply", directory)
    documents = load_directory(directory)
    summaries = _all_definitions(api)
    ids, problems = _match(documents, summaries)
    results = validate_documents(
        {f: problems.get(f) or d for f, d in documents.items()}, _published_known(summaries)
    )
    if not all(result["ok"] for result in results.values()):
        _refuse_invalid(api, results)
    valid = {f: d for f, d in documents.items() if isinstance(d, dict)}
    by_id = {str(s["id"]): s for s in summaries}
    plan = [_entry(api, f, valid[f], ids[f], by_id) for f in publish_order(valid, _pinned(ids))]
    todo = [entry for entry in plan if entry.kind != "unchanged"]
    if api.output != "json":
        for entry in plan:
            click.echo(describe(entry))
        click.echo(_counts(plan), err=True)
    if dry_run or not todo:
        if api.output == "json":
            echo_json({"plan": [e.wire() for e in plan], "applied": []})
        elif not todo:
            click.echo("nothing to apply: every definition is unchanged", err=True)
        return
    _confirm(api, yes, len(todo))
    applied = []
    for entry in todo:
        applied.append(_apply_one(api, entry, valid[entry.file]))
    if api.output == "json":
        echo_json({"plan": [e.wire() for e in plan], "applied": applied})


def _pinned(ids: Mapping[str, str | None]) -> dict[str, str]:
    return {name: workflow_id for name, workflow_id in ids.items() if workflow_id}


def _match(
    documents: Mapping[str, dict[str, Any] | FileError], summaries: list[dict[str, Any]]
) -> tuple[dict[str, str | None], dict[str, FileError]]:
    """Each file's workflow id (by its id, else by its unique name; None: new) and
    the files that cannot be matched (bad id, a name two workflows share, an id
    two files claim)."""
    ids: dict[str, str | None] = {}
    problems: dict[str, FileError] = {}
    claimed: dict[str, str] = {}
    for name, document in documents.items():
        if isinstance(document, FileError):
            continue
        try:
            workflow_id = workflow_id_of(document)
        except FileError as exc:
            problems[name] = exc
            continue
        if workflow_id is None:
            same = [s for s in summaries if s.get("name") == document.get("name")]
            if len(same) > 1:
                problems[name] = FileError(
                    f"no id, and {len(same)} workflows are named {document.get('name')!r}: "
                    "add the id of the one this file is"
                )
                continue
            workflow_id = str(same[0]["id"]) if same else None
        if workflow_id is not None and workflow_id in claimed:
            problems[name] = FileError(f"workflow {workflow_id} is also {claimed[workflow_id]}")
            continue
        if workflow_id is not None:
            claimed[workflow_id] = name
        ids[name] = workflow_id
    return ids, problems


def _published_known(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The tenant's published workflows, as publish validation sees them (versions 1..latest)."""
    from workflow_core.validation.context import WorkflowInfo

    return {
        str(s["id"]): WorkflowInfo(
            str(s["id"]), s.get("name"), frozenset(range(1, int(s["latestVersion"]) + 1))
        )
        for s in summaries
        if s.get("latestVersion")
    }


def _refuse_invalid(api: ApiContext, results: Results) -> None:
    if api.output == "json":
        echo_json({"errors": {f: r for f, r in results.items() if not r["ok"]}, "applied": []})
    else:
        _echo_findings(results)
    failed = sum(1 for result in results.values() if not result["ok"])
    api.fail(f"{failed} of {len(results)} files have errors; nothing was applied")


def _entry(
    api: ApiContext,
    file: str,
    document: dict[str, Any],
    workflow_id: str | None,
    by_id: Mapping[str, dict[str, Any]],
) -> PlanEntry:
    summary = by_id.get(workflow_id) if workflow_id else None
    if summary is None:
        return plan_entry(file, document, workflow_id, None, None, None, None)
    response = api.client.request("GET", f"/workflow-definitions/{workflow_id}/draft")
    draft = response.json()["definition"]
    latest = summary.get("latestVersion")
    published = None
    if latest:
        published = api.client.get(f"/workflow-definitions/{workflow_id}/{latest}")["definition"]
    etag = response.headers.get("ETag")
    return plan_entry(file, document, workflow_id, published, latest, draft, etag)


def _counts(plan: list[PlanEntry]) -> str:
    counts = {kind: sum(1 for e in plan if e.kind == kind)
              for kind in ("create", "change", "unchanged")}  # fmt: skip
    return (
        f"plan: {counts['create']} to create, {counts['change']} to change, "
        f"{counts['unchanged']} unchanged"
    )


def _confirm(api: ApiContext, yes: bool, count: int) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise ApiError(
            "not a terminal, so no one can confirm: pass --yes to apply (or --dry-run)",
            EXIT_USAGE,
        )
    if not click.confirm(f"Apply {count} changes?", default=False, err=True):
        raise ApiError("not applied", EXIT_REFUSED)


def _apply_one(api: ApiContext, entry: PlanEntry, document: dict[str, Any]) -> dict[str, Any]:
    """Create or update the draft, then publish it as the next version."""
    client = api.client
    if entry.kind == "create":
        created = client.post("/workflow-definitions", document)
        workflow_id = str(created["id"])
    else:
        assert entry.workflow_id is not None
        workflow_id = entry.workflow_id
        headers = {"If-Match": entry.etag} if entry.etag else None
        client.json("PUT", f"/workflow-definitions/{workflow_id}/draft", body=document,
                    headers=headers)  # fmt: skip
    expected = (entry.published_version or 0) + 1
    result = client.post(f"/workflow-definitions/{workflow_id}/{expected}/publish", send_body=False)
    if not result.get("ok"):
        _echo_findings({entry.file: result})
        api.fail(f"{entry.file}: publishing was refused; its draft is saved (see the errors above)")
    done = "created" if entry.kind == "create" else "published"
    if api.output != "json":
        click.echo(f"{done:<9}  {entry.file}  {json.dumps(entry.name)} ({workflow_id}) "
                   f"v{result['publishedVersion']}")  # fmt: skip
    return {"file": entry.file, "action": entry.kind, "id": workflow_id,
            "publishedVersion": result["publishedVersion"]}  # fmt: skip

"""Publish checks of ``concurrency`` and ``autoPause`` (INVALID_FLOW_CONTROL, at ``root``).

Their shapes (a limit of at least 1, a known ``onLimit``, a rate in (0, 1]) are the
model's (INVALID_DEFINITION, naming the field). Here: the key expression parses,
calls only allowed functions and reads only ``payload`` (the one thing known
before the run begins); the window is a duration of a usable length.
"""

from __future__ import annotations

from workflow_core.auto_pause import WindowError, parse_window
from workflow_core.definitions import ROOT, Definition
from workflow_core.errors import ExpressionCode, PublishCode
from workflow_core.expressions import ExpressionError, compile_expression
from workflow_core.validation.report import Findings

KEY_POINTER = "/concurrency/key"


def check_flow_control(root: Definition, f: Findings) -> None:
    limit = root.concurrency
    if limit is not None and limit.key is not None:
        _check_key(limit.key.source, f)
    if root.auto_pause is not None:
        try:
            parse_window(root.auto_pause.window)
        except WindowError as error:
            f.error(
                PublishCode.INVALID_FLOW_CONTROL, ROOT, error.message, None, "/autoPause/window"
            )


def _check_key(source: str, f: Findings) -> None:
    try:
        compiled = compile_expression(source)
    except ExpressionError as error:
        code = (
            PublishCode.DISALLOWED_FUNCTION
            if error.code == ExpressionCode.DISALLOWED_FUNCTION
            else PublishCode.INVALID_EXPR
        )
        f.error(code, ROOT, f"concurrency.key: {error.message}", None, KEY_POINTER)
        return
    others = sorted({path[0] for path in compiled.read_paths if path and path[0] != "payload"})
    if others:
        message = (
            f"concurrency.key reads {', '.join(others)}: only payload is known when a run "
            "starts, so the key can read nothing else"
        )
        f.error(PublishCode.INVALID_FLOW_CONTROL, ROOT, message, None, KEY_POINTER)

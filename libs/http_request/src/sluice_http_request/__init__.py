"""The ``http.request`` action (issue 18); see README.md."""

from sluice_http_request.contract import ACTION_ID, INPUT_SCHEMA, OUTPUT_SCHEMA, SPEC
from sluice_http_request.guard import DestinationRefusedError, Policy, refusal, system_resolve
from sluice_http_request.handler import HttpRequestAction
from sluice_http_request.response import retry_after

__all__ = [
    "ACTION_ID",
    "INPUT_SCHEMA",
    "OUTPUT_SCHEMA",
    "SPEC",
    "DestinationRefusedError",
    "HttpRequestAction",
    "Policy",
    "refusal",
    "retry_after",
    "system_resolve",
]

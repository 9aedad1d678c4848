"""HTTP pieces shared by Sluice's FastAPI services (API and ingest): problems, the
route class that applies the input rule and declares problems, the OpenAPI finish."""

from sluice_http.openapi import link
from sluice_http.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemError,
    ProblemItem,
    install_problem_handlers,
    not_found,
    problem_response,
    unavailable,
    validation_items,
)
from sluice_http.routing import MAX_BODY_BYTES, SluiceRoute, is_json_media, sluice_router

__all__ = [
    "MAX_BODY_BYTES",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemError",
    "ProblemItem",
    "SluiceRoute",
    "install_problem_handlers",
    "is_json_media",
    "link",
    "not_found",
    "problem_response",
    "sluice_router",
    "unavailable",
    "validation_items",
]

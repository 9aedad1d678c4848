"""Workflow definitions shipped as data (JSON files beside this module).

``inbound_email.json`` is the reference workflow of SPEC section 12; ``sluice
seed`` publishes it for a tenant. Its fixed ``id`` makes re-seeding update the
same definition instead of creating another.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

INBOUND_EMAIL_FILE = "inbound_email.json"


def load_definition(name: str = INBOUND_EMAIL_FILE) -> dict[str, Any]:
    """A shipped definition document (a fresh copy each call)."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def inbound_email_definition() -> dict[str, Any]:
    return load_definition(INBOUND_EMAIL_FILE)

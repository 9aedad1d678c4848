"""Fixtures for the expression sandbox tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

NOW = datetime(2026, 3, 4, 5, 6, 7, 890_123, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def context() -> dict[str, Any]:
    """An envelope view shaped like the inbound-email workflow's."""
    return {
        "payload": {
            "emailData": {"subject": "Printer on fire", "from": "ann@example.com", "to": ["it@x"]},
            "items": [{"price": 3, "name": "toner"}, {"price": 9, "name": "drum"}],
            "len": 7,
        },
        "vars": {"ticketId": None, "tags": ["a"]},
        "meta": {"state": "NEW"},
        "error": None,
    }

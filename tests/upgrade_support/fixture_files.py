"""Fixture files: ``tests/upgrade/fixtures/<release>/<scenario>.json``, and the release record.

``tests/upgrade/releases.json`` names the previous release (the one whose
services must still run against today's schema) by a git commit, and which
release directory under ``fixtures/`` holds its persisted states.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upgrade_support.persisted import PREFIX_PLACEHOLDER

UPGRADE_DIR = Path(__file__).resolve().parents[1] / "upgrade"
FIXTURES_DIR = UPGRADE_DIR / "fixtures"
RELEASES_FILE = UPGRADE_DIR / "releases.json"
FORMAT = 1  # bump when the file layout changes (the loader refuses what it does not know)


@dataclass(frozen=True)
class Release:
    name: str
    commit: str


def previous_release() -> Release:
    record = json.loads(RELEASES_FILE.read_text())["previous"]
    return Release(record["name"], record["commit"])


def releases() -> list[str]:
    """Every release that left fixtures, oldest first (names sort by date)."""
    if not FIXTURES_DIR.exists():
        return []
    return sorted(p.name for p in FIXTURES_DIR.iterdir() if p.is_dir())


def head_commit() -> str:
    root = UPGRADE_DIR.parents[1]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    return f"{commit}+changes" if dirty else commit


def write_fixture(release: str, scenario: str, document: dict[str, Any], prefix: str) -> Path:
    text = json.dumps({"format": FORMAT, **document}, indent=1, sort_keys=True)
    path = FIXTURES_DIR / release / f"{scenario}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(prefix, PREFIX_PLACEHOLDER) + "\n")
    return path


def read_fixtures(release: str, prefix: str) -> list[dict[str, Any]]:
    """Every scenario of ``release``, with this stack's topic prefix put in."""
    found = []
    for path in sorted((FIXTURES_DIR / release).glob("*.json")):
        document = json.loads(path.read_text().replace(PREFIX_PLACEHOLDER, prefix))
        if document.get("format") != FORMAT:
            raise ValueError(f"{path}: fixture format {document.get('format')!r}, "
                             f"this loader reads {FORMAT}")  # fmt: skip
        found.append(document)
    return found

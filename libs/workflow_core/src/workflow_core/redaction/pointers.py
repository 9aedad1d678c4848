"""RFC 6901 JSON pointers, parsed leniently for redaction.

Redaction must never fail on operator data, so a pointer that is malformed,
uses the ``-`` (past-the-end) array token, or names something that does not
exist is simply ignored rather than raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

Path = tuple[str, ...]
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


def parse_pointer(pointer: str) -> Path | None:
    """``/a/b~1c/0`` -> ``("a", "b/c", "0")``; ``""`` is the whole document; None if malformed."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        return None
    tokens = pointer[1:].split("/")
    # RFC 6901: '~' must be followed by 0 or 1; decode ~1 before ~0 so "~01" means "~1".
    if any(re.search(r"~(?![01])", token) for token in tokens):
        return None
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in tokens)


def format_pointer(path: Iterable[str | int]) -> str:
    """The pointer for a path of keys and array indexes (``~``/``/`` escaped)."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "".join("/" + part for part in parts)


def resolve(document: Any, path: Path) -> tuple[bool, Any]:
    """``(True, value)`` when ``path`` exists in ``document``, else ``(False, None)``."""
    current = document
    for token in path:
        if isinstance(current, dict):
            if token not in current:
                return False, None
            current = current[token]
        elif isinstance(current, list):
            if not _INDEX.match(token) or int(token) >= len(current):
                return False, None
            current = current[int(token)]
        else:
            return False, None
    return True, current


def existing_paths(document: Any, pointers: Iterable[str]) -> set[Path]:
    """The parsed pointers that name an existing location, in canonical token form."""
    found: set[Path] = set()
    for pointer in pointers:
        path = parse_pointer(pointer)
        if path is not None and resolve(document, path)[0]:
            found.add(path)
    return found


def walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every node of a JSON value with its path, parents before children."""
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from walk(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, (*path, str(index)))

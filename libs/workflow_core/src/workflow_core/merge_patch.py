"""JSON Merge Patch (RFC 7396): how an operator edits a payload or vars in place.

A patch object's members replace the target's, ``null`` deletes one, nested
objects merge recursively; any patch that is not an object replaces the target
whole. Pure: neither argument is changed, the result shares nothing mutable.
"""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied (RFC 7396 section 2)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result

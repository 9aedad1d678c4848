"""Masking what operators must not see (SPEC section 10).

Four rules, applied to a copy (the input is never mutated):

1. every JSON pointer in ``pointers`` (the envelope's ``meta.redactions``) is
   replaced by the mask; malformed, ``-`` and missing pointers are ignored;
2. in every object with a ``secretRef`` key, every *other* field is masked
   (the reference itself is a name, not a secret, and stays readable);
3. every location in ``sensitive_pointers`` (from ``x-sensitive`` schemas) is
   masked;
4. the masked values are then scrubbed from everything else: a string equal to
   one becomes the mask, and every occurrence inside a longer string (an error
   message quoting a token) is replaced by the mask.

Limits of rule 4, chosen so redaction does not destroy ordinary text:
masked texts shorter than ``MIN_SUBSTRING`` characters (and those that occur
inside the mask itself) are scrubbed only where they make up a whole string,
never as substrings; a number elsewhere is masked when its JSON text equals a
masked text of at least ``MIN_SUBSTRING`` characters (so a masked ``3`` does
not erase every 3 of the run); ``true``/``false``/``null`` are never secrets;
object keys are structure and are never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import JsonValue

from workflow_core.redaction.pointers import Path, existing_paths, walk

MASK = "***"
SECRET_REF = "secretRef"
# How a secretRef key looks in json.dumps output (a string value can only
# contain it escaped, which at worst sends us down the full walk).
_SECRET_REF_KEY = f'"{SECRET_REF}": '
# "abc" or "yes" inside prose is too common to cut out of every message.
MIN_SUBSTRING = 4
# Scrubbing can splice a new occurrence out of mask + neighbours (secret "a***");
# after this many passes the whole string is masked instead.
_MAX_SCRUB_PASSES = 8


def redact(
    value: JsonValue,
    *,
    pointers: Iterable[str] = (),
    sensitive_pointers: Iterable[str] = (),
    mask: str = MASK,
) -> JsonValue:
    """A redacted copy of ``value``; see the module docstring for the rules."""
    all_pointers = [*pointers, *sensitive_pointers]
    if not all_pointers:
        # The common snapshot has nothing to mask: one C-speed encode both
        # proves there is no secretRef key and gives the copy (about 10x
        # cheaper than the walk below on a 3 KB envelope).
        encoded = json.dumps(value)
        if _SECRET_REF_KEY not in encoded:
            copied: JsonValue = json.loads(encoded)
            return copied
    masked = existing_paths(value, all_pointers)
    secrets = _Secrets(mask, _masked_leaves(value, masked))
    result: JsonValue = _rebuild(value, (), masked, secrets)
    return result


def scrub(value: JsonValue, texts: Iterable[str], *, mask: str = MASK) -> JsonValue:
    """Rule 4 alone: every text in ``texts`` scrubbed from ``value`` (a copy), by the
    same limits as ``redact``. For values a service knows but the run never held (the
    secrets an action resolved), kept out of the action's output and error."""
    secrets = _Secrets(mask, texts)
    if not secrets.whole:
        copied: JsonValue = json.loads(json.dumps(value))
        return copied
    result: JsonValue = _rebuild(value, (), set(), secrets)
    return result


def _masked_leaves(value: Any, masked: set[Path]) -> list[Any]:
    """The scalar leaves of every value rules 1-3 mask, read from the original."""
    leaves: list[Any] = []
    for path, node in walk(value):
        if path in masked:
            leaves.extend(_scalars(node))
        elif isinstance(node, dict) and SECRET_REF in node:
            for key, child in node.items():
                if key != SECRET_REF:
                    leaves.extend(_scalars(child))
    return leaves


def _scalars(value: Any) -> list[Any]:
    return [node for _, node in walk(value) if not isinstance(node, dict | list)]


def _rebuild(value: Any, path: Path, masked: set[Path], secrets: _Secrets) -> Any:
    if path in masked:
        return secrets.mask
    if isinstance(value, dict):
        if SECRET_REF in value:
            return {
                key: _rebuild(child, (*path, key), masked, secrets)
                if key == SECRET_REF
                else secrets.mask
                for key, child in value.items()
            }
        return {key: _rebuild(child, (*path, key), masked, secrets) for key, child in value.items()}
    if isinstance(value, list):
        return [_rebuild(child, (*path, str(i)), masked, secrets) for i, child in enumerate(value)]
    return secrets.scrub(value)


class _Secrets:
    """The texts of masked values and how to scrub them from other leaves."""

    def __init__(self, mask: str, leaves: Iterable[Any]) -> None:
        self.mask = mask
        # An empty string hides nothing, and masking every "" would only add noise.
        self.whole: frozenset[str] = frozenset(t for t in map(_text, leaves) if t)
        # Longest first, so "hunter22!" is replaced before its prefix "hunter22".
        self.partial: tuple[str, ...] = tuple(
            sorted(
                (t for t in self.whole if len(t) >= MIN_SUBSTRING and t not in mask),
                key=lambda t: (-len(t), t),
            )
        )

    def scrub(self, leaf: Any) -> Any:
        if isinstance(leaf, str):
            return self._scrub_text(leaf)
        if isinstance(leaf, int | float) and not isinstance(leaf, bool):
            text = _text(leaf)
            if text is not None and len(text) >= MIN_SUBSTRING and text in self.whole:
                return self.mask
        return leaf

    def _scrub_text(self, text: str) -> str:
        if text in self.whole:
            return self.mask
        for _ in range(_MAX_SCRUB_PASSES):
            hits = [secret for secret in self.partial if secret in text]
            if not hits:
                return text
            for secret in hits:
                text = text.replace(secret, self.mask)
            if text in self.whole:
                return self.mask
        return text if not any(s in text for s in self.partial) else self.mask


def _text(leaf: Any) -> str | None:
    """The text a scalar would show in a message: strings as is, numbers as JSON."""
    if isinstance(leaf, str):
        return leaf
    if isinstance(leaf, int | float) and not isinstance(leaf, bool):
        return json.dumps(leaf)
    return None

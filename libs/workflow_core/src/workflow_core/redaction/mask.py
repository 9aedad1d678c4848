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
    return redact_sized(value, [*pointers, *sensitive_pointers], mask)[0]


def redact_sized(
    value: JsonValue, pointers: list[str], mask: str = MASK
) -> tuple[JsonValue, int | None]:
    """``redact``, and an upper bound of the result's compact UTF-8 JSON size when the
    shortcut knows one (its ASCII encoding with spaces is never shorter), else None."""
    # The common snapshot has no secretRef key: one C-speed encode proves it and
    # gives the copy, which is masked in place (about 10x cheaper than the walk
    # on a 3 KB envelope); the walk remains for what the copy cannot prove.
    encoded = json.dumps(value)
    if _SECRET_REF_KEY not in encoded:
        copied: JsonValue = json.loads(encoded)
        if not pointers:
            return copied, len(encoded)
        masked_encoding = _mask_copy(copied, pointers, mask)
        if masked_encoding is not None:
            return copied, len(masked_encoding)
    return redact_by_walk(value, pointers, mask), None


def redact_by_walk(value: JsonValue, pointers: Iterable[str], mask: str = MASK) -> JsonValue:
    """``redact`` by rebuilding every node: the general case (secretRef objects, masked
    texts left elsewhere in the value); ``redact``'s shortcut must give the same result."""
    masked = existing_paths(value, pointers)
    secrets = _Secrets(mask, _masked_leaves(value, masked))
    result: JsonValue = _rebuild(value, (), masked, secrets)
    return result


def _mask_copy(copied: JsonValue, pointers: list[str], mask: str) -> str | None:
    """Rules 1 and 3 on a private copy without secretRef keys, in place; when rule 4
    then has nothing to scrub, i.e. the copy is ``redact``'s answer, its encoding.

    JSON escaping maps each character on its own, so a text occurring inside a
    string also occurs, escaped, inside the encoding: when no masked text's
    escaped form is found in the masked copy's encoding, no leaf contains one.
    (A hit, even in an object key, leaves the answer to ``redact_by_walk``.)
    """
    masked = existing_paths(copied, pointers)
    if () in masked:
        return None  # the whole value is masked: the walk says how
    secrets = _Secrets(mask, [leaf for path in masked for leaf in _scalars(_at(copied, path))])
    for path in sorted(masked, key=len):  # outer first; inner ones are gone with them
        parent = _at(copied, path[:-1])
        if isinstance(parent, dict):
            parent[path[-1]] = mask
        elif isinstance(parent, list):
            parent[int(path[-1])] = mask
    encoded = json.dumps(copied)
    return None if any(needle in encoded for needle in secrets.needles()) else encoded


def _at(value: Any, path: Path) -> Any:
    """The node at ``path`` (an existing one) or, below a masked node, the mask text."""
    for token in path:
        if isinstance(value, dict):
            value = value[token]
        elif isinstance(value, list):
            value = value[int(token)]
        else:
            return None
    return value


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

    def needles(self) -> list[str]:
        """What a leaf's JSON encoding contains whenever ``scrub`` would change the leaf:
        the escaped text of a substring secret (a number's text is its encoding), the
        quoted string of a whole-string-only one."""
        return [
            json.dumps(text)[1:-1] if len(text) >= MIN_SUBSTRING else json.dumps(text)
            for text in self.whole
        ]

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

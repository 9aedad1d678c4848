"""Text part decoding: declared charset, else UTF-8, else Windows-1252. Never raises.

Bad charsets are common in the wild (``charset="unknown-8bit"``, typos, a
declared ``us-ascii`` over UTF-8 bytes). The fallback order reflects what such
mail usually is: UTF-8 first (strict, so it only wins when it really fits),
then cp1252, which maps every byte except five and so almost always succeeds,
then Latin-1, which maps every byte.
"""

from __future__ import annotations

import codecs
from email.message import Message

# Aliases seen in real mail that Python's codec registry does not know.
_CHARSET_ALIASES = {"unknown-8bit": "utf-8", "x-unknown": "utf-8", "ansi_x3.4-1968": "ascii"}


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF (SMTP bodies keep CRLF; reply stripping wants LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def part_bytes(part: Message) -> bytes:
    """The transfer-decoded payload (base64/quoted-printable undone), b"" when absent."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep nothing rather than crash
        return b""
    return payload if isinstance(payload, bytes) else b""


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """``(text, warning)``: the warning names the fallback used, None when the charset fit."""
    declared = _codec_name(charset)
    if declared is not None:
        try:
            return normalise_newlines(data.decode(declared)), None
        except UnicodeDecodeError:
            pass
    for fallback in ("utf-8", "cp1252"):
        try:
            text = data.decode(fallback)
        except UnicodeDecodeError:
            continue
        return normalise_newlines(text), f"charset {charset!r} did not fit; decoded as {fallback}"
    text = data.decode("latin-1")
    return normalise_newlines(text), f"charset {charset!r} did not fit; decoded as latin-1"


def _codec_name(charset: str | None) -> str | None:
    if not charset:
        return "ascii"
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def part_text(part: Message) -> tuple[str, str | None]:
    """Decoded text of a text/* leaf and an optional warning."""
    try:
        charset = part.get_content_charset()
    except Exception:  # a malformed Content-Type parameter
        charset = None
    return decode_text(part_bytes(part), charset)

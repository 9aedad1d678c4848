"""Reply tokens: how a customer's reply finds its ticket even without threading headers.

Format: ``[SLU-XXXXXXXXXXXXXXXX]``: the literal ``SLU-`` and 16 characters of
RFC 4648 base32 (``A-Z2-7``), i.e. 80 random bits, in square brackets. The
acknowledgement puts it in the body (``Reference: [SLU-...]``) and may put it
in the subject. It has no spaces and no characters that HTML escapes, so it
survives ``> `` quoting, re-wrapping at spaces and HTML quoting; matching is
case-insensitive (some clients change case in quoted headers) and the
canonical form is upper case.

The randomness is a parameter (``new_reply_token(secrets.token_bytes(10))``)
so this module stays pure.
"""

from __future__ import annotations

import base64
import re

TOKEN_BYTES = 10  # 80 bits: guessing a live token is hopeless at any request rate
_TOKEN_RE = re.compile(r"\[\s*SLU-([A-Z2-7]{16})\s*\]", re.IGNORECASE)


def new_reply_token(random_bytes: bytes) -> str:
    """``SLU-<16 base32 chars>`` from exactly ``TOKEN_BYTES`` random bytes."""
    if len(random_bytes) != TOKEN_BYTES:
        raise ValueError(f"a reply token needs {TOKEN_BYTES} random bytes, got {len(random_bytes)}")
    return "SLU-" + base64.b32encode(random_bytes).decode("ascii")


def format_reply_token(token: str) -> str:
    """The token as it appears in mail: ``[SLU-...]``."""
    return f"[{token}]"


def find_reply_token(*texts: str | None) -> str | None:
    """The first token in the given texts (canonical ``SLU-...``), or None."""
    for text in texts:
        if not text:
            continue
        match = _TOKEN_RE.search(text)
        if match is not None:
            return "SLU-" + match.group(1).upper()
    return None

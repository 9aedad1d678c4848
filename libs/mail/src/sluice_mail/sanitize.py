"""HTML sanitising with nh3 (Ammonia) and HTML-to-text for HTML-only mail.

The allow-list is nh3's default (formatting, lists, tables, links, images)
with ``cid:`` added to the URL schemes so inline images keep their reference
to the attachment. Scripts, styles, event handlers and ``javascript:`` URLs
go. Links get ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import nh3
from selectolax.lexbor import LexborHTMLParser

from sluice_mail.decoding import normalise_newlines

_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
# Content of these is dropped entirely, not unwrapped into text.
_CLEAN_CONTENT = frozenset({"script", "style", "head", "title"})
# Elements that start a new line when HTML is read as text.
_BLOCK_SELECTOR = (
    "p,div,li,ul,ol,h1,h2,h3,h4,h5,h6,blockquote,pre,tr,table,hr,section,article,header,footer"
)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        normalise_newlines(html),
        url_schemes=set(_URL_SCHEMES),
        clean_content_tags=set(_CLEAN_CONTENT),
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    """Visible text of (sanitised) HTML, one line per block, blank lines collapsed."""
    tree = LexborHTMLParser(html)
    for node in tree.css(_BLOCK_SELECTOR):
        node.insert_before("\n")
        node.insert_after("\n")
    for node in tree.css("br"):
        node.replace_with("\n")
    body = tree.body
    text = body.text(separator="") if body is not None else ""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(_collapse_blank(lines)).strip()


def _collapse_blank(lines: list[str]) -> list[str]:
    result: list[str] = []
    for line in lines:
        if line or (result and result[-1]):
            result.append(line)
    return result

"""``convert_html_to_blocks``: sanitised HTML to rich-text blocks (format in README.md).

The HTML is sanitised with nh3 first (whatever the caller passed), parsed with
selectolax (lexbor) and walked once. Unknown containers (div, span, font,
table cells) are transparent: their content flows into the surrounding
blocks. Images break paragraphs and become image blocks; an image whose
``src`` is ``cid:X`` refers to the attachment with Content-ID ``X``. When
there is no HTML, or it yields no blocks, or anything fails, the text becomes
paragraphs (blank lines separate them, single newlines become line breaks).
Never raises.
"""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sluice_mail.blocks_inline import Inline, inlines_of, paragraphs
from sluice_mail.decoding import normalise_newlines
from sluice_mail.sanitize import sanitize_html

Block = dict[str, Any]
MAX_DEPTH = 100  # deeper nesting is flattened to text: bounded recursion on hostile HTML
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_INLINE_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "strike",
        "del",
        "code",
        "tt",
        "kbd",
        "span",
        "font",
        "small",
        "big",
        "sub",
        "sup",
        "mark",
        "abbr",
        "cite",
        "q",
        "br",
        "img",
        "-text",
    }
)


def convert_html_to_blocks(html: str | None, text: str | None) -> list[Block]:
    """Blocks from ``html`` if it has content, else paragraphs from ``text``."""
    if html and html.strip():
        try:
            blocks = _from_html(sanitize_html(html))
        except Exception:  # a parser failure: the text fallback below still carries the content
            blocks = []
        if blocks:
            return blocks
    return text_to_blocks(text or "")


def text_to_blocks(text: str) -> list[Block]:
    """Paragraphs from plain text: blank lines split, single newlines are line breaks."""
    blocks: list[Block] = []
    for chunk in normalise_newlines(text).split("\n\n"):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n")]
        if not any(line.strip() for line in lines):
            continue
        children: list[Inline] = []
        for index, line in enumerate(lines):
            if index:
                children.append({"type": "lineBreak"})
            if line:
                children.append({"type": "text", "text": line, "marks": []})
        blocks.append({"type": "paragraph", "children": children})
    return blocks


def _from_html(html: str) -> list[Block]:
    body = LexborHTMLParser(html).body
    return _blocks_of(body, 0) if body is not None else []


def _children(node: LexborNode) -> list[LexborNode]:
    return [child for child in node.iter(include_text=True) if not child.is_comment_node]


def _blocks_of(node: LexborNode, depth: int) -> list[Block]:
    blocks: list[Block] = []
    pending: list[Inline] = []
    for child in _children(node):
        if child.tag in _INLINE_TAGS or depth >= MAX_DEPTH:
            pending.extend(inlines_of(child, (), depth))
            continue
        blocks.extend(paragraphs(pending))
        pending = []
        blocks.extend(_block(child, depth + 1))
    blocks.extend(paragraphs(pending))
    return blocks


def _block(node: LexborNode, depth: int) -> list[Block]:
    tag = node.tag or ""
    if tag in _HEADINGS:
        children = [i for i in inlines_of(node, (), depth) if i["type"] != "image"]
        found = paragraphs(children)
        return [
            {"type": "heading", "level": _HEADINGS[tag], "children": b["children"]}
            for b in found[:1]
        ]
    if tag in ("ul", "ol"):
        return [_list(node, tag == "ol", depth)]
    if tag == "blockquote":
        inner = _blocks_of(node, depth)
        return [{"type": "quote", "blocks": inner}] if inner else []
    if tag == "pre":
        code = normalise_newlines(node.text(deep=True, separator="")).strip("\n")
        return [{"type": "code", "text": code}] if code.strip() else []
    if tag == "hr":
        return [{"type": "divider"}]
    if tag == "tr":
        return _row(node, depth)
    return _blocks_of(node, depth)


def _list(node: LexborNode, ordered: bool, depth: int) -> Block:
    items = [_blocks_of(child, depth) for child in _children(node) if child.tag == "li"]
    return {"type": "list", "ordered": ordered, "items": [item for item in items if item]}


def _row(node: LexborNode, depth: int) -> list[Block]:
    cells: list[Inline] = []
    for cell in _children(node):
        if cell.tag not in ("td", "th"):
            continue
        if cells:
            cells.append({"type": "text", "text": " | ", "marks": []})
        cells.extend(inlines_of(cell, (), depth))
    return paragraphs(cells)


__all__ = ["Block", "convert_html_to_blocks", "text_to_blocks"]

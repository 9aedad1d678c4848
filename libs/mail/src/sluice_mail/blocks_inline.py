"""Inline content of rich-text blocks: text runs with marks, links, line breaks, images.

Whitespace inside HTML text collapses to single spaces (as a browser renders
it); runs are trimmed at paragraph edges; adjacent runs with the same marks
merge. Images are inline here only transiently: ``paragraphs`` lifts each one
out into its own image block, splitting the paragraph around it.
"""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborNode

Inline = dict[str, Any]
_MARKS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "cite": "italic",
    "u": "underline",
    "s": "strike",
    "strike": "strike",
    "del": "strike",
    "code": "code",
    "tt": "code",
    "kbd": "code",
}
MAX_DEPTH = 100


def inlines_of(node: LexborNode, marks: tuple[str, ...], depth: int) -> list[Inline]:
    """Inline nodes of ``node`` and everything below it (block tags read as text)."""
    tag = node.tag or ""
    if tag == "-text":
        text = " ".join((node.text_content or "").split())
        spaced = _keep_edge_spaces(node.text_content or "", text)
        return [{"type": "text", "text": spaced, "marks": sorted(marks)}] if spaced else []
    if tag == "br":
        return [{"type": "lineBreak"}]
    if tag == "img":
        return [image_block(node)]
    if depth >= MAX_DEPTH:
        text = " ".join(node.text(deep=True).split())
        return [{"type": "text", "text": text, "marks": sorted(marks)}] if text else []
    inner_marks = marks + ((_MARKS[tag],) if tag in _MARKS and _MARKS[tag] not in marks else ())
    found: list[Inline] = []
    for child in node.iter(include_text=True):
        if not child.is_comment_node:
            found.extend(inlines_of(child, inner_marks, depth + 1))
    if tag == "a" and (node.attributes.get("href") or ""):
        return [{"type": "link", "href": node.attributes["href"], "children": found}]
    return found


def image_block(node: LexborNode) -> dict[str, Any]:
    src = (node.attributes.get("src") or "").strip()
    block: dict[str, Any] = {"type": "image"}
    if src.lower().startswith("cid:"):
        block["contentId"] = src[4:].strip().strip("<>")
    elif src:
        block["src"] = src
    alt = (node.attributes.get("alt") or "").strip()
    if alt:
        block["alt"] = alt
    return block


def paragraphs(inlines: list[Inline]) -> list[dict[str, Any]]:
    """Paragraph blocks from an inline run, images lifted out as their own blocks."""
    blocks: list[dict[str, Any]] = []
    run: list[Inline] = []
    for item in _lift_images(inlines):
        if item["type"] == "image":
            blocks.extend(_paragraph(run))
            run = []
            if "contentId" in item or "src" in item:
                blocks.append(item)
        else:
            run.append(item)
    blocks.extend(_paragraph(run))
    return blocks


def _lift_images(inlines: list[Inline]) -> list[Inline]:
    """Images nested in links come out beside them (a linked image keeps its image)."""
    flat: list[Inline] = []
    for item in inlines:
        if item["type"] == "link":
            images = [c for c in item["children"] if c["type"] == "image"]
            rest = [c for c in item["children"] if c["type"] != "image"]
            if rest:
                flat.append({**item, "children": rest})
            flat.extend(images)
        else:
            flat.append(item)
    return flat


def _paragraph(run: list[Inline]) -> list[dict[str, Any]]:
    children = _trim(_merge(run))
    if not any(_has_text(item) for item in children):
        return []
    return [{"type": "paragraph", "children": children}]


def _merge(run: list[Inline]) -> list[Inline]:
    merged: list[Inline] = []
    for item in run:
        last = merged[-1] if merged else None
        if last and item["type"] == last["type"] == "text" and item["marks"] == last["marks"]:
            joined = last["text"] + item["text"]
            merged[-1] = {**last, "text": joined.replace("  ", " ")}
        else:
            merged.append(dict(item))
    return merged


def _trim(run: list[Inline]) -> list[Inline]:
    while run and run[0]["type"] in ("text", "lineBreak") and not run[0].get("text", "").strip():
        run = run[1:]
    while run and run[-1]["type"] in ("text", "lineBreak") and not run[-1].get("text", "").strip():
        run = run[:-1]
    if run and run[0]["type"] == "text":
        run[0] = {**run[0], "text": run[0]["text"].lstrip()}
    if run and run[-1]["type"] == "text":
        run[-1] = {**run[-1], "text": run[-1]["text"].rstrip()}
    return run


def _has_text(item: Inline) -> bool:
    if item["type"] == "text":
        return bool(item["text"].strip())
    if item["type"] == "link":
        return any(_has_text(child) for child in item["children"]) or bool(item["href"])
    return False


def _keep_edge_spaces(raw: str, collapsed: str) -> str:
    if not raw:
        return ""
    if not collapsed:
        return " "
    lead = " " if raw[0].isspace() else ""
    tail = " " if raw[-1].isspace() else ""
    return f"{lead}{collapsed}{tail}"

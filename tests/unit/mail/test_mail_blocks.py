"""convert_html_to_blocks: the documented block format, with a text fallback."""

from __future__ import annotations

from typing import Any

from sluice_mail import convert_html_to_blocks, text_to_blocks


def _text(value: str, *marks: str) -> dict[str, Any]:
    return {"type": "text", "text": value, "marks": sorted(marks)}


def test_blocks_paragraph_with_marks_link_and_break() -> None:
    html = '<div>Hello <b>Jane</b>,<br>see <a href="https://x.example/d">the <i>docs</i></a>.</div>'
    assert convert_html_to_blocks(html, None) == [
        {
            "type": "paragraph",
            "children": [
                _text("Hello "),
                _text("Jane", "bold"),
                _text(","),
                {"type": "lineBreak"},
                _text("see "),
                {
                    "type": "link",
                    "href": "https://x.example/d",
                    "children": [_text("the "), _text("docs", "italic")],
                },
                _text("."),
            ],
        }
    ]


def test_blocks_headings_lists_quotes_code_divider() -> None:
    html = (
        "<h2>Steps</h2><ol><li>one</li><li>two<ul><li>nested</li></ul></li></ol>"
        "<blockquote><p>quoted</p></blockquote><pre>  x = 1\n  y = 2</pre><hr>"
    )
    para = lambda value: {"type": "paragraph", "children": [_text(value)]}  # noqa: E731
    assert convert_html_to_blocks(html, None) == [
        {"type": "heading", "level": 2, "children": [_text("Steps")]},
        {
            "type": "list",
            "ordered": True,
            "items": [
                [para("one")],
                [para("two"), {"type": "list", "ordered": False, "items": [[para("nested")]]}],
            ],
        },
        {"type": "quote", "blocks": [para("quoted")]},
        {"type": "code", "text": "  x = 1\n  y = 2"},
        {"type": "divider"},
    ]


def test_blocks_inline_image_by_content_id_splits_paragraph() -> None:
    html = '<p>before <img src="cid:shot1@acme" alt="screen"> after</p>'
    assert convert_html_to_blocks(html, None) == [
        {"type": "paragraph", "children": [_text("before")]},
        {"type": "image", "contentId": "shot1@acme", "alt": "screen"},
        {"type": "paragraph", "children": [_text("after")]},
    ]


def test_blocks_unsafe_html_is_sanitised_first() -> None:
    html = '<p onclick="x()">ok<script>alert(1)</script></p><a href="javascript:evil()">link</a>'
    blocks = convert_html_to_blocks(html, None)
    assert blocks == [
        {"type": "paragraph", "children": [_text("ok")]},
        {"type": "paragraph", "children": [_text("link")]},
    ]


def test_blocks_empty_html_falls_back_to_text_paragraphs() -> None:
    blocks = convert_html_to_blocks("<div> </div>", "first line\nsecond\r\n\r\n\nnext para")
    assert blocks == [
        {
            "type": "paragraph",
            "children": [_text("first line"), {"type": "lineBreak"}, _text("second")],
        },
        {"type": "paragraph", "children": [_text("next para")]},
    ]


def test_blocks_nothing_gives_empty_list() -> None:
    assert convert_html_to_blocks(None, None) == []
    assert text_to_blocks("  \n\n ") == []


def test_blocks_deep_nesting_is_bounded() -> None:
    html = "<div>" * 3000 + "deep" + "</div>" * 3000
    blocks = convert_html_to_blocks(html, "fallback")
    assert blocks
    assert "deep" in str(blocks)

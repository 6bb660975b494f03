"""Markdown to safe HTML: rendered once when text is saved, sanitized with nh3."""

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)

_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img", "span",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "span": {"class"},
    "ol": {"start"},
}

MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_.+-]{1,150})")


def render(text: str) -> str:
    """Render Markdown to sanitized HTML: no raw HTML, no scripts, no javascript: links."""
    if not text:
        return ""
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def mentioned_handles(text: str) -> list[str]:
    """The @handles in `text`, in order of first appearance, without duplicates.

    Trailing dots are dropped, so "thanks @ana." mentions "ana".
    """
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text or ""):
        seen.setdefault(match.group(1).rstrip("."), None)
    return [h for h in seen if h]

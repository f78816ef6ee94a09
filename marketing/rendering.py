"""A landing page's Markdown body as a list of segments: sanitised HTML, and blocks.

Blocks are CommonMark fenced code blocks whose info string names one, at the top level of the body:

    ```hero            a banner: Markdown, its first heading the page's h1, with quote/call buttons
    ```quote           the quote form (its text, if any, replaces the form's heading)
    ```faq             "Q: …" / "A: …" pairs, shown as a list and as FAQPage JSON-LD
    ```testimonials    one per paragraph: the words, then "— Name, place" on the last line
    ```call            a call button for the business phone (its text is the button's label)

Everything else is ordinary Markdown. What the owner writes is never trusted HTML: Markdown goes
through inkwell.markdown (no raw HTML, nh3 allow-list) and blocks are rendered by autoescaping
templates from plain strings, so no block can carry markup of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import unescape

import nh3
from django.utils.safestring import SafeString, mark_safe

from inkwell.markdown import TEXT_ATTRIBUTES, TEXT_TAGS, html_clean, markdown_html, markdown_parser

BLOCKS = ("hero", "quote", "faq", "testimonials", "call")
PAGE_TAGS = TEXT_TAGS | {"img"}
PAGE_ATTRIBUTES = {**TEXT_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}}


@dataclass(frozen=True)
class Segment:
    kind: str  # "html" or a block name
    html: SafeString = mark_safe("")  # noqa: S308 -- empty
    text: str = ""
    items: list = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"marketing/blocks/{self.kind}.html"


@dataclass(frozen=True)
class Question:
    question: str
    answer: str  # the owner's Markdown, as written
    answer_html: SafeString


@dataclass(frozen=True)
class Testimonial:
    words: str
    author: str


def page_markdown_html(markdown: str) -> SafeString:
    return markdown_html(markdown, tags=PAGE_TAGS, attributes=PAGE_ATTRIBUTES)


def body_segments(body: str) -> list[Segment]:
    """`body` split into sanitised HTML runs and the blocks between them, in order."""
    tokens = markdown_parser.parse(body or "")
    segments: list[Segment] = []
    run: list = []

    def flush():
        if run:
            html = markdown_parser.renderer.render(run, markdown_parser.options, {})
            segments.append(
                Segment("html", html=html_clean(html, tags=PAGE_TAGS, attributes=PAGE_ATTRIBUTES))
            )
            run.clear()

    for token in tokens:
        name = token.info.strip().lower() if token.type == "fence" else ""
        if token.level == 0 and name in BLOCKS:
            flush()
            segments.append(_block(name, token.content))
        else:
            run.append(token)
    flush()
    return segments


def _block(name: str, content: str) -> Segment:
    text = content.strip()
    if name == "hero":
        return Segment("hero", html=page_markdown_html(text))
    if name == "faq":
        return Segment("faq", items=faq_parse(text))
    if name == "testimonials":
        return Segment("testimonials", items=testimonials_parse(text))
    return Segment(name, text=" ".join(text.split()))  # quote, call: one line of plain text


def faq_parse(text: str) -> list[Question]:
    """ "Q: …" starts a question, "A: …" its answer; other lines continue whichever came last."""
    pairs: list[list[str]] = []
    part = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped[:2].upper() == "Q:":
            pairs.append([stripped[2:].strip(), ""])
            part = 0
        elif stripped[:2].upper() == "A:" and pairs:
            pairs[-1][1] = stripped[2:].strip()
            part = 1
        elif pairs and part is not None:
            pairs[-1][part] = f"{pairs[-1][part]}\n{line}".strip()
    return [
        Question(question=" ".join(q.split()), answer=a, answer_html=page_markdown_html(a))
        for q, a in pairs
        if q and a
    ]


def testimonials_parse(text: str) -> list[Testimonial]:
    found = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        lines = paragraph.splitlines()
        author = ""
        if len(lines) > 1 and lines[-1].lstrip().startswith(("—", "--", "-")):
            author = lines.pop().strip().lstrip("—-").strip()
        words = " ".join(" ".join(lines).split())
        if len(words) > 1 and words[0] in '"“' and words[-1] in '"”':
            words = words[1:-1]
        if words:
            found.append(Testimonial(words=words, author=author))
    return found


def faq_json_ld(segments: list[Segment]) -> SafeString | None:
    """schema.org FAQPage data for every FAQ block on the page, escaped for a <script> element."""
    questions = [q for s in segments if s.kind == "faq" for q in s.items]
    if not questions:
        return None
    data = {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": q.question,
                "acceptedAnswer": {"@type": "Answer", "text": _plain(q.answer_html)},
            }
            for q in questions
        ],
    }
    return json_for_script(data)


def json_for_script(data) -> SafeString:
    """JSON that can't close its <script> element or open a comment (as Django's json_script does)."""
    text = json.dumps(data, ensure_ascii=False)
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return mark_safe(escaped)  # noqa: S308 -- no <, > or & left


def _plain(html: str) -> str:
    """The text of sanitised HTML, tags dropped and entities decoded (JSON carries text, not HTML)."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())

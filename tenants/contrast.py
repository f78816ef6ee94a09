"""WCAG 2.x contrast for a tenant's brand colours: the ratios, the text colour the theme puts on
each colour, and the warnings the owner sees in settings.

Relative luminance and contrast ratio as WCAG 2.x defines them (sRGB channels linearised, then
0.2126 R + 0.7152 G + 0.0722 B; ratio (L1 + 0.05) / (L2 + 0.05), lighter over darker). AA asks
4.5:1 for normal text and 3:1 for large text and for graphics that carry meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

AA_TEXT = 4.5
AA_GRAPHIC = 3.0
WHITE = "#ffffff"
BLACK = "#000000"
INK = "#111111"  # the dark text app.css puts on the accent colour (buttons)
PAGE = WHITE  # the pages' background


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"Not a #rrggbb colour: {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    # WCAG 2.x's threshold is written 0.03928, the sRGB standard's 0.04045; no 8-bit value lies between.
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (_linear(c) for c in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (same luminance) to 21 (black on white); the order of the colours doesn't matter."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str, *, preferred: str) -> str:
    """The text colour the theme uses on `background`: the design's `preferred` one when it passes
    AA, else black or white, whichever contrasts more. One of those always reaches at least 4.58:1,
    so text on a brand colour stays readable whatever the owner picks."""
    if contrast_ratio(preferred, background) >= AA_TEXT:
        return preferred
    return max((BLACK, WHITE), key=lambda text: contrast_ratio(text, background))


def _mix(colour: str, towards: str, amount: float) -> str:
    pairs = zip(_channels(colour), _channels(towards), strict=True)
    return "#" + "".join(f"{round(c + (t - c) * amount):02x}" for c, t in pairs)


def passing_shade(colour: str, *, against: str, minimum: float) -> str | None:
    """The shade of `colour` closest to it (mixed towards black when `against` is light, towards
    white when it is dark) that reaches `minimum` against `against`; None if none does."""
    if contrast_ratio(colour, against) >= minimum:
        return colour
    towards = BLACK if relative_luminance(against) > 0.18 else WHITE
    if contrast_ratio(towards, against) < minimum:
        return None
    low, high = 0.0, 1.0  # fails at low, passes at high: halve the gap down to one step of 8 bits
    for _ in range(12):
        middle = (low + high) / 2
        if contrast_ratio(_mix(colour, towards, middle), against) >= minimum:
            high = middle
        else:
            low = middle
    return _mix(colour, towards, high)


@dataclass(frozen=True)
class ContrastCheck:
    key: str  # stable name: "primary-text" | "primary-graphic" | "accent-text"
    field: str  # the setting it is about: "primary_color" | "accent_color"
    colour: str  # the owner's colour in the pair
    foreground: str
    background: str
    ratio: float
    minimum: float
    where: str  # where the pair appears, for the owner
    suggestion: str | None  # a shade of the owner's colour that passes
    fallback: str  # what the theme does about it, "" when nothing is needed

    @property
    def passes(self) -> bool:
        return self.ratio >= self.minimum

    @property
    def ratio_text(self) -> str:
        return _ratio_text(self.ratio)

    @property
    def minimum_text(self) -> str:
        return f"{self.minimum:g}:1"

    @property
    def advice(self) -> str:
        """What the owner can do about a failing pair."""
        name = FIELD_NAMES[self.field]
        if self.suggestion is None:
            return f"No shade of this {name} reaches {self.minimum_text}; pick another colour."
        other = self.background if self.colour == self.foreground else self.foreground
        darker = relative_luminance(self.suggestion) < relative_luminance(self.colour)
        ratio = _ratio_text(contrast_ratio(self.suggestion, other))
        return f"Pick a {'darker' if darker else 'lighter'} {name}, such as {self.suggestion} ({ratio})."


FIELD_NAMES = {"primary_color": "primary colour", "accent_color": "accent colour"}


def _ratio_text(ratio: float) -> str:
    # Rounded down: 4.499 shown as "4.50:1" beside "needs 4.5:1" would be a riddle.
    return f"{int(ratio * 100) / 100:.2f}:1"


def brand_contrast(*, primary: str, accent: str) -> list[ContrastCheck]:
    """Every pair of colours the pages draw with the brand colours (tenants/static/inkwell/*.css,
    emails/base.html), each with its WCAG ratio and the AA minimum for how it is used."""
    primary_text = text_colour_on(primary, preferred=WHITE)
    accent_text = text_colour_on(accent, preferred=INK)
    return [
        ContrastCheck(
            key="primary-text",
            field="primary_color",
            colour=primary,
            foreground=WHITE,
            background=primary,
            ratio=contrast_ratio(WHITE, primary),
            minimum=AA_TEXT,
            where="White text on your primary colour: the top bar, the website's header, and emails' header and buttons",
            suggestion=passing_shade(primary, against=WHITE, minimum=AA_TEXT),
            fallback=""
            if primary_text == WHITE
            else "Until then, pages show that text in black so it stays readable.",
        ),
        ContrastCheck(
            key="primary-graphic",
            field="primary_color",
            colour=primary,
            foreground=primary,
            background=PAGE,
            ratio=contrast_ratio(primary, PAGE),
            minimum=AA_GRAPHIC,
            where="Your primary colour on the white page: the delivery timeline's steps and the dashboard's charts",
            suggestion=passing_shade(primary, against=PAGE, minimum=AA_GRAPHIC),
            fallback="",
        ),
        ContrastCheck(
            key="accent-text",
            field="accent_color",
            colour=accent,
            foreground=INK,
            background=accent,
            ratio=contrast_ratio(INK, accent),
            minimum=AA_TEXT,
            where="Dark text on your accent colour: buttons",
            suggestion=passing_shade(accent, against=INK, minimum=AA_TEXT),
            fallback=""
            if accent_text == INK
            else f"Until then, buttons show their text in {_name(accent_text)}.",
        ),
    ]


def _name(colour: str) -> str:
    return {WHITE: "white", BLACK: "black"}.get(colour, colour)


def brand_text_colours(*, primary: str, accent: str) -> dict[str, str]:
    """The text colours theme.css sets on the brand colours."""
    return {
        "primary_text": text_colour_on(primary, preferred=WHITE),
        "accent_text": text_colour_on(accent, preferred=INK),
    }

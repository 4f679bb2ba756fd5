"""A picture of a credential: what it says, at a glance (the course, to whom, by whom, when, the
workload, the assessment, the learning outcomes) and how it is signed. For people; the JSON file is
the credential, and the picture proves nothing.

Drawn with DejaVu Sans where the system has it (most Linux distributions ship it), for umlauts and
other letters Pillow's built-in font lacks; else with the built-in font. `t` gives the labels in
the reader's language (prompts: badge.card_*).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

INK, MUTED, PAPER, ACCENT, RIBBON = (30, 30, 30), (105, 105, 105), (255, 255, 255), (0, 114, 178), (230, 159, 0)
WIDTH, HEIGHT, LEFT, TEXT_X = 1200, 620, 40, 360


FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "DejaVuSans.ttf",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONTS:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int) -> list[str]:
    words, out = text.split(), []
    while words and len(out) < lines:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=_font(size)) <= width:
            line = f"{line} {words.pop(0)}"
        out.append(line)
    if words and out:
        out[-1] = out[-1].rstrip(".,;") + " …"
    return out


def hours(duration: str, decimal: str = ".") -> str:
    """'PT175M' -> '2.9' (with the reader's decimal mark); unknown forms as they are."""
    match = re.fullmatch(r"PT(\d+)M", duration or "")
    if not match:
        return duration
    return f"{int(match.group(1)) / 60:.1f}".removesuffix(".0").replace(".", decimal)


def render(credential: dict[str, Any], t: Callable[..., str]) -> bytes:
    """The credential's summary as a PNG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    subject = credential.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    _medal(draw, achievement.get("achievementType", ""))
    y = 40
    for line in _wrap(draw, achievement.get("name", ""), 32, WIDTH - TEXT_X - LEFT, 2):
        draw.text((TEXT_X, y), line, fill=INK, font=_font(32))
        y += 40
    names = [i.get("identityHash", "") for i in subject.get("identifier", []) if i.get("identityType") == "name"]
    earner = names[0] if names else subject.get("id", "")
    issuer = credential.get("issuer", {})
    country = issuer.get("address", {}).get("addressCountryCode")
    rows = [
        (t("badge.card_awarded_to"), earner),
        (t("badge.card_issuer"), issuer.get("name", "") + (f" ({country})" if country else "")),
        (t("badge.card_date"), credential.get("validFrom", "")[:10]),
        (
            t("badge.card_workload"),
            t("badge.card_hours", hours=hours(achievement.get("notionalWorkload", ""), t("badge.card_decimal"))),
        ),
        (t("badge.card_assessment"), achievement.get("typeOfAssessment", "")),
        (t("badge.card_participation"), achievement.get("formOfParticipation", "")),
    ]
    y += 14
    for label, value in rows:
        draw.text((TEXT_X, y), label, fill=MUTED, font=_font(17))
        lines = _wrap(draw, value, 18, WIDTH - TEXT_X - 220 - LEFT, 2) or [""]
        for line in lines:
            draw.text((TEXT_X + 220, y), line, fill=INK, font=_font(18))
            y += 25
        y += 6
    y += 8
    draw.text((TEXT_X, y), t("badge.card_outcomes"), fill=MUTED, font=_font(17))
    y += 26
    for outcome in achievement.get("learningOutcomes", [])[:6]:
        for i, line in enumerate(_wrap(draw, outcome, 16, WIDTH - TEXT_X - 40 - LEFT, 2)):
            if i == 0:
                draw.text((TEXT_X + 8, y), "•", fill=ACCENT, font=_font(16))
            draw.text((TEXT_X + 26, y), line, fill=INK, font=_font(16))
            y += 22
    _footer(draw, credential, t)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _medal(draw: ImageDraw.ImageDraw, kind: str) -> None:
    cx, cy, r = 180, 230, 130
    draw.polygon([(cx - 70, cy + 90), (cx - 110, cy + 250), (cx - 60, cy + 220), (cx - 30, cy + 265)], fill=RIBBON)
    draw.polygon([(cx + 70, cy + 90), (cx + 110, cy + 250), (cx + 60, cy + 220), (cx + 30, cy + 265)], fill=RIBBON)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ACCENT)
    draw.ellipse((cx - r + 14, cy - r + 14, cx + r - 14, cy + r - 14), outline=PAPER, width=4)
    for text, size, dy in (("MC", 72, -30), ("Open Badges 3.0", 17, 52), (kind, 15, 76)):
        width = draw.textlength(text, font=_font(size))
        draw.text((cx - width / 2, cy + dy - size / 2), text, fill=PAPER, font=_font(size))


def _footer(draw: ImageDraw.ImageDraw, credential: dict[str, Any], t: Callable[..., str]) -> None:
    proofs = credential.get("proof") or [{}]
    proof = proofs[0] if isinstance(proofs, list) else proofs
    method = str(proof.get("verificationMethod", "")).partition("#")[0]
    shown = method if len(method) < 40 else f"{method[:24]}…{method[-8:]}"
    text = t("badge.card_signed", suite=proof.get("cryptosuite", "-"), method=shown)
    text = _wrap(draw, text, 15, WIDTH - 2 * LEFT, 1)[0]
    draw.line((LEFT, HEIGHT - 62, WIDTH - LEFT, HEIGHT - 62), fill=(210, 210, 210), width=1)
    draw.text((LEFT, HEIGHT - 48), text, fill=MUTED, font=_font(15))

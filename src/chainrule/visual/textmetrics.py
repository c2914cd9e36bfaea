"""Text widths for laying out labels before a browser draws them: DejaVu Sans advance widths, CJK at one em.

The diagrams set their labels in DejaVu Sans (the family the page and the
report ask for first, installed with Chromium on Debian and shipped by most
Linux desktops). Its advance widths, read once from the font's ``hmtx`` table
(fontTools, ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``, 2048 units per
em), are below in thousandths of an em. DejaVu Sans has no Chinese: the
browser takes those characters from the CJK family the style names next
(WenQuanYi Micro Hei, Noto Sans CJK, ...), in which every ideograph and every
full-width punctuation mark (``，（）：``) is exactly one em wide (read from
``wqy-microhei.ttc`` the same way); :func:`char_width` counts them so, by
their Unicode East Asian width (wide or full-width). Any other character not
listed counts as a full em too, an upper bound. :func:`text_width` adds
:data:`MARGIN`, so a label is never wider than its estimate, and only a
little narrower. Other families the style falls back to (Arial, Liberation
Sans, Helvetica) are narrower still. The browser tests measure the drawn
boxes themselves, and compare these estimates with what Chromium draws, in
English and in Chinese.
"""

from __future__ import annotations

import unicodedata

__all__ = ["ASCENT", "DESCENT", "MARGIN", "CJK_WIDTH", "char_width", "text_width"]

#: The fonts' ascent and descent (hhea), in em: a text box spans baseline - ASCENT .. baseline + DESCENT.
#: The larger of DejaVu Sans (1901 / 2048) and WenQuanYi Micro Hei (1918 / 2048), so that a label
#: with Chinese in it fits its box too.
ASCENT = max(1901, 1918) / 2048
DESCENT = 483 / 2048
#: The advance of a CJK ideograph or full-width character, in thousandths of an em.
CJK_WIDTH = 1000
#: Relative safety margin on every estimated width.
MARGIN = 0.03

_CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~δ∂η−⁺·×…Σσ→▶■"
)
_REGULAR = (
    318,
    401,
    460,
    838,
    636,
    950,
    780,
    275,
    390,
    390,
    500,
    838,
    318,
    361,
    318,
    337,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    337,
    337,
    838,
    838,
    838,
    531,
    1000,
    684,
    686,
    698,
    770,
    632,
    575,
    775,
    752,
    295,
    295,
    656,
    557,
    863,
    748,
    787,
    603,
    787,
    695,
    635,
    611,
    732,
    684,
    989,
    685,
    611,
    685,
    390,
    337,
    390,
    838,
    500,
    500,
    613,
    635,
    550,
    635,
    615,
    352,
    635,
    634,
    278,
    278,
    579,
    278,
    974,
    634,
    612,
    635,
    635,
    411,
    521,
    392,
    634,
    592,
    818,
    592,
    592,
    525,
    636,
    337,
    636,
    838,
    612,
    517,
    634,
    838,
    528,
    318,
    838,
    1000,
    632,
    634,
    838,
    769,
    945,
)
_BOLD = (
    348,
    456,
    521,
    838,
    696,
    1002,
    872,
    306,
    457,
    457,
    523,
    838,
    380,
    415,
    380,
    365,
    696,
    696,
    696,
    696,
    696,
    696,
    696,
    696,
    696,
    696,
    400,
    400,
    838,
    838,
    838,
    580,
    1000,
    774,
    762,
    734,
    830,
    683,
    683,
    821,
    837,
    372,
    372,
    775,
    637,
    995,
    837,
    850,
    733,
    850,
    770,
    720,
    682,
    812,
    774,
    1103,
    771,
    724,
    725,
    457,
    365,
    457,
    838,
    500,
    500,
    675,
    716,
    593,
    716,
    678,
    435,
    716,
    712,
    343,
    343,
    665,
    343,
    1042,
    712,
    687,
    716,
    716,
    493,
    595,
    478,
    712,
    652,
    924,
    645,
    652,
    582,
    712,
    365,
    712,
    838,
    687,
    544,
    712,
    838,
    528,
    380,
    838,
    1000,
    683,
    779,
    838,
    769,
    945,
)
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR)), True: dict(zip(_CHARS, _BOLD))}


def char_width(char: str, bold: bool = False) -> int:
    """One character's advance in thousandths of an em: DejaVu Sans's, one em for CJK and anything unknown."""
    width = _WIDTHS[bold].get(char)
    if width is not None:
        return width
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return CJK_WIDTH
    return 1000  # a character outside the table: an em is an upper bound for these fonts


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in px of ``text`` at ``size`` px as the style's fonts set it (an upper bound; see :data:`MARGIN`)."""
    return sum(char_width(c, bold) for c in text) * size / 1000 * (1 + MARGIN)

"""Text widths for laying out labels before a browser draws them: DejaVu Sans advance widths.

The diagrams set their labels in DejaVu Sans (the family the page and the
report ask for first, installed with Chromium on Debian and shipped by most
Linux desktops). Its advance widths, read once from the font's ``hmtx`` table
(fontTools, ``DejaVuSans.ttf`` and ``DejaVuSans-Bold.ttf``, 2048 units per
em), are below in thousandths of an em; a character not listed counts as a
full em, and :func:`text_width` adds :data:`MARGIN`, so a label is never
wider than its estimate in DejaVu Sans, and only a little narrower. Other
families the style falls back to (Arial, Liberation Sans, Helvetica) are
narrower still. The browser tests measure the drawn boxes themselves.
"""

from __future__ import annotations

__all__ = ["ASCENT", "DESCENT", "MARGIN", "text_width"]

#: The font's ascent and descent (hhea), in em: a text box spans baseline - ASCENT .. baseline + DESCENT.
ASCENT = 1901 / 2048
DESCENT = 483 / 2048
#: Relative safety margin on every estimated width.
MARGIN = 0.03

_CHARS = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~δ∂η−⁺·×…Σσ→▶■"
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838, 612,
    517, 634, 838, 528, 318, 838, 1000, 632, 634, 838, 769, 945,
)
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
    1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
    733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
    500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838, 687,
    544, 712, 838, 528, 380, 838, 1000, 683, 779, 838, 769, 945,
)
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR)), True: dict(zip(_CHARS, _BOLD))}


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width in px of ``text`` set in DejaVu Sans at ``size`` px (an upper bound; see :data:`MARGIN`)."""
    table = _WIDTHS[bold]
    return sum(table.get(c, 1000) for c in text) * size / 1000 * (1 + MARGIN)

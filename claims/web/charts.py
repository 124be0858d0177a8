"""Small SVG charts for the web pages: horizontal bars, grouped columns, median-and-p90 ranges.

Pure functions from numbers to SVG text, for inline use in HTML: standard library only, no scripts,
no external resources, and the same input always gives the same output. All text is XML-escaped;
numbers are written the Dutch way (`3,5`). Every rectangle standing for a value carries
`data-value` (the value as given) and a `<title>` shown on hover. Values must be finite and not
negative (ValueError otherwise); the longest bar fills the width, the others are proportional.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from workflow.svgtext import svg_number as _num
from workflow.svgtext import xml_attr as _attr
from workflow.svgtext import xml_text as _text

__all__ = ["bar_chart", "format_number", "grouped_bar_chart", "range_chart"]

Number = int | float | Decimal

MIN_WIDTH = 240
_FONT = "system-ui, sans-serif"
_FONT_SIZE = 12
_CHAR_W = 0.6  # average character width, in font sizes: enough for system-ui at 12px
_PAD = 12
_TITLE_H = 30  # the title line and the space under it
_ROW_H = 26
_BAR_H = 16
_PLOT_H = 180
_TENTH = Decimal("0.1")

_INK = "#1f2933"
_MUTED = "#52606d"
_GRID = "#e4e7eb"
_AXIS = "#9aa5b1"
_ACCENT = "#2f6eb5"
_ACCENT_LIGHT = "#a9c4e6"
_AMBER = "#e0a526"
_SERIES_COLOURS = (_ACCENT, _AXIS, _AMBER, _MUTED, _ACCENT_LIGHT, "#cbd2d9")


# ----------------------------------------------------------------------------------- helpers


def format_number(value: Number) -> str:
    """Dutch notation: an int whole, anything else to one decimal with a decimal comma; a point
    between thousands from five digits on (`3`, `3,5`, `1234`, `12.345`, `12.345,0`)."""
    _check_finite(value)
    if isinstance(value, int):
        sign, whole, fraction = "-" if value < 0 else "", str(abs(value)), ""
    else:
        exact = value if isinstance(value, Decimal) else Decimal(repr(value))
        rounded = exact.quantize(_TENTH, rounding=ROUND_HALF_UP)
        sign = "-" if rounded < 0 else ""  # -0,04 rounds to 0,0, not -0,0
        whole, _, tenths = f"{abs(rounded):f}".partition(".")
        fraction = "," + tenths
    if len(whole) > 4:
        whole = f"{int(whole):,}".replace(",", ".")
    return sign + whole + fraction


def _check_finite(value: Number) -> None:
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise ValueError(f"not a finite number: {value!r}")


def _check_value(value: Number, what: str) -> None:
    if not isinstance(value, int | float | Decimal):
        raise ValueError(f"{what}: not a number: {value!r}")
    _check_finite(value)
    if value < 0:
        raise ValueError(f"{what}: negative value {value!r}")


def _check_width(width: int) -> None:
    if width < MIN_WIDTH:
        raise ValueError(f"width {width} is below the minimum of {MIN_WIDTH}")


def _text_width(text: str, size: int = _FONT_SIZE) -> float:
    return len(text) * size * _CHAR_W


def _fit(text: str, width: float, size: int = _FONT_SIZE) -> str:
    """`text` on one line, shortened with an ellipsis to about `width` pixels."""
    text = " ".join(text.split())
    chars = max(int(width / (size * _CHAR_W)), 2)
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def _ratio(value: Number, top: Number) -> float:
    return float(value) / float(top) if top > 0 else 0.0


def _svg(width: int, height: float, title: str, desc: str, body: list[str]) -> str:
    h = math.ceil(height)
    title = " ".join(title.split())
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" width="{width}"'
            f' height="{h}" role="img" aria-label={_attr(title)} font-family="{_FONT}"'
            f' font-size="{_FONT_SIZE}">',
            f"<title>{_text(title)}</title>",
            f"<desc>{_text(desc)}</desc>",
            f'<text class="chart-title" x="{_PAD}" y="{_PAD + 13}" font-size="14" font-weight="bold"'
            f' fill="{_INK}">{_text(_fit(title, width - 2 * _PAD, 14))}</text>',
            *body,
            "</svg>",
        ]
    )


def _empty(title: str, width: int) -> str:
    y = _PAD + _TITLE_H + 12
    body = [f'<text class="empty" x="{_PAD}" y="{y}" fill="{_MUTED}">Geen gegevens</text>']
    return _svg(width, y + 8 + _PAD, title, "Geen gegevens", body)


def _swatch(x: float, y: float, colour: str, label: str, height: int = 10) -> str:
    """A legend entry: a coloured square with `label` after it; (x, y) is the square's top left."""
    return (
        f'<rect class="swatch" x="{_num(x)}" y="{_num(y)}" width="10" height="{height}" fill="{colour}"/>'
        f'<text x="{_num(x + 16)}" y="{_num(y + 9)}" fill="{_INK}">{_text(label)}</text>'
    )


# ------------------------------------------------------------------------------------ charts


def bar_chart(
    rows: Sequence[tuple[str, float | int | Decimal]], *, title: str, unit: str = "", width: int = 560
) -> str:
    """Horizontal bars, one per (label, value) row, the value written after the bar."""
    _check_width(width)
    if not rows:
        return _empty(title, width)
    for label, value in rows:
        _check_value(value, label)
    texts = [_with_unit(format_number(value), unit) for _, value in rows]
    label_w = min(max(max(_text_width(" ".join(label.split())) for label, _ in rows), 40), width * 0.38)
    bar_x = _PAD + label_w + 10
    bar_max = max(width - _PAD - max(_text_width(t) for t in texts) - 8 - bar_x, 20)
    top = max(value for _, value in rows)
    y0 = _PAD + _TITLE_H
    body = []
    for i, ((label, value), text) in enumerate(zip(rows, texts, strict=True)):
        y = y0 + i * _ROW_H
        length = bar_max * _ratio(value, top)
        base = y + _ROW_H / 2 + 4
        body.append(
            f'<g class="row"><text x="{_num(bar_x - 8)}" y="{_num(base)}" text-anchor="end"'
            f' fill="{_INK}">{_text(_fit(label, label_w))}</text>'
            f'<rect class="bar" x="{_num(bar_x)}" y="{_num(y + (_ROW_H - _BAR_H) / 2)}"'
            f' width="{_num(length)}" height="{_BAR_H}" rx="2" fill="{_ACCENT}"'
            f" data-value={_attr(str(value))}>"
            f"<title>{_text(f'{label}: {text}')}</title></rect>"
            f'<text class="value" x="{_num(bar_x + length + 6)}" y="{_num(base)}" fill="{_MUTED}">'
            f"{_text(text)}</text></g>"
        )
    desc = "; ".join(f"{label}: {text}" for (label, _), text in zip(rows, texts, strict=True))
    return _svg(width, y0 + len(rows) * _ROW_H + _PAD, title, desc, body)


def _scale(top: float) -> tuple[int, int]:
    """A whole tick step (1, 2 or 5 times a power of ten) giving at most five intervals, and the
    axis maximum: the first tick at or above `top`."""
    exponent = 0
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10**exponent
            intervals = math.ceil(top / step)
            if intervals <= 5:
                return step, step * max(intervals, 1)
        exponent += 1


def grouped_bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | float]]],
    *,
    title: str,
    width: int = 560,
) -> str:
    """Vertical bars grouped per category, one bar per series, with a legend and a whole-number
    y axis; every series needs one value per category (ValueError otherwise)."""
    _check_width(width)
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
        for category, value in zip(categories, values, strict=True):
            _check_value(value, f"{name}, {category}")
    if not categories or not series:
        return _empty(title, width)

    # Legend: the series names in a row, wrapping where the width ends.
    legend: list[str] = []
    x, y = float(_PAD), float(_PAD + _TITLE_H)
    for i, (name, _) in enumerate(series):
        label = _fit(name, width / 2)
        advance = 16 + _text_width(label) + 18
        if x > _PAD and x + advance - 18 > width - _PAD:
            x, y = float(_PAD), y + 18
        legend.append(_swatch(x, y, _SERIES_COLOURS[i % len(_SERIES_COLOURS)], label))
        x += advance

    step, top = _scale(max(float(v) for _, values in series for v in values))
    ticks = list(range(0, top + 1, step))
    plot_left = _PAD + max(_text_width(format_number(t)) for t in ticks) + 8
    plot_right = width - _PAD
    plot_top = y + 10 + 16
    base = plot_top + _PLOT_H
    body = [f'<g class="legend">{"".join(legend)}</g>', '<g class="axis">']
    for tick in ticks:
        ty = base - _PLOT_H * tick / top
        body.append(
            f'<line x1="{_num(plot_left)}" y1="{_num(ty)}" x2="{_num(plot_right)}" y2="{_num(ty)}"'
            f' stroke="{_AXIS if tick == 0 else _GRID}" stroke-width="1"/>'
            f'<text x="{_num(plot_left - 6)}" y="{_num(ty + 4)}" text-anchor="end" fill="{_MUTED}">'
            f"{format_number(tick)}</text>"
        )
    body.append("</g>")

    band = (plot_right - plot_left) / len(categories)
    slot = min(band * 0.75 / len(series), 32)
    for c, category in enumerate(categories):
        left = plot_left + band * c + (band - slot * len(series)) / 2
        bars = []
        for s, (name, values) in enumerate(series):
            value = values[c]
            h = _PLOT_H * _ratio(value, top)
            bars.append(
                f'<rect class="bar" x="{_num(left + s * slot + slot * 0.06)}" y="{_num(base - h)}"'
                f' width="{_num(slot * 0.88)}" height="{_num(h)}"'
                f" fill={_attr(_SERIES_COLOURS[s % len(_SERIES_COLOURS)])} data-value={_attr(str(value))}"
                f" data-series={_attr(name)} data-category={_attr(category)}>"
                f"<title>{_text(f'{name}, {category}: {format_number(value)}')}</title></rect>"
            )
        body.append(
            f'<g class="group">{"".join(bars)}<text x="{_num(plot_left + band * (c + 0.5))}"'
            f' y="{_num(base + 16)}" text-anchor="middle" fill="{_INK}">'
            f"{_text(_fit(category, band - 4))}</text></g>"
        )
    desc = "; ".join(
        f"{category}: " + ", ".join(f"{name} {format_number(values[c])}" for name, values in series)
        for c, category in enumerate(categories)
    )
    return _svg(width, base + 24 + _PAD, title, desc, body)


def range_chart(
    rows: Sequence[tuple[str, float, float]], *, title: str, unit: str = "dagen", width: int = 560
) -> str:
    """Per (label, median, p90) row: a bar to the median, a thinner, lighter bar to the 90th
    percentile with a tick at its end, and both values written above; a legend says what they mean.
    A p90 below its median is refused (ValueError)."""
    _check_width(width)
    if not rows:
        return _empty(title, width)
    for label, median, p90 in rows:
        _check_value(median, label)
        _check_value(p90, label)
        if p90 < median:
            raise ValueError(f"{label}: p90 {p90!r} is below the median {median!r}")

    legend_y = _PAD + _TITLE_H
    body = [
        '<g class="legend">'
        + _swatch(_PAD, legend_y, _ACCENT, "Mediaan: de helft van de dossiers blijft korter")
        + _swatch(_PAD, legend_y + 18, _ACCENT_LIGHT, "p90: 9 van de 10 dossiers blijven korter")
        + "</g>"
    ]
    row_h = 40
    y0 = legend_y + 18 + 10 + 14
    label_w = min(max(max(_text_width(" ".join(label.split())) for label, _, _ in rows), 40), width * 0.38)
    bar_x = _PAD + label_w + 10
    bar_max = width - _PAD - 2 - bar_x
    top = max(p90 for _, _, p90 in rows)
    texts = []
    for i, (label, median, p90) in enumerate(rows):
        y = y0 + i * row_h
        mid = y + 26  # the middle of the bars; the values are written above them
        m_text, p_text = _with_unit(format_number(median), unit), _with_unit(format_number(p90), unit)
        text = f"mediaan {format_number(median)} · p90 {p_text}"
        texts.append(f"{label}: {text}")
        m_len, p_len = bar_max * _ratio(median, top), bar_max * _ratio(p90, top)
        body.append(
            f'<g class="row"><text x="{_num(bar_x - 8)}" y="{_num(mid + 4)}" text-anchor="end"'
            f' fill="{_INK}">{_text(_fit(label, label_w))}</text>'
            f'<text class="value" x="{_num(bar_x)}" y="{_num(y + 12)}" font-size="11" fill="{_MUTED}">'
            f"{_text(text)}</text>"
            f'<rect class="p90" x="{_num(bar_x)}" y="{_num(mid - 3)}" width="{_num(p_len)}" height="6"'
            f' fill="{_ACCENT_LIGHT}" data-value={_attr(str(p90))}>'
            f"<title>{_text(f'{label}: p90 {p_text}')}</title></rect>"
            f'<rect class="median" x="{_num(bar_x)}" y="{_num(mid - 7)}" width="{_num(m_len)}" height="14"'
            f' fill="{_ACCENT}" data-value={_attr(str(median))}>'
            f"<title>{_text(f'{label}: mediaan {m_text}')}</title></rect>"
            f'<line x1="{_num(bar_x + p_len)}" y1="{_num(mid - 8)}" x2="{_num(bar_x + p_len)}"'
            f' y2="{_num(mid + 8)}" stroke="{_MUTED}" stroke-width="2"/></g>'
        )
    return _svg(width, y0 + len(rows) * row_h + _PAD, title, "; ".join(texts), body)

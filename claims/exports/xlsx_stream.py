"""XLSX written as it streams: the sheets' XML row by row into a zip that goes out while it is written
(stdlib zipfile on a sink that cannot seek writes each part with a data descriptor, sizes after the
data), so the first bytes leave at once and memory holds a few rows, whatever the number of rows.

The parts are the few a workbook needs ([Content_Types].xml, the relationships, the workbook, its
styles, a worksheet per sheet), with strings inline. The styles are the exports' (files.py): a bold
header, euros, days with two decimals, moments and dates; each sheet has its header frozen, an
autofilter over header and rows, and its column widths. The workbook part comes last: a sheet that
outgrows Excel's row limit goes on in 'title (2)', and how many sheets there are is known at the end.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from claims.exports.sheets import (
    DATE_FORMAT,
    DAYS_FORMAT,
    EURO_FORMAT,
    MOMENT_FORMAT,
    XLSX_MAX_ROWS,
    Sheet,
    xlsx_text,
)

CHUNK_BYTES = 1 << 16  # what the sink gathers before it hands on a chunk
ROWS_PER_WRITE = 500  # sheet rows built as text before they go into the zip
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (the 1900 system, its leap-year bug included)
_DAY_SECONDS = 86400.0

# cellXfs in styles.xml, by position
_BOLD, _EURO, _DAYS, _MOMENT, _DATE = 1, 2, 3, 4, 5
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _styles() -> str:
    formats = (EURO_FORMAT, DAYS_FORMAT, MOMENT_FORMAT, DATE_FORMAT)
    num_fmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{_attr(f)}"/>' for i, f in enumerate(formats)
    )
    xf = '<xf numFmtId="{}" fontId="{}" fillId="0" borderId="0" xfId="0"{}/>'
    cell_xfs = [
        xf.format(0, 0, ""),
        xf.format(0, 1, ' applyFont="1"'),
        *(xf.format(164 + i, 0, ' applyNumberFormat="1"') for i in range(len(formats))),
    ]
    return (
        f'{_HEAD}<styleSheet xmlns="{_NS}">'
        f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(cell_xfs)}">{"".join(cell_xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def _workbook(titles: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_attr(t)}" sheetId="{i}" r:id="rId{i}"/>' for i, t in enumerate(titles, start=1)
    )
    return f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets></workbook>'


def _workbook_rels(count: int) -> str:
    sheet = f"{_REL_NS}/worksheet"
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{sheet}" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return f'{_HEAD}<Relationships xmlns="{_PKG_REL_NS}">{rels}{styles}</Relationships>'


def _content_types(count: int) -> str:
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{main}.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{main}.styles+xml"/>'
        f"{sheets}</Types>"
    )


_ROOT_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def column_letter(i: int) -> str:
    """The letters of column `i` (0 for A)."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Sink(io.RawIOBase):
    """Where the zip is written: it keeps what came since the last `take`, and cannot seek, so
    zipfile writes sizes after each part instead of going back for them."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.offset = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.parts.append(data)
        self.size += len(data)
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _text(value: str) -> str:
    # a carriage return as a reference: an XML reader turns a literal one into a line feed
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;") if "\r" in text else text


def _string_cell(ref: str, style: str, value: str) -> str:
    text = _text(xlsx_text(value))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


class _Cells:
    """A sheet's rows as worksheet XML, by the columns' kinds in its Sheet."""

    def __init__(self, spec: Sheet) -> None:
        width = max(len(spec.header), 1)
        self.letters = [column_letter(i) for i in range(width)]
        self.styles: dict[int, int] = {i: _DAYS for i in spec.days}
        self.styles.update({i: _EURO for i in spec.money})
        self.styles.update({i: _DATE for i in spec.dates})
        self.styles.update({i: _MOMENT for i in spec.moments})
        self.moments, self.dates = spec.moments, spec.dates

    def header(self, header: Sequence[str]) -> str:
        cells = "".join(
            f'<c r="{self.letters[i]}1" s="{_BOLD}" t="inlineStr"><is><t xml:space="preserve">'
            f"{_text(xlsx_text(h))}</t></is></c>"
            for i, h in enumerate(header)
        )
        return f'<row r="1">{cells}</row>'

    def row(self, n: int, row: Sequence[Any]) -> str:
        out = [f'<row r="{n}">']
        add = out.append
        letters, styles = self.letters, self.styles
        for i, v in enumerate(row):
            if v is None:
                continue
            ref = f"{letters[i] if i < len(letters) else column_letter(i)}{n}"
            if v.__class__ is str:
                if not v:
                    continue
                if i in self.moments:
                    v = datetime.fromisoformat(v[:19])
                elif i in self.dates:
                    v = date.fromisoformat(v[:10])
                else:
                    style = styles.get(i)
                    s = f' s="{style}"' if style else ""
                    add(_string_cell(ref, s, v))
                    continue
            style = styles.get(i)
            s = f' s="{style}"' if style else ""
            if isinstance(v, bool):
                add(f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, datetime):
                serial = (v.replace(tzinfo=None) - _EPOCH).total_seconds() / _DAY_SECONDS
                add(f'<c r="{ref}"{s}><v>{serial!r}</v></c>')
            elif isinstance(v, date):
                add(f'<c r="{ref}"{s}><v>{(v - _EPOCH.date()).days}</v></c>')
            elif isinstance(v, (int, float, Decimal)):
                add(f'<c r="{ref}"{s}><v>{v}</v></c>')
            else:
                add(_string_cell(ref, s, str(v)))
        add("</row>")
        return "".join(out)


def _sheet_start(spec: Sheet) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(spec.widths, start=1)
    )
    return (
        f'{_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
    )


def _sheet_end(spec: Sheet, rows: int) -> str:
    last = column_letter(max(1, len(spec.header)) - 1)
    return f'</sheetData><autoFilter ref="A1:{last}{rows}"/></worksheet>'


def xlsx_chunks(sheets: Iterable[Sheet], counted: list[int] | None = None) -> Iterator[bytes]:
    """The workbook of `sheets` as bytes, in chunks of about CHUNK_BYTES, produced as the rows are
    read. `counted`, when given, gets the number of rows written appended (headers not counted)."""
    sink = _Sink()
    total = 0
    titles: list[str] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:

        def begin(title: str, spec: Sheet, cells: _Cells) -> Any:
            titles.append(title[:31])
            part = zf.open(f"xl/worksheets/sheet{len(titles)}.xml", "w", force_zip64=True)
            part.write((_sheet_start(spec) + cells.header(spec.header)).encode())
            return part

        for spec in sheets:
            cells = _Cells(spec)
            number = 1
            part = begin(spec.title, spec, cells)
            used = 1
            pending: list[str] = []
            for row in spec.rows:
                if used >= XLSX_MAX_ROWS:
                    part.write(("".join(pending) + _sheet_end(spec, used)).encode())
                    pending.clear()
                    part.close()
                    number += 1
                    part = begin(f"{spec.title} ({number})", spec, cells)
                    used = 1
                used += 1
                total += 1
                pending.append(cells.row(used, row))
                if len(pending) >= ROWS_PER_WRITE:
                    part.write("".join(pending).encode())
                    pending.clear()
                    if sink.size >= CHUNK_BYTES:
                        yield sink.take()
            part.write(("".join(pending) + _sheet_end(spec, used)).encode())
            part.close()
            if sink.size:
                yield sink.take()
        zf.writestr("xl/styles.xml", _styles())
        zf.writestr("xl/workbook.xml", _workbook(titles))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("[Content_Types].xml", _content_types(len(titles)))
    if counted is not None:
        counted.append(total)
    yield sink.take()

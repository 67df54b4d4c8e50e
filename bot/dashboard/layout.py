"""The shell of the dashboard's HTML pages: the inline CSS, number formats, the page, tables and
links; shared by the dashboard's sections and its drill-down pages."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dashboard.svg import escape

CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1360px;padding:16px;color:#222;background:#fff}
h1{font-size:1.5rem;margin:0 0 4px} h2{font-size:1.15rem;margin:0 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:.95rem;margin:12px 0 4px}
.meta{color:#555;margin:0 0 12px}
form.filters{display:flex;gap:12px;align-items:end;flex-wrap:wrap;background:#f5f7fa;padding:10px;border-radius:6px;margin-bottom:12px}
form.filters label{display:flex;flex-direction:column;font-size:.85rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;margin-bottom:16px}
.tile{border:1px solid #dde;border-radius:6px;padding:8px}
.tile .value{font-size:1.4rem;font-weight:600}
.tile .label{font-size:.8rem;color:#555}
section{margin:0 0 20px;break-inside:avoid}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:12px}
svg.chart{max-width:100%;height:auto}
svg.chart a rect:hover,svg.chart a circle:hover{opacity:.7}
table{border-collapse:collapse;font-size:.85rem;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top} td.num{text-align:right}
.formulas li{font-size:.85rem;margin-bottom:2px}
.note{font-size:.85rem;color:#555}
.exports a{margin-right:10px}
@media print{form.filters,.exports,nav{display:none} body{max-width:none;padding:0}
 a{color:inherit;text-decoration:none}
 .grid{grid-template-columns:1fr 1fr} section{page-break-inside:avoid}}
"""


def fmt_number(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def fmt_nps(value) -> str:
    return fmt_number(value, "{:+.1f}")


def fmt_share(value) -> str:
    return fmt_number(value, "{:.0%}")


def fmt_money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def fmt_minutes(value) -> str:
    return fmt_number(value, "{:.0f} min")


def html_page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i >= numeric_from else f"<td>{cell}</td>" for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def anchor(text: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{escape(text)}</a>' if href else escape(text)

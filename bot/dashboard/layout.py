"""The shell of the dashboard's HTML pages: the inline CSS, number formats, the page, tables and
links; shared by the dashboard's sections and its drill-down pages."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dashboard.svg import escape

CSS = """
:root{--good:#0a7c42;--bad:#b3261e;--muted:#555;--line:#dde1e7}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px 16px;color:#222;background:#f4f6f8}
header.top{padding:14px 0 0} h1{font-size:1.5rem;margin:0}
h2{font-size:1.05rem;margin:0 0 8px} h3{font-size:.95rem;margin:12px 0 4px}
.meta{color:var(--muted);margin:2px 0 12px}
.filterbar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:6px 24px;align-items:end;
 background:#fff;border:1px solid var(--line);border-radius:0 0 8px 8px;box-shadow:0 2px 4px rgba(0,0,0,.06);
 padding:8px 12px;margin:0 0 14px}
form.filters{display:flex;gap:10px;align-items:end;flex-wrap:wrap;margin:0}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#444}
form.filters input,form.filters select,form.filters button{font:inherit;padding:3px 6px}
.filterbar nav,.exports{font-size:.85rem;margin:0} .filterbar nav a,.exports a{margin-right:10px;white-space:nowrap}
.presets{display:flex;gap:10px;font-size:.85rem;align-self:center;flex-wrap:wrap}
.presets a[aria-current]{font-weight:700;color:#222;text-decoration:none}
.compare{color:var(--muted);font-size:.85rem;margin:0 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px;margin-bottom:18px}
.card{background:#fff;border:1px solid var(--line);border-top:4px solid #b8c0cc;border-radius:8px;padding:10px 12px}
.card.good{border-top-color:var(--good)} .card.bad{border-top-color:var(--bad)}
.card h3{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0}
.card .value{font-size:1.6rem;font-weight:650;margin:4px 0 2px;white-space:nowrap}
.card .value a{color:inherit;text-decoration:none} .card .value a:hover{text-decoration:underline}
#card-sentiment .value{font-size:1.25rem;line-height:1.65rem}
.change{font-size:.85rem;font-weight:600;margin:0}
.change.good{color:var(--good)} .change.bad{color:var(--bad)} .change.neutral{color:var(--muted)}
.card .note{font-size:.75rem;color:var(--muted);margin:6px 0 0}
section{margin:0 0 18px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
.trio{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:10px;align-items:start}
.trio>section{margin:0}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:10px;align-items:start}
.pair>section{margin:0}
.panel,.sheet{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 10px;margin:0;overflow-x:auto}
svg.chart{width:100%;height:auto;display:block}
svg.chart a rect:hover,svg.chart a circle:hover{opacity:.7}
details.numbers summary{font-size:.8rem;color:#0b57d0;cursor:pointer}
table{border-collapse:collapse;font-size:.85rem;margin:6px 0;background:#fff}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top} td.num{text-align:right}
.formulas li{font-size:.85rem;margin-bottom:2px}
.note{font-size:.85rem;color:var(--muted)}
@media print{@page{size:A4 landscape;margin:10mm}
 body{max-width:none;padding:0;background:#fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .filterbar,nav,details.numbers{display:none} a{color:inherit;text-decoration:none}
 .cards{grid-template-columns:repeat(7,minmax(0,1fr))} .card .value{font-size:1.15rem;white-space:normal}
 #card-sentiment .value{font-size:1rem;line-height:1.3rem} .grid{grid-template-columns:repeat(4,1fr)}
 .trio{grid-template-columns:repeat(3,1fr)}
 .pair{grid-template-columns:1fr 1fr} .card,.panel,.sheet,section{break-inside:avoid}}
"""


def fmt_number(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def fmt_nps(value) -> str:
    return fmt_number(value, "{:+.1f}")


def fmt_share(value) -> str:
    return fmt_number(value, "{:.0%}")


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

"""HTML export of executed report notebooks: code-free, Danish, light, with provenance.

nbconvert's ``basic`` template renders the cells (no code, no prompts); this
module wraps them in a small Danish page (``lang="da"``) with the house CSS and
an "Om rapporten" section stating when the report was made, from which data
(source, retrieval date, fingerprint, synthetic or not), with which parameters,
package version and git commit. The exporter is built once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
import html

import nbformat

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#111;line-height:1.5;background:#fff}
h1,h2,h3{line-height:1.25} a{color:#0b57a4}
img{max-width:100%;height:auto}
.vd-tabel-rulle{overflow-x:auto;max-width:100%}
.vd-tabel-rulle:focus{outline:2px solid #0b57a4;outline-offset:2px}
figure.vd-figur{margin:0 0 1em 0}
@media (max-width:600px){body{margin:0.8em auto;padding:0 0.7em} h1{font-size:1.45em} h2{font-size:1.2em}
 .vd-kort{min-width:0;flex:1 1 140px} th,td{padding:0.2em 0.4em}}
@media print{body{max-width:none;margin:0} figure.vd-figur figcaption{display:none}}
table{border-collapse:collapse;margin:0.5em 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #ccc;padding:0.25em 0.6em;text-align:right} th:first-child,td:first-child{text-align:left}
thead th{border-bottom:2px solid #333}
.jp-Cell{margin-bottom:0.6em} .jp-OutputArea-output pre{white-space:pre-wrap}
.vd-proveniens{margin-top:3em;border-top:2px solid #333;padding-top:1em;font-size:0.9em;color:#222}
.vd-proveniens dt{font-weight:600} .vd-proveniens dd{margin:0 0 0.4em 1.2em}
.vd-syntetisk{color:#8a1c00;font-weight:600}
"""


@functools.lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_anchor_links=True)  # no "¶" after headings


def _fmt_when(iso: str) -> str:
    from ..formatting import fmt_date

    t = dt.datetime.fromisoformat(iso)
    return f"{fmt_date(t.date())} kl. {t:%H.%M}"


def provenance_html(rec: dict) -> str:
    """The Danish "Om rapporten" section of one report."""
    esc = html.escape
    params = ", ".join(f"{esc(str(k))} = {esc(str(v))}" for k, v in rec["parametre"].items())
    data_items = []
    for d in rec["data"]:
        hentet = f", hentet {esc(str(d['hentet']))}" if d.get("hentet") else ""
        synt = ' <span class="vd-syntetisk">Syntetiske data (demo).</span>' if d.get("syntetisk") else ""
        data_items.append(f"<li><b>{esc(d['titel'])}</b> ({esc(d['navn'])}): {esc(d['kilde'])}{hentet}; "
                          f"fingeraftryk <code>{esc(str(d['fingeraftryk']))}</code>.{synt}</li>")
    return (
        '<section class="vd-proveniens" aria-labelledby="vd-om"><h2 id="vd-om">Om rapporten</h2><dl>'
        f"<dt>Lavet</dt><dd>{esc(_fmt_when(rec['lavet']))}</dd>"
        f"<dt>Parametre</dt><dd>{params}</dd>"
        f"<dt>Data</dt><dd><ul>{''.join(data_items)}</ul></dd>"
        f"<dt>Program</dt><dd>vidensdata {esc(rec['version'])}, git-commit <code>{esc(rec['git'])}</code></dd>"
        "</dl></section>"
    )


def render(nb: nbformat.NotebookNode, title: str, rec: dict | None = None) -> str:
    """The report page of an executed notebook."""
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    prov = provenance_html(rec) if rec else ""
    return (
        '<!DOCTYPE html>\n<html lang="da">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main>{body}</main>\n{prov}\n</body></html>\n"
    )

"""Build the committed kommune map geometry ``data/snapshots/kommuner_kort.geojson`` from DAGI.

Input: the DAGI 1:500,000 kommune boundaries as GeoJSON (``../shared/samples/geo/kommuner_dagi_500k.geojson``,
see its README). Steps (shapely):

1. drop the missing height (third coordinate) and Christiansø (411, not a kommune);
2. project to kilometres (equirectangular around 56° N), so the tolerance means the same in x and y;
3. simplify the whole coverage at once with ``shapely.coverage_simplify`` (neighbouring kommuner keep one
   shared border: no gaps or overlaps), tolerance :data:`TOLERANCE_KM`;
4. drop islands smaller than :data:`MIN_AREA_KM2` (invisible on a map of the country), merge each kommune's
   polygons into one MultiPolygon, and write lon/lat rounded to 4 decimals (about 10 m).

Run: ``python scripts/kortgeometri.py SOURCE.geojson`` — it writes the file and prints its SHA-256 for
``data/snapshots/manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

TOLERANCE_KM = 0.35
MIN_AREA_KM2 = 0.3
LAT0 = 56.0
KX = 111.32 * math.cos(math.radians(LAT0))
KY = 110.57
REGIONER = {"DK-81": "081", "DK-82": "082", "DK-83": "083", "DK-84": "084", "DK-85": "085"}


def _to_km(xy):
    return (xy - [10.5, 0.0]) * [KX, KY]


def _to_lonlat(xy):
    return xy / [KX, KY] + [10.5, 0.0]


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 4), round(coords[1], 4)]
    return [_round(c) for c in coords]


def build(source: Path, target: Path) -> str:
    data = json.loads(source.read_text(encoding="utf-8"))
    feats = [f for f in data["features"] if str(f["properties"]["lau_1"]) != "411"]
    geoms = [shapely.transform(shapely.force_2d(shape(f["geometry"])), _to_km) for f in feats]
    simple = shapely.coverage_simplify(geoms, TOLERANCE_KM)
    by_code: dict[str, dict] = {}
    for f, g in zip(feats, simple):
        p = f["properties"]
        code = str(p["lau_1"]).zfill(3)
        entry = by_code.setdefault(code, {"navn": p["label_dk"], "region_kode": REGIONER[p["iso_3166_2"]],
                                          "parts": []})
        for part in getattr(g, "geoms", [g]):
            if not part.is_empty and part.area >= MIN_AREA_KM2:
                entry["parts"].append(part)
    out = []
    for code in sorted(by_code):
        e = by_code[code]
        parts = e["parts"] or []
        multi = shapely.transform(shapely.MultiPolygon(parts), _to_lonlat)
        geom = mapping(multi)
        geom = {"type": "MultiPolygon", "coordinates": _round(geom["coordinates"])}
        out.append({"type": "Feature", "properties": {"kode": code, "navn": e["navn"],
                                                       "region_kode": e["region_kode"]}, "geometry": geom})
    doc = {"type": "FeatureCollection",
           "name": "kommuner_kort",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
           "features": out}
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
    target.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/samples/geo/kommuner_dagi_500k.geojson")
    dst = Path(__file__).resolve().parent.parent / "data" / "snapshots" / "kommuner_kort.geojson"
    digest = build(src, dst)
    print(f"{dst}: {dst.stat().st_size / 1024:.0f} KB, sha256 {digest}")

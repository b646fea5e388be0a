"""Static files: carexport's own stylesheet and script, and the browser libraries served
from the wheels that ship them (never a CDN: no request leaves the machine).

| URL | file | from |
|---|---|---|
| /vendor/htmx.min.js | htmx 2.0.3 (0BSD) | django-js-lib-htmx (js_lib_htmx/static/htmx) |
| /vendor/echarts.min.js | Apache ECharts 5.6.0 (Apache-2.0) | excel-chart-echarts (xlsx2echarts/static) |
| /vendor/geo/world.json | Natural Earth 1:50m countries (public domain) | excel-chart-echarts |
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

OWN = Path(__file__).resolve().parent / "static"
VENDOR_PACKAGES: list[str | tuple[str, str]] = [
    ("js_lib_htmx", "static/htmx"),
    ("xlsx2echarts", "static"),
]


def mount_assets(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=OWN), name="static")
    app.mount("/vendor", StaticFiles(packages=VENDOR_PACKAGES), name="vendor")

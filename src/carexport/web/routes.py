"""The dashboard's routes: one module per page, all under /ui."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from carexport.web import map as map_page
from carexport.web import network, orders, orders_upload, overview, plan, scenarios, tracking

router = APIRouter(include_in_schema=False)
for module in (overview, map_page, orders, orders_upload, plan, tracking, network, scenarios):
    router.include_router(module.router)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui/")

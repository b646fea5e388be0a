"""Dependencies: one unit of work per request, and the organisation it acts for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from carexport.db.session import unit_of_work


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction: committed if the endpoint returns, rolled back if it raises."""
    with unit_of_work(request.app.state.engine) as session:
        yield session


async def get_org_id(  # async: it only reads a header, so no thread-pool hop for it
    request: Request,
    x_org_id: Annotated[
        str | None, Header(description="Organisation the request acts for.")
    ] = None,
) -> str:
    return x_org_id or request.app.state.settings.org_id


SessionDep = Annotated[Session, Depends(get_session)]
OrgDep = Annotated[str, Depends(get_org_id)]

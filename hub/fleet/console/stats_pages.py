"""Service statistics page and CSV export."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hub.csv_export import csv_text
from hub.fleet.clock import utcnow
from hub.fleet.console.security import Db, Viewer
from hub.fleet.console.views import render
from hub.fleet.stats import RATING_LABELS, compute, csv_rows

router = APIRouter(tags=["console"], include_in_schema=False)

_MAX_RANGE = timedelta(days=366)


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or utcnow().date()
    start = start or end - timedelta(days=29)
    if start > end:
        start, end = end, start
    if end - start > _MAX_RANGE:
        start = end - _MAX_RANGE
    return start, end


@router.get("/stats")
def stats_page(
    request: Request, user: Viewer, db: Db, start: date | None = None, end: date | None = None
) -> HTMLResponse:
    first, last = _range(start, end)
    stats = compute(db.connection(), first, last, _visits_of(request))
    return render(request, "stats.html", user, stats=stats, rating_labels=RATING_LABELS)


def _visits_of(request: Request) -> dict[str, str]:
    from hub.fleet.content import catalogue_visits

    return catalogue_visits(request.app.state, request.app.state.settings)


@router.get("/stats.csv")
def stats_csv(
    request: Request, user: Viewer, db: Db, start: date | None = None, end: date | None = None
) -> Response:
    first, last = _range(start, end)
    stats = compute(db.connection(), first, last, _visits_of(request))
    # Formula-safe cells (a terminal may be named "=HYPERLINK(…)"), UTF-8 with BOM.
    return Response(
        csv_text(csv_rows(stats)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="huimin-stats-{first}-{last}.csv"'},
    )

"""The operator page: a FastAPI application over the watcher's database.

Every page and API answer needs a signed session (`sessions`); the sign-in
form is throttled (`throttle`) and every form carries a CSRF token. Pages
are rendered on the server (Jinja2) with SVG charts (`charts`); the one
script and the style sheet are served from the package. The database is
only read, through read-only sessions.
"""

import asyncio
import csv
import datetime
import io
import json
import os
import re
import secrets
import urllib.parse

from fastapi import FastAPI
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.responses import JSONResponse
from fastapi.responses import RedirectResponse
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import defer
from sqlalchemy.orm import selectinload

from keras_dmtl.serve import charts
from keras_dmtl.serve.filters import FilterError
from keras_dmtl.serve.filters import TrackFilter
from keras_dmtl.serve.sessions import SESSION_COOKIE
from keras_dmtl.serve.sessions import SIGN_IN_COOKIE
from keras_dmtl.serve.sessions import SessionSigner
from keras_dmtl.serve.sessions import password_mark
from keras_dmtl.serve.sessions import same_token
from keras_dmtl.serve.statistics import compute_statistics
from keras_dmtl.serve.statistics import default_period
from keras_dmtl.serve.statistics import label_values
from keras_dmtl.serve.statistics import source_names
from keras_dmtl.serve.throttle import SignInThrottle
from keras_dmtl.serve.track_view import EXPORT_COLUMNS
from keras_dmtl.serve.track_view import attribute_lines
from keras_dmtl.serve.track_view import export_row
from keras_dmtl.serve.track_view import finite
from keras_dmtl.serve.track_view import time_series
from keras_dmtl.serve.users import authenticate
from keras_dmtl.serve.users import stored_hash
from keras_dmtl.store.database import Database
from keras_dmtl.store.engine import is_memory
from keras_dmtl.store.engine import parse_url
from keras_dmtl.store.migrate import head_revision
from keras_dmtl.store.schema import LiveTrack
from keras_dmtl.store.schema import ModelRun
from keras_dmtl.store.schema import Source
from keras_dmtl.store.schema import Track
from keras_dmtl.store.schema import User
from keras_dmtl.version import __version__

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
STATIC = os.path.join(HERE, "static")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MAX_EXPORT = 1_000_000
MAX_PERIOD = datetime.timedelta(days=400)
"""The longest period the dashboard draws (in days, one bar each)."""
TRACK_KEY = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_UNCHECKED = object()  # a request whose session is not checked yet


class NotSignedIn(Exception):
    """A request without a valid session."""


def _safe_next(target):
    """A local path to go to after signing in; anything else is `/`."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target):
        return "/"
    parts = urllib.parse.urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def create_app(database_url, secret=None, secure_cookies=False,
               max_failures=5, failure_window=300.0, live_seconds=10.0,
               session_hours=12.0):
    """The operator page's application (an ASGI app for uvicorn).

    Args:
        database_url: str, the database `keras-dmtl watch` writes (or a
            `Database`); it must be at this code's schema.
        secret: str, the key that signs session cookies (at least 32
            characters); None draws one, so sessions end with the server.
        secure_cookies: bool, send cookies over HTTPS only (set it when
            a TLS proxy serves the page).
        max_failures, failure_window: sign-in throttling, failures per
            name or client address in that many seconds.
        live_seconds: float, how old a live snapshot may be before the
            live page calls the watcher stopped.
        session_hours: float, how long a session lasts.

    Returns:
        A `fastapi.FastAPI`.

    Example:

    ```python
    import uvicorn
    uvicorn.run(create_app("sqlite:///watch.db"), host="127.0.0.1",
                port=8000)
    ```
    """
    if isinstance(database_url, Database):
        database = database_url
    else:
        url = parse_url(database_url)
        if (url.get_backend_name() == "sqlite" and not is_memory(url)
                and not os.path.isfile(url.database)):
            raise ValueError(f"no database at {url.database}: `keras-dmtl "
                             "watch` or `keras-dmtl users add` makes it")
        database = Database(url)
    revision = database.revision()
    if revision != head_revision():
        database.dispose()
        raise ValueError(
            f"{database.name} is at schema revision {revision or 'none'}, "
            f"not {head_revision()}: run `keras-dmtl users add` (or "
            "`keras-dmtl watch`) on it first, which brings it up to date")
    signer = SessionSigner(secret or secrets.token_urlsafe(48),
                           max_age=session_hours * 3600,
                           secure=secure_cookies)
    throttle = SignInThrottle(max_failures, failure_window)
    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.globals["version"] = __version__
    app = FastAPI(title="keras-dmtl", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.database = database
    app.state.throttle = throttle
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    headers = dict(SECURITY_HEADERS)
    if secure_cookies:  # served over HTTPS: browsers keep to it
        headers["Strict-Transport-Security"] = "max-age=31536000"
    sign_in_lock = asyncio.Lock()  # one password check at a time

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request, error):
        path = request.url.path
        if path.startswith("/api/") or path.startswith("/export"):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}"
                                     if request.url.query else "")
        return RedirectResponse(
            "/sign-in?" + urllib.parse.urlencode({"next": target}),
            status_code=303)

    @app.exception_handler(FilterError)
    async def bad_filter(request, error):
        if request.url.path.startswith(("/api/", "/export")):
            return JSONResponse({"detail": str(error)}, status_code=400)
        return page(request, "error.html", {"message": str(error)},
                    status_code=400)

    def valid_session(request):
        """The request's session, or None if it has none, or its user was
        removed or has a new password since; checked once per request."""
        data = getattr(request.state, "session", _UNCHECKED)
        if data is _UNCHECKED:
            data = signer.read_session(request.cookies.get(SESSION_COOKIE))
            if data is not None:
                stored = stored_hash(database, str(data.get("user", "")))
                if (stored is None
                        or data.get("mark") != password_mark(stored)):
                    data = None
            request.state.session = data
        return data

    def session_of(request):
        """The request's valid session; `NotSignedIn` if there is none."""
        data = valid_session(request)
        if data is None:
            raise NotSignedIn()
        return data

    def page(request, name, context, status_code=200):
        context = dict(context, session=valid_session(request),
                       path=request.url.path)
        return templates.TemplateResponse(request, name, context,
                                          status_code=status_code)

    def address(request):
        return request.client.host if request.client else "unknown"

    def sign_in_page(request, message="", status_code=200, next_path="/"):
        value, token = signer.sign_in_value()
        response = page(request, "sign_in.html",
                        {"csrf": token, "message": message,
                         "next": _safe_next(next_path)},
                        status_code=status_code)
        signer.set_cookie(response, SIGN_IN_COOKIE, value, 3600)
        return response

    @app.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, next: str = "/"):
        return sign_in_page(request, next_path=next)

    @app.post("/sign-in")
    async def sign_in(request: Request):
        form = await request.form()
        name = str(form.get("name", ""))[:255]
        password = str(form.get("password", ""))[:1024]
        next_path = _safe_next(str(form.get("next", "/")))
        expected = signer.read_sign_in(request.cookies.get(SIGN_IN_COOKIE))
        if not same_token(expected, form.get("csrf")):
            return sign_in_page(request, "The form expired or was not sent "
                                "by this page: please sign in again.",
                                status_code=403, next_path=next_path)
        client = address(request)
        async with sign_in_lock:  # checks and counts one attempt at a time
            wait = throttle.wait_seconds(name, client)
            if wait > 0:
                response = sign_in_page(
                    request, f"Too many failed sign-ins: try again in "
                    f"{int(wait) + 1} s.", status_code=429,
                    next_path=next_path)
                response.headers["Retry-After"] = str(int(wait) + 1)
                return response
            stored = await run_in_threadpool(authenticate, database, name,
                                             password)
            if stored is None:
                throttle.failed(name, client)
            else:
                throttle.succeeded(name, client)
        if stored is None:
            return sign_in_page(request, "Wrong name or password.",
                                status_code=401, next_path=next_path)
        response = RedirectResponse(next_path, status_code=303)
        signer.set_cookie(response, SESSION_COOKIE,
                          signer.session_value(name, password_mark(stored)),
                          signer.max_age)
        signer.clear_cookie(response, SIGN_IN_COOKIE)
        return response

    @app.post("/sign-out")
    async def sign_out(request: Request):
        data = session_of(request)
        form = await request.form()
        if not same_token(data["csrf"], form.get("csrf")):
            return JSONResponse({"detail": "missing or wrong CSRF token"},
                                status_code=403)
        response = RedirectResponse("/sign-in", status_code=303)
        signer.clear_cookie(response, SESSION_COOKIE)
        return response

    def period_filter(session, request):
        chosen = TrackFilter.from_query(request.query_params)
        day = datetime.timedelta(hours=24)
        if chosen.start is None and chosen.end is None:
            chosen = chosen.with_period(*default_period(session))
        elif chosen.start is None:  # the day before the chosen end
            chosen = chosen.with_period(chosen.end - day, chosen.end)
        elif chosen.end is None:  # from the chosen start, a day or more
            _, end = default_period(session)
            chosen = chosen.with_period(chosen.start,
                                        max(end, chosen.start + day))
        if chosen.end - chosen.start > MAX_PERIOD:
            raise FilterError(f"end: the period may be at most "
                              f"{MAX_PERIOD.days} days long")
        return chosen

    def dashboard_context(session, chosen):
        stats = compute_statistics(session, chosen)
        fmt = "%d %b" if stats.bucket == "day" else "%H:%M"
        every = max(1, len(stats.per_bucket) // 12)
        visitors = f"Visitors per {stats.bucket}"
        figures = {
            "visitors": (visitors, charts.column_chart(
                visitors, [t.strftime(fmt) for t, _ in stats.per_bucket],
                [n for _, n in stats.per_bucket], label_every=every)),
            "ages": ("Age", charts.bar_chart("Age", *_unzip(stats.ages))),
        }
        for name, pairs in stats.splits.items():
            if pairs or not stats.tracks:  # not a task the model lacks
                title = name.capitalize()
                figures[name] = (title, charts.bar_chart(title,
                                                         *_unzip(pairs)))
        return {"stats": stats, "charts": figures, "filter": chosen,
                "sources": source_names(session),
                "choices": label_values(session)}

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            chosen = period_filter(session, request)
            return page(request, "dashboard.html",
                        dashboard_context(session, chosen))

    @app.get("/api/stats")
    def api_stats(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            chosen = period_filter(session, request)
            return compute_statistics(session, chosen).as_json()

    def live_rows(session):
        rows = session.scalars(select(LiveTrack).order_by(
            LiveTrack.source, LiveTrack.first_seen)).all()
        now = datetime.datetime.now(datetime.timezone.utc)
        fresh = [r for r in rows if (now - r.updated_at).total_seconds()
                 <= live_seconds]
        updated = max((r.updated_at for r in rows), default=None)
        return fresh, updated

    def live_json(row):
        return {"key": row.key, "source": row.source,
                "first_seen": row.first_seen.isoformat(),
                "last_seen": row.last_seen.isoformat(),
                "seconds": round((row.last_seen - row.first_seen)
                                 .total_seconds(), 1),
                "box": row.box, "confidence": finite(row.confidence),
                "age": finite(row.age, 2), "gender": row.gender,
                "race": row.race,
                "expression": row.expression}

    @app.get("/live", response_class=HTMLResponse)
    def live(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            rows, updated = live_rows(session)
            recent = session.scalars(
                select(Track).options(selectinload(Track.source))
                .order_by(Track.last_seen.desc()).limit(10)).all()
            return page(request, "live.html", {
                "rows": [live_json(r) for r in rows], "updated": updated,
                "recent": recent, "live_seconds": live_seconds})

    @app.get("/api/live")
    def api_live(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            rows, updated = live_rows(session)
            return {"tracks": [live_json(r) for r in rows],
                    "updated": updated.isoformat() if updated else None}

    def filtered_tracks(session, chosen, paged=True):
        """The tracks `chosen` selects: its page and how many it selects
        in all, or (not `paged`) all of them up to `MAX_EXPORT`."""
        limit = chosen.per_page if paged else MAX_EXPORT
        offset = (chosen.page - 1) * chosen.per_page if paged else 0
        query = (select(Track).join(Track.source)
                 .options(selectinload(Track.source),
                          selectinload(Track.model),
                          defer(Track.face_jpeg), defer(Track.boxes))
                 .where(*chosen.clauses()))
        tracks = session.scalars(query.order_by(*chosen.order())
                                 .limit(limit).offset(offset)).all()
        if not paged:
            return tracks
        total = session.scalar(select(func.count()).select_from(
            select(Track.id).join(Track.source)
            .where(*chosen.clauses()).subquery()))
        return tracks, total

    @app.get("/tracks", response_class=HTMLResponse)
    def tracks_page(request: Request):
        session_of(request)
        chosen = TrackFilter.from_query(request.query_params)
        with database.read_only_session() as session:
            tracks, total = filtered_tracks(session, chosen)
            return page(request, "tracks.html", {
                "tracks": tracks, "total": total, "filter": chosen,
                "pages": max(1, -(-total // chosen.per_page)),
                "sources": source_names(session),
                "choices": label_values(session)})

    @app.get("/api/tracks")
    def api_tracks(request: Request):
        session_of(request)
        chosen = TrackFilter.from_query(request.query_params)
        with database.read_only_session() as session:
            tracks, total = filtered_tracks(session, chosen)
            return {"total": total, "page": chosen.page,
                    "per_page": chosen.per_page,
                    "tracks": [export_row(t, attributes=True)
                               for t in tracks]}

    def one_track(session, key):
        if not TRACK_KEY.match(key):
            return None
        track = session.scalar(
            select(Track).options(selectinload(Track.source),
                                  selectinload(Track.model),
                                  selectinload(Track.observations))
            .where(Track.key == key))
        return track

    @app.get("/tracks/{key}", response_class=HTMLResponse)
    def track_page(request: Request, key: str):
        session_of(request)
        with database.read_only_session() as session:
            track = one_track(session, key)
            if track is None:
                return page(request, "error.html",
                            {"message": "No such track."}, status_code=404)
            times, series = time_series(track)
            chart = (charts.line_chart("Along the track", times, series)
                     if series else None)
            return page(request, "track.html", {
                "track": track, "lines": attribute_lines(track.attributes),
                "chart": chart})

    @app.get("/tracks/{key}/face.jpg")
    def track_face(request: Request, key: str):
        session_of(request)
        if not TRACK_KEY.match(key):
            return Response(status_code=404)
        with database.read_only_session() as session:
            data = session.scalar(select(Track.face_jpeg)
                                  .where(Track.key == key))
        if not data:
            return Response(status_code=404)
        return Response(data, media_type="image/jpeg")

    def export_rows(request, attributes):
        chosen = TrackFilter.from_query(request.query_params)
        with database.read_only_session() as session:
            tracks = filtered_tracks(session, chosen, paged=False)
            return [export_row(t, attributes=attributes) for t in tracks]

    @app.get("/export.csv")
    def export_csv(request: Request):
        session_of(request)
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(EXPORT_COLUMNS)
        for row in export_rows(request, attributes=False):
            writer.writerow([_csv_cell(row[c]) for c in EXPORT_COLUMNS])
        return Response(text.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition":
                                 'attachment; filename="tracks.csv"'})

    @app.get("/export.json")
    def export_json(request: Request):
        session_of(request)
        body = json.dumps({"tracks": export_rows(request, attributes=True)},
                          indent=1)
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition":
                                 'attachment; filename="tracks.json"'})

    def about_context(session):
        models = session.scalars(select(ModelRun).order_by(
            ModelRun.started_at.desc()).limit(20)).all()
        counts = {"tracks": session.scalar(select(func.count(Track.id))),
                  "sources": session.scalar(select(func.count(Source.id))),
                  "users": session.scalar(select(func.count(User.id)))}
        oldest = session.scalar(select(func.min(Track.first_seen)))
        return {"models": models, "counts": counts, "oldest": oldest,
                "database": database.name, "revision": revision}

    @app.get("/about", response_class=HTMLResponse)
    def about(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            return page(request, "about.html", about_context(session))

    @app.get("/api/models")
    def api_models(request: Request):
        session_of(request)
        with database.read_only_session() as session:
            context = about_context(session)
            return {"database": context["database"], "revision": revision,
                    "counts": context["counts"],
                    "models": [{"name": m.name, "path": m.path,
                                "sha256": m.sha256, "runtime": m.runtime,
                                "tasks": m.tasks,
                                "started_at": m.started_at.isoformat()}
                               for m in context["models"]]}

    return app


def _unzip(pairs):
    return [str(a) for a, _ in pairs], [b for _, b in pairs]


def _csv_cell(value):
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t",
                                                 "\r"):
        return "'" + value
    return "" if value is None else value

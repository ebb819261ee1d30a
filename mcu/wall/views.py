"""The wall (`/wall?token=…`) and its poll, opened with a display token and no session; and the admins' page of
display tokens. A token opens these two and nothing else: no other view knows it."""
import time
from datetime import UTC, datetime
from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..board.idle import unchanged
from ..extensions import db, process_cached
from ..lanes import EPOCH_KEY, held_versions, lane_key
from ..lookups import load as load_lookups
from ..models import DisplayToken
from ..roles import can
from ..timefmt import city_tz
from ..web import whole_number
from . import screen, tokens

bp = Blueprint("wall", __name__)
NO_STORE = {"Cache-Control": "no-store"}
SENTINEL = "wall-token-here"  # stands for the token in a region drawn once for every wall that shows it
REGIONS_KEPT = 64


def _access():
    """The presented token's access, or the 403 answer of a wall that may not show: «Доступ отозван» for a revoked
    token, an invalid link for anything else. Never the sign-in page: nobody sits at a wall to sign in."""
    cache = process_cached("mcu_wall_tokens", lambda: tokens.TokenCache(current_app.config["LANE_VERSION_TTL"]))
    access = cache.find(request.args.get("token"))
    if access is None or access.revoked:
        message = _("Доступ отозван") if access is not None else _("Ссылка стены недействительна")
        template = "wall/_refused.html" if request.endpoint == "wall.changes" else "wall/refused.html"
        abort(current_app.response_class(render_template(template, message=message, revoked=access is not None),
                                         403, {**NO_STORE, "X-MCU-Wall": "refused"}))
    cache.seen(access, datetime.now(UTC))
    return access


def _assets() -> str:
    return process_cached("mcu_assets", lambda: screen.asset_version(current_app.static_folder))


def _state(lanes: list) -> tuple[dict, str]:
    """(the lane versions this process holds, the poll's ``v`` for these lanes)."""
    versions = held_versions().get()
    return versions, ",".join([f"{EPOCH_KEY}.{versions.get(EPOCH_KEY, 0)}"]
                              + [f"{lane_key(d)}.{versions.get(lane_key(d), 0)}" for d in lanes])


def _health():
    return process_cached("mcu_wall_health", lambda: screen.HealthCache(current_app.config["WALL_HEALTH_SECONDS"])).get()


def _live(access, view: str) -> dict:
    """The live region's context and the poll URL that asks whether anything in it changed."""
    lookups = load_lookups()
    lanes, view = screen.lanes_of(access.department_id, view, lookups)
    _versions, v = _state(lanes)  # before the reads: never a version newer than what is shown
    health_key, problems = _health()
    now = datetime.now(UTC)
    context = screen.build(lanes, lookups, now, city_tz())
    poll = url_for("wall.changes", token=request.args.get("token"), view=view, v=v, h=health_key,
                   t=int(context["next_change"].timestamp()) + 1)
    return {**context, "poll_url": poll, "problems": problems, "view": view}


def _headers() -> dict:
    return {**NO_STORE, "X-MCU-Assets": _assets(), "X-MCU-Now": str(int(time.time() * 1000))}


@bp.get("/wall")
def show():
    """The control-room wall: the whole city (or the token's department), live, for a TV seen from 5 m."""
    access = _access()
    lookups = load_lookups()
    cfg = current_app.config
    views = screen.views_of(access.department_id, lookups)
    context = _live(access, request.args.get("view", ""))
    return render_template("wall/wall.html", **context, assets=_assets(), poll_seconds=cfg["WALL_POLL_SECONDS"],
                           rotate_seconds=cfg["WALL_ROTATE_SECONDS"] if len(views) > 1 else 0,
                           views=views, sound=bool(cfg["WALL_SOUND"]) or request.args.get("sound") == "1",
                           tz=cfg["TIMEZONE"], server_now=int(time.time() * 1000)), 200, _headers()


@bp.get("/wall/changes")
def changes():
    """A wall's poll: 204 while the lanes it shows are at their versions, the feeds' health is as it was and no
    deadline, midnight or the last-15-minutes strip has moved on (a comparison of values this process holds);
    else the live region anew. Never a redirect; a revoked token gets «Доступ отозван»."""
    access = _access()
    # the lanes ``v`` names are the ones the wall was drawn with: a forged ``v`` can only keep its own wall still
    versions = held_versions().get()
    moment = whole_number(request.args.get("t"), high=2**40)
    if (moment is not None and time.time() < moment and request.args.get("h") == _health()[0]
            and unchanged(request.args.get("v", ""), versions)):
        return "", 204, _headers()
    return _shared_region(access, request.args.get("view", "")), 200, _headers()


def _shared_region(access, wanted: str) -> str:
    """The live region, drawn once per process for every wall showing the same view and feed health, until the
    next moment time alone changes it or a lane it shows changes; each wall gets it with its own token in the poll
    URL. Ages and times left are set by the page from the server's clock after every swap, so a region drawn a
    second ago is the region of now. A region drawn less than WALL_REDRAW_SECONDS ago also serves a change made
    since: the versions in its poll are those it shows, so the wall's next poll brings the change. 50 walls cost a
    worker one drawing per change, and 20 heads moving cards at once at most one drawing per WALL_REDRAW_SECONDS."""
    lookups = load_lookups()
    lanes, view = screen.lanes_of(access.department_id, wanted, lookups)
    _versions, v = _state(lanes)  # before the reads: never a version newer than what is shown
    health_key, problems = _health()
    regions = process_cached("mcu_wall_regions", dict)
    key = (access.department_id, view, health_key)
    now = datetime.now(UTC)
    held = regions.get(key)  # (markup, the moment time alone changes it, when it was drawn, its versions)
    if (held is None or now >= held[1]
            or (held[3] != v and time.monotonic() - held[2] >= current_app.config["WALL_REDRAW_SECONDS"])):
        context = screen.build(lanes, lookups, now, city_tz())
        poll = url_for("wall.changes", token=SENTINEL, view=view, v=v, h=health_key,
                       t=int(context["next_change"].timestamp()) + 1)
        held = (render_template("wall/_live.html", **context, poll_url=poll, problems=problems, view=view),
                context["next_change"], time.monotonic(), v)
        if len(regions) >= REGIONS_KEPT:
            regions.clear()
        regions[key] = held
    return held[0].replace(SENTINEL, quote(request.args.get("token", ""), safe=""))


# --- the admins' page ----------------------------------------------------------------------------------------

def _require_admin():
    if not can(current_user.role, "manage_walls"):
        abort(403)


@bp.get("/walls/")
@login_required
def tokens_page():
    """Display tokens: the walls that may show the board, when each last asked, and the form for a new one."""
    _require_admin()
    return render_template("wall/tokens.html", tokens=tokens.listed(), departments=list(load_lookups().departments.values()),
                           created=None)


@bp.post("/walls/")
@login_required
def create_token():
    """Make a display token and show its address once."""
    _require_admin()
    department = request.form.get("department") or None
    department_id = whole_number(department) if department else None
    try:
        if department and department_id is None:
            raise tokens.TokenError(_("Нет такого подразделения."))
        token, secret = tokens.create(request.form.get("name", ""), department_id)
    except tokens.TokenError as exc:
        return render_template("wall/tokens.html", tokens=tokens.listed(), error=str(exc), created=None,
                               departments=list(load_lookups().departments.values()),
                               name=request.form.get("name", "")[:200]), 400
    address = url_for("wall.show", token=secret, _external=True)
    return render_template("wall/tokens.html", tokens=tokens.listed(), created=(token.name, address),
                           departments=list(load_lookups().departments.values())), 201


@bp.post("/walls/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke a display token: its wall says «Доступ отозван» at its next request."""
    _require_admin()
    token = db.session.get(DisplayToken, token_id)
    if token is None:
        abort(404)
    if tokens.revoke(token):
        flash(_("Доступ стены «%(name)s» отозван.", name=token.name), "info")
    return redirect(url_for("wall.tokens_page"))

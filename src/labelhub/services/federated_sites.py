"""The sites of a federated-training coordinator project: add, list, change, delete, and check them.

A site is another labelhub server's project (``https://host/api/v1/projects/3``) and a manager's bearer token
there. Every operation needs the ``train_model`` permission on the coordinator project (managers, owners,
administrators), as training it does, and records an audit event (``federated.site.add``,
``federated.site.update`` naming the fields changed, ``federated.site.delete``) without the token. The token is
stored as a webhook's secret is (the coordinator sends it with every round, so it cannot be hashed) and is never
returned after the site is added: lists show its last four characters (``token_hint``). A manager may change a
site's name, URL or token later (a mistyped URL, a token rotated on the site) without removing it.

**Where the server may call.** A site's URL passes the rules of a webhook's (:mod:`.webhook_urls`): http or
https, a host, no user name or password, and addresses allowed by ``LABELHUB_WEBHOOK_HOSTS``. By default that
is public addresses only, so a project manager cannot make the server probe its own network; sites on a LAN
(hospitals, business units: the normal case) need an administrator to allow them, e.g.
``LABELHUB_WEBHOOK_HOSTS=external,private`` or the sites' CIDR or host names. One setting for both: it says
where this server may send requests on a manager's behalf. The URL is checked when the site is added, when it
is checked, and when a training job starts. The CLI (``labelhub federated train --site``) is run by whoever
holds the server's files, and is not bound by it.

**Checking** (:func:`check_sites`) costs each site one ``GET`` of its project (``GET <url>``): the token
refused (401), no access (403, 404), not a text project, other classes, or a role under manager there (a round
would be refused) are told apart without training anything.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services import audit
from labelhub.services.access import Actor, require
from labelhub.services.webhook_urls import HostPolicy, check_url
from labelhub.storage.federated_models import FederatedSite

__all__ = [
    "SiteCheck", "SiteView", "add_site", "check_sites", "delete_site", "list_sites", "site_rows", "update_site",
]  # fmt: skip

MAX_SITES = 50  # per coordinator project
MAX_NAME = 100
TOKEN_MIN, TOKEN_MAX = 8, 512
CHECK_TIMEOUT = 10.0  # seconds per site
SITE_PATH = re.compile(r"/projects/\d+$")
ROUND_ROLES = {"manager", "owner", None}  # None: an administrator (no membership), who may do anything


@dataclass(frozen=True, slots=True)
class SiteView:
    """A site as its coordinator's managers see it: never the token, only its last four characters."""

    id: int
    project_id: int
    name: str
    url: str
    token_hint: str
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SiteCheck:
    """What a site said to a cheap call: ``status`` ok, refused (by this server's host rule), unreachable,
    token_refused, no_access, not_text, classes_differ, role (under manager there) or error; ``detail`` in words."""

    site_id: int
    name: str
    url: str
    status: str
    detail: str
    missing: list[str]  # the coordinator's classes the site lacks
    extra: list[str]  # the site's classes the coordinator lacks
    ms: float


def _view(row: FederatedSite) -> SiteView:
    return SiteView(id=row.id, project_id=row.project_id, name=row.name, url=row.url,
                    token_hint=row.token[-4:], created_by=row.created_by, created_at=row.created_at)  # fmt: skip


def policy_of(hub: Hub) -> HostPolicy:
    return HostPolicy.parse(hub.settings.webhook_hosts)


def list_sites(session: Session, actor: Actor, project_id: int) -> list[SiteView]:
    """The coordinator project's sites, oldest first."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="reading the federated sites")
    return [_view(r) for r in site_rows(session, project_id)]


def site_rows(session: Session, project_id: int, ids: list[int] | None = None) -> list[FederatedSite]:
    """The project's site rows (with their tokens), oldest first; ``ids`` keeps those only."""
    stmt = select(FederatedSite).where(FederatedSite.project_id == project_id)
    if ids is not None:
        stmt = stmt.where(FederatedSite.id.in_(ids))
    return list(session.scalars(stmt.order_by(FederatedSite.id)))


def check_site_url(url: str, policy: HostPolicy) -> str:
    """The URL without trailing slashes once it is a site project URL this server may call (ValidationError on
    ``url`` otherwise)."""
    url = url.strip().rstrip("/")
    check_url(url, policy)
    if not SITE_PATH.search(httpx.URL(url).path):
        raise ValidationError("url must be the site's project URL, like https://host/api/v1/projects/3", field="url")
    return url


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValidationError(f"name must be 1 to {MAX_NAME} characters", field="name")
    return name


def _check_token(token: str) -> str:
    token = token.strip()
    if not TOKEN_MIN <= len(token) <= TOKEN_MAX or any(c.isspace() for c in token):
        raise ValidationError(f"token must be {TOKEN_MIN} to {TOKEN_MAX} characters without spaces: a manager's "
                              "API token on the site", field="token")  # fmt: skip
    return token


def _refuse_listed_url(session: Session, project_id: int, url: str, *, other_than: int | None = None) -> None:
    """409 (``url``) when another site of the project has that URL (the table's unique rule, said in words)."""
    stmt = select(FederatedSite.id).where(FederatedSite.project_id == project_id, FederatedSite.url == url)
    if other_than is not None:
        stmt = stmt.where(FederatedSite.id != other_than)
    if session.scalar(stmt.limit(1)) is not None:
        raise ConflictError("this project lists that site already", field="url")


def add_site(
    session: Session, actor: Actor, project_id: int, *, name: str, url: str, token: str, policy: HostPolicy
) -> SiteView:
    """Add a site; 409 (``url``) when the project lists that URL already."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="adding a federated site")
    name, token = _check_name(name), _check_token(token)
    url = check_site_url(url, policy)
    count = session.scalar(select(func.count()).where(FederatedSite.project_id == project_id)) or 0
    if count >= MAX_SITES:
        raise ConflictError(f"a project has at most {MAX_SITES} federated sites", field="sites")
    _refuse_listed_url(session, project_id, url)
    row = FederatedSite(project_id=project_id, name=name, url=url, token=token, created_by=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "federated.site.add", "federated_site", row.id, project_id=project_id,
                 detail={"name": name, "url": url})  # fmt: skip
    return _view(row)


def update_site(
    session: Session,
    actor: Actor,
    project_id: int,
    site_id: int,
    *,
    name: str | None = None,
    url: str | None = None,
    token: str | None = None,
    policy: HostPolicy,
) -> SiteView:
    """Change a site's name, URL or token (None: keep it), checked as :func:`add_site` checks them; a new token
    replaces the old one and is never returned (``token_hint`` follows it). 404 for a site of another project,
    409 (``url``) when another site of the project has the new URL. The audit event
    (``federated.site.update``) names the fields that changed, never the token."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="changing a federated site")
    if name is None and url is None and token is None:
        raise ValidationError("nothing to change: give the site's new name, url or token")
    row = session.get(FederatedSite, site_id)
    if row is None or row.project_id != project_id:
        raise NotFoundError(f"federated site {site_id} not found", field="site_id")
    new = {
        "name": _check_name(name) if name is not None else row.name,
        "url": check_site_url(url, policy) if url is not None else row.url,
        "token": _check_token(token) if token is not None else row.token,
    }
    changed = [f for f in ("name", "url", "token") if new[f] != getattr(row, f)]
    if "url" in changed:
        _refuse_listed_url(session, project_id, new["url"], other_than=row.id)
    if not changed:
        return _view(row)
    before = {f: getattr(row, f) for f in changed if f != "token"}
    row.name, row.url, row.token = new["name"], new["url"], new["token"]
    session.flush()
    audit.record(session, actor, "federated.site.update", "federated_site", row.id, project_id=project_id,
                 detail={"changed": changed, "name": row.name, "url": row.url, "before": before})  # fmt: skip
    return _view(row)


def delete_site(session: Session, actor: Actor, project_id: int, site_id: int) -> None:
    """Remove a site (its token goes with it); a version trained with it keeps its URL in ``params``."""
    require(session, actor, project_id, Action.TRAIN_MODEL, doing="removing a federated site")
    row = session.get(FederatedSite, site_id)
    if row is None or row.project_id != project_id:
        raise NotFoundError(f"federated site {site_id} not found", field="site_id")
    audit.record(session, actor, "federated.site.delete", "federated_site", site_id, project_id=project_id,
                 detail={"name": row.name, "url": row.url})  # fmt: skip
    session.delete(row)


def check_sites(hub: Hub, actor: Actor, project_id: int, *, http: httpx.Client | None = None) -> list[SiteCheck]:
    """Ask every site of the project for its project (one GET each) and say whether a round would be accepted."""
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.TRAIN_MODEL, doing="checking the federated sites")
        classes = LabelSchema.from_json(project.label_schema).names
        rows = [(r.id, r.name, r.url, r.token) for r in site_rows(s, project_id)]
    policy = policy_of(hub)
    client = http or httpx.Client(timeout=CHECK_TIMEOUT)
    try:
        return [_check_one(client, policy, classes, *row) for row in rows]
    finally:
        if http is None:
            client.close()


def _check_one(
    http: httpx.Client, policy: HostPolicy, classes: list[str], site_id: int, name: str, url: str, token: str
) -> SiteCheck:
    start = time.monotonic()

    def out(status: str, detail: str, missing: list[str] | None = None, extra: list[str] | None = None) -> SiteCheck:
        return SiteCheck(site_id, name, url, status, detail, missing or [], extra or [],
                         round((time.monotonic() - start) * 1000, 1))  # fmt: skip

    try:
        target = check_url(url, policy)
    except ValidationError as exc:
        return out("refused", exc.detail)
    args = target.request_args()  # connect to the address just checked (as a webhook delivery does)
    try:
        r = http.get(args["url"], headers={**args["headers"], "Authorization": f"Bearer {token}"},
                     extensions=args["extensions"])  # fmt: skip
    except httpx.HTTPError as exc:
        return out("unreachable", f"{type(exc).__name__}: {str(exc)[:200]}")
    if r.status_code == 401:
        return out("token_refused", "the site refused the token (401): it is unknown, revoked or expired there")
    if r.status_code in (403, 404):
        return out("no_access", f"HTTP {r.status_code}: the token's user cannot open this project on the site")
    if r.status_code != 200:
        return out("error", f"HTTP {r.status_code}: {r.text[:200]}")
    try:
        body: Any = r.json()
        kind, role = body["item_kind"], body.get("role")
        theirs = LabelSchema.from_json(body["label_schema"]).names
    except (ValueError, KeyError, TypeError, AttributeError):
        return out("error", "the answer is not a labelhub project (no item_kind or label_schema)")
    except Exception as exc:  # noqa: BLE001 - a site's schema this version cannot read is a finding, not a crash
        return out("error", f"the site's label schema could not be read: {str(exc)[:200]}")
    if kind != "text":
        return out("not_text", f"the site's project holds {kind} items; federated training needs text")
    missing, extra = sorted(set(classes) - set(theirs)), sorted(set(theirs) - set(classes))
    if missing or extra:
        return out("classes_differ", f"classes differ: missing there {missing[:10]}, only there {extra[:10]}",
                   missing, extra)  # fmt: skip
    if role not in ROUND_ROLES:
        return out("role", f"the token's user is a {role} there; a round needs a manager")
    return out("ok", f"reachable, text, the same {len(classes)} classes, {role or 'administrator'} there")

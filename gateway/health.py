"""Liveness and readiness probes, and the descriptions that problem ``type`` URIs resolve to."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from gateway.clients.posts import PostsClient
from gateway.clients.stats import StatsClient
from gateway.http.errors import HTTP_PROBLEMS, Problem, problem_catalog
from servicekit.database import Database


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


_CHECK_SECONDS = 2.0


async def database_check(database: Database) -> str:
    """ "ok", or why the database does not answer."""
    try:
        await asyncio.wait_for(database.fetch("SELECT 1"), _CHECK_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure means not ready; say which
        return type(error).__name__
    return "ok"


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", summary="The process is up")
    async def live(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        summary="The process can serve requests: its database and the posts service answer",
        description="503 while the database or the posts service (which nearly every route needs) "
        "does not answer; `checks` says which. The stats service is checked too, but only degrades: "
        "while it is down the statistics routes answer 503 and everything else works, so taking "
        "every gateway out of rotation for it would turn a partial outage into a whole one.",
    )
    async def ready(
        self,
        database: NamedDependency[Database],
        posts_client: NamedDependency[PostsClient],
        stats_client: NamedDependency[StatsClient],
    ) -> Response[Health]:
        database_state, posts_check, stats_check = await asyncio.gather(
            database_check(database), posts_client.health(), stats_client.health()
        )
        checks = {"database": database_state, "posts": posts_check, "stats": stats_check}
        if database_state != "ok" or posts_check != "ok":
            return Response(
                Health(status="unavailable", checks=checks), status_code=HTTP_503_SERVICE_UNAVAILABLE
            )
        status = "ok" if stats_check == "ok" else "degraded"
        return Response(Health(status=status, checks=checks), status_code=HTTP_200_OK)


class ProblemDescription(msgspec.Struct):
    code: str
    status: int
    title: str


class ProblemsController(Controller):
    path = "/problems"
    include_in_schema = False

    @get("/")
    async def index(self) -> list[ProblemDescription]:
        return [ProblemDescription(kind.code, kind.status, kind.title) for kind in problem_catalog().values()]

    @get("/{code:str}")
    async def describe(self, code: FromPath[str]) -> ProblemDescription:
        catalog = problem_catalog()
        kind = catalog.get(code) or next((k for k in catalog.values() if k.type_name == code), None)
        if kind is None:
            raise Problem(HTTP_PROBLEMS[404], f"No problem type {code!r}.")
        return ProblemDescription(kind.code, kind.status, kind.title)

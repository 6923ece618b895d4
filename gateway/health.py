"""Liveness and readiness probes, and the descriptions that problem ``type`` URIs resolve to."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from gateway.errors import HTTP_PROBLEMS, Problem, problem_catalog
from gateway.users.tables import User


class Health(msgspec.Struct):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", summary="The process is up")
    async def live(self) -> Health:
        return Health(status="ok")

    @get("/ready", summary="The process can serve requests (its database answers)")
    async def ready(self) -> Response[Health]:
        try:
            await User.raw("SELECT 1")
        except Exception as error:  # noqa: BLE001 - any failure means not ready; say which
            return Response(
                Health(status="unavailable", checks={"database": type(error).__name__}),
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(Health(status="ok", checks={"database": "ok"}), status_code=HTTP_200_OK)


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
        kind = problem_catalog().get(code)
        if kind is None:
            raise Problem(HTTP_PROBLEMS[404], f"No problem type {code!r}.")
        return ProblemDescription(kind.code, kind.status, kind.title)

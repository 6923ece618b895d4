"""Settings from the environment: one msgspec Struct per process, read once from ``FLOCK_*`` variables.

A process declares its settings as a frozen :class:`msgspec.Struct` (types, bounds and defaults in
the annotations) and an :class:`Environment` that names the variable of each field: ``<prefix><FIELD>``
(``FLOCK_POSTS_PORT``), or a name shared by every process (``FLOCK_LOG_LEVEL``). Reading converts the
text to the declared types and, for anything missing or out of bounds, raises :class:`SettingsError`
with a message that names the variable, never the field: the message is for whoever set it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, TypeVar

import msgspec

# The names of settings every process reads the same way.
SHARED_NAMES: Mapping[str, str] = {
    "log_level": "FLOCK_LOG_LEVEL",
    "kafka_bootstrap": "FLOCK_KAFKA_BOOTSTRAP",
}

# Uvicorn's levels: "trace" is accepted everywhere, and logs as debug where there is no trace level.
LogLevel = Annotated[str, msgspec.Meta(pattern="^(?i:trace|debug|info|warning|error|critical)$")]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
# How long calls (or a batch) in flight get to finish once SIGTERM came.
GraceSeconds = Annotated[float, msgspec.Meta(ge=0, le=300)]

S = TypeVar("S", bound=msgspec.Struct)

_MISSING = re.compile(r"missing required field `(\w+)`")
_AT_FIELD = re.compile(r"`\$\.(\w+)`")


class SettingsError(Exception):
    """A required setting is missing or malformed; the message names the variable."""


class Environment:
    """Where a process's settings come from: ``prefix`` + the field's name in capitals, except for the
    fields in ``names`` (which default to :data:`SHARED_NAMES`)."""

    def __init__(self, prefix: str, names: Mapping[str, str] | None = None) -> None:
        self.prefix = prefix
        self._names = dict(SHARED_NAMES if names is None else names)

    def name(self, field: str) -> str:
        """The environment variable that sets ``field``."""
        return self._names.get(field) or f"{self.prefix}{field.upper()}"

    def names(self, kind: type[msgspec.Struct]) -> frozenset[str]:
        """Every environment variable ``kind`` reads."""
        return frozenset(map(self.name, kind.__struct_fields__))

    def load(self, kind: type[S], environ: Mapping[str, str] | None = None) -> S:
        """A ``kind`` from ``environ`` (``os.environ`` unless given): the variables that are set, the
        defaults for the rest; :class:`SettingsError` naming the variable if one is missing or bad."""
        environ = os.environ if environ is None else environ
        given = {
            field: environ[self.name(field)]
            for field in kind.__struct_fields__
            if self.name(field) in environ
        }
        try:
            return msgspec.convert(given, kind, strict=False)
        except msgspec.ValidationError as error:
            raise SettingsError(self._explain(str(error))) from None

    def _explain(self, message: str) -> str:
        # msgspec names fields ("missing required field `db_url`", "... - at `$.port`").
        if missing := _MISSING.search(message):
            return f"missing required setting {self.name(missing.group(1))}"
        return _AT_FIELD.sub(lambda match: self.name(match.group(1)), message)


def logging_level(level: str) -> str:
    """The :mod:`logging` level for a ``FLOCK_LOG_LEVEL`` value (uvicorn's ``trace`` is ``DEBUG``)."""
    return "DEBUG" if level.lower() == "trace" else level.upper()

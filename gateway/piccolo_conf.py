"""Piccolo's configuration, for the migration tool (``python -m gateway migrate``)."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from gateway.settings import load_database_settings
from servicekit.database import make_engine

DB = make_engine(load_database_settings().db_url)

APP_REGISTRY = AppRegistry(apps=["gateway.piccolo_app"])

"""Piccolo's configuration, for the migration tool (``python -m posts migrate``)."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from posts.database import make_engine
from posts.settings import load_database_settings

DB = make_engine(load_database_settings().db_url)

APP_REGISTRY = AppRegistry(apps=["posts.piccolo_app"])

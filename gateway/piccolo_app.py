"""The gateway's Piccolo app: its tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from gateway.database import TABLES

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="gateway",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)

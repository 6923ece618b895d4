"""Flock's gateway: the public REST API; owns users, auth and the social graph."""

__version__ = "0.1.0"

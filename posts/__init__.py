"""Flock's posts service (gRPC): posts, comments and likes, with an outbox of their events."""

__version__ = "0.1.0"

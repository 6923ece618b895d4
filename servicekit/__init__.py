"""The small runtime every Flock process is built from: settings from the environment, the error
families, backoff, the gRPC server scaffold and its guard, the event producer and the outbox relay.

Nothing here knows a domain: a service brings its own rules and tables and plugs them in.
"""

"""Clients of the internal gRPC services: where protobuf objects and gRPC status codes stop.

One module per service (:mod:`gateway.clients.posts`, :mod:`gateway.clients.stats`), both bound the
same way: a client is made once per process on a channel, and :meth:`for_request` gives the copy a
request uses (its request id, and for the posts service, its caller). Callers get plain records; a
failed call raises a :mod:`servicekit.errors` family, translated in :mod:`gateway.clients.channel`.
"""

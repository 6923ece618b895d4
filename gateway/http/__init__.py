"""The gateway's shared HTTP core: what every domain's controllers stand on.

- :mod:`~gateway.http.parameters`: the query and header parameters lists and writes share;
- :mod:`~gateway.http.dependencies`: the services and the caller, injected by name into handlers;
- :mod:`~gateway.http.guards`: routes that need a signed-in caller;
- :mod:`~gateway.http.schemas`: response schemas more than one domain shows;
- :mod:`~gateway.http.errors`: every error as RFC 9457 problem details, by family;
- body and query checks, response headers, request ids, rate limits and the OpenAPI document.

Domains import from here and from services; never from another domain's controllers.
"""

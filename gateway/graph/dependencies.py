"""Dependencies for graph routes."""

from __future__ import annotations

from litestar.datastructures import State

from gateway.graph.service import Graph


def provide_graph(state: State) -> Graph:
    graph: Graph = state.graph
    return graph

"""The numeric engine: ops (forward beside backward), the layer vocabulary, the graph and the solvers. Pure numpy."""

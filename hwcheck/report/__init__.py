"""Renderers: results in, output out. No computation happens here."""

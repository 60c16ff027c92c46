"""Problem specs: the hardened YAML reader, loading and validation, networks, instances, the catalog and the JSON Schema."""

"""Problem kinds: a spec and an instance in, a worked answer key out."""

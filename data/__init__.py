"""The dataset registry (registry.json), importable as helpers.registry."""

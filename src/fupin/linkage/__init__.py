"""Record linkage: department records matched to registry people, duplicate people found (Splink)."""

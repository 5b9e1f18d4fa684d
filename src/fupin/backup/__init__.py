"""Backup and restore of a whole installation: ``fupin backup FILE`` and ``fupin restore FILE``."""

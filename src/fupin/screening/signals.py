"""What screening tells other apps: new risk clues were written (the monitoring workflow opens cases)."""

from django.dispatch import Signal

# Sent inside the run's transaction with ``run`` (ScreeningRun); the new clues are ``run.clues``.
clues_created = Signal()

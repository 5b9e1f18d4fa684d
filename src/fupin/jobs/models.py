"""The workers that are alive: each beats every few seconds, so a job whose worker stopped is found."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.host} ({self.pid})"

"""Durable background work: jobs in the application database, carried out by ``fupin worker``.

Apps enqueue with ``fupin.jobs.services.enqueue(kind, **args)`` and describe each kind of job in their
own ``jobs.py`` (found like ``admin.py``); only this app talks to the queue library (django-tasks with
django-tasks-db, docs/decisions/0009-durable-background-jobs.md).
"""

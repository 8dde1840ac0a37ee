"""The Celery app. Tasks are discovered in every installed app's ``tasks`` module."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")

app = Celery("dapolice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_tokens: dict[str, Any] = {}


@task_prerun.connect
def _bind_task_context(task_id: str, **_: Any) -> None:
    """Audit rows written by a task carry the task id where a request id would be."""
    from dapolice.common import context

    _tokens[task_id] = context.bind(context.RequestContext(request_id=f"task-{task_id}"[:64]))


@task_postrun.connect
def _unbind_task_context(task_id: str, **_: Any) -> None:
    from dapolice.common import context

    token = _tokens.pop(task_id, None)
    if token is not None:
        context.unbind(token)

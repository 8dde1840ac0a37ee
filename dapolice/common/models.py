"""Abstract base model; this app has no concrete models."""

from django.db import models


class BaseModel(models.Model):
    """Timestamps every domain row carries. Business rules never live here (see services)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True

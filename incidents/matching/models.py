"""Matching weights the engine serves (issue 14), and the call takers' decisions as labels.

A :class:`MatchingModel` is a set of comparison-level weights (``scoring.Weights`` as JSON).
At most one is active; with none, the engine serves the hand-set weights
(``scoring.DEFAULT_WEIGHTS``), the built-in model for a force with too little data. A model's
weights never change once stored (a new version is a new row), so a process that has read one
never needs to read it again.

A :class:`MatchLabel` is a call taker's decision on a candidate the panel showed: linked (a
positive label) or "not this person" (a negative one). It holds the comparison levels of what
was typed against the person, never what was typed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dapolice.common.models import BaseModel


class MatchingModel(BaseModel):
    class Source(models.TextChoices):
        HAND = "hand", _("set by hand")
        LABELS = "labels", _("fitted on the call takers' decisions")
        SPLINK = "splink", _("trained with Splink")

    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    weights = models.JSONField(_("weights"), help_text=_("Log-odds weight of each level."))
    active = models.BooleanField(_("active"), default=False)
    trained_at = models.DateTimeField(_("trained at"), null=True, blank=True)
    record_count = models.PositiveIntegerField(_("records or labels trained on"), default=0)
    metrics = models.JSONField(_("evaluation figures"), default=dict, blank=True)
    #: The Splink release that trained it (blank for hand-set and label-fitted models).
    trainer_version = models.CharField(_("trained with"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("matching model")
        verbose_name_plural = _("matching models")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="matching_one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class MatchTermFrequency(models.Model):
    """One value of a model's term-frequency table: the log-odds added to an exact agreement on
    this value (a common surname agrees by chance more often than a rare one).

    Only values held by at least ``DAPOLICE_MATCH_TF_MIN_PERSONS`` people are stored; rarer
    values get the model's rare-value weight (``weights["tf_rare"]``), so no table lists a rare
    name. Written with its model, never changed.
    """

    class Column(models.TextChoices):
        GIVEN = "given", _("given name")
        FAMILY = "family", _("family name")
        POSTCODE = "postcode", _("postcode")

    model = models.ForeignKey(MatchingModel, on_delete=models.CASCADE, related_name="frequencies")
    column = models.CharField(max_length=10, choices=Column.choices)
    #: Folded name (``keys.name_folded``) or postcode key.
    value = models.CharField(max_length=100)
    persons = models.PositiveIntegerField()
    weight = models.FloatField()

    class Meta:
        verbose_name = _("term frequency")
        verbose_name_plural = _("term frequencies")
        constraints = [
            models.UniqueConstraint(fields=["model", "column", "value"], name="matching_tf_unique")
        ]

    def __str__(self) -> str:
        return f"{self.column} #{self.pk}"


class MatchLabel(BaseModel):
    person = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    positive = models.BooleanField(_("the same person"))
    #: ``{"given": "nickname", "family": "exact", "dob": "missing", "phone": ..., "address":
    #: ..., "swapped": false, "primary": true, "dob_common": false}``: levels, never values.
    levels = models.JSONField(_("comparison levels"))
    score = models.FloatField(_("score shown"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("match label")
        verbose_name_plural = _("match labels")

    def __str__(self) -> str:
        return f"label #{self.pk}"

"""Must-not-see lists: staff who must not see a record (issue 7).

A person (and so every incident they are in) or an incident can name members of staff who must
not see it: someone related to the parties, or a police employee who is a party. They then get
404 everywhere (pages, API, search, the match panel), because ``visible_to`` leaves the record
out (``incidents.policies.incident_exclusion``). Entries are added and removed here, audited on
the record, with a reason; a removed entry stays (``removed_at``) for the history.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dapolice.accounts.models import User
from dapolice.audit.services import record_change
from dapolice.common.errors import DomainError
from incidents.models import Incident, Person, StaffExclusion


def exclusion_add(
    *,
    actor: User,
    user: User,
    reason: str,
    person: Person | None = None,
    incident: Incident | None = None,
) -> StaffExclusion:
    """``user`` must not see ``person`` (and their incidents) or ``incident``."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why this person must not see the record."), field="reason")
    if (person is None) == (incident is None):
        raise DomainError(_("Name a person or an incident."), field="person")
    if user.pk == actor.pk:
        raise DomainError(_("Someone else adds you to a must-not-see list."), field="user")
    subject = person if person is not None else incident
    assert subject is not None  # noqa: S101 (checked above; for the type checker)
    with transaction.atomic():
        existing = (
            StaffExclusion.objects.active()
            .select_for_update()
            .filter(user=user, person=person, incident=incident)
            .first()
        )
        if existing is not None:
            return existing
        entry = StaffExclusion.objects.create(
            user=user,
            person=person,
            incident=incident,
            reason=reason,
            added_by=actor,
            added_at=timezone.now(),
        )
        record_change(
            actor=actor,
            action=f"{subject._meta.label_lower}.must_not_see_added",
            subject=subject,
            changes={"must_not_see": [None, user.pk]},
            reason=reason,
        )
    return entry


def exclusion_remove(*, actor: User, entry: StaffExclusion, reason: str) -> StaffExclusion:
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the entry is removed."), field="reason")
    with transaction.atomic():
        locked = StaffExclusion.objects.select_for_update().get(pk=entry.pk)
        if locked.removed_at is not None:
            return locked
        if locked.user_id == actor.pk:
            raise DomainError(_("Someone else removes you from a must-not-see list."))
        locked.removed_at = timezone.now()
        locked.removed_by = actor
        locked.save(update_fields=["removed_at", "removed_by"])
        subject = locked.person if locked.person_id else locked.incident
        assert subject is not None  # noqa: S101 (a check constraint)
        record_change(
            actor=actor,
            action=f"{subject._meta.label_lower}.must_not_see_removed",
            subject=subject,
            changes={"must_not_see": [locked.user_id, None]},
            reason=reason,
        )
    return locked

"""Every write of call intake: ``<entity>_<verb>(*, actor, ...)``, one module per entity.

Each service locks what it changes, checks its precondition (``DomainError``, or ``Conflict`` when
the record changed under the user), changes, and writes the audit row in the same transaction;
signals for upper apps go out on commit. Who may call it is the view's or API's policy (README,
"Access"). The pure rules (attendance target, call start, reference format) are in
``incidents.rules``.

Import as ``from incidents import services`` and call ``services.incident_create(...)``; the
names below (with the input types the services take) are the package's public interface.
"""

from incidents.inputs import AddressInput, Checklist, IncidentInput, PersonInput, Thrive
from incidents.rules import attendance_target, call_start_problem, incident_reference
from incidents.services.addresses import (
    address_get_or_create,
    address_mark_restricted,
    address_reveal,
    address_typed_restricted,
    address_unrestrict,
    reveal_review,
    rural_for_postcode,
)
from incidents.services.attendance import (
    incident_defer,
    incident_dispatch,
    incident_record_arrival,
)
from incidents.services.custody import (
    custody_event_record,
    custody_victim_informed,
    inspector_shift_add,
    inspector_shift_end,
)
from incidents.services.exclusions import exclusion_add, exclusion_remove
from incidents.services.incidents import (
    INCIDENT_AUDIT_FIELDS,
    incident_add_call,
    incident_add_person,
    incident_attendance_target,
    incident_create,
    incident_deadline_preview,
    incident_regrade,
    incident_set_risk_level,
)
from incidents.services.markers import marker_add
from incidents.services.persons import person_create, person_update_from_call

__all__ = [
    "INCIDENT_AUDIT_FIELDS",
    "AddressInput",
    "Checklist",
    "IncidentInput",
    "PersonInput",
    "Thrive",
    "address_get_or_create",
    "address_mark_restricted",
    "address_reveal",
    "address_typed_restricted",
    "address_unrestrict",
    "attendance_target",
    "call_start_problem",
    "custody_event_record",
    "custody_victim_informed",
    "exclusion_add",
    "exclusion_remove",
    "incident_add_call",
    "incident_add_person",
    "incident_attendance_target",
    "incident_create",
    "incident_deadline_preview",
    "incident_defer",
    "incident_dispatch",
    "incident_record_arrival",
    "incident_reference",
    "incident_regrade",
    "incident_set_risk_level",
    "inspector_shift_add",
    "inspector_shift_end",
    "marker_add",
    "person_create",
    "person_update_from_call",
    "reveal_review",
    "rural_for_postcode",
]

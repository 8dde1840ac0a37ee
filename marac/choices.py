"""Fixed codes of the MARAC app. Tunable numbers (the repeat window, cases per meeting, minutes a
case, when an action is "due soon") are settings (``DAPOLICE_MARAC_*``, README
"Configuration"), never here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

#: The SafeLives referral criteria are risk's (``risk.choices.Criterion``): one list of codes.
from risk.choices import Criterion

__all__ = ["Criterion"]


class Source(models.TextChoices):
    """How a case reached the MARAC list."""

    MASH = "mash", _("MASH referral")
    PARTNER = "partner", _("Referred by a partner agency")
    COORDINATOR = "coordinator", _("Referred by the coordinator")
    #: A new DA incident within the repeat window of the victim's last MARAC referral.
    REPEAT = "repeat", _("Repeat MARAC (new incident)")


class CaseStatus(models.TextChoices):
    REFERRED = "referred", _("Referred, waiting for a meeting")
    LISTED = "listed", _("On a meeting's agenda")
    DISCUSSED = "discussed", _("Discussed, actions open")
    CLOSED = "closed", _("Closed")


#: A case still on the MARAC's books (a new incident flags it rather than opening another).
OPEN_CASE = (CaseStatus.REFERRED, CaseStatus.LISTED, CaseStatus.DISCUSSED)


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ReportKind(models.TextChoices):
    """A report-back on an action: an update (still open) or done."""

    UPDATE = "update", _("Update")
    DONE = "done", _("Done")


class RiskOutcome(models.TextChoices):
    """Whether the MARAC's actions reduced the victim's risk (recorded at closing)."""

    REDUCED = "reduced", _("Reduced")
    SAME = "same", _("No change")
    INCREASED = "increased", _("Increased")
    UNKNOWN = "unknown", _("Not known")


#: Deadline kinds (``dapolice.alerts``) this app sets.
ACTION_DUE_SOON_DEADLINE = "marac.action.due_soon"
ACTION_OVERDUE_DEADLINE = "marac.action.overdue"
REPEAT_DEADLINE = "marac.case.repeat"
#: The re-assessment asked of the victim's officer (due when asked: the alert is the request).
REASSESS_REQUEST_DEADLINE = "marac.case.reassess"
#: No DASH reviewed ``DAPOLICE_MARAC_REASSESS_DAYS`` after the request: the coordinator chases.
REASSESS_CHASE_DEADLINE = "marac.case.reassess_chase"
#: The DASH asked for was reviewed: the coordinator is told the case can be closed.
REASSESSED_DEADLINE = "marac.case.reassessed"

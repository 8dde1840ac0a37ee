"""Fixed codes of the DASH risk assessment. Tunable numbers (bands, clocks, MARAC thresholds) are
settings (``DAPOLICE_DASH_*``, ``DAPOLICE_MARAC_*``), and the questions are data (``Instrument``
rows, seeded by migration 0002), not here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.choices import RiskLevel


class Answer(models.TextChoices):
    """How a DASH question was answered. Only "yes" counts towards the score."""

    UNANSWERED = "", _("Not answered")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_KNOWN = "not_known", _("Not known")
    DECLINED = "declined", _("Victim declined to answer")


ANSWERED = (Answer.YES, Answer.NO, Answer.NOT_KNOWN, Answer.DECLINED)


class Level(models.TextChoices):
    """A DASH risk level (the incident's ``RiskLevel`` without "not assessed")."""

    STANDARD = RiskLevel.STANDARD.value, _("Standard")
    MEDIUM = RiskLevel.MEDIUM.value, _("Medium")
    HIGH = RiskLevel.HIGH.value, _("High")


LEVEL_RANK = {Level.STANDARD: 1, Level.MEDIUM: 2, Level.HIGH: 3}


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted: awaiting supervisor review")
    RETURNED = "returned", _("Returned to the officer for more work")
    REVIEWED = "reviewed", _("Reviewed")


#: States in which the author may still change the assessment.
EDITABLE = (Status.DRAFT, Status.RETURNED)


class Decision(models.TextChoices):
    """A supervisor's review decision."""

    AGREE = "agree", _("Agree the level")
    CHANGE = "change", _("Change the level")
    RETURN = "return", _("Return to the officer for more work")


class Audience(models.TextChoices):
    """Who uses an instrument: police first responders, or partner agencies' referrals."""

    POLICE = "police", _("Police first response")
    PARTNER = "partner", _("Partner agency (referral)")


class Supplement(models.TextChoices):
    """A section of the main checklist, or a supplement shown only when the answers call for it."""

    MAIN = "", _("Main checklist")
    STALKING = "stalking", _("Stalking and harassment (S-DASH)")
    HONOUR = "honour", _("So-called honour-based abuse")


class Criterion(models.TextChoices):
    """SafeLives MARAC referral criteria."""

    VISIBLE_HIGH = "visible_high", _("Visible high risk")
    PROFESSIONAL_JUDGEMENT = "professional_judgement", _("Professional judgement")
    POTENTIAL_ESCALATION = "potential_escalation", _("Potential escalation")
    REPEAT_MARAC = "repeat_marac", _("Repeat MARAC")


#: Deadline kinds (``dapolice.alerts``) this app sets.
REVIEW_DEADLINE = "risk.dash.review"
REWORK_DEADLINE = "risk.dash.rework"
#: A medium-risk victim's re-assessment (subject: the victim; handler in ``mash.receivers``,
#: which knows the SPOC).
REASSESS_DEADLINE = "risk.victim.reassess"

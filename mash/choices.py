"""Fixed codes of the MASH app. Tunable numbers (the sample rate, clocks, MASH hours, targets) are
settings (``DAPOLICE_MASH_*``, README "Configuration"), never here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from risk.choices import Level


class EntryReason(models.TextChoices):
    """Why a reviewed DASH is in the MASH queue (shown on every item)."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    #: Standard risk with children present or in the household: the children's services
    #: referral and Operation Encompass go through the MASH (domain.md, step 2).
    CHILDREN = "children", _("Standard — children present")
    SAMPLE = "sample", _("Standard — in the sample")


class CaseStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    IN_PROGRESS = "in_progress", _("In progress")
    ASSESSED = "assessed", _("Secondary assessment complete")


#: Statuses of an item still to be assessed.
OPEN_STATUSES = (CaseStatus.WAITING, CaseStatus.IN_PROGRESS)


class Team(models.TextChoices):
    """Who the item went to on arrival."""

    MASH = "mash", _("MASH")
    #: A high-risk item arriving out of MASH hours: the on-duty detective sergeant.
    DUTY_DS = "duty_ds", _("On-duty detective sergeant")


class Duty(models.TextChoices):
    """Duties held for a shift on the rota (``DutyRota``): who is on duty changes by the hour,
    so these are rota entries, not roles."""

    MASH_TEAM_LEAD = "mash_team_lead", _("MASH team lead")
    DETECTIVE_SERGEANT = "detective_sergeant", _("Detective sergeant (out of MASH hours)")


#: Priority of a level in the queue (higher first).
LEVEL_PRIORITY = {Level.HIGH: 3, Level.MEDIUM: 2, Level.STANDARD: 1}


class InformationSource(models.TextChoices):
    """Agencies whose information the secondary assessment gathers."""

    CHILDRENS_SERVICES = "childrens_services", _("Children's services")
    ADULT_SERVICES = "adult_services", _("Adult services")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    EDUCATION = "education", _("Education")
    PROBATION = "probation", _("Probation")
    IDVA = "idva", _("IDVA service")
    POLICE = "police", _("Police")


class ReferralKind(models.TextChoices):
    CHILDRENS_SERVICES = "childrens_services", _("Children's services")
    ADULT_SERVICES = "adult_services", _("Adult services")
    HEALTH = "health", _("Health")
    IDVA = "idva", _("IDVA")
    HOUSING = "housing", _("Housing")
    SANCTUARY = "sanctuary", _("Crime prevention officer: sanctuary survey")
    PERPETRATOR_PROGRAMME = "perpetrator_programme", _("Perpetrator programme")
    MARAC = "marac", _("MARAC")


#: The partner agency kind (``accounts.AgencyKind``) a referral of each kind goes to; kinds not
#: here are police-internal (the crime prevention officer, the MARAC coordinator) or go to a
#: provider without an account in the system (a perpetrator programme).
REFERRAL_AGENCY_KIND = {
    ReferralKind.CHILDRENS_SERVICES: "childrens_services",
    ReferralKind.ADULT_SERVICES: "adult_services",
    ReferralKind.HEALTH: "health",
    ReferralKind.IDVA: "idva",
    ReferralKind.HOUSING: "housing",
}


class ReferralStatus(models.TextChoices):
    MADE = "made", _("Made, awaiting a response")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")


#: A referral still to be done (its due date is watched).
OPEN_REFERRAL = (ReferralStatus.MADE, ReferralStatus.ACCEPTED)
#: An IDVA referral in these states counts as the victim being supported.
SUPPORTED = (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED)


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Not yet sent")
    SENT = "sent", _("Sent")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("E-mail")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    LETTER = "letter", _("Letter")


class ContactOutcome(models.TextChoices):
    SPOKE = "spoke", _("Spoke to the victim")
    NO_ANSWER = "no_answer", _("No answer, no message left")
    VOICEMAIL = "voicemail", _("Voicemail left")
    MESSAGE_SENT = "message_sent", _("Message sent")
    UNSAFE = "unsafe", _("Not safe to talk: ended")
    DECLINED = "declined", _("Victim declined contact")


class OwnershipEvent(models.TextChoices):
    """How a period of ownership of safeguarding began."""

    OPENED = "opened", _("Attending officer, when the case reached the MASH")
    ACCEPTED = "accepted", _("Handover accepted")


#: Deadline kinds (``dapolice.alerts``) this app sets.
START_DEADLINE = "mash.case.start"
COMPLETE_DEADLINE = "mash.case.complete"
OUT_OF_HOURS_DEADLINE = "mash.case.out_of_hours"
REFERRAL_DEADLINE = "mash.referral.due"
ENCOMPASS_DEADLINE = "mash.encompass.due"
#: A repeat victim who stopped calling (subject: the victim): a welfare follow-up to the SPOC.
SILENT_VICTIM_DEADLINE = "mash.victim.silent"

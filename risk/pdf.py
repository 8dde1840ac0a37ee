"""A completed DASH as a PDF for the case file (fpdf2: pure Python, no system libraries).

Every page carries the protective marking OFFICIAL-SENSITIVE at the top and the bottom. The
built-in PDF fonts cover Latin-1 only; a character outside it (rare in names here) prints as
"?" rather than failing the export.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from risk.choices import Answer, Level

MARKING = "OFFICIAL-SENSITIVE"


def _t(value: Any) -> str:
    text = str(value if value is not None else "")
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2013", "-"), ("\u2014", "-"), ("\u2192", "->")):  # fmt: skip
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M") if moment else "-"


class _Document(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "B", 10)
        self.cell(0, 6, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "B", 9)
        self.cell(0, 5, MARKING, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 8)
        self.cell(0, 4, _t(_("Page %(n)s of {nb}") % {"n": self.page_no()}), align="C")


def assessment_pdf(view: Any, *, compress: bool = True) -> bytes:
    """The PDF of ``view`` (a ``selectors.AssessmentView``)."""
    a = view.assessment
    pdf = _Document(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(f"DASH {a.pk}")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", size)
        pdf.multi_cell(width, 7, _t(text), new_x="LMARGIN", new_y="NEXT")

    def line(label: str, value: Any) -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(55, 5, _t(label))
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width - 55, 5, _t(value) or "-", new_x="LMARGIN", new_y="NEXT")

    heading(_("Domestic abuse risk assessment (%(name)s)") % {"name": a.instrument}, 14)
    line(_("Incident"), a.incident.reference)
    line(_("Victim"), a.victim)
    line(_("Officer"), a.author)
    line(_("Status"), a.get_status_display())
    line(_("Submitted"), _when(a.submitted_at))
    line(
        _("Score"),
        _("%(n)d \u201cyes\u201d (suggests %(s)s)")
        % {"n": a.score, "s": Level(a.suggested_level).label.lower() if a.suggested_level else "-"},
    )
    line(_("Officer's level"), Level(a.officer_level).label if a.officer_level else "-")
    if a.officer_rationale:
        line(_("Professional judgement"), a.officer_rationale)
    if a.final_level:
        line(_("Reviewed level"), Level(a.final_level).label)
        line(_("Reviewed by"), f"{a.reviewed_by}, {_when(a.reviewed_at)}")
    for review in view.reviews:
        line(
            _("Review"),
            f"{review.get_decision_display()} - {review.reviewer}, "
            f"{_when(review.decided_at)}{': ' + review.reason if review.reason else ''}",
        )

    for section in view.sections:
        if not section.open:
            continue
        heading(section.section.title, 11)
        for row in section.rows:
            q = row.question
            answer = Answer(row.value).label if row.value else _("Not answered")
            pdf.set_font("Helvetica", "", 9)
            pdf.multi_cell(width - 35, 5, _t(f"{q.number}. {q.text}"), new_x="RIGHT", new_y="TOP")
            pdf.set_font("Helvetica", "B", 9)
            pdf.multi_cell(35, 5, _t(answer), new_x="LMARGIN", new_y="NEXT")
            if row.notes:
                pdf.set_font("Helvetica", "I", 8)
                pdf.multi_cell(width, 4, _t(row.notes), new_x="LMARGIN", new_y="NEXT")

    heading(_("Children"), 11)
    line(_("Children present"), a.children_present or "-")
    if a.children_details:
        line(_("Details"), a.children_details)
    heading(_("Safety plan"), 11)
    done = [label for flag, label in (
        (a.safety_alarm, _("alarm")), (a.safety_phone, _("phone")),
        (a.safety_marker, _("treat-as-emergency marker")), (a.safety_arrest, _("arrest")),
        (a.safety_removal, _("removal")), (a.safety_referral, _("referral")),
    ) if flag]  # fmt: skip
    line(_("Put in place"), ", ".join(str(d) for d in done) or _("nothing recorded"))
    line(_("Plan"), a.safety_plan)
    heading(_("Evidence"), 11)
    captured = [label for flag, label in (
        (a.evidence_bwv, _("body-worn video")), (a.evidence_photos, _("photographs")),
        (a.evidence_999, _("999 recording")), (a.evidence_witnesses, _("witnesses")),
    ) if flag]  # fmt: skip
    line(_("Captured"), ", ".join(str(c) for c in captured) or _("nothing recorded"))
    if a.evidence_notes:
        line(_("Notes"), a.evidence_notes)
    if view.criteria:
        heading(_("MARAC referral criteria"), 11)
        for c in view.criteria:
            line(f"{c.label}: {_('yes') if c.met else _('no')}", c.reason)
    return bytes(pdf.output())

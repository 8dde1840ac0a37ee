"""A MARAC meeting's agenda as a PDF (fpdf2, as ``risk.pdf``): OFFICIAL-SENSITIVE at the top
and the bottom of every page, each case's essentials, and never a refuge address in clear (the
address is ``Address.__str__``: "Restricted address" for a restricted one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

MARKING = "OFFICIAL-SENSITIVE"


def _t(value: Any) -> str:
    text = str(value if value is not None else "")
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                 ("\u2013", "-"), ("\u2014", "-")):  # fmt: skip
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def _when(moment: Any, fmt: str = "%d %b %Y %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt) if moment else "-"


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


def agenda_pdf(meeting: Any, rows: Sequence[Any], *, compress: bool = True) -> bytes:
    """The agenda of ``meeting``: ``rows`` are ``selectors.AgendaRow``."""
    pdf = _Document(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(f"MARAC agenda {meeting.pk}")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def line(label: str, value: Any) -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(45, 5, _t(label))
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width - 45, 5, _t(value) or "-", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(width, 8, _t(_("MARAC agenda")), new_x="LMARGIN", new_y="NEXT")
    line(_("Meeting"), _when(meeting.held_at))
    line(_("Venue"), meeting.venue)
    line(_("Agenda cut-off"), _when(meeting.cutoff_at))
    line(_("Agencies invited"), ", ".join(a.name for a in meeting.invited.all()))
    line(_("Cases"), len(rows))
    for row in rows:
        case = row.case
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(
            width,
            6,
            _t(f"{row.position}. {_when(row.slot, '%H:%M')}  {case.reference}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        line(_("Victim"), case.victim)
        line(_("Address"), row.address)
        line(_("Referred"), _when(case.referred_at, "%d %b %Y"))
        line(_("Referred by"), case.referring_agency or _("Police"))
        line(_("Criteria"), ", ".join(row.criteria))
        line(_("Repeat MARAC"), _("yes") if case.is_repeat else _("no"))
        line(_("Children in household"), case.children_count)
        if case.reason:
            line(_("Reason"), case.reason)
    return bytes(pdf.output())

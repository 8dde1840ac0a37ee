"""'Not this person' in the match panel (issue 14): a negative label, the candidate gone."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from dapolice.audit.models import AuditEvent
from incidents.matching.models import MatchLabel
from tests.incidents.test_matching_models import _person

pytestmark = pytest.mark.django_db

SEARCH = {
    "panel": "victim",
    "victim-given_name": "Harriet",
    "victim-family_name": "Quarrington",
    "victim-date_of_birth": "1984-05-02",
}


def _panel(client, **extra):
    return client.post(
        reverse("incidents:match-panel"), {**SEARCH, **extra}, HTTP_HX_REQUEST="true"
    )


def test_not_this_person_records_a_negative_label_and_the_search_leaves_them_out(
    client_for, call_taker
):
    one = _person(call_taker, "Harriet", "Quarrington", date(1984, 5, 2))
    two = _person(call_taker, "Harriet", "Quarington", date(1984, 5, 2))
    client = client_for(call_taker)
    shown = _panel(client).content.decode()
    assert f'data-match="{one.pk}"' in shown
    assert 'data-reject-index="1"' in shown

    answer = _panel(client, reject=str(one.pk)).content.decode()
    assert f'data-match="{one.pk}"' not in answer
    assert f'data-match="{two.pk}"' in answer
    # The rejection rides along with the block's next searches (a hidden input).
    assert f'name="victim-rejected" value="{one.pk}"' in answer
    again = client.post(
        reverse("incidents:match-panel"),
        {**SEARCH, "victim-rejected": [str(one.pk)]},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f'data-match="{one.pk}"' not in again

    label = MatchLabel.objects.get()
    assert (label.person_id, label.positive, label.decided_by_id) == (one.pk, False, call_taker.pk)
    assert "Harriet" not in str(label.levels)
    assert AuditEvent.objects.filter(
        action="matching.label.recorded", subject_id=str(label.pk), actor=call_taker
    ).exists()
    assert AuditEvent.objects.filter(
        action="incidents.person.read", subject_id=str(one.pk), actor=call_taker
    ).exists()


def test_not_this_person_for_someone_not_on_record_is_a_404_and_no_label(client_for, call_taker):
    assert _panel(client_for(call_taker), reject="99999999").status_code == 404
    assert not MatchLabel.objects.exists()


def test_junk_in_the_rejected_list_is_ignored(client_for, call_taker):
    one = _person(call_taker, "Harriet", "Quarrington", date(1984, 5, 2))
    answer = client_for(call_taker).post(
        reverse("incidents:match-panel"),
        {**SEARCH, "victim-rejected": ["x", "-3", "9" * 30, "²", "١٢"]},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    assert f'data-match="{one.pk}"' in answer.content.decode()


def test_the_panel_searches_with_a_year_of_birth_typed_alone(client_for, call_taker):
    """Issue 8: a child's date of birth can be a year alone; the panel compares it (a year
    a generation away from the one recorded is someone else), where it used to drop it."""
    on_record = _person(call_taker, "Harriet", "Quarrington", date(1984, 5, 2))
    client = client_for(call_taker)
    search = {k: v for k, v in SEARCH.items() if k != "victim-date_of_birth"}

    def panel(year: str) -> str:
        return client.post(
            reverse("incidents:match-panel"),
            {**search, "victim-date_of_birth_0": "", "victim-date_of_birth_1": "",
             "victim-date_of_birth_2": year},
            HTTP_HX_REQUEST="true",
        ).content.decode()  # fmt: skip

    assert "same year of birth" in panel("1984")
    other = panel("2015")
    assert f'data-match="{on_record.pk}"' in other
    assert "different date of birth" in other
    assert "same year of birth" not in other


@pytest.mark.parametrize("year", ["²", "١٩٨٤", "19²4"])
def test_a_year_in_digits_that_are_not_ascii_is_an_error_not_a_500(client_for, call_taker, year):
    """Found by the fuzzer: "²" is a digit to str.isdigit() but not a number to int()."""
    search = {k: v for k, v in SEARCH.items() if k != "victim-date_of_birth"}
    answer = client_for(call_taker).post(
        reverse("incidents:match-panel"),
        {**search, "victim-date_of_birth_0": "", "victim-date_of_birth_1": "",
         "victim-date_of_birth_2": year},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert answer.status_code == 200

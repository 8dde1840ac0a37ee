"""Phone, postcode and date of birth: one validator each, the same message from a form and a
service (``incidents.validators``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from dapolice.common.errors import DomainError
from incidents import validators
from incidents.forms import PersonForm
from incidents.inputs import AddressInput

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _form_errors(**typed: str) -> dict[str, list[str]]:
    form = PersonForm({f"victim-{k}": v for k, v in typed.items()}, prefix="victim")
    form.is_valid()
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def _service_error(log_incident, **victim) -> DomainError:
    with pytest.raises(DomainError) as err:
        log_incident(victim={"family_name": "Smith", **victim})
    return err.value


def test_a_bad_phone_gets_one_message_from_the_form_and_the_service(log_incident):
    form = _form_errors(family_name="Smith", phones="07700 900123, call me")
    refused = _service_error(log_incident, phones=("07700 900123", "call me"))
    assert form["phones"] == [str(validators.PHONE_MESSAGE)]
    assert (refused.field, refused.message) == ("phones", str(validators.PHONE_MESSAGE))


def test_a_bad_postcode_gets_one_message_from_the_form_and_the_service(log_incident):
    form = _form_errors(family_name="Smith", postcode="NR1")
    refused = _service_error(log_incident, address=AddressInput(house="3", postcode="NR1"))
    assert form["postcode"] == [str(validators.POSTCODE_MESSAGE)]
    assert (refused.field, refused.message) == ("postcode", str(validators.POSTCODE_MESSAGE))


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (date(2026, 11, 24), validators.BORN_IN_FUTURE_MESSAGE),
        (date(1899, 12, 31), validators.BORN_TOO_EARLY_MESSAGE),
    ],
)
def test_a_bad_date_of_birth_gets_one_message_from_the_form_and_the_service(
    log_incident, born, message
):
    with time_machine.travel(NOW, tick=False):
        form = _form_errors(
            family_name="Smith",
            date_of_birth_0=str(born.day),
            date_of_birth_1=str(born.month),
            date_of_birth_2=str(born.year),
        )
        refused = _service_error(log_incident, date_of_birth=born)
    assert form["date_of_birth"] == [str(message)]
    assert (refused.field, refused.message) == ("date_of_birth", str(message))


def test_the_placeholder_date_of_birth_and_today_are_accepted():
    with time_machine.travel(NOW, tick=False):
        validators.validate_date_of_birth(date(1900, 1, 1))
        validators.validate_date_of_birth(date(2026, 11, 23))


def test_phones_are_cleaned_to_e164_once_each_in_the_order_typed():
    typed = ["07700 900123", "", "+44 7700 900123", "01603 123456"]
    assert validators.clean_phones(typed) == ("+447700900123", "+441603123456")


def test_a_call_received_in_the_future_gets_the_call_start_message(log_incident):
    with time_machine.travel(NOW, tick=False), pytest.raises(DomainError) as err:
        log_incident(received_at=NOW + timedelta(minutes=5))
    assert (err.value.field, err.value.message) == (
        "received_at",
        "The call cannot start in the future.",
    )

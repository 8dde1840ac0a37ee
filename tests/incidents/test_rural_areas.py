"""Rural attendance targets by postcode district and sector, matched on the postcode's parts.

A sector squashed without its space reads as another district: "NR1 3" becomes "NR13", a rural
district of the demo force, which graded central Norwich as rural (A = 20 minutes, not 15).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dapolice.demo import synth
from dapolice.demo.generator import ensure_rural_areas
from incidents.inputs import AddressInput
from incidents.models import RuralArea
from incidents.services import rural_for_postcode
from incidents.validators import clean_postcode_area, postcode_parts

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def urban_sectors_sharing_digits(district: str) -> list[str]:
    """The sectors whose squashed text spells ``district``: "NR13" -> ["NR1 3"]."""
    letters, digits = re.fullmatch(r"([A-Z]+)([0-9]+)", district).groups()  # type: ignore[union-attr]
    if len(digits) < 2:
        return []
    return [f"{letters}{digits[:-1]} {digits[-1]}"]


@pytest.mark.parametrize("district", synth.RURAL_DISTRICTS)
def test_every_rural_district_of_the_demo_leaves_urban_sectors_with_its_digits_urban(district):
    ensure_rural_areas()
    sectors = urban_sectors_sharing_digits(district)
    assert sectors, f"{district} has no look-alike sector: the test would prove nothing"
    for sector in sectors:
        assert rural_for_postcode(f"{sector}DE") is False, sector
        assert rural_for_postcode(f"{sector.replace(' ', '')}DE") is False, sector  # typed squashed
    # The district itself stays rural, with or without the space typed.
    assert rural_for_postcode(f"{district} 5AB") is True
    assert rural_for_postcode(f"{district.lower()}5ab") is True


@pytest.mark.parametrize(
    "postcode", ["NR1 3DE", "NR1 1AA", "NR2 1AB", "NR2 3AB", "NR2 5AB", "NR2 8AB", "PE3 6AB",
                 "PE3 8AB", "IP2 2AB", "IP2 5AB"],
)  # fmt: skip
def test_the_sectors_named_in_the_report_are_urban(postcode):
    ensure_rural_areas()
    assert rural_for_postcode(postcode) is False


def test_castle_meadow_in_norwich_gets_the_urban_fifteen_minutes(log_incident):
    ensure_rural_areas()
    castle_meadow = AddressInput(house="12", street="Castle Meadow", town="Norwich",
                                 postcode="NR1 3DE")  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        incident = log_incident(category="A", location=castle_meadow)
    assert incident.location_is_rural is False
    assert incident.deadline_at == NOW + timedelta(minutes=15)


def test_a_listed_sector_is_rural_and_only_that_sector():
    RuralArea.objects.create(postcode_prefix="NR1 3")
    assert rural_for_postcode("NR1 3DE") is True
    assert rural_for_postcode("NR1 4DE") is False
    assert rural_for_postcode("NR13 3DE") is False  # the district NR13 is not the sector NR1 3


def test_postcode_parts_split_outward_and_inward():
    parts = postcode_parts("nr13de")
    assert parts is not None
    assert (parts.outward, parts.inward, parts.district, parts.sector) == (
        "NR1", "3DE", "NR1", "NR1 3",
    )  # fmt: skip
    assert postcode_parts("NR13 3DE").sector == "NR13 3"  # type: ignore[union-attr]
    assert postcode_parts("not a postcode") is None


@pytest.mark.parametrize(
    ("typed", "stored"), [("nr13", "NR13"), (" nr1  3 ", "NR1 3"), ("SW1A", "SW1A"),
                          ("sw1a 1", "SW1A 1")],
)  # fmt: skip
def test_the_admin_stores_districts_and_sectors_normalised(typed, stored):
    area = RuralArea(postcode_prefix=typed)
    area.full_clean()
    assert area.postcode_prefix == stored
    assert clean_postcode_area(typed) == stored


@pytest.mark.parametrize("typed", ["NR1 3D", "NR135", "NR", "1NR", "NR1 3DE"])
def test_the_admin_refuses_what_is_neither_a_district_nor_a_sector(typed):
    with pytest.raises(ValidationError) as exc:
        RuralArea(postcode_prefix=typed).full_clean()
    assert "sector with its space" in str(exc.value)

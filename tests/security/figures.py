"""The figures issue 7's closing note quotes, from the matrix and the inventory as they stand.

``DAPOLICE_ENV=test python -m tests.security.figures`` prints what is *declared* (routes in the
inventory, API operations, matrix cells, tolerated leaks and pending outcomes, the probe
findings' tests); ``pytest tests/security`` proves it (every cell, 0 leaks, 0 unaudited reads,
the canary, schemathesis). README "Security" quotes both.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dapolice.settings")
django.setup()

from tests.security.matrix import PRINCIPALS, ROUTES  # noqa: E402
from tests.security.test_canary import NEEDLES  # noqa: E402
from tests.security.test_inventory import _schema_operations, all_routes  # noqa: E402
from tests.security.test_matrix import FORBIDDEN_SENTINELS  # noqa: E402
from tests.security.test_schemathesis import KNOWN  # noqa: E402

#: Probe finding -> the tests that fail without its fix.
FINDINGS = {
    1: "tests/dapolice/test_admin.py: test_an_administrator_cannot_enrol_or_see_a_second_factor, "
    "test_an_administrator_cannot_mint_or_see_an_api_token, test_the_admin_has_no_password_form, "
    "test_a_password_reset_is_sent_audited_and_completed_by_the_user_alone, "
    "test_an_administrator_cannot_change_the_permissions_of_their_own_role, "
    "test_an_administrator_cannot_give_a_second_account_of_theirs_a_case_reading_role, "
    "test_every_registered_admin_is_read_only_or_routes_its_writes_through_a_service",
    2: "tests/incidents/test_security.py: test_the_api_never_gives_a_call_taker_the_id_of_a_"
    "restricted_address, test_typing_a_restricted_address_is_audited_and_alerts_the_supervisors_"
    "and_its_owner, test_persons_are_created_only_inside_an_incident, "
    "test_creation_endpoints_are_throttled",
    3: "tests/dapolice/test_admin.py: test_the_admin_audit_list_refuses_lookups_on_values, "
    "test_every_admin_changelist_refuses_lookups_outside_its_filters, "
    "test_reading_the_audit_trail_in_the_admin_is_audited; tests/security/test_audit_values.py",
    4: "tests/incidents/test_security.py: test_a_reveal_shows_the_address_on_its_incident_only, "
    "test_nobody_acknowledges_an_alert_about_their_own_reveal, test_every_reveal_waits_for_a_"
    "second_person_to_sign_it_off, test_the_reveal_route_answers_the_same_for_any_address_id",
    5: "tests/dapolice/test_audit.py: test_audit_verify_finds_a_removed_row, "
    "test_audit_verify_finds_an_altered_row, test_audit_verify_finds_an_inserted_backdated_row, "
    "test_the_audit_needs_only_insert_and_select_on_its_table; tests/dapolice/test_deploy.py: "
    "test_roles_as_compose_creates_them_keep_the_audit_trail_append_only",
    6: "tests/incidents/test_security.py: test_an_attending_officer_cannot_make_an_address_a_"
    "refuge, test_mash_restricts_with_a_reason_and_the_restriction_can_be_lifted, "
    "test_a_restriction_never_hides_a_safety_marker",
    7: "tests/incidents/test_security.py: test_concurrent_calls_with_one_new_address_create_one_"
    "row, test_the_migration_merges_twins_and_keeps_a_twins_restriction",
    8: "tests/incidents/test_security.py: test_an_officer_cannot_claim_an_arrival_long_before_it_"
    "is_recorded, test_a_call_taker_cannot_backdate_a_dispatch_and_keeps_what_was_typed, "
    "test_a_deferral_has_a_maximum_horizon",
    9: "tests/incidents/test_security.py: test_bad_input_to_the_api_is_a_400_naming_the_field, "
    "test_an_80_digit_location_house_number_is_a_400, test_one_person_cannot_be_victim_and_"
    "suspect_of_one_incident, test_a_person_is_never_created_without_a_name, "
    "test_odd_numbers_in_urls_and_filters_are_never_a_500, test_a_superscript_or_huge_link_in_"
    "the_panel_or_the_form_is_never_a_500",
    10: "tests/dapolice/test_sessions.py: test_the_session_ends_twelve_hours_after_sign_in_"
    "however_active, test_no_response_is_cached_pages_api_admin_or_a_revealed_address, "
    "test_admin_search_is_a_post_and_the_term_never_enters_a_url, test_bulk_reads_are_refused_"
    "past_the_limit_with_one_alert_per_window; tests/incidents/test_security.py: "
    "test_the_api_never_gives_a_call_taker_the_id_of_a_restricted_address (rural flag)",
}


def main() -> None:
    routes = all_routes()
    operations = _schema_operations()
    cells = sum(len(route.methods()) * len(PRINCIPALS) for route in ROUTES)
    read_rows = [r for r in ROUTES if r.get is not None]
    audited_reads = [r for r in read_rows if "get" in r.audit]
    leaks = sum(len(v) for r in ROUTES for v in r.known_leaks.values())
    pending = sum(len(v) for r in ROUTES for v in r.pending.values())
    out = [
        f"routes in the inventory: {len(routes)} URL patterns, {len(operations)} API operations",
        f"matrix: {len(ROUTES)} rows, {cells} cells (route x method x {len(PRINCIPALS)} "
        f"principals), each searched for {len(FORBIDDEN_SENTINELS)} sentinels",
        f"tolerated: {leaks} known leaks, {pending} pending outcomes, {len(KNOWN)} schemathesis "
        "operations",
        f"read routes: {len(read_rows)} rows with a GET, {len(audited_reads)} naming their audit "
        "row; every GET cell that shows the victim must have audited a read/list/search",
        f"canary: {len(NEEDLES)} spellings scanned for (tests/security/test_canary.py)",
        *(f"finding {n}: {tests}" for n, tests in FINDINGS.items()),
    ]
    for line in out:
        print(line)  # noqa: T201


if __name__ == "__main__":
    main()

"""MASH (``mash``): pages and API. Rules: ``mash/policies.py``. ``w.case`` is the MASH case of
the officer persona's reviewed DASH (the officer owns safeguarding until the MASH accepts it);
``w.referral`` went to the partner persona's agency (health), not to ``partner_other``'s."""

from __future__ import annotations

from tests.security.matrix import (
    CONTROL_SUPERVISOR,
    INVESTIGATOR,
    MARAC_COORDINATOR,
    MASH,
    OFFICER,
    PARTNER,
    PARTNER_OTHER,
    SUPERVISOR,
    Audit,
    Route,
    expect,
)

CASE = "mash.mashcase"
REFERRAL = "mash.referral"
#: Police holding ``view_mashcase`` who are not named on the world's case: 404 (not visible).
CASE_VIEWERS_NOT_NAMED = {CONTROL_SUPERVISOR, SUPERVISOR, INVESTIGATOR, MARAC_COORDINATOR}
#: Police holding ``work_mashcase`` (the on-duty detective sergeant's), not on duty for it: 404.
DUTY_DS = {SUPERVISOR, INVESTIGATOR}
MEET_VICTIMS = {CONTROL_SUPERVISOR, OFFICER, SUPERVISOR, MASH, INVESTIGATOR, MARAC_COORDINATOR}


def _case(w):
    return {"pk": w.case.pk}


def _referral(w):
    return {"pk": w.referral.pk}


def _victim(w):
    return {"pk": w.victim.pk}


ROUTES = [
    Route("mash:queue", get=expect({MASH}), audit={"get": Audit("list", CASE)}),
    Route("mash:next", post=expect({MASH}), audit={"post": Audit("change", CASE)}),
    Route(
        "mash:case-detail",
        kwargs=_case,
        get=expect({MASH, OFFICER}, hidden=CASE_VIEWERS_NOT_NAMED),
        audit={"get": Audit("read", CASE)},
    ),
    Route(
        "mash:case-claim",
        kwargs=_case,
        post=expect({MASH}, hidden=DUTY_DS),
        audit={"post": Audit("change", CASE)},
    ),
    Route(
        "mash:case-assess",
        kwargs=_case,
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "mash:plan-edit",
        kwargs=_case,
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "mash:information-add",
        kwargs=_case,
        get=expect({MASH, PARTNER}, hidden=DUTY_DS | {PARTNER_OTHER}),
        post=expect({MASH, PARTNER}, hidden=DUTY_DS | {PARTNER_OTHER}),
    ),
    Route(
        "mash:referral-create",
        kwargs=_case,
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "mash:notice-send",
        kwargs=lambda w: {"pk": w.case.pk, "notice": w.notice.pk},
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "mash:ownership-offer",
        kwargs=_case,
        get=expect({MASH, OFFICER}, hidden=CASE_VIEWERS_NOT_NAMED),
        post=expect({MASH, OFFICER}, hidden=CASE_VIEWERS_NOT_NAMED),
    ),
    Route(
        "mash:ownership-accept",
        kwargs=_case,
        post=expect({MASH}, hidden=CASE_VIEWERS_NOT_NAMED),
    ),
    Route(
        "mash:ownership-withdraw",
        kwargs=_case,
        post=expect({MASH, OFFICER}, hidden=CASE_VIEWERS_NOT_NAMED),
    ),
    Route(
        "mash:referrals",
        get=expect({MASH, PARTNER, PARTNER_OTHER}),
        audit={"get": Audit("list", REFERRAL)},
    ),
    Route(
        "mash:referral-detail",
        kwargs=_referral,
        get=expect({MASH, PARTNER}, hidden={PARTNER_OTHER}),
        audit={"get": Audit("read", REFERRAL)},
    ),
    Route(
        "mash:referral-respond",
        kwargs=_referral,
        get=expect({MASH, PARTNER}, hidden={PARTNER_OTHER}),
        post=expect({MASH, PARTNER}, hidden={PARTNER_OTHER}),
    ),
    Route(
        "mash:contacts",
        kwargs=_victim,
        get=expect(MEET_VICTIMS | {PARTNER}, hidden={PARTNER_OTHER}),
        post=expect(MEET_VICTIMS | {PARTNER}, hidden={PARTNER_OTHER}),
    ),
    Route("mash:contact-plan", kwargs=_victim, get=expect({MASH}), post=expect({MASH})),
    # --- API -------------------------------------------------------------------------------
    Route("api-mash-queue", api=True, get=expect({MASH}), audit={"get": Audit("list", CASE)}),
    Route("api-mash-next", api=True, post=expect({MASH})),
    Route(
        "api-mash-case",
        api=True,
        kwargs=_case,
        get=expect({MASH, OFFICER}, hidden=CASE_VIEWERS_NOT_NAMED),
        audit={"get": Audit("read", CASE)},
    ),
    Route(
        "api-mash-assess",
        api=True,
        kwargs=_case,
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "api-mash-refer",
        api=True,
        kwargs=_case,
        get=expect({MASH}, hidden=DUTY_DS),
        post=expect({MASH}, hidden=DUTY_DS),
    ),
    Route(
        "api-mash-accept",
        api=True,
        kwargs=_case,
        get=expect({MASH}, hidden=CASE_VIEWERS_NOT_NAMED),
        post=expect({MASH}, hidden=CASE_VIEWERS_NOT_NAMED),
    ),
    Route(
        "api-mash-referrals",
        api=True,
        get=expect({MASH, PARTNER, PARTNER_OTHER}),
        audit={"get": Audit("list", REFERRAL)},
    ),
    Route(
        "api-mash-respond",
        api=True,
        kwargs=_referral,
        post=expect({MASH, PARTNER}, hidden={PARTNER_OTHER}),
    ),
    Route(
        "api-mash-contacts",
        api=True,
        kwargs=_victim,
        get=expect(MEET_VICTIMS | {PARTNER}, hidden={PARTNER_OTHER}),
        post=expect(MEET_VICTIMS | {PARTNER}, hidden={PARTNER_OTHER}),
    ),
]

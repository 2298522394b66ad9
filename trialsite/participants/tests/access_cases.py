"""Access cases for the participant funnel: every page, step form and API endpoint.

Participant records are study-at-site records: network roles and site-A roles see them, the
study-at-site users only study X at site A. Only site managers and site staff write them.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    api_create,
    api_read,
    api_write,
    sees_study_site_record,
    study_site_of,
    ui_create,
    ui_edit,
    ui_page,
    version_of,
)
from trialsite.core.testing import Case
from trialsite.participants.models import ContactAttempt
from trialsite.participants.tests import factories as f

SS_TARGETS = ("own", "other_site", "other_study")
sees = sees_study_site_record


def writes(u: str, t: str) -> bool:
    """PARTICIPANT_WRITERS: site manager / site staff of site A, staff of study X at site A."""
    if u in ("manager_a", "staff_a"):
        return t in ("own", "other_study")
    return u == "staff_xa" and t == "own"


def creator(u: str, t: str) -> bool:
    return u in ("manager_a", "staff_a", "staff_xa")


def made(net: Any, t: str, stage: str) -> Any:
    """A fresh participant at `stage` for this request (rolled back after it), remembered for data()."""
    p = f.participant(study_site_of(net, t), stage)
    net.__dict__.setdefault("_funnel", {})[t] = p
    return p


def last(net: Any, t: str) -> Any:
    return net.__dict__["_funnel"][t]


def step_url(name: str, stage: str):  # noqa: ANN201
    return lambda n, t: reverse(name, args=[made(n, t, stage).pk])


def api_step(path: str, stage: str):  # noqa: ANN201
    return lambda n, t: f"/api/v1/participants/{made(n, t, stage).pk}/{path}/"


def v(n: Any, t: str, **extra: Any) -> dict[str, Any]:
    return {"version": version_of(last(n, t)), **extra}


def prospect_data(n: Any, t: str) -> dict[str, Any]:
    return {
        "study_site": study_site_of(n, t).pk,
        "first_name": "Grace",
        "last_name": "Hopper",
        "referral_channel": "advertising",
        "referred_on": "2026-03-01",
    }


def consent_data(n: Any, t: str) -> dict[str, Any]:
    ss = study_site_of(n, t)
    return v(
        n,
        t,
        form_version=f.icf(ss).pk,
        consented_at="2026-03-05T10:00",
        obtained_by=f.team_member(ss).pk,
        screening_number="S-777",
    )


def consent_create_data(n: Any, t: str) -> dict[str, Any]:
    p = made(n, t, "pre_screened")
    return {
        **consent_data(n, t),
        "participant": p.pk,
        "consented_at": "2026-03-05T10:00:00Z",
        "participant_version": version_of(p),
    }


def eligibility_form(n: Any, t: str) -> dict[str, Any]:
    ss = study_site_of(n, t)
    criteria = f.protocol(ss).criteria.all()
    data = {f"c{c.pk}": ("met" if c.kind == "inclusion" else "not_met") for c in criteria}
    return v(n, t, assessed_by=f.team_member(ss).pk, assessed_at="2026-03-06T10:00", **data)


def eligibility_api(n: Any, t: str) -> dict[str, Any]:
    ss = study_site_of(n, t)
    answers = [
        {"criterion": c.pk, "answer": "met" if c.kind == "inclusion" else "not_met"}
        for c in f.protocol(ss).criteria.all()
    ]
    return {"answers": answers, "assessed_by": f.team_member(ss).pk, "assessed_at": "2026-03-06T10:00:00Z"}


def icf_made(n: Any, t: str) -> Any:
    icf = f.icf(study_site_of(n, t))
    n.__dict__.setdefault("_funnel", {})[t] = icf
    return icf


def attempt_made(n: Any, t: str) -> Any:
    p = made(n, t, "prospect")
    return ContactAttempt.objects.create(participant=p, at=f.at(f.D(2026, 3, 3)), method="phone", outcome="reached")


def ui_step(name: str, stage: str, data: Any) -> list[Case]:
    return [
        Case(name, "GET", step_url(name, stage), ui_edit(sees, writes), targets=SS_TARGETS),
        Case(
            name,
            "POST",
            step_url(name, stage),
            ui_edit(sees, writes, ok=302),
            data=data,
            targets=SS_TARGETS,
            note="valid",
        ),
    ]


def api_action(url_name: str, path: str, stage: str, data: Any, ok: int = 200) -> Case:
    return Case(
        url_name, "POST", api_step(path, stage), api_write(sees, writes, ok=ok), data=data, api=True, targets=SS_TARGETS
    )


def page(name: str) -> Case:
    return Case(name, "GET", lambda n, t: reverse(name), ui_page(), targets=("own",))


def api_list(url_name: str, path: str) -> Case:
    return Case(url_name, "GET", lambda n, t: path, api_read(), api=True, targets=("own",))


REASON = {"reason": "Moved away", "on": "2026-04-01"}

CASES = [
    # -- pages --
    page("participants:participant_list"),
    page("participants:reconsent_due"),
    page("participants:awaiting_contact"),
    page("participants:icf_list"),
    Case(
        "participants:participant_detail",
        "GET",
        step_url("participants:participant_detail", "enrolled"),
        ui_page(sees),
        targets=SS_TARGETS,
    ),
    Case(
        "participants:participant_create",
        "GET",
        lambda n, t: reverse("participants:participant_create"),
        ui_create(creator),
        targets=("own",),
    ),
    Case(
        "participants:participant_create",
        "POST",
        lambda n, t: reverse("participants:participant_create"),
        ui_create(creator, writes, ok=302),
        data=prospect_data,
        targets=SS_TARGETS,
        note="valid",
    ),
    *ui_step(
        "participants:participant_edit",
        "prospect",
        lambda n, t: {**prospect_data(n, t), "phone": "+1 555 0199", "version": version_of(last(n, t))},
    ),
    *ui_step(
        "participants:step_contact",
        "prospect",
        lambda n, t: v(n, t, at="2026-03-03T10:00", method="phone", outcome="reached"),
    ),
    *ui_step("participants:step_pre_screen", "prospect", lambda n, t: v(n, t, outcome="passed", on="2026-03-04")),
    *ui_step("participants:step_consent", "pre_screened", consent_data),
    *ui_step("participants:step_eligibility", "screening", eligibility_form),
    *ui_step("participants:step_screen_fail", "screening", lambda n, t: v(n, t, reason="HbA1c too high")),
    *ui_step(
        "participants:step_enroll", "eligible", lambda n, t: v(n, t, subject_id="101-900", enrolled_on="2026-03-09")
    ),
    *ui_step("participants:step_day_1", "enrolled", lambda n, t: v(n, t, on="2026-03-10")),
    *ui_step("participants:step_complete", "enrolled", lambda n, t: v(n, t, on="2026-06-30")),
    *ui_step("participants:step_withdraw", "enrolled", lambda n, t: v(n, t, **REASON)),
    *ui_step("participants:step_lost", "enrolled", lambda n, t: v(n, t, on="2026-05-01")),
    # -- ICF versions (UI) --
    Case(
        "participants:icf_detail",
        "GET",
        lambda n, t: reverse("participants:icf_detail", args=[icf_made(n, t).pk]),
        ui_page(sees),
        targets=SS_TARGETS,
    ),
    Case(
        "participants:icf_create",
        "GET",
        lambda n, t: reverse("participants:icf_create"),
        ui_create(creator),
        targets=("own",),
    ),
    Case(
        "participants:icf_create",
        "POST",
        lambda n, t: reverse("participants:icf_create"),
        ui_create(creator, writes, ok=302),
        data=lambda n, t: {
            "study_site": study_site_of(n, t).pk,
            "label": "2.0",
            "language": "en",
            "irb_approved_on": "2026-04-01",
            "effective_on": "2026-04-15",
        },
        targets=SS_TARGETS,
        note="valid",
    ),
    Case(
        "participants:icf_retire",
        "GET",
        lambda n, t: reverse("participants:icf_retire", args=[icf_made(n, t).pk]),
        ui_edit(sees, writes),
        targets=SS_TARGETS,
    ),
    Case(
        "participants:icf_retire",
        "POST",
        lambda n, t: reverse("participants:icf_retire", args=[icf_made(n, t).pk]),
        ui_edit(sees, writes, ok=302),
        data=lambda n, t: v(n, t, on="2026-06-01", reason="IRB approval lapsed"),
        targets=SS_TARGETS,
        note="valid",
    ),
    # -- API: participants --
    api_list("participant-list", "/api/v1/participants/"),
    api_list("participant-reconsent-due", "/api/v1/participants/reconsent-due/"),
    api_list("participant-awaiting-contact", "/api/v1/participants/awaiting-contact/"),
    Case(
        "participant-list",
        "POST",
        lambda n, t: "/api/v1/participants/",
        api_create(creator, writes, sees),
        data=prospect_data,
        api=True,
        targets=SS_TARGETS,
        note="create",
    ),
    Case(
        "participant-detail",
        "GET",
        lambda n, t: f"/api/v1/participants/{made(n, t, 'prospect').pk}/",
        api_read(sees),
        api=True,
        targets=SS_TARGETS,
    ),
    Case(
        "participant-detail",
        "PATCH",
        lambda n, t: f"/api/v1/participants/{made(n, t, 'prospect').pk}/",
        api_write(sees, writes),
        data=lambda n, t: v(n, t, phone="+1 555 0199"),
        api=True,
        targets=SS_TARGETS,
    ),
    api_action("participant-pre-screen", "pre-screen", "prospect", lambda n, t: v(n, t, passed=True, on="2026-03-04")),
    api_action(
        "participant-consent",
        "consent",
        "pre_screened",
        lambda n, t: {
            **consent_data(n, t),
            "consented_at": "2026-03-05T10:00:00Z",
            "participant_version": version_of(last(n, t)),
        },
        ok=201,
    ),
    api_action("participant-eligibility", "eligibility", "screening", eligibility_api),
    api_action("participant-screen-fail", "screen-fail", "screening", lambda n, t: v(n, t, reason="HbA1c too high")),
    api_action(
        "participant-enroll", "enroll", "eligible", lambda n, t: v(n, t, subject_id="101-900", enrolled_on="2026-03-09")
    ),
    api_action("participant-day-1", "day-1", "enrolled", lambda n, t: v(n, t, on="2026-03-10")),
    api_action("participant-complete", "complete", "enrolled", lambda n, t: v(n, t, on="2026-06-30")),
    api_action("participant-withdraw", "withdraw", "enrolled", lambda n, t: v(n, t, **REASON)),
    api_action("participant-lost-to-follow-up", "lost-to-follow-up", "enrolled", lambda n, t: v(n, t)),
    # -- API: contact attempts, consents, ICF versions, eligibility answers --
    api_list("contactattempt-list", "/api/v1/contact-attempts/"),
    Case(
        "contactattempt-list",
        "POST",
        lambda n, t: "/api/v1/contact-attempts/",
        api_create(creator, writes, sees),
        data=lambda n, t: {
            "participant": made(n, t, "prospect").pk,
            "at": "2026-03-03T10:00:00Z",
            "method": "phone",
            "outcome": "reached",
        },
        api=True,
        targets=SS_TARGETS,
        note="create",
    ),
    Case(
        "contactattempt-detail",
        "GET",
        lambda n, t: f"/api/v1/contact-attempts/{attempt_made(n, t).pk}/",
        api_read(sees),
        api=True,
        targets=SS_TARGETS,
    ),
    api_list("consent-list", "/api/v1/consents/"),
    Case(
        "consent-list",
        "POST",
        lambda n, t: "/api/v1/consents/",
        api_create(creator, writes, sees),
        data=lambda n, t: consent_create_data(n, t),
        api=True,
        targets=SS_TARGETS,
        note="create",
    ),
    Case(
        "consent-detail",
        "GET",
        lambda n, t: f"/api/v1/consents/{made(n, t, 'screening').consents.get().pk}/",
        api_read(sees),
        api=True,
        targets=SS_TARGETS,
    ),
    api_list("consentformversion-list", "/api/v1/icf-versions/"),
    Case(
        "consentformversion-list",
        "POST",
        lambda n, t: "/api/v1/icf-versions/",
        api_create(creator, writes, sees),
        data=lambda n, t: {
            "study_site": study_site_of(n, t).pk,
            "label": "2.0",
            "irb_approved_on": "2026-04-01",
            "effective_on": "2026-04-15",
        },
        api=True,
        targets=SS_TARGETS,
        note="create",
    ),
    Case(
        "consentformversion-detail",
        "GET",
        lambda n, t: f"/api/v1/icf-versions/{icf_made(n, t).pk}/",
        api_read(sees),
        api=True,
        targets=SS_TARGETS,
    ),
    Case(
        "consentformversion-retire",
        "POST",
        lambda n, t: f"/api/v1/icf-versions/{icf_made(n, t).pk}/retire/",
        api_write(sees, writes),
        data=lambda n, t: v(n, t, on="2026-06-01", reason="IRB approval lapsed"),
        api=True,
        targets=SS_TARGETS,
    ),
    api_list("eligibilityassessment-list", "/api/v1/eligibility-answers/"),
    Case(
        "eligibilityassessment-detail",
        "GET",
        lambda n, t: f"/api/v1/eligibility-answers/{made(n, t, 'eligible').eligibility.first().pk}/",
        api_read(sees),
        api=True,
        targets=SS_TARGETS,
    ),
]

"""The funnel through the API: same services, 400 per field, 409 stale, identity omitted, scope 404."""

from __future__ import annotations

import datetime

from trialsite.participants.models import Participant
from trialsite.participants.tests import factories as f
from trialsite.visits.models import Visit

S = Participant.Stage
BASE = "/api/v1/participants/"


def test_happy_path_through_the_api(funnel, api) -> None:  # noqa: ANN001
    net = funnel.net
    c = api(net.user("staff_xa"))
    r = c.post(
        BASE,
        {
            "study_site": net.xa.pk,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "referral_channel": "database",
            "referred_on": "2026-03-02",
            "stage": "enrolled",  # read-only: ignored
        },
    )
    assert r.status_code == 201, r.json()
    pid = r.json()["id"]
    assert r.json()["stage"] == "prospect" and r.json()["last_name"] == "Lovelace"
    r = c.post(
        "/api/v1/contact-attempts/",
        {"participant": pid, "at": "2026-03-03T14:00:00Z", "method": "sms", "outcome": "left_message"},
    )
    assert r.status_code == 201, r.json()

    def version() -> int:
        return c.get(f"{BASE}{pid}/").json()["version"]

    r = c.post(f"{BASE}{pid}/pre-screen/", {"version": version(), "passed": True, "on": "2026-03-04"})
    assert r.status_code == 200 and r.json()["stage"] == "pre_screened"
    r = c.post(
        f"{BASE}{pid}/consent/",
        {
            "form_version": funnel.icf.pk,
            "consented_at": "2026-03-05T15:00:00Z",
            "obtained_by": net.crc_a.pk,
            "screening_number": "S-010",
            "participant_version": version(),
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["is_reconsent"] is False
    answers = [{"criterion": k, "answer": v} for k, v in funnel.answers().items()]
    r = c.post(f"{BASE}{pid}/eligibility/", {"answers": answers, "assessed_by": net.crc_a.pk})
    assert r.status_code == 200 and len(r.json()) == 3
    r = c.post(f"{BASE}{pid}/enroll/", {"version": version(), "subject_id": "101-010", "enrolled_on": "2026-03-09"})
    assert r.status_code == 200, r.json()
    assert Visit.objects.filter(participant_id=pid, code__in=["V1", "V2"]).count() == 2
    r = c.post(f"{BASE}{pid}/day-1/", {"version": version(), "on": "2026-03-10"})
    assert r.status_code == 200 and r.json()["day_1_on"] == "2026-03-10"
    r = c.post(f"{BASE}{pid}/complete/", {"version": version(), "on": "2026-06-30"})
    assert r.status_code == 200 and r.json()["stage"] == "completed"
    assert c.get("/api/v1/eligibility-answers/", {"participant": pid}).json()["count"] == 3
    assert c.get("/api/v1/consents/", {"participant": pid}).json()["count"] == 1


def test_errors_are_400_per_field_and_409_when_stale(funnel, api) -> None:  # noqa: ANN001
    c = api(funnel.net.user("staff_a"))
    p = funnel.to_screening(funnel.prospect())
    r = c.post(f"{BASE}{p.pk}/enroll/", {"version": p.version, "subject_id": "101", "enrolled_on": "2026-03-09"})
    assert r.status_code == 400
    assert r.json() == {"eligibility": ["Not eligible yet: criteria not answered: I1, I2, E1."]}
    r = c.post(f"{BASE}{p.pk}/enroll/", {"version": p.version, "subject_id": "101", "enrolled_on": "09/03/2026"})
    assert r.status_code == 400 and set(r.json()) == {"enrolled_on"}
    r = c.post(f"{BASE}{p.pk}/enroll/", {"subject_id": "101", "enrolled_on": "2026-03-09"})
    assert r.status_code == 400 and set(r.json()) == {"version"}
    r = c.post(f"{BASE}{p.pk}/screen-fail/", {"version": p.version - 1 or 99, "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    r = c.post(f"{BASE}{p.pk}/withdraw/", {"version": p.version, "reason": ""})
    assert r.status_code == 400 and "reason" in r.json()
    r = c.post(f"{BASE}{p.pk}/pre-screen/", {"version": p.version, "passed": True})
    assert r.status_code == 400 and "Cannot record a pre-screen" in r.json()["stage"][0]
    r = c.patch(f"{BASE}{p.pk}/", {"version": p.version, "email": "not-an-email"})
    assert r.status_code == 400 and set(r.json()) == {"email"}
    r = c.post(
        "/api/v1/icf-versions/",
        {"study_site": funnel.net.xa.pk, "label": "9", "irb_approved_on": "2026-05-02", "effective_on": "2026-05-01"},
    )
    assert r.status_code == 400 and set(r.json()) == {"effective_on"}


def test_identity_keys_omitted_for_non_identity_roles(funnel, api) -> None:  # noqa: ANN001
    net = funnel.net
    p = funnel.prospect()
    staff = api(net.user("staff_a")).get(f"{BASE}{p.pk}/").json()
    assert staff["first_name"] == "Ada" and staff["medical_record_number"] == "MRN-0042"
    for role in ("monitor_xa", "finance", "qa", "qa_a", "ops", "admin"):
        one = api(net.user(role)).get(f"{BASE}{p.pk}/").json()
        assert not set(Participant.identity_fields) & set(one), role
        assert one["study_label"] == p.study_label
        listed = api(net.user(role)).get(BASE).json()["results"]
        assert listed and all(not set(Participant.identity_fields) & set(row) for row in listed)
        # name search finds nothing for them
        assert api(net.user(role)).get(BASE, {"name": "Ada"}).json()["count"] == 0
    assert api(net.user("staff_a")).get(BASE, {"name": "Ada"}).json()["count"] == 1
    assert api(net.user("staff_a")).get(BASE, {"search": "Ada"}).json()["count"] == 0  # search = study IDs only


def test_out_of_scope_is_404_like_missing(funnel, api) -> None:  # noqa: ANN001
    net = funnel.net
    ya = f.participant(net.ya, "prospect")
    c = api(net.user("staff_xa"))
    missing = c.get(f"{BASE}999999/")
    hidden = c.get(f"{BASE}{ya.pk}/")
    assert missing.status_code == hidden.status_code == 404 and missing.json() == hidden.json()
    r = c.post(f"{BASE}{ya.pk}/pre-screen/", {"version": ya.version, "passed": True})
    assert r.status_code == 404
    assert ya.pk not in [row["id"] for row in c.get(BASE).json()["results"]]
    r = api(net.user("monitor_xa")).post(f"{BASE}{funnel.prospect().pk}/pre-screen/", {"version": 1, "passed": True})
    assert r.status_code == 403


def test_reconsent_due_and_awaiting_contact_endpoints(funnel, api) -> None:  # noqa: ANN001
    net = funnel.net
    waiting = f.participant(net.xa, "prospect")
    on_study = f.participant(net.xa, "enrolled")
    c = api(net.user("staff_a"))
    ids = [row["id"] for row in c.get(f"{BASE}awaiting-contact/").json()["results"]]
    assert waiting.pk in ids and on_study.pk not in ids
    assert c.get(f"{BASE}reconsent-due/").json()["count"] == 0
    f.icf(net.xa)  # 1.0, then 2.0 in force from 2026-04-01
    from trialsite.participants.models import ConsentFormVersion

    ConsentFormVersion.objects.create(
        study_site=net.xa,
        label="2.0",
        irb_approved_on=datetime.date(2026, 3, 20),
        effective_on=datetime.date(2026, 4, 1),
    )
    assert [row["id"] for row in c.get(f"{BASE}reconsent-due/").json()["results"]] == [on_study.pk]

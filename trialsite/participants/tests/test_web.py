"""The funnel in the browser: referral → completion through the step forms, clear refusals, lists."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from trialsite.audit.models import AuditEntry
from trialsite.participants.models import Consent, ContactAttempt, Participant
from trialsite.visits.models import Visit

D = datetime.date
S = Participant.Stage


def step(client, name: str, p: Participant, **data):  # noqa: ANN001, ANN201
    p.refresh_from_db()
    return client.post(reverse(f"participants:{name}", args=[p.pk]), {"version": p.version, **data})


def test_happy_path_in_the_browser(funnel, web) -> None:  # noqa: ANN001
    net = funnel.net
    c = web(net.user("staff_a"))
    r = c.post(
        reverse("participants:participant_create"),
        {
            "study_site": net.xa.pk,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "referral_channel": "registry",
            "referred_on": "2026-03-02",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Participant.objects.get(last_name="Lovelace")
    assert r["Location"] == p.get_absolute_url()

    # the waiting list shows the prospect until someone tries to reach them
    assert p.study_label in c.get(reverse("participants:awaiting_contact")).content.decode()
    r = step(c, "step_contact", p, at="2026-03-03T09:30", method="phone", outcome="reached")
    assert r.status_code == 302
    attempt = ContactAttempt.objects.get(participant=p)
    # typed in Boston local time (EST, UTC-5): stored as UTC
    assert attempt.at == datetime.datetime(2026, 3, 3, 14, 30, tzinfo=datetime.UTC)
    assert p.study_label not in c.get(reverse("participants:awaiting_contact")).content.decode()

    assert step(c, "step_pre_screen", p, outcome="passed", on="2026-03-04").status_code == 302
    r = step(
        c,
        "step_consent",
        p,
        form_version=funnel.icf.pk,
        consented_at="2026-03-05T10:00",
        obtained_by=net.crc_a.pk,
        screening_number="S-001",
    )
    assert r.status_code == 302
    detail = c.get(p.get_absolute_url()).content.decode()
    assert "Before enrollment" in detail and "criteria not answered: I1, I2, E1" in detail

    answers = {f"c{k}": v for k, v in funnel.answers().items()}
    r = step(c, "step_eligibility", p, assessed_by=net.crc_a.pk, assessed_at="2026-03-06T10:00", **answers)
    assert r.status_code == 302
    assert step(c, "step_enroll", p, subject_id="101-001", enrolled_on="2026-03-09", arm="A").status_code == 302
    assert step(c, "step_day_1", p, on="2026-03-10").status_code == 302
    assert step(c, "step_complete", p, on="2026-06-30").status_code == 302
    p.refresh_from_db()
    assert (p.stage, p.subject_id, p.screening_number) == (S.COMPLETED, "101-001", "S-001")

    page = c.get(p.get_absolute_url()).content.decode()
    for text in ("Referred", "Contact attempt (Phone)", "Pre-screen", "Consent", "Enrolled", "Day 1", "Completed"):
        assert text in page
    assert "2026-03-03 09:30 EST" in page  # shown in site-local time
    for code in ("SCR", "V1", "V2", "D1", "EOS"):
        assert f"<td>{code} {code}</td>" in page
    assert Visit.objects.filter(participant=p).count() == 5
    # every step left its audit entry, attributed to the user
    ct = ContentType.objects.get_for_model(Participant)
    events = list(
        AuditEntry.objects.filter(content_type=ct, object_id=str(p.pk))
        .order_by("pk")
        .values_list("event", "actor_label")
    )
    assert [e for e, _ in events] == [
        "participant.prospect",
        "participant.pre_screen",
        "participant.consent",
        "participant.enroll",
        "participant.day_1",
        "participant.complete",
    ]
    assert {a for _, a in events} == {"staff_a"}


def test_refused_steps_show_what_is_missing(funnel, web) -> None:  # noqa: ANN001
    net = funnel.net
    c = web(net.user("staff_a"))
    p = funnel.prospect()
    r = step(c, "step_enroll", p, subject_id="101", enrolled_on="2026-03-09")
    assert r.status_code == 200
    assert "Cannot enroll: the participant is Prospect" in r.content.decode()
    r = step(c, "step_pre_screen", p, outcome="failed", reason="")
    assert "Say why the prospect failed the pre-screen." in r.content.decode()
    services_p = funnel.to_screening(p)
    r = step(c, "step_enroll", services_p, subject_id="101", enrolled_on="2026-03-09")
    assert "Not eligible yet: criteria not answered: I1, I2, E1." in r.content.decode()
    assert Participant.objects.get(pk=p.pk).stage == S.SCREENING
    # consent by someone not on the study team
    q = funnel.prospect(name="Bob")
    step(c, "step_pre_screen", q, outcome="passed", on="2026-03-04")
    r = step(
        c,
        "step_consent",
        q,
        form_version=funnel.icf.pk,
        consented_at="2026-03-05T10:00",
        obtained_by=net.crc_a.pk,
        screening_number="S-001",
    )
    assert "already used at this study site" in r.content.decode()
    assert not Consent.objects.filter(participant=q).exists()


def test_stale_form_is_refused(funnel, web) -> None:  # noqa: ANN001
    c = web(funnel.net.user("staff_a"))
    p = funnel.prospect()
    r = c.post(reverse("participants:step_pre_screen", args=[p.pk]), {"version": p.version + 3, "outcome": "passed"})
    assert r.status_code == 200 and "changed by someone else" in r.content.decode()
    assert Participant.objects.get(pk=p.pk).stage == S.PROSPECT


def test_search_by_study_id_and_by_name_for_identity_roles_only(funnel, web) -> None:  # noqa: ANN001
    net = funnel.net
    p = funnel.to_screening(funnel.prospect(name="Zelda"), number="S-123")
    funnel.prospect(name="Other")
    url = reverse("participants:participant_list")
    staff = web(net.user("staff_a"))
    assert "S-123" in staff.get(url, {"q": "Zelda"}).content.decode()
    assert "Zelda" in staff.get(url, {"q": "S-123"}).content.decode()
    monitor = web(net.user("monitor_xa"))
    body = monitor.get(url, {"q": "Zelda"}).content.decode()
    assert "S-123" not in body and "Nothing matches" in body  # a name search finds nothing for a monitor
    assert "S-123" in monitor.get(url, {"q": "S-123"}).content.decode()
    assert p.pk


def test_filters_and_reconsent_due_list(funnel, web) -> None:  # noqa: ANN001
    from trialsite.participants import services

    net = funnel.net
    staff = web(net.user("staff_a"))
    p = funnel.to_enrolled(funnel.prospect())
    funnel.prospect(name="Bob")
    url = reverse("participants:participant_list")
    assert "101-001" in staff.get(url, {"stage": "enrolled"}).content.decode()
    assert "101-001" not in staff.get(url, {"stage": "prospect"}).content.decode()
    assert "101-001" not in staff.get(url, {"referral_channel": "registry"}).content.decode()
    assert "101-001" not in staff.get(url, {"study_site": net.ya.pk}).content.decode()
    due = reverse("participants:reconsent_due")
    assert "101-001" not in staff.get(due).content.decode()
    services.add_icf_version(
        actor=net.user("staff_a"),
        study_site=net.xa,
        label="2.0",
        irb_approved_on=D(2026, 3, 20),
        effective_on=D(2026, 4, 1),
    )
    body = staff.get(due).content.decode()
    assert "101-001" in body and "1.0" in body
    home = staff.get("/").content.decode()
    assert "Re-consent due" in home and p.study_label in home


def test_icf_pages(funnel, web) -> None:  # noqa: ANN001
    net = funnel.net
    c = web(net.user("manager_a"))
    r = c.post(
        reverse("participants:icf_create"),
        {
            "study_site": net.xa.pk,
            "label": "2.0",
            "language": "en",
            "irb_approved_on": "2026-04-02",
            "effective_on": "2026-04-01",
        },
    )
    assert r.status_code == 200 and "before its IRB approval" in r.content.decode()
    r = c.post(
        reverse("participants:icf_create"),
        {
            "study_site": net.xa.pk,
            "label": "2.0",
            "language": "en",
            "irb_approved_on": "2026-04-01",
            "effective_on": "2026-04-15",
        },
    )
    assert r.status_code == 302
    url = reverse("participants:icf_retire", args=[funnel.icf.pk])
    r = c.post(url, {"version": funnel.icf.version, "on": "2026-05-01", "reason": "IRB approval lapsed"})
    assert r.status_code == 302
    funnel.icf.refresh_from_db()
    assert funnel.icf.retired_on == D(2026, 5, 1)
    listing = c.get(reverse("participants:icf_list"), {"study_site": net.xa.pk}).content.decode()
    assert "ICF 2.0 (en)" in listing and "May 1, 2026" in listing  # retired from

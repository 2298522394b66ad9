"""The funnel through the service layer: happy path, every illegal step refused with its message, audit."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from trialsite.audit.models import AuditEntry
from trialsite.core.exceptions import ConflictError
from trialsite.participants import services
from trialsite.participants.models import Consent, ConsentFormVersion, Participant
from trialsite.participants.tests.conftest import at
from trialsite.staff.models import Assignment
from trialsite.visits.models import Visit

D = datetime.date
S = Participant.Stage


def refused(exc: pytest.ExceptionInfo, field: str) -> str:
    """The message for `field` of a refused step (asserting the field is named)."""
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


def entries(obj, event: str | None = None):  # noqa: ANN001, ANN201
    qs = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk))
    return qs.filter(event=event) if event else qs


def test_happy_path_referral_to_completion_with_visits_and_audit(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    staff = net.user("staff_a")
    p = funnel.prospect()
    assert p.stage == S.PROSPECT
    assert entries(p, "participant.prospect").count() == 1

    attempt = services.log_contact_attempt(p, actor=staff, at=at(D(2026, 3, 3)), method="phone", outcome="reached")
    assert attempt.by == staff and entries(attempt).count() == 1

    p = services.record_pre_screen(p, actor=staff, passed=True, on=D(2026, 3, 4))
    assert p.stage == S.PRE_SCREENED and entries(p, "participant.pre_screen").count() == 1

    consent = services.record_consent(
        p,
        actor=staff,
        form_version=funnel.icf,
        consented_at=at(D(2026, 3, 5)),
        obtained_by=net.crc_a,
        screening_number="S-001",
    )
    p.refresh_from_db()
    assert p.stage == S.SCREENING and p.screening_number == "S-001" and not consent.is_reconsent
    assert entries(consent, "participant.consent").count() == 1
    assert entries(p, "participant.consent").count() == 1
    # consent-anchored visits exist now
    assert list(Visit.objects.filter(participant=p).values_list("code", flat=True)) == ["SCR"]

    rows = services.record_eligibility(
        p, actor=staff, answers=funnel.answers(), assessed_by=net.crc_a, assessed_at=at(D(2026, 3, 6))
    )
    assert len(rows) == 3 and all(entries(r, "participant.eligibility").count() == 1 for r in rows)

    p = services.enroll(p, actor=staff, subject_id="101-001", enrolled_on=D(2026, 3, 9), arm="A")
    assert (p.stage, p.subject_id, p.arm, p.enrolled_on) == (S.ENROLLED, "101-001", "A", D(2026, 3, 9))
    assert entries(p, "participant.enroll").count() == 1
    assert set(Visit.objects.filter(participant=p).values_list("code", flat=True)) == {"SCR", "V1", "V2"}

    p = services.set_day_1(p, actor=staff, on=D(2026, 3, 10))
    assert set(Visit.objects.filter(participant=p).values_list("code", flat=True)) == {"SCR", "V1", "V2", "D1", "EOS"}
    assert entries(p, "participant.day_1").count() == 1

    p = services.complete(p, actor=staff, on=D(2026, 6, 30))
    assert p.stage == S.COMPLETED and p.ended_on == D(2026, 6, 30)
    assert entries(p, "participant.complete").count() == 1
    # every audit entry names the actor
    assert set(entries(p).exclude(event="").values_list("actor_label", flat=True)) == {"staff_a"}


def test_pre_screen_failure_needs_reason_and_is_final(funnel) -> None:  # noqa: ANN001
    staff = funnel.net.user("staff_a")
    p = funnel.prospect()
    with pytest.raises(ValidationError) as exc:
        services.record_pre_screen(p, actor=staff, passed=False, reason=" ")
    assert "Say why" in refused(exc, "reason")
    p = services.record_pre_screen(p, actor=staff, passed=False, reason="BMI out of range", on=D(2026, 3, 4))
    assert p.stage == S.PRE_SCREEN_FAILED and p.pre_screen_outcome_reason == "BMI out of range"
    with pytest.raises(ValidationError) as exc:
        services.record_consent(
            p,
            actor=staff,
            form_version=funnel.icf,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=funnel.net.crc_a,
            screening_number="S-9",
        )
    assert "Pre-screen failed" in refused(exc, "stage")


def test_consent_before_pre_screen_refused(funnel) -> None:  # noqa: ANN001
    p = funnel.prospect()
    with pytest.raises(ValidationError) as exc:
        services.record_consent(
            p,
            actor=funnel.net.user("staff_a"),
            form_version=funnel.icf,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=funnel.net.crc_a,
            screening_number="S-1",
        )
    assert "Cannot record consent: the participant is Prospect" in refused(exc, "stage")
    assert not Consent.objects.exists()


def test_consent_on_version_not_in_force_refused(funnel) -> None:  # noqa: ANN001
    staff = funnel.net.user("staff_a")
    p = funnel.prospect()
    services.record_pre_screen(p, actor=staff, passed=True, on=D(2026, 3, 4))
    v2 = services.add_icf_version(
        actor=staff, study_site=funnel.net.xa, label="2.0", irb_approved_on=D(2026, 3, 20), effective_on=D(2026, 4, 1)
    )
    # v2 is not yet in force on 5 March
    with pytest.raises(ValidationError) as exc:
        services.record_consent(
            p,
            actor=staff,
            form_version=v2,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=funnel.net.crc_a,
            screening_number="S-1",
        )
    assert "ICF 2.0 is not in force on 2026-03-05 (ICF 1.0 is in force then)" in refused(exc, "form_version")
    # v1 is superseded on 2 April
    with pytest.raises(ValidationError) as exc:
        services.record_consent(
            p,
            actor=staff,
            form_version=funnel.icf,
            consented_at=at(D(2026, 4, 2)),
            obtained_by=funnel.net.crc_a,
            screening_number="S-1",
        )
    assert "ICF 1.0 is not in force on 2026-04-02" in refused(exc, "form_version")
    # another study site's form
    with pytest.raises(ValidationError) as exc:
        services.record_consent(
            p,
            actor=staff,
            form_version=funnel.icf_b,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=funnel.net.crc_a,
            screening_number="S-1",
        )
    assert "this study at this site" in refused(exc, "form_version")
    assert not Consent.objects.exists()
    assert Participant.objects.get(pk=p.pk).stage == S.PRE_SCREENED


def test_consent_needs_assigned_person_and_screening_number(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    staff = net.user("staff_a")
    p = funnel.prospect()
    services.record_pre_screen(p, actor=staff, passed=True, on=D(2026, 3, 4))
    kwargs = {"actor": staff, "form_version": funnel.icf, "consented_at": at(D(2026, 3, 5))}
    with pytest.raises(ValidationError) as exc:
        services.record_consent(p, obtained_by=net.pi_a, screening_number="S-1", **kwargs)
    assert "is not assigned to" in refused(exc, "obtained_by")
    with pytest.raises(ValidationError) as exc:  # assigned at another study site only
        services.record_consent(p, obtained_by=net.crc_b, screening_number="S-1", **kwargs)
    assert "is not assigned to" in refused(exc, "obtained_by")
    Assignment.objects.filter(person=net.crc_a).update(ends_on=D(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:  # assignment ended before consent
        services.record_consent(p, obtained_by=net.crc_a, screening_number="S-1", **kwargs)
    assert "delegation and training are not checked yet" in refused(exc, "obtained_by")
    Assignment.objects.filter(person=net.crc_a).update(ends_on=None)
    with pytest.raises(ValidationError) as exc:
        services.record_consent(p, obtained_by=net.crc_a, screening_number=" ", **kwargs)
    assert "screening number" in refused(exc, "screening_number")
    other = funnel.to_screening(funnel.prospect(name="Bob"), number="S-1")
    with pytest.raises(ValidationError) as exc:
        services.record_consent(p, obtained_by=net.crc_a, screening_number="S-1", **kwargs)
    assert "already used" in refused(exc, "screening_number")
    assert other.stage == S.SCREENING


def test_enroll_refusals_say_what_is_missing(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    staff = net.user("staff_a")
    p = funnel.prospect()
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2026, 3, 9))
    assert "Cannot enroll: the participant is Prospect" in refused(exc, "stage")
    p = funnel.to_screening(p)
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2026, 3, 9))
    assert "criteria not answered: I1, I2, E1" in refused(exc, "eligibility")
    services.record_eligibility(
        p,
        actor=staff,
        answers=funnel.answers(I2="not_met", E1="met"),
        assessed_by=net.crc_a,
        assessed_at=at(D(2026, 3, 6)),
    )
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2026, 3, 9))
    msg = refused(exc, "eligibility")
    assert "inclusion criteria not met: I2" in msg and "exclusion criteria met: E1" in msg
    services.record_eligibility(
        p, actor=staff, answers=funnel.answers(), assessed_by=net.crc_a, assessed_at=at(D(2026, 3, 7))
    )
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id=" ", enrolled_on=D(2026, 3, 9))
    assert "subject ID" in refused(exc, "subject_id")
    # a new ICF comes into force: the consent is no longer on the version in force
    services.add_icf_version(
        actor=staff, study_site=net.xa, label="2.0", irb_approved_on=D(2026, 3, 1), effective_on=D(2026, 3, 8)
    )
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2026, 3, 9))
    assert "No consent on the ICF version in force on 2026-03-09 (in force: ICF 2.0)" in refused(exc, "consent")
    assert Participant.objects.get(pk=p.pk).stage == S.SCREENING
    # before the new version it is fine; the day is not in the future
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2099, 1, 1))
    assert "future" in refused(exc, "enrolled_on")
    p = services.enroll(p, actor=staff, subject_id="101", enrolled_on=D(2026, 3, 7))
    assert p.stage == S.ENROLLED


def test_eligibility_only_for_checklist_criteria_and_in_screening(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    staff = net.user("staff_a")
    p = funnel.prospect()
    with pytest.raises(ValidationError) as exc:
        services.record_eligibility(p, actor=staff, answers=funnel.answers(), assessed_by=net.crc_a)
    assert "Cannot record eligibility" in refused(exc, "stage")
    p = funnel.to_screening(p)
    with pytest.raises(ValidationError) as exc:
        services.record_eligibility(p, actor=staff, answers={999999: "met"}, assessed_by=net.crc_a)
    assert "not on this participant's checklist" in refused(exc, "answers")
    with pytest.raises(ValidationError) as exc:
        services.record_eligibility(p, actor=staff, answers={funnel.criteria[0].pk: "maybe"}, assessed_by=net.crc_a)
    assert "answer met, not_met or na" in refused(exc, "answers")
    with pytest.raises(ValidationError) as exc:
        services.record_eligibility(p, actor=staff, answers=funnel.answers(), assessed_by=None)
    assert "Name the person" in refused(exc, "assessed_by")


def test_screen_fail_withdraw_lost_and_final_stages(funnel) -> None:  # noqa: ANN001
    staff = funnel.net.user("staff_a")
    p = funnel.to_screening(funnel.prospect())
    with pytest.raises(ValidationError) as exc:
        services.screen_fail(p, actor=staff, reason="")
    assert "Say why" in refused(exc, "reason")
    p = services.screen_fail(p, actor=staff, reason="HbA1c too high", on=D(2026, 3, 8))
    assert p.stage == S.SCREEN_FAILED and p.screen_fail_reason == "HbA1c too high"
    with pytest.raises(ValidationError) as exc:
        services.enroll(p, actor=staff, subject_id="1", enrolled_on=D(2026, 3, 9))
    assert "Screen failed" in refused(exc, "stage")

    q = funnel.to_enrolled(funnel.prospect(name="Bob"), number="S-2", subject="101-002")
    with pytest.raises(ValidationError) as exc:
        services.withdraw(q, actor=staff, reason="")
    assert "Say why" in refused(exc, "reason")
    q = services.withdraw(q, actor=staff, reason="Moved away", on=D(2026, 4, 1))
    assert q.stage == S.WITHDRAWN and q.end_reason == "Moved away"
    with pytest.raises(ValidationError) as exc:  # no consent after withdrawal
        services.record_consent(
            q, actor=staff, form_version=funnel.icf, consented_at=at(D(2026, 4, 2)), obtained_by=funnel.net.crc_a
        )
    assert "withdrawn" in refused(exc, "stage")
    with pytest.raises(ValidationError) as exc:
        services.complete(q, actor=staff)
    assert "Withdrawn" in refused(exc, "stage")

    r = funnel.to_enrolled(funnel.prospect(name="Cy"), number="S-3", subject="101-003")
    with pytest.raises(ValidationError) as exc:
        services.set_day_1(r, actor=staff, on=D(2026, 3, 1))
    assert "before enrollment" in refused(exc, "day_1_on")
    r = services.lost_to_follow_up(r, actor=staff, on=D(2026, 5, 1))
    assert r.stage == S.LOST_TO_FOLLOW_UP


def test_reconsent_due_until_reconsented(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    staff = net.user("staff_a")
    p = funnel.to_enrolled(funnel.prospect())
    funnel.to_screening(funnel.prospect(name="Bob"), number="S-2")
    prospect = funnel.prospect(name="Cy")
    scoped = Participant.objects.visible_to(staff)
    assert services.reconsent_due(scoped, on=D(2026, 4, 10)).count() == 0
    v2 = services.add_icf_version(
        actor=staff, study_site=net.xa, label="2.0", irb_approved_on=D(2026, 3, 20), effective_on=D(2026, 4, 1)
    )
    assert services.reconsent_due(scoped, on=D(2026, 3, 31)).count() == 0  # not yet in force
    due = services.reconsent_due(scoped, on=D(2026, 4, 10))
    assert due.count() == 2 and prospect not in due
    with pytest.raises(ValidationError) as exc:  # re-consent on the old version
        services.record_consent(
            p, actor=staff, form_version=funnel.icf, consented_at=at(D(2026, 4, 2)), obtained_by=net.crc_a
        )
    assert "not in force" in refused(exc, "form_version")
    c = services.record_consent(p, actor=staff, form_version=v2, consented_at=at(D(2026, 4, 2)), obtained_by=net.crc_a)
    assert c.is_reconsent and Participant.objects.get(pk=p.pk).stage == S.ENROLLED
    assert entries(c, "participant.reconsent").count() == 1
    assert list(services.reconsent_due(scoped, on=D(2026, 4, 10)).values_list("screening_number", flat=True)) == ["S-2"]
    with pytest.raises(ValidationError) as exc:
        services.record_consent(p, actor=staff, form_version=v2, consented_at=at(D(2026, 4, 3)), obtained_by=net.crc_a)
    assert "already consented on ICF 2.0" in refused(exc, "form_version")


def test_icf_versions_add_and_retire(funnel) -> None:  # noqa: ANN001
    staff = funnel.net.user("staff_a")
    with pytest.raises(ValidationError) as exc:
        services.add_icf_version(
            actor=staff,
            study_site=funnel.net.xa,
            label="3.0",
            irb_approved_on=D(2026, 5, 2),
            effective_on=D(2026, 5, 1),
        )
    assert "before its IRB approval" in refused(exc, "effective_on")
    with pytest.raises(ValidationError) as exc:
        services.add_icf_version(
            actor=staff,
            study_site=funnel.net.xa,
            label="1.0",
            irb_approved_on=D(2026, 5, 1),
            effective_on=D(2026, 5, 1),
        )
    assert "label" in str(exc.value.message_dict) or "__all__" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.add_icf_version(
            actor=staff, study_site=funnel.net.xb, label="9", irb_approved_on=D(2026, 5, 1), effective_on=D(2026, 5, 1)
        )
    with pytest.raises(ValidationError) as exc:
        services.retire_icf_version(funnel.icf, actor=staff, on=D(2026, 6, 1), reason="")
    assert "Say why" in refused(exc, "reason")
    v = services.retire_icf_version(funnel.icf, actor=staff, on=D(2026, 6, 1), reason="IRB approval lapsed")
    assert v.retired_on == D(2026, 6, 1) and entries(v, "icf.retire").count() == 1
    assert services.icf_in_force(funnel.net.xa, D(2026, 5, 31)) == v
    assert services.icf_in_force(funnel.net.xa, D(2026, 6, 1)) is None


def test_scope_stale_version_and_atomicity(funnel) -> None:  # noqa: ANN001
    net = funnel.net
    p = funnel.prospect()
    with pytest.raises(PermissionDenied):
        services.record_pre_screen(p, actor=net.user("monitor_xa"), passed=True)
    with pytest.raises(PermissionDenied):
        services.record_pre_screen(p, actor=net.user("admin"), passed=True)
    with pytest.raises(ConflictError):
        services.record_pre_screen(p, actor=net.user("staff_xa"), passed=True, expected_version=p.version + 5)
    b = funnel.prospect(study_site=net.xb)
    with pytest.raises(PermissionDenied):
        services.log_contact_attempt(
            b, actor=net.user("staff_a"), at=at(D(2026, 3, 3)), method="phone", outcome="reached"
        )
    # a refused step leaves nothing behind (the consent row is not written when enrollment data is bad)
    before = AuditEntry.objects.count()
    services.record_pre_screen(p, actor=net.user("staff_xa"), passed=True, on=D(2026, 3, 4))
    with pytest.raises(ValidationError):
        services.record_consent(
            p,
            actor=net.user("staff_a"),
            form_version=funnel.icf,
            consented_at=at(D(2026, 3, 5)),
            obtained_by=net.pi_a,
            screening_number="S-1",
        )
    assert AuditEntry.objects.count() == before + 1 and not Consent.objects.exists()


def test_contact_attempt_rules(funnel) -> None:  # noqa: ANN001
    staff = funnel.net.user("staff_a")
    p = funnel.prospect()
    with pytest.raises(ValidationError) as exc:
        services.log_contact_attempt(p, actor=staff, at=at(D(2026, 3, 1)), method="phone", outcome="reached")
    assert "before the referral" in refused(exc, "at")
    with pytest.raises(ValidationError) as exc:
        services.log_contact_attempt(p, actor=staff, at=at(D(2026, 3, 3)), method="pigeon", outcome="reached")
    assert "method" in exc.value.message_dict
    assert list(services.awaiting_first_contact(Participant.objects.all())) == [p]
    services.log_contact_attempt(p, actor=staff, at=at(D(2026, 3, 3)), method="phone", outcome="no_answer")
    assert not services.awaiting_first_contact(Participant.objects.all()).exists()
    assert ConsentFormVersion.objects.count() == 2

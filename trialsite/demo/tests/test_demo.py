"""The demo network: deterministic, idempotent, complete, consistent with the rules, scoped, and loggable-in."""

from __future__ import annotations

import datetime
import hashlib
import random
from collections import Counter
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from trialsite.accounts.models import User
from trialsite.audit.models import AuditEntry
from trialsite.demo import network, runner
from trialsite.network.models import Organization, Site
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.protocols.models import EligibilityCriterion, ProtocolVersion, VisitDefinition
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite
from trialsite.visits import planning
from trialsite.visits.models import Visit

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODELS = [
    Site,
    Organization,
    Study,
    StudySite,
    Person,
    Assignment,
    User,
    ProtocolVersion,
    VisitDefinition,
    EligibilityCriterion,
    ConsentFormVersion,
    Participant,
    Consent,
    ContactAttempt,
    EligibilityAssessment,
    Visit,
]


@dataclass
class Built:
    today: datetime.date
    first: dict[str, object]
    second: dict[str, object]
    seconds: float


FOUNDATION = MODELS[:7]


def fingerprint(models: list = MODELS) -> dict[str, object]:
    """Counts per model and a digest of the content that does not depend on primary keys."""
    counts = {m.__name__: m.objects.count() for m in models}
    rows = [
        *StudySite.objects.values_list("study__protocol_number", "site__code", "status", "selected_on", "activated_on"),
        *Assignment.objects.values_list("person__email", "study_site__site_number", "study_role", "effort_percent"),
        *Site.objects.values_list("code", "capabilities", "clinic_days", "phone"),
    ]
    if Participant in models:
        rows += [
            *Participant.objects.values_list(
                "study_site__site_number",
                "screening_number",
                "stage",
                "referred_on",
                "enrolled_on",
                "ended_on",
                "email",
            ),
            *Visit.objects.values_list("participant__email", "code", "status", "planned_on", "actual_on"),
            *Consent.objects.values_list("participant__email", "form_version__label", "consented_at"),
        ]
    digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return {"counts": counts, "digest": digest}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Built:  # noqa: ANN001
    """Build the foundation once from an empty database (discarded), then the whole demo, kept for the tests."""
    today = timezone.now().date()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        with transaction.atomic():
            runner.run(scale="demo", seed=runner.DEFAULT_SEED, today=today, participants=False, log=lambda s: None)
            first = fingerprint(FOUNDATION)
            transaction.set_rollback(True)
        outer = transaction.atomic()
        outer.__enter__()
        started = timezone.now()
        runner.run(scale="demo", seed=runner.DEFAULT_SEED, today=today, log=lambda s: None)
        seconds = (timezone.now() - started).total_seconds()
        try:
            yield Built(today, first, fingerprint(), seconds)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = FAST_HASHER


def test_two_runs_give_the_same_network(demo: Built, db) -> None:  # noqa: ANN001
    """Foundation: two builds from empty agree; participants: planned again from the same seed, they agree."""
    assert fingerprint(FOUNDATION) == demo.first
    study_sites = StudySite.objects.select_related("site", "study").order_by("site_number")  # as first built
    plans: list = []
    runner.build_participants(
        random.Random(runner.DEFAULT_SEED + 1), study_sites, demo.today, per_site=runner.demo_per_site, plan_only=plans
    )
    bulk = Participant.objects.exclude(email__startswith="story")  # the story goes through the services instead
    stored = sorted(bulk.values_list("email", "stage", "referred_on", "enrolled_on", "ended_on"))
    planned = sorted(
        (
            p.participant.email,
            p.participant.stage,
            p.participant.referred_on,
            p.participant.enrolled_on,
            p.participant.ended_on,
        )
        for p in plans
    )
    assert planned == stored
    stored_visits = sorted(
        Visit.objects.filter(participant__in=bulk).values_list(
            "participant__email", "code", "status", "planned_on", "actual_on"
        )
    )
    planned_visits = sorted(
        (p.participant.email, v.code, v.status, v.planned_on, v.actual_on) for p in plans for v in p.visits
    )
    assert planned_visits == stored_visits
    print(f"demo built in {demo.seconds:.1f} s: {demo.second['counts']}")


def test_rerun_tops_up_and_never_duplicates(demo: Built, db) -> None:  # noqa: ANN001
    audit_before = AuditEntry.objects.count()
    runner.run(scale="demo", seed=runner.DEFAULT_SEED, today=demo.today, log=lambda s: None)
    again = fingerprint()
    changed = {k: (v, again["counts"][k]) for k, v in demo.second["counts"].items() if again["counts"][k] != v}
    assert not changed, changed
    assert again == demo.second
    assert AuditEntry.objects.count() == audit_before  # nothing written the second time


def test_network_has_the_promised_shape(demo: Built, db) -> None:  # noqa: ANN001
    counts = demo.second["counts"]
    assert counts["Site"] == 12
    assert len(set(Site.objects.values_list("country", flat=True))) >= 3
    assert len(set(Site.objects.values_list("time_zone", flat=True))) >= 3
    assert counts["Organization"] == 15
    assert set(Organization.objects.values_list("kind", flat=True)) == {"sponsor", "cro", "irb"}
    assert counts["Study"] == 10
    assert counts["StudySite"] == 35
    assert set(StudySite.objects.values_list("status", flat=True)) == set(StudySite.Status.values)
    assert counts["Person"] == 80
    assert Site.objects.filter(closures__isnull=False).exists()
    assert all(s.capabilities and s.therapeutic_areas and s.clinic_days for s in Site.objects.all())
    # One study from the real ClinicalTrials.gov record, with its eligibility criteria.
    pallas = Study.objects.get(registry_id="NCT02513394")
    assert pallas.phase == "3" and "Breast Cancer" in pallas.conditions
    assert EligibilityCriterion.objects.filter(protocol_version__study=pallas, kind="exclusion").exists()


def test_study_sites_moved_through_the_transition_service(demo: Built, db) -> None:  # noqa: ANN001
    active = StudySite.objects.filter(status=StudySite.Status.ACTIVE)
    assert all(ss.selected_on and ss.activated_on and ss.selected_on <= ss.activated_on <= demo.today for ss in active)
    transitions = AuditEntry.objects.filter(event="studysite.transition").count()
    assert transitions >= 35
    print(f"{transitions} life-cycle transitions audited")


def test_every_funnel_stage_and_visit_outcome_is_present(demo: Built, db) -> None:  # noqa: ANN001
    stages = Counter(Participant.objects.values_list("stage", flat=True))
    assert set(stages) == set(Participant.Stage.values), stages
    statuses = Counter(Visit.objects.values_list("status", flat=True))
    assert {"completed", "missed", "planned", "cancelled"} <= set(statuses), statuses
    assert Visit.objects.filter(out_of_window=True, deviation_candidate=True).exists()
    assert ContactAttempt.objects.filter(participant__stage="prospect").exists()
    assert Consent.objects.filter(is_reconsent=True).exists()
    assert ProtocolVersion.objects.filter(label="2.0").exists()  # amendments
    assert ConsentFormVersion.objects.filter(label="2.0").exists()
    print(f"stages {dict(stages)}; visits {dict(statuses)}")


def test_calendars_have_visits_today_and_this_week(demo: Built, db) -> None:  # noqa: ANN001
    week = Visit.objects.filter(
        status="planned", planned_on__range=(demo.today, demo.today + datetime.timedelta(days=7))
    )
    assert week.count() >= 10
    assert Visit.objects.filter(
        planned_on__range=(demo.today - datetime.timedelta(days=1), demo.today + datetime.timedelta(days=1))
    ).exists()


def test_data_keeps_the_rules(demo: Built, db) -> None:  # noqa: ANN001
    """Consent on the ICF in force before screening; enrollment after consent; visits on open days in window."""
    today = demo.today
    calendars = {
        s.pk: planning.site_calendar(s, today - datetime.timedelta(days=1500), today + datetime.timedelta(days=400))
        for s in Site.objects.all()
    }
    consents: dict[int, list[Consent]] = {}
    for c in Consent.objects.select_related("form_version", "participant__study_site__site"):
        consents.setdefault(c.participant_id, []).append(c)
    checked = 0
    for p in Participant.objects.select_related("study_site__site"):
        mine = sorted(consents.get(p.pk, []), key=lambda c: c.consented_at)
        if p.screening_number:
            assert mine, f"{p} has a screening number but no consent"
            first = mine[0]
            day = first.consented_at.astimezone(p.study_site.site.tz).date()
            icf = first.form_version
            assert icf.effective_on <= day and (icf.retired_on is None or day < icf.retired_on)
            if p.enrolled_on:
                assert day <= p.enrolled_on <= today
                last_before = [
                    c for c in mine if c.consented_at.astimezone(p.study_site.site.tz).date() <= p.enrolled_on
                ]
                in_force = last_before[-1].form_version
                assert in_force.effective_on <= p.enrolled_on
                assert in_force.retired_on is None or p.enrolled_on < in_force.retired_on
        else:
            assert not mine
        checked += 1
    for v in Visit.objects.select_related("study_site").exclude(status="cancelled"):
        is_open = calendars[v.study_site.site_id].is_open
        assert is_open(v.planned_on), f"visit {v.pk} planned on a closed day {v.planned_on}"
        if v.status == "completed":
            assert v.actual_on < today and is_open(v.actual_on)
            inside = v.window_start <= v.actual_on <= v.window_end
            assert inside != v.out_of_window
        if v.status == "planned":
            assert v.planned_on >= today
    assert checked == Participant.objects.count()


def test_every_write_is_audited_by_the_demo_process(demo: Built, db) -> None:  # noqa: ANN001
    for model in (Participant, Visit, Consent, Site, Person):
        from django.contrib.contenttypes.models import ContentType

        ct = ContentType.objects.get_for_model(model)
        assert AuditEntry.objects.filter(content_type=ct, action="create").count() == model.objects.count()
    labels = set(AuditEntry.objects.values_list("actor_label", flat=True))
    # Transitions are made by the network operations login; the story participants by the coordinator login.
    assert labels <= {runner.PROCESS, "ops", "coordinator"}, labels
    story = Participant.objects.filter(email__startswith="story")
    assert set(story.values_list("stage", flat=True)) == {"prospect", "pre_screened", "screening", "enrolled"}
    events = set(AuditEntry.objects.filter(actor_label="coordinator").values_list("event", flat=True))
    assert {"participant.consent", "participant.enroll", "visit.complete"} <= events, events


@pytest.mark.parametrize("username", [row[0] for row in network.LOGINS])
def test_every_role_logs_in_and_sees_its_home_page(demo: Built, db, username: str) -> None:  # noqa: ANN001
    client = Client()
    resp = client.post("/login/", {"username": username, "password": network.DEMO_PASSWORD})
    assert resp.status_code == 302, resp.content[:500]
    home = client.get("/")
    assert home.status_code == 200
    assert User.objects.get(username=username).display_name in home.content.decode()


def test_site_staff_login_sees_only_its_site(demo: Built, db) -> None:  # noqa: ANN001
    coordinator = User.objects.get(username="coordinator")
    assert list(Site.objects.visible_to(coordinator).values_list("code", flat=True)) == ["BOS-01"]
    participants = Participant.objects.visible_to(coordinator)
    assert participants.exists()
    assert set(participants.values_list("study_site__site__code", flat=True)) == {"BOS-01"}
    client = Client()
    client.force_login(coordinator)
    page = client.get("/network/sites/").content.decode()
    assert "BOS-01" in page and "BER-01" not in page
    other = Site.objects.get(code="BER-01")
    assert client.get(f"/network/sites/{other.pk}/").status_code == 404
    monitor = User.objects.get(username="monitor")
    assert set(
        Participant.objects.visible_to(monitor).values_list("study_site__study__protocol_number", flat=True)
    ) == {"NRV-CV-301"}


def test_tiny_scale_runs_the_large_code_path(db, fast_passwords) -> None:  # noqa: ANN001
    """The generator behind --scale large, at a size a test can afford (the large run is measured by bench)."""
    today = timezone.now().date()
    runner.run(scale="tiny", seed=7, today=today, log=lambda s: None)
    size = runner.SCALES["tiny"]
    assert Site.objects.filter(code__startswith="L").count() == size.sites
    assert StudySite.objects.filter(site__code__startswith="L").count() == size.study_sites
    assert Participant.objects.filter(study_site__site__code__startswith="L").count() > 0
    assert Visit.objects.filter(study_site__site__code__startswith="L").count() > 0
    before = Participant.objects.count()
    runner.run(scale="tiny", seed=7, today=today, log=lambda s: None)  # reuse, no duplicates
    assert Participant.objects.count() == before


def test_bench_runs_in_quick_mode(db, fast_passwords, capsys) -> None:  # noqa: ANN001
    call_command("bench", "--here", "--quick", "--build", "--requests", "1", "--schedule", "5")
    out = capsys.readouterr().out
    assert "/network/sites/" in out and "/api/v1/sites/" in out and "median ms" in out
    assert "Schedule generation" in out
    print(out)


def test_demo_command_prints_the_logins(db, fast_passwords, capsys) -> None:  # noqa: ANN001
    call_command("demo", "--no-participants")
    out = capsys.readouterr().out
    assert network.DEMO_PASSWORD in out
    for username, *_ in network.LOGINS:
        assert username in out
    assert len(network.DEMO_PASSWORD) >= 12

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from trialsite.audit.models import AuditEntry
from trialsite.core.exceptions import ConflictError
from trialsite.protocols import services
from trialsite.protocols.models import EligibilityCriterion, ProtocolVersion, VisitDefinition, VisitProcedure

pytestmark = pytest.mark.django_db


def fields_of(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.error_dict)


def test_version_in_force_picks_latest_effective(net, soa):
    admin = net.user("admin")
    amend = services.create_amendment(soa.version, actor=admin, label="2.0", effective_on=datetime.date(2026, 6, 1))
    assert services.version_in_force(net.study_x, datetime.date(2025, 12, 31)) is None
    assert services.version_in_force(net.study_x, datetime.date(2026, 1, 1)) == soa.version
    assert services.version_in_force(net.study_x, datetime.date(2026, 5, 31)) == soa.version
    assert services.version_in_force(net.study_x, datetime.date(2026, 6, 1)) == amend
    assert services.version_in_force(net.study_y, datetime.date(2026, 6, 1)) is None


def test_visit_codes_unique_within_version(net, soa):
    with pytest.raises(ValidationError) as exc:
        services.add_visit_definition(
            soa.version,
            actor=net.user("admin"),
            code="v2",
            name="Dup",
            visit_type="treatment",
            anchor="day_1",
            day_offset=60,
        )
    assert "code" in fields_of(exc)
    # The same code in another version is fine.
    other = build_other(net)
    services.add_visit_definition(
        other, actor=net.user("admin"), code="V2", name="Week 4", visit_type="treatment", anchor="day_1", day_offset=28
    )


def build_other(net):
    return services.create_protocol_version(
        actor=net.user("admin"), study=net.study_y, label="1.0", effective_on=datetime.date(2026, 1, 1)
    )


def test_windows_non_negative(net, soa):
    with pytest.raises(ValidationError) as exc:
        services.edit_visit_definition(
            soa.v2, actor=net.user("admin"), expected_version=soa.v2.version, window_before=-1
        )
    assert "window_before" in fields_of(exc)


def test_offsets_consistent_with_order_same_anchor(net, soa):
    with pytest.raises(ValidationError) as exc:
        services.add_visit_definition(
            soa.version,
            actor=net.user("admin"),
            code="V3",
            name="Week 2",
            visit_type="treatment",
            anchor="day_1",
            day_offset=14,
        )
    assert "day_offset" in fields_of(exc)
    assert "V3" in str(exc.value) and "V2" in str(exc.value)


def test_offsets_consistent_across_anchors(net, soa):
    # After D1 (day 0 after day 1), a visit 0 days... fine on a later anchor, refused on an earlier anchor
    # with a smaller offset than a preceding visit.
    admin = net.user("admin")
    with pytest.raises(ValidationError) as exc:
        services.add_visit_definition(
            soa.version,
            actor=admin,
            code="X",
            name="Odd",
            visit_type="follow_up",
            anchor="consent",
            day_offset=10,
        )
    assert "day_offset" in fields_of(exc)
    # Consent + 60 after Day-1 + 28 cannot be checked (unknown gap): accepted.
    services.add_visit_definition(
        soa.version, actor=admin, code="FU", name="Follow-up", visit_type="follow_up", anchor="consent", day_offset=60
    )
    # Unscheduled visits are outside the ordering rule.
    services.add_visit_definition(
        soa.version,
        actor=admin,
        code="UNS",
        name="Unscheduled",
        visit_type="unscheduled",
        anchor="day_1",
        day_offset=0,
    )


def test_stipend_needs_currency(net, soa):
    admin = net.user("admin")
    with pytest.raises(ValidationError) as exc:
        services.edit_visit_definition(
            soa.d1, actor=admin, expected_version=soa.d1.version, stipend_amount=Decimal("25.00")
        )
    assert fields_of(exc) == {"stipend_currency"}
    with pytest.raises(ValidationError) as exc:
        services.edit_visit_definition(
            soa.d1,
            actor=admin,
            expected_version=soa.d1.version,
            stipend_amount=Decimal("25"),
            stipend_currency="dollars",
        )
    assert fields_of(exc) == {"stipend_currency"}
    d1 = services.edit_visit_definition(
        soa.d1, actor=admin, expected_version=soa.d1.version, stipend_amount=Decimal("25"), stipend_currency="eur"
    )
    assert d1.stipend_currency == "EUR"


def test_effective_dates_distinct(net, soa):
    with pytest.raises(ValidationError) as exc:
        services.create_protocol_version(
            actor=net.user("admin"), study=net.study_x, label="1.1", effective_on=soa.version.effective_on
        )
    assert fields_of(exc) == {"effective_on"}
    with pytest.raises(ValidationError) as exc:
        services.create_protocol_version(
            actor=net.user("admin"), study=net.study_x, label="1.0", effective_on=datetime.date(2027, 1, 1)
        )
    assert fields_of(exc) == {"label"}


def test_amendment_copies_schedule_and_criteria(net, soa):
    admin = net.user("admin")
    amend = services.create_amendment(
        soa.version, actor=admin, label="Amendment 1", effective_on=datetime.date(2026, 3, 1)
    )
    assert amend.based_on == soa.version
    old = [
        (d.code, d.order, d.anchor, d.day_offset, d.window_before, d.window_after, d.stipend_amount)
        for d in soa.version.visit_definitions.all()
    ]
    new = [
        (d.code, d.order, d.anchor, d.day_offset, d.window_before, d.window_after, d.stipend_amount)
        for d in amend.visit_definitions.all()
    ]
    assert new == old and len(new) == 3
    ticks = lambda pv: sorted(  # noqa: E731
        VisitProcedure.objects.filter(visit_definition__protocol_version=pv).values_list(
            "visit_definition__code", "procedure__code"
        )
    )
    assert ticks(amend) == ticks(soa.version) and len(ticks(amend)) == 5
    crit = lambda pv: list(pv.criteria.values_list("kind", "number", "text"))  # noqa: E731
    assert crit(amend) == crit(soa.version) and len(crit(amend)) == 2
    # Editing the amendment leaves the source untouched.
    services.edit_visit_definition(
        amend.visit_definitions.get(code="V2"), actor=admin, expected_version=1, day_offset=35
    )
    assert soa.version.visit_definitions.get(code="V2").day_offset == 28
    # An amendment takes effect after its source.
    with pytest.raises(ValidationError) as exc:
        services.create_amendment(soa.version, actor=admin, label="Back", effective_on=datetime.date(2025, 1, 1))
    assert fields_of(exc) == {"effective_on"}


def test_save_schedule_atomic_one_bad_cell_saves_nothing(net, soa):
    admin = net.user("admin")
    before = sorted(VisitProcedure.objects.values_list("visit_definition__code", "procedure__code"))
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(
            soa.version,
            actor=admin,
            ticks=[("SCR", "LAB"), ("D1", "ECG"), ("V2", "NOPE")],
            expected_version=soa.version.version,
        )
    assert fields_of(exc) == {"ticks"}
    assert sorted(VisitProcedure.objects.values_list("visit_definition__code", "procedure__code")) == before
    assert AuditEntry.objects.count() == audit_before


def test_save_schedule_replaces_ticks_and_refuses_stale(net, soa):
    admin = net.user("admin")
    read_version = soa.version.version
    pv = services.save_schedule(soa.version, actor=admin, ticks=[("D1", "ECG")], expected_version=read_version)
    assert list(VisitProcedure.objects.values_list("visit_definition__code", "procedure__code")) == [("D1", "ECG")]
    with pytest.raises(ConflictError):
        services.save_schedule(soa.version, actor=admin, ticks=[], expected_version=read_version)
    assert pv.version == read_version + 1


def test_set_tick(net, soa):
    admin = net.user("admin")
    assert services.set_tick(soa.d1, soa.ecg, actor=admin, ticked=True) is True
    assert services.set_tick(soa.d1, soa.ecg, actor=admin, ticked=True) is False
    assert services.set_tick(soa.d1, soa.ecg, actor=admin, ticked=False) is True
    assert not VisitProcedure.objects.filter(visit_definition=soa.d1, procedure=soa.ecg).exists()


def test_remove_definition_in_use_refused(net, soa):
    from trialsite.participants.models import Participant
    from trialsite.visits.models import Visit

    participant = Participant.objects.create(
        study_site=net.xa, first_name="Pat", last_name="Doe", referred_on=datetime.date(2026, 1, 5)
    )
    Visit.objects.create(
        participant=participant,
        study_site=net.xa,
        definition=soa.v2,
        code="V2",
        name="Week 4",
        visit_type="treatment",
    )
    with pytest.raises(ValidationError) as exc:
        services.remove_visit_definition(soa.v2, actor=net.user("admin"))
    assert "definition" in fields_of(exc) and "1 participant visit" in str(exc.value)
    assert VisitDefinition.objects.filter(pk=soa.v2.pk).exists()
    # An unused one goes, with its ticks, each deletion audited.
    services.remove_visit_definition(soa.scr, actor=net.user("admin"))
    assert not VisitDefinition.objects.filter(pk=soa.scr.pk).exists()
    assert AuditEntry.objects.filter(action="delete", content_type__model="visitprocedure").count() == 2


def test_criteria_numbering_and_uniqueness(net, soa):
    admin = net.user("admin")
    c2 = services.add_criterion(soa.version, actor=admin, kind="inclusion", text="BMI < 35")
    assert c2.number == 2
    with pytest.raises(ValidationError) as exc:
        services.edit_criterion(c2, actor=admin, expected_version=c2.version, number=1)
    assert fields_of(exc) == {"number"}
    with pytest.raises(ValidationError) as exc:
        services.add_criterion(soa.version, actor=admin, kind="inclusion", text="  ")
    assert fields_of(exc) == {"text"}
    with pytest.raises(ConflictError):
        services.edit_criterion(c2, actor=admin, expected_version=c2.version + 5, text="x")
    services.remove_criterion(c2, actor=admin)
    assert not EligibilityCriterion.objects.filter(pk=c2.pk).exists()


def test_procedure_code_unique_per_study(net, soa):
    with pytest.raises(ValidationError) as exc:
        services.add_procedure(net.study_x, actor=net.user("admin"), code="lab", name="Again")
    assert fields_of(exc) == {"code"}


def test_only_network_writers_change_protocols(net, soa):
    for name in ("manager_a", "staff_a", "staff_xa", "qa", "finance", "monitor_xa"):
        with pytest.raises(PermissionDenied):
            services.edit_protocol_version(
                soa.version, actor=net.user(name), expected_version=soa.version.version, notes="x"
            )
        with pytest.raises(PermissionDenied):
            services.set_tick(soa.d1, soa.ecg, actor=net.user(name), ticked=True)
    services.edit_protocol_version(soa.version, actor=net.user("ops"), expected_version=soa.version.version, notes="ok")


def test_every_write_is_audited(net):
    from trialsite.protocols.tests.conftest import build_soa

    before = AuditEntry.objects.count()
    soa = build_soa(net)
    # 1 version + 3 visits + 3 procedures + 5 ticks + 2 criteria
    assert AuditEntry.objects.count() - before == 14
    assert ProtocolVersion.objects.get(pk=soa.version.pk).version == 2

"""Recruitment funnel metrics over the participants a user may see.

Every figure is an aggregate query (or a fixed set of them), so the page and the API cost the
same number of queries at 10 or 200,000 participants. No identity field is ever read: metrics
are for every role in scope, monitors and finance included.

Stage reached: a participant "reached" a funnel stage when their current stage is that stage or
one after it. Pre-screen failures stop at prospect; screen failures, withdrawals and losses to
follow-up count as consented (screening is entered by consent); withdrawals and losses count as
enrolled only when an enrollment date was recorded.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone

from trialsite.accounts.scoping import grants_for
from trialsite.core.exceptions import field_error
from trialsite.participants.models import Consent, ContactAttempt, Participant
from trialsite.studies.models import Study, StudySite

S = Participant.Stage

CONSENTED_STAGES = (S.SCREENING, S.SCREEN_FAILED, S.ENROLLED, S.COMPLETED, S.WITHDRAWN, S.LOST_TO_FOLLOW_UP)
ENDED_STAGES = (S.WITHDRAWN, S.LOST_TO_FOLLOW_UP)

# The funnel's main line, in order, with the condition for "reached at least this stage".
FUNNEL: list[tuple[str, str, Q]] = [
    (S.PROSPECT, "Prospect", Q()),
    (S.PRE_SCREENED, "Pre-screened", Q(stage=S.PRE_SCREENED) | Q(stage__in=CONSENTED_STAGES)),
    (S.SCREENING, "Screening (consented)", Q(stage__in=CONSENTED_STAGES)),
    (
        S.ENROLLED,
        "Enrolled",
        Q(stage__in=(S.ENROLLED, S.COMPLETED)) | Q(stage__in=ENDED_STAGES, enrolled_on__isnull=False),
    ),
    (S.COMPLETED, "Completed", Q(stage=S.COMPLETED)),
]
REACHED_CONSENT = FUNNEL[2][2]
REACHED_ENROLLMENT = FUNNEL[3][2]
TOP_REASONS = 5


def percent(part: int, whole: int) -> Decimal | None:
    """A percentage to one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def weighted_median(counts: dict[int, int]) -> Decimal | None:
    """Median of values given as {value: how many}, without expanding them (cheap at any scale)."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return value
        raise IndexError(k)

    mid = (Decimal(nth((total - 1) // 2)) + Decimal(nth(total // 2))) / 2
    return mid.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _first_event_gaps(
    participants: QuerySet, zones: list[str], model: type, at: str, day_field: str, *, after: bool
) -> dict[int, int]:
    """{days: participants} between a participant's day field and their FIRST event (site-local day).

    One grouped query per site time zone in scope (a handful), whatever the number of participants:
    the first event is the one with no earlier event of the same participant.
    """
    counts: dict[int, int] = {}
    earlier = model.objects.filter(participant=OuterRef("participant"), **{f"{at}__lt": OuterRef(at)})
    for zone in zones:
        try:
            tz = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        local_day = TruncDate(at, tzinfo=tz)
        other = F(f"participant__{day_field}")
        gap = ExpressionWrapper((local_day - other) if after else (other - local_day), output_field=DurationField())
        rows = (
            model.objects.filter(
                participant__in=participants.values("pk"), participant__study_site__site__time_zone=zone
            )
            .exclude(Exists(earlier))
            .annotate(gap=gap)
            .values("gap")
            .annotate(n=Count("participant", distinct=True))
            .values_list("gap", "n")
        )
        for value, n in rows:
            days = value.days if isinstance(value, datetime.timedelta) else int(value)
            counts[days] = counts.get(days, 0) + n
    return counts


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class Conversion:
    from_stage: str
    to_stage: str
    label: str
    reached_from: int
    reached_to: int
    rate_percent: Decimal | None


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


@dataclass(frozen=True)
class MonthPoint:
    month: datetime.date
    enrolled: int
    cumulative: int
    target: int | None
    percent_of_target: Decimal | None


@dataclass(frozen=True)
class ChannelYield:
    channel: str
    label: str
    referred: int
    consented: int
    enrolled: int
    yield_percent: Decimal | None


@dataclass(frozen=True)
class StudySiteRow:
    study_site_id: int
    label: str
    status: str
    time_zone: str
    referred: int
    consented: int
    enrolled: int
    target: int | None
    percent_of_target: Decimal | None


@dataclass(frozen=True)
class FunnelMetrics:
    scope: str  # "network", "study" or "study_site"
    scope_label: str
    study_id: int | None
    study_site_id: int | None
    total: int
    stages: list[StageCount]
    conversions: list[Conversion]
    screened: int
    screen_failed: int
    screen_failure_rate_percent: Decimal | None
    top_screen_fail_reasons: list[ReasonCount]
    enrolled: int
    target: int | None
    percent_of_target: Decimal | None
    enrollment_by_month: list[MonthPoint]
    channels: list[ChannelYield]
    median_days_referral_to_first_contact: Decimal | None
    contacted: int
    median_days_consent_to_enrollment: Decimal | None
    study_sites: list[StudySiteRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON for the API: decimals as strings (exact), dates as ISO."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# -- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The resolved filter: which participants, and which study sites carry the target."""

    participants: QuerySet
    study_sites: QuerySet
    kind: str
    label: str
    study: Study | None = None
    study_site: StudySite | None = None


def _parse_id(name: str, raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise field_error(name, f"'{str(raw)[:40]}' is not a valid id.") from None
    if value < 1 or value > 2**62:
        raise field_error(name, "Not a valid id.")
    return value


def resolve_scope(user: Any, study: Any = None, study_site: Any = None) -> Scope:
    """Turn the study / study-site filters into scoped querysets; out of scope is a 404."""
    study_id = _parse_id("study", study)
    study_site_id = _parse_id("study_site", study_site)
    participants = Participant.objects.visible_to(user, "view")
    study_sites = StudySite.objects.visible_to(user, "view")
    if study_site_id is not None:
        ss = study_sites.select_related("study", "site").filter(pk=study_site_id).first()
        if ss is None or (study_id is not None and ss.study_id != study_id):
            raise Http404("No such study at a site.")
        return Scope(
            participants.filter(study_site=ss),
            study_sites.filter(pk=ss.pk),
            "study_site",
            str(ss),
            study=ss.study,
            study_site=ss,
        )
    if study_id is not None:
        st = Study.objects.visible_to(user, "view").filter(pk=study_id).first()
        if st is None:
            raise Http404("No such study.")
        return Scope(
            participants.filter(study_site__study=st),
            study_sites.filter(study=st),
            "study",
            f"{st.protocol_number} {st.short_name}".strip(),
            study=st,
        )
    return Scope(participants, study_sites, "network", "Network (everything in your scope)")


# -- computation -------------------------------------------------------------------------------


def _target(user: Any, scope: Scope, site_targets: list[int | None]) -> int | None:
    """The study's own target when the user sees the whole study; else the sum over visible sites."""
    if scope.kind == "study" and scope.study and scope.study.enrollment_target and grants_for(user).scope().network:
        return scope.study.enrollment_target
    known = [t for t in site_targets if t]
    return sum(known) if known else None


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    out = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return out


def funnel_metrics(
    user: Any, study: Any = None, study_site: Any = None, today: datetime.date | None = None
) -> FunnelMetrics:
    """All funnel figures for the filter, computed with a fixed number of aggregate queries."""
    scope = resolve_scope(user, study, study_site)
    qs = scope.participants.order_by()

    # 1. Stage counts.
    by_stage = dict(qs.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    stages = [StageCount(value, label, by_stage.get(value, 0)) for value, label in S.choices]
    total = sum(by_stage.values())

    # 2. Reached-stage counts, screen failures.
    reached_aggs = {f"r{i}": Count("pk", filter=cond) if cond else Count("pk") for i, (_, _, cond) in enumerate(FUNNEL)}
    reached_row = qs.aggregate(**reached_aggs)
    reached = [reached_row[f"r{i}"] for i in range(len(FUNNEL))]
    conversions = [
        Conversion(a[0], b[0], f"{a[1]} → {b[1]}", reached[i], reached[i + 1], percent(reached[i + 1], reached[i]))
        for i, (a, b) in enumerate(zip(FUNNEL, FUNNEL[1:], strict=False))
    ]
    screen_failed = by_stage.get(S.SCREEN_FAILED, 0)
    screened = reached[2]

    # 3. Top screen-failure reasons.
    reasons = [
        ReasonCount(reason or "(no reason given)", n)
        for reason, n in qs.filter(stage=S.SCREEN_FAILED)
        .values_list("screen_fail_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "screen_fail_reason")
        .values_list("screen_fail_reason", "n")[:TOP_REASONS]
    ]

    # 4. Channel yield.
    labels = dict(Participant.Channel.choices)
    channel_rows = {
        row["referral_channel"]: row
        for row in qs.values("referral_channel").annotate(
            referred=Count("pk"),
            consented=Count("pk", filter=REACHED_CONSENT),
            enrolled=Count("pk", filter=REACHED_ENROLLMENT),
        )
    }
    channels = []
    for value in [*Participant.Channel.values, *sorted(set(channel_rows) - set(Participant.Channel.values))]:
        row = channel_rows.get(value)
        if row is None:
            continue
        channels.append(
            ChannelYield(
                value,
                labels.get(value, value),
                row["referred"],
                row["consented"],
                row["enrolled"],
                percent(row["enrolled"], row["referred"]),
            )
        )

    # 5. Enrollment by month against the target.
    monthly = dict(
        qs.filter(REACHED_ENROLLMENT, enrolled_on__isnull=False)
        .annotate(month=TruncMonth("enrolled_on"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .values_list("month", "n")
    )
    monthly = {(m.date() if isinstance(m, datetime.datetime) else m): n for m, n in monthly.items()}

    # 6. Per study site (also the target).
    study_site_rows = _study_site_rows(scope, qs)
    target = _target(user, scope, [r.target for r in study_site_rows])
    enrolled = reached[3]
    months: list[MonthPoint] = []
    if monthly:
        today = today or timezone.localdate()
        last = max(max(monthly), today.replace(day=1))
        cumulative = 0
        for month in _months(min(monthly), last):
            cumulative += monthly.get(month, 0)
            months.append(
                MonthPoint(month, monthly.get(month, 0), cumulative, target, percent(cumulative, target or 0))
            )

    # 7. Speed: referral → first contact, consent → enrollment, in site-local days, grouped in the database.
    zones = sorted({r.time_zone for r in study_site_rows})
    to_contact = _first_event_gaps(qs, zones, ContactAttempt, "at", "referred_on", after=True)
    to_enrollment = _first_event_gaps(
        qs.filter(enrolled_on__isnull=False), zones, Consent, "consented_at", "enrolled_on", after=False
    )

    return FunnelMetrics(
        scope=scope.kind,
        scope_label=scope.label,
        study_id=scope.study.pk if scope.study else None,
        study_site_id=scope.study_site.pk if scope.study_site else None,
        total=total,
        stages=stages,
        conversions=conversions,
        screened=screened,
        screen_failed=screen_failed,
        screen_failure_rate_percent=percent(screen_failed, screened),
        top_screen_fail_reasons=reasons,
        enrolled=enrolled,
        target=target,
        percent_of_target=percent(enrolled, target or 0),
        enrollment_by_month=months,
        channels=channels,
        median_days_referral_to_first_contact=weighted_median(to_contact),
        contacted=sum(to_contact.values()),
        median_days_consent_to_enrollment=weighted_median(to_enrollment),
        study_sites=study_site_rows,
    )


def _study_site_rows(scope: Scope, qs: QuerySet) -> list[StudySiteRow]:
    """Referred / consented / enrolled per visible study site: one grouped query plus the sites."""
    counts = {
        row["study_site"]: row
        for row in qs.values("study_site").annotate(
            referred=Count("pk"),
            consented=Count("pk", filter=REACHED_CONSENT),
            enrolled=Count("pk", filter=REACHED_ENROLLMENT),
        )
    }
    rows = []
    for ss in scope.study_sites.select_related("study", "site").order_by("study__protocol_number", "site__code"):
        c = counts.get(ss.pk, {"referred": 0, "consented": 0, "enrolled": 0})
        rows.append(
            StudySiteRow(
                ss.pk,
                str(ss),
                ss.get_status_display(),
                ss.site.time_zone,
                c["referred"],
                c["consented"],
                c["enrolled"],
                ss.enrollment_target,
                percent(c["enrolled"], ss.enrollment_target or 0),
            )
        )
    return rows


def enrollment_vs_target(user: Any) -> list[StudySiteRow]:
    """Per study site in scope, enrolled against target (the home panel)."""
    scope = resolve_scope(user)
    return _study_site_rows(scope, scope.participants.order_by())

"""What `trialsite demo` runs: the demo network, or the large (or tiny) generated one, all audited."""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable, Iterable

from django.db import transaction

from trialsite.accounts.models import User
from trialsite.core.context import acting_as
from trialsite.demo import large, network, story
from trialsite.demo import participants as funnel
from trialsite.demo.protocols import ensure_icfs, ensure_protocols, long_schedule
from trialsite.network.models import Organization, Site
from trialsite.participants.models import Participant
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite
from trialsite.visits import planning
from trialsite.visits.models import Visit

DEFAULT_SEED = 2026
PROCESS = "command:demo"
SCALES = {
    "demo": None,
    "tiny": large.Size(sites=6, studies=4, study_sites=12, people=40, participants=300, visits_per_schedule=36),
    "large": large.Size(
        sites=500, studies=300, study_sites=3000, people=10_000, participants=200_000, visits_per_schedule=36
    ),
}
WITH_PATIENTS = (StudySite.Status.ACTIVE, StudySite.Status.ENROLLMENT_CLOSED, StudySite.Status.CLOSED)
Log = Callable[[str], None]


def run(*, scale: str, seed: int, today: datetime.date, participants: bool = True, log: Log = print) -> list[str]:
    """Build (or top up) the network of `scale`; returns summary lines (counts, and logins for the demo)."""
    with acting_as(process=PROCESS, reason=f"Demo network ({scale}, seed {seed})"):
        if scale == "demo":
            with transaction.atomic():
                found = network.build_foundation(random.Random(seed), today)
                ensure_protocols(found.studies.values(), today)  # every study has its protocol, enrolling or not
                if participants:
                    build_participants(random.Random(seed + 1), found.study_sites, today, per_site=demo_per_site)
                    coordinator = Person.objects.select_related("user").get(user__username="coordinator")
                    own = StudySite.objects.select_related("site").get(
                        study__protocol_number="NRV-CV-301", site__code="BOS-01"
                    )
                    story.walk_through_services(own, coordinator, today)
            return summary() + logins_text()
        size = SCALES[scale]
        large.build(size, random.Random(seed), today, log=log)
        if participants:
            started = time.perf_counter()
            study_sites = StudySite.objects.filter(site__code__startswith=large.PREFIX, status__in=WITH_PATIENTS)
            eligible = study_sites.count() or 1
            per = max(1, size.participants // eligible)
            build_participants(
                random.Random(seed + 1),
                study_sites.select_related("site", "study"),
                today,
                per_site=lambda ctx: per,
                schedule=long_schedule(size.visits_per_schedule),
                amend_every=0,
                with_eligibility=False,
                log=log,
                batch_sites=30,
            )
            log(f"participants and visits: {time.perf_counter() - started:.1f} s")
        return summary() + [f"Log in as 'admin' or 'coordinator' with the password {network.DEMO_PASSWORD}."]


def demo_per_site(ctx: funnel.SiteContext) -> int:
    ss = ctx.study_site
    return 14 + int(ss.site_number or 0) * 7 % 12


def build_participants(
    rng: random.Random,
    study_sites: Iterable[StudySite],
    today: datetime.date,
    *,
    per_site: Callable[[funnel.SiteContext], int],
    schedule: list[tuple] | None = None,
    amend_every: int = 3,
    with_eligibility: bool = True,
    log: Log | None = None,
    batch_sites: int = 200,
    plan_only: list[funnel.Planned] | None = None,
) -> dict[str, int]:
    """Protocols, ICFs and participants for every study site past activation that has none yet.

    With `plan_only` (a list), participants of every such study site are planned into it and nothing is written.
    """
    study_sites = [ss for ss in study_sites if ss.status in WITH_PATIENTS and ss.activated_on]
    studies = {ss.study_id: ss.study for ss in study_sites}
    schedules = ensure_protocols(studies.values(), today, schedule=schedule, amend_every=amend_every)
    icfs = ensure_icfs(study_sites, today)
    have = set(
        Participant.objects.filter(study_site__in=[ss.pk for ss in study_sites])
        .values_list("study_site_id", flat=True)
        .distinct()
    )
    todo = [ss for ss in study_sites if ss.pk not in have or plan_only is not None]
    team = _teams([ss.pk for ss in todo])
    calendars: dict[int, planning.OpenDays] = {}
    totals: dict[str, int] = {}
    started = time.perf_counter()
    for i in range(0, len(todo), batch_sites):
        contexts = []
        for ss in todo[i : i + batch_sites]:
            site = ss.site
            if site.pk not in calendars:
                start = min(s.activated_on for s in study_sites if s.site_id == site.pk) - datetime.timedelta(days=60)
                calendars[site.pk] = planning.site_calendar(site, start, today + datetime.timedelta(days=1200))
            contexts.append(
                funnel.SiteContext(
                    study_site=ss,
                    schedules=schedules.get(ss.study_id, []),
                    icfs=icfs.get(ss.pk, []),
                    open_days=calendars[site.pk],
                    coordinator_id=team.get((ss.pk, "primary_crc")),
                    investigator_id=ss.principal_investigator_id or team.get((ss.pk, "pi")),
                    as_of=ss.closed_on or today,
                    tz=site.tz,
                    with_eligibility=with_eligibility,
                )
            )
        if plan_only is not None:
            plan_only += funnel.populate(rng, contexts, per_site)
            continue
        with transaction.atomic():
            counts = funnel.write(funnel.populate(rng, contexts, per_site))
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        if log:
            done = min(i + batch_sites, len(todo))
            log(f"  {time.perf_counter() - started:7.1f} s  study sites {done}/{len(todo)}: {totals}")
    return totals


def _teams(study_site_ids: list[int]) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    rows = Assignment.objects.filter(study_site_id__in=study_site_ids, study_role__in=["primary_crc", "pi"])
    for ss_id, role, person_id in rows.order_by("pk").values_list("study_site_id", "study_role", "person_id"):
        out.setdefault((ss_id, role), person_id)
    return out


def summary() -> list[str]:
    counts = {
        "sites": Site.objects.count(),
        "organizations": Organization.objects.count(),
        "studies": Study.objects.count(),
        "studies at sites": StudySite.objects.count(),
        "people": Person.objects.count(),
        "users": User.objects.count(),
        "participants": Participant.objects.count(),
        "visits": Visit.objects.count(),
    }
    return ["Now in the database: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + "."]


def logins_text() -> list[str]:
    lines = ["", f"Demo logins (password for all: {network.DEMO_PASSWORD}):"]
    for username, display, role, scope, _job in network.LOGINS:
        where = "whole network" if scope == "network" else scope if isinstance(scope, str) else " @ ".join(scope)
        lines.append(f"  {username:<12} {display:<16} {role.label} · {where}")
    lines.append("Open http://127.0.0.1:8000/ and log in.")
    return lines

"""The large generated network for benchmarks: hundreds of sites, thousands of studies at sites, quickly.

Everything goes through the audited bulk_create (one audit entry per row, written in bulk), in
large batches. Studies at sites get their life-cycle dates stamped directly here (the transition
service writes one row at a time, which the demo network uses; 3,000 of them would dominate).
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.roles import Role
from trialsite.demo import catalog
from trialsite.demo.network import DEMO_PASSWORD, DWELL, EMAIL_DOMAIN, LIFE_CYCLE_MIX, PATH
from trialsite.network.models import Organization, Site
from trialsite.network.vocab import Capability, TherapeuticArea
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite

PREFIX = "L"
DAY = datetime.timedelta(days=1)
SS = StudySite.Status
PHASES = ["1", "1/2", "2", "2/3", "3", "3", "4"]
JOBS_PER_SITE = [
    "pi",
    "sub_investigator",
    "coordinator",
    "coordinator",
    "coordinator",
    "nurse",
    "recruiter",
    "regulatory",
]


@dataclass(frozen=True)
class Size:
    sites: int
    studies: int
    study_sites: int
    people: int
    participants: int
    visits_per_schedule: int


def build(size: Size, rng: random.Random, today: datetime.date, log: Callable[[str], None] = print) -> None:
    """The large network's foundation; skipped when it exists already (idempotent)."""
    if Site.objects.filter(code=f"{PREFIX}0001").exists():
        log("large network foundation exists: reusing it")
        return
    started = time.perf_counter()
    with transaction.atomic():
        orgs = _organizations(size)
        sites = _sites(size, rng)
        studies = _studies(size, rng, orgs, today)
        people = _people(size, rng, sites)
        study_sites = _study_sites(size, rng, studies, sites, people, orgs, today)
        _assignments(study_sites, people)
        _logins(sites)
    log(
        f"foundation: {len(sites):,} sites, {len(studies):,} studies, {len(study_sites):,} studies at sites, "
        f"{len(people):,} people in {time.perf_counter() - started:.1f} s"
    )


def _organizations(size: Size) -> dict[str, list[Organization]]:
    words = ["Aster", "Boreal", "Corvid", "Delta", "Elm", "Fjord", "Granite", "Helix", "Iris", "Juniper"]
    rows = []
    for kind, label, n in (
        ("sponsor", "Therapeutics", 20),
        ("cro", "Clinical Services", 10),
        ("irb", "Review Board", 10),
    ):
        for i in range(n):
            rows.append(
                Organization(
                    kind=kind, name=f"{words[i % 10]} {label} {PREFIX}{i + 1:02d}", short_name=f"{words[i % 10]}{i + 1}"
                )
            )
    Organization.objects.bulk_create(rows, batch_size=2000)
    out: dict[str, list[Organization]] = {"sponsor": [], "cro": [], "irb": []}
    for o in rows:
        out[o.kind].append(o)
    return out


def _sites(size: Size, rng: random.Random) -> list[Site]:
    rows = []
    for i in range(size.sites):
        _code, _name, city, region, postal, country, tz, street = catalog.SITES[i % len(catalog.SITES)]
        rows.append(
            Site(
                code=f"{PREFIX}{i + 1:04d}",
                name=f"{city} Research Site {i + 1}",
                city=city,
                region=region,
                postal_code=postal,
                address_line=street,
                country=country,
                time_zone=tz,
                capabilities=sorted(rng.sample(Capability.values, 5)),
                therapeutic_areas=sorted(rng.sample(TherapeuticArea.values, 3)),
                clinic_days=[0, 1, 2, 3, 4],
                daily_visit_capacity=None,
            )
        )
    return Site.objects.bulk_create(rows, batch_size=2000)


def _studies(size: Size, rng: random.Random, orgs: dict[str, list[Organization]], today: datetime.date) -> list[Study]:
    rows = []
    for i in range(size.studies):
        area = TherapeuticArea.values[i % len(TherapeuticArea.values)]
        start = today - rng.randint(400, 1800) * DAY
        rows.append(
            Study(
                protocol_number=f"{PREFIX}RG-{i + 1:04d}",
                short_name=f"LARGE-{i + 1}",
                title=f"A generated {area} study number {i + 1} for benchmarks",
                sponsor=orgs["sponsor"][i % len(orgs["sponsor"])],
                cro=orgs["cro"][i % len(orgs["cro"])] if i % 3 else None,
                phase=PHASES[i % len(PHASES)],
                therapeutic_area=area,
                conditions=[area.capitalize()],
                registry_id=f"NCT{90000000 + i:08d}",
                status=Study.Status.ENROLLING,
                enrollment_target=rng.choice([100, 200, 400, 800]),
                planned_start=start,
                planned_end=start + 2000 * DAY,
            )
        )
    return Study.objects.bulk_create(rows, batch_size=2000)


def _people(size: Size, rng: random.Random, sites: list[Site]) -> list[Person]:
    rows = []
    for i in range(size.people):
        site = sites[i % len(sites)]  # round by round: every site gets its PI first, then the others
        job = JOBS_PER_SITE[(i // len(sites)) % len(JOBS_PER_SITE)]
        rows.append(
            Person(
                first_name=rng.choice(catalog.FIRST_NAMES),
                last_name=rng.choice(catalog.LAST_NAMES),
                email=f"l{i + 1:05d}@{EMAIL_DOMAIN}",
                job_role=job,
                credentials={"pi": "MD", "sub_investigator": "MD", "nurse": "RN"}.get(job, ""),
                home_site=site,
            )
        )
    return Person.objects.bulk_create(rows, batch_size=2000)


def _study_sites(
    size: Size,
    rng: random.Random,
    studies: list[Study],
    sites: list[Site],
    people: list[Person],
    orgs: dict[str, list[Organization]],
    today: datetime.date,
) -> list[StudySite]:
    pis = {}
    for p in people:
        if p.job_role == "pi":
            pis.setdefault(p.home_site_id, p)
    pairs: set[tuple[int, int]] = set()
    rows = []
    while len(rows) < min(size.study_sites, len(studies) * len(sites)):
        study, site = rng.choice(studies), rng.choice(sites)
        if (study.pk, site.pk) in pairs:
            continue
        pairs.add((study.pk, site.pk))
        status = rng.choice(LIFE_CYCLE_MIX)
        ss = StudySite(
            study=study,
            site=site,
            site_number=str(100 + len(rows)),
            status=status,
            principal_investigator=pis.get(site.pk),
            irb=orgs["irb"][len(rows) % len(orgs["irb"])],
            enrollment_target=rng.choice([10, 20, 30, 40]),
        )
        steps = PATH[status]
        dwell = [rng.randint(*DWELL.get(s, (10, 30))) for s in steps]
        if status in (SS.ACTIVE, SS.ENROLLMENT_CLOSED, SS.CLOSED):
            dwell = [d * 3 if s == SS.ACTIVE else d for s, d in zip(steps, dwell, strict=True)]  # long-running
        day = today - (sum(dwell) + rng.randint(5, 40)) * DAY
        for step, days in zip(steps, dwell, strict=True):
            if step == SS.SELECTED:
                ss.selected_on = day
            elif step == SS.ACTIVE:
                ss.activated_on = day
                ss.first_participant_in_on = min(day + 14 * DAY, today)
            elif step == SS.CLOSED:
                ss.closed_on = min(day, today)
            day += days * DAY
        rows.append(ss)
    return StudySite.objects.bulk_create(rows, batch_size=2000)


def _assignments(study_sites: list[StudySite], people: list[Person]) -> None:
    crcs: dict[int, list[Person]] = {}
    for p in people:
        if p.job_role == "coordinator":
            crcs.setdefault(p.home_site_id, []).append(p)
    rows = []
    for ss in study_sites:
        if not ss.selected_on:
            continue
        if ss.principal_investigator_id:
            rows.append(
                Assignment(
                    person_id=ss.principal_investigator_id, study_site=ss, study_role="pi", starts_on=ss.selected_on
                )
            )
        for role, person in zip(("primary_crc", "backup_crc"), crcs.get(ss.site_id, []), strict=False):
            rows.append(
                Assignment(
                    person=person, study_site=ss, study_role=role, starts_on=ss.selected_on, ends_on=ss.closed_on
                )
            )
    Assignment.objects.bulk_create(rows, batch_size=5000)


def _logins(sites: list[Site]) -> None:
    """A network admin and a site coordinator, the two points of view the benchmark measures."""
    for username, role, site in (("admin", Role.NETWORK_ADMIN, None), ("coordinator", Role.SITE_STAFF, sites[0])):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=username.capitalize(), email=f"{username}@{EMAIL_DOMAIN}")
            user.set_password(DEMO_PASSWORD)
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=role, site=site, study_site=None)

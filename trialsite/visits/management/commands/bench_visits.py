"""Throughput of `generate_visits`: N participants planned through the real service, then rolled back.

    python manage.py bench_visits --participants 10000

Builds a throw-away site, study and 10-visit schedule inside one transaction, creates the
participants, times one `generate_visits(..., anchor="enrollment")` call per participant (closures,
public holidays and a daily capacity active), prints the figures and rolls everything back.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from trialsite.core.context import acting_as


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure generate_visits throughput (participants per second); writes nothing lasting."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--participants", type=int, default=10_000)
        parser.add_argument("--capacity", type=int, default=40, help="Site daily visit capacity (0: none)")
        parser.add_argument("--sites", type=int, default=1, help="Spread the participants over this many sites")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            with transaction.atomic():
                self.run(opts["participants"], opts["capacity"] or None, max(1, opts["sites"]))
                raise Rollback
        except Rollback:
            self.stdout.write("(rolled back)")

    def run(self, n: int, capacity: int | None, n_sites: int = 1) -> None:
        from trialsite.accounts.models import RoleAssignment, User
        from trialsite.network.models import Organization, Site, SiteClosure
        from trialsite.participants.models import Participant
        from trialsite.protocols.models import ProtocolVersion, VisitDefinition
        from trialsite.studies.models import Study, StudySite
        from trialsite.visits.models import Visit
        from trialsite.visits.services import generate_visits

        with acting_as(process="command:bench_visits"):
            sites = [
                Site.objects.create(
                    code=f"BENCH-V{k}",
                    name="Bench",
                    city="Boston",
                    country="US",
                    region="MA",
                    time_zone="America/New_York",
                    clinic_days=[0, 1, 2, 3, 4],
                    daily_visit_capacity=capacity,
                )  # fmt: skip
                for k in range(n_sites)
            ]
            for site in sites:
                SiteClosure.objects.create(
                    site=site, starts_on=datetime.date(2027, 1, 4), ends_on=datetime.date(2027, 1, 8), reason="Bench"
                )
            sponsor = Organization.objects.create(kind="sponsor", name="Bench sponsor for visits")
            study = Study.objects.create(
                protocol_number="BENCH-V-1", short_name="BV", title="Bench", sponsor=sponsor, phase="3",
                therapeutic_area="cardiology", enrollment_target=n,
            )  # fmt: skip
            study_sites = [StudySite.objects.create(study=study, site=site, enrollment_target=n) for site in sites]
            version = ProtocolVersion.objects.create(study=study, label="1.0", effective_on=datetime.date(2020, 1, 1))
            offsets = [0, 7, 14, 28, 56, 84, 112, 168, 252, 365]
            VisitDefinition.objects.bulk_create(
                VisitDefinition(
                    protocol_version=version,
                    code=f"V{i + 1}",
                    name=f"Visit {i + 1}",
                    order=i + 1,
                    visit_type="treatment",
                    anchor="enrollment",
                    day_offset=off,
                    window_before=0 if i == 0 else 3,
                    window_after=0 if i == 0 else 3,
                )  # fmt: skip
                for i, off in enumerate(offsets)
            )
            user = User.objects.create(username="bench_visits_staff")
            for site in sites:
                RoleAssignment.objects.create(user=user, role="site_staff", site=site)
            start = datetime.date(2026, 6, 1)
            participants = Participant.objects.bulk_create(
                Participant(
                    study_site=study_sites[i % n_sites],
                    first_name="Bench",
                    last_name=str(i),
                    referred_on=start,
                    stage="enrolled",
                    enrolled_on=start + datetime.timedelta(days=i % 180),
                )  # fmt: skip
                for i in range(n)
            )
        t0, c0 = time.perf_counter(), time.process_time()
        for i, p in enumerate(participants, start=1):
            generate_visits(p, anchor="enrollment", anchor_date=p.enrolled_on, actor=user)
            if i % 1000 == 0:
                self.stderr.write(f"  {i} participants, {time.perf_counter() - t0:.1f} s")
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        visits = Visit.objects.filter(study_site__in=study_sites).count()
        noted = Visit.objects.filter(study_site__in=study_sites).exclude(planning_note="").count()
        self.stdout.write(
            f"generate_visits: {n} participants at {n_sites} site(s), {visits} visits in {elapsed:.1f} s = "
            f"{n / elapsed:.0f} participants/s ({visits / elapsed:.0f} visits/s); "
            f"{noted} visits moved or noted (closures, holidays, weekends, capacity {capacity}); CPU {cpu:.1f} s"
        )

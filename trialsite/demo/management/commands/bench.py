"""`trialsite bench`: response times and queries per request on the large network, and schedule generation."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trialsite.accounts.models import User
from trialsite.demo import bench, runner

LAUNCH = "from trialsite.cli import main; main()"


class Command(BaseCommand):
    help = (
        "Build or reuse the large network in its own SQLite file (var/large.sqlite3; --quick: var/bench-quick.sqlite3), "
        "then print median and p95 response time and SQL queries per request of every list page and list endpoint, "
        "as a network admin and as a site user, and the speed of visit schedule generation. "
        "--here measures the configured database instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="Tiny network, few requests (a smoke run)")
        parser.add_argument("--requests", type=int, help="Requests per page and user (default 20; quick 3)")
        parser.add_argument("--schedule", type=int, help="Participants for schedule generation (10000; quick 50)")
        parser.add_argument("--here", action="store_true", help="Measure the configured database")
        parser.add_argument("--build", action="store_true", help="With --here: build the network when missing")

    def handle(self, *args: Any, **opts: Any) -> None:
        scale = "tiny" if opts["quick"] else "large"
        n = opts["requests"] or (3 if opts["quick"] else 20)
        count = opts["schedule"] if opts["schedule"] is not None else (50 if opts["quick"] else 10_000)
        if not opts["here"]:
            self._in_own_database(scale, n, count, opts["quick"])
            return
        today = timezone.now().date()
        users = {name: User.objects.filter(username=name).first() for name in ("admin", "coordinator")}
        if not all(users.values()):
            if not opts["build"]:
                raise CommandError(f"No network to measure: run `trialsite demo --scale {scale}` first (or --build).")
            runner.run(scale=scale, seed=runner.DEFAULT_SEED, today=today, log=self.stdout.write)
            users = {name: User.objects.get(username=name) for name in ("admin", "coordinator")}
        self.stdout.write(runner.summary()[0])
        self.stdout.write(f"Each page: {n} requests per user after one warm-up request; times in milliseconds.")
        rows = bench.run_pages({"net admin": users["admin"], "site user": users["coordinator"]}, n, self.stdout.write)
        for line in bench.table(rows):
            self.stdout.write(line)
        if count:
            result = bench.schedule_generation(count, today)
            if result is None:
                self.stdout.write("Schedule generation: not measured (no visits service or no active study site).")
            else:
                people, visits, seconds = result
                self.stdout.write(
                    f"Schedule generation (visits.services.generate_visits): {people:,} participants, "
                    f"{visits:,} visits in {seconds:.1f} s = {people / seconds:,.0f} participants/s "
                    f"({visits / seconds:,.0f} visits/s); rolled back."
                )

    def _in_own_database(self, scale: str, n: int, count: int, quick: bool) -> None:
        name = "bench-quick.sqlite3" if quick else "large.sqlite3"
        path = settings.VAR_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
        self.stdout.write(f"Benchmark database: {path} (built on first use, then reused)")

        def call(*argv: str) -> None:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", LAUNCH, *argv], env=env, check=False)  # noqa: S603
            if done.returncode:
                raise CommandError(f"`trialsite {' '.join(argv)}` failed ({done.returncode}).")
            self.stdout.write(f"`trialsite {' '.join(argv)}`: {time.perf_counter() - started:.1f} s")

        call("migrate", "--noinput", "-v0")
        call("demo", "--scale", scale)
        call("bench", "--here", "--requests", str(n), "--schedule", str(count))

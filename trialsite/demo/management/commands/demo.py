"""`trialsite demo`: load the demo network (or the large one for benchmarks) into the configured database."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from trialsite.demo import runner


class Command(BaseCommand):
    help = (
        "Load a realistic, deterministic demo network (idempotent: re-running tops up, never duplicates). "
        "--scale large builds the benchmark network (500 sites ... 200,000 participants, ~4 million visits); "
        "point DATABASE_URL at its own file, e.g. DATABASE_URL=sqlite:///var/large.sqlite3."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(runner.SCALES), default="demo")
        parser.add_argument("--seed", type=int, default=runner.DEFAULT_SEED)
        parser.add_argument("--today", help="Anchor date YYYY-MM-DD (default: today, UTC)")
        parser.add_argument("--no-participants", action="store_true", help="Foundation only (sites ... staff)")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = timezone.now().date()
        if opts["today"]:
            try:
                today = datetime.date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError("--today must be a date like 2026-05-01.") from None
        started = time.perf_counter()
        summary = runner.run(
            scale=opts["scale"],
            seed=opts["seed"],
            today=today,
            participants=not opts["no_participants"],
            log=self.stdout.write,
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo network ({opts['scale']}) ready in {elapsed:.1f} s."))
        for line in summary:
            self.stdout.write(line)

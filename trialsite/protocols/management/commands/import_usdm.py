"""`trialsite import_usdm <file> --study <protocol_number>`: a protocol version from a CDISC USDM file."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from trialsite.core.exceptions import ConflictError
from trialsite.core.management.base import AuditedCommand
from trialsite.core.services import validation_messages
from trialsite.protocols.usdm import UsdmError, import_usdm
from trialsite.studies.models import Study

MAX_BYTES = 50 * 1024 * 1024


class Command(AuditedCommand):
    help = "Import visits, procedures, ticks and eligibility criteria from a USDM JSON file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--study", required=True, help="Protocol number of the study")
        parser.add_argument("--label", help="Label of the new protocol version (default: USDM <version>)")
        parser.add_argument("--effective-on", help="YYYY-MM-DD (default: the file's effective/approval date)")
        parser.add_argument("--reason", default="USDM import", help="Reason kept in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path} is not JSON: {exc}") from exc
        try:
            study = Study.objects.get(protocol_number=options["study"])
        except Study.DoesNotExist as exc:
            raise CommandError(f"No study with protocol number {options['study']}.") from exc
        effective_on = None
        if options.get("effective_on"):
            try:
                effective_on = datetime.date.fromisoformat(options["effective_on"])
            except ValueError as exc:
                raise CommandError("--effective-on must be YYYY-MM-DD.") from exc
        try:
            report = import_usdm(data, study=study, label=options.get("label"), effective_on=effective_on)
        except UsdmError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            lines = [f"{f}: {m}" for f, msgs in validation_messages(exc).items() for m in msgs]
            raise CommandError("Nothing was imported:\n  " + "\n  ".join(lines)) from exc
        except ConflictError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from exc
        self.stdout.write(f"Imported {report.version} (id {report.version.pk}): {report.summary()}")
        for line in report.unmapped:
            self.stdout.write(f"  not mapped: {line}")

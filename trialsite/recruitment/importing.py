"""Reading prospect files (CSV, XLSX): sniffing, parsing, column mapping and row validation.

Pure functions over bytes and rows; nothing here writes. The service layer (services.py) stores
batches and commits rows.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from trialsite.core.exceptions import field_error
from trialsite.participants.models import Participant

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024  # a zip bomb stops here
ZIP_MAGIC = b"PK\x03\x04"

# Participant fields a file may provide, with the header names recognised automatically.
FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "firstname", "first", "given_name", "given", "forename", "vorname"),
    "last_name": ("last_name", "lastname", "last", "surname", "family_name", "family", "nachname"),
    "birth_date": ("birth_date", "birthdate", "date_of_birth", "dob", "birthday", "geburtsdatum"),
    "sex": ("sex", "gender", "geschlecht"),
    "phone": ("phone", "phone_number", "telephone", "tel", "mobile", "cell"),
    "email": ("email", "e_mail", "mail", "email_address"),
    "medical_record_number": ("medical_record_number", "mrn", "record_number", "patient_id", "chart_number"),
    "referral_channel": ("referral_channel", "channel", "source_channel"),
    "referral_source": ("referral_source", "source", "referred_by", "referrer"),
    "campaign": ("campaign", "campaign_name"),
    "referred_on": ("referred_on", "referral_date", "referred", "date_referred"),
}
REQUIRED = ("first_name", "last_name")
# Fields with a batch-wide default when no column provides them.
DEFAULTABLE = ("referral_channel", "referral_source", "campaign", "referred_on")
MAX_LENGTHS = {
    name: Participant._meta.get_field(name).max_length
    for name in FIELDS
    if getattr(Participant._meta.get_field(name), "max_length", None)
}
SEX_VALUES = {
    "f": "F",
    "female": "F",
    "w": "F",
    "woman": "F",
    "m": "M",
    "male": "M",
    "man": "M",
    "o": "O",
    "other": "O",
    "x": "O",
    "d": "O",
    "diverse": "O",
    "u": "O",
    "unknown": "O",
    "undisclosed": "O",
}
PHONE_RE = re.compile(r"^[0-9+()./ \-]{3,40}$")


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


# -- sniffing and parsing ---------------------------------------------------------------------


def sniff_kind(name: str, data: bytes) -> str:
    """Decide CSV or XLSX from the content and insist that the file name says the same."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise field_error("file", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise field_error("file", f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", code="too_large")
    if data.startswith(ZIP_MAGIC):
        if not _is_xlsx(data):
            raise field_error("file", "This is a zip archive but not an Excel workbook (XLSX).", code="bad_type")
        kind = "xlsx"
    elif b"\x00" in data[:8192]:
        raise field_error("file", "This is a binary file, neither CSV text nor an XLSX workbook.", code="bad_type")
    else:
        try:
            _decode(data)
        except UnicodeDecodeError:
            raise field_error("file", "The CSV file is not UTF-8 text.", code="bad_type") from None
        kind = "csv"
    expected = {"csv": ("csv", "txt"), "xlsx": ("xlsx",)}[kind]
    if ext not in expected:
        raise field_error(
            "file",
            f"The file's content is {kind.upper()} but its name ends in '.{ext}'. Upload a .csv or .xlsx file "
            "whose name matches its content.",
            code="type_mismatch",
        )
    return kind


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise field_error("file", "The workbook unpacks to more than 50 MB.", code="too_large")
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)  # cell values; row i is file row i + 2


def read_table(kind: str, data: bytes) -> Table:
    """Headers and data rows of the first sheet (XLSX) or the file (CSV); blank rows skipped."""
    raw = _read_xlsx(data) if kind == "xlsx" else _read_csv(data)
    if not raw:
        raise field_error("file", "The file has no header row.")
    headers = [str(h).strip() if h is not None else "" for h in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise field_error("file", "The first row must name the columns.")
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise field_error("file", f"Column '{h}' appears twice in the header row.")
        seen.add(h)
    rows = []
    for values in raw[1:]:
        cells = list(values[: len(headers)]) + [None] * max(0, len(headers) - len(values))
        rows.append(cells)
    # Trailing blank rows are not data; blank rows in between keep their numbers but are skipped later.
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise field_error("file", f"The file has {len(rows)} rows; at most {MAX_ROWS} can be imported at once.")
    return Table(headers, rows)


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise field_error("file", f"The CSV file cannot be read: {exc}.") from None


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any parse failure of an uploaded workbook is the user's file
        raise field_error("file", "The workbook cannot be read; save it again as .xlsx.") from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            return []
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 2:
                raise field_error("file", f"At most {MAX_ROWS} rows can be imported at once.")
        return rows
    finally:
        wb.close()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- mapping -----------------------------------------------------------------------------------


def headers_key(headers: list[str]) -> str:
    """A fingerprint of a header row, so a file of the same layout gets the mapping used last time."""
    import hashlib

    return hashlib.sha256("\x1f".join(normalise_header(h) for h in headers).encode()).hexdigest()


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Guess field → column from header names (exact known names first, then prefixes)."""
    by_norm = {normalise_header(h): h for h in headers if h}
    mapping: dict[str, str] = {}
    for name, aliases in FIELDS.items():
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in mapping.values():
                mapping[name] = by_norm[alias]
                break
    return mapping


def clean_mapping(headers: list[str], mapping: dict[str, Any]) -> dict[str, str]:
    """Check a field → column mapping: known fields, existing columns, each column once, required fields."""
    if not isinstance(mapping, dict):
        raise field_error("mapping", "Send the mapping as an object of field → column name.")
    out: dict[str, str] = {}
    used: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, column in mapping.items():
        if column in (None, ""):
            continue
        if name not in FIELDS:
            errors.setdefault("mapping", []).append(f"'{str(name)[:40]}' is not a field that can be imported.")
            continue
        if not isinstance(column, str) or column not in headers:
            errors.setdefault("mapping", []).append(f"{name}: the file has no column '{str(column)[:60]}'.")
            continue
        if column in used:
            errors.setdefault("mapping", []).append(f"Column '{column}' is mapped to both {used[column]} and {name}.")
            continue
        used[column] = name
        out[name] = column
    for name in REQUIRED:
        if name not in out and "mapping" not in errors:
            errors.setdefault("mapping", []).append(f"Map a column to {name}: it is required.")
    if errors:
        raise ValidationError(errors)
    return out


def clean_defaults(defaults: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """Batch-wide values for channel, source, campaign and referral date; validated like cells."""
    if not isinstance(defaults, dict):
        raise field_error("defaults", "Send the defaults as an object.")
    out: dict[str, Any] = {"referral_channel": Participant.Channel.OTHER, "referred_on": today.isoformat()}
    for name, value in defaults.items():
        if name not in DEFAULTABLE:
            raise field_error("defaults", f"'{str(name)[:40]}' cannot have a default.")
        if _blank(value):
            continue
        try:
            cleaned = clean_value(name, value, today)
        except ValueError as exc:
            raise field_error(f"default_{name}", str(exc)) from None
        out[name] = cleaned.isoformat() if isinstance(cleaned, datetime.date) else cleaned
    return out


# -- values and rows ---------------------------------------------------------------------------


def _parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", text)
    if not match:
        raise ValueError(f"'{text[:30]}' is not a date; use YYYY-MM-DD.")
    try:
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"'{text[:30]}' is not a valid calendar date.") from None


def clean_value(name: str, value: Any, today: datetime.date) -> Any:
    """One cell, cleaned for the field; ValueError with the problem in words."""
    if name in ("birth_date", "referred_on"):
        day = _parse_date(value)
        if day > today:
            raise ValueError(f"{day.isoformat()} is in the future.")
        if day.year < 1900:
            raise ValueError(f"{day.isoformat()} is before 1900.")
        return day
    text = str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))
    limit = MAX_LENGTHS.get(name) if name not in ("sex", "referral_channel") else None
    if limit and len(text) > limit:
        raise ValueError(f"Longer than {limit} characters.")
    if name == "sex":
        sex = SEX_VALUES.get(text.lower())
        if sex is None:
            raise ValueError(f"'{text[:20]}' is not a sex; use F, M or O.")
        return sex
    if name == "referral_channel":
        for choice, label in Participant.Channel.choices:
            if text.lower() in (choice, label.lower()):
                return choice
        allowed = ", ".join(Participant.Channel.values)
        raise ValueError(f"'{text[:30]}' is not a referral channel; use one of {allowed}.")
    if name == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(f"'{text[:60]}' is not an e-mail address.") from None
    if name == "phone" and not PHONE_RE.match(text):
        raise ValueError(f"'{text[:40]}' is not a phone number.")
    return text


@dataclass
class Problem:
    row: int  # the row number in the file (header is row 1)
    column: str
    field: str
    problem: str
    kind: str = "error"  # "error" or "duplicate"


@dataclass
class CheckedRow:
    row: int
    values: dict[str, Any]
    duplicate_of: str = ""


def duplicate_keys(values: dict[str, Any]) -> list[tuple[str, ...]]:
    """Same medical record number, or same name and birth date (case and spacing ignored)."""
    keys = []
    mrn = (values.get("medical_record_number") or "").strip().lower()
    if mrn:
        keys.append(("mrn", mrn))
    if values.get("birth_date"):
        first = " ".join(str(values.get("first_name", "")).lower().split())
        last = " ".join(str(values.get("last_name", "")).lower().split())
        keys.append(("name", first, last, str(values["birth_date"])))
    return keys


def check_rows(
    table: Table,
    mapping: dict[str, str],
    defaults: dict[str, Any],
    existing: dict[tuple[str, ...], str],
    today: datetime.date,
) -> tuple[list[CheckedRow], list[Problem], int]:
    """Validate every mapped cell and find duplicates; returns (clean rows, problems, data row count)."""
    index = {h: i for i, h in enumerate(table.headers)}
    checked: list[CheckedRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, ...], int] = {}
    count = 0
    for offset, cells in enumerate(table.rows):
        row_no = offset + 2
        if all(_blank(c) for c in cells):
            continue
        count += 1
        values: dict[str, Any] = {}
        row_ok = True
        for name in FIELDS:
            column = mapping.get(name)
            cell = cells[index[column]] if column is not None else None
            if _blank(cell):
                if name in REQUIRED:
                    problems.append(Problem(row_no, column or "", name, "Required, but empty."))
                    row_ok = False
                elif name in defaults:
                    values[name] = defaults[name]
                continue
            try:
                values[name] = clean_value(name, cell, today)
            except ValueError as exc:
                problems.append(Problem(row_no, column or "", name, str(exc)))
                row_ok = False
        if not row_ok:
            continue
        if isinstance(values.get("referred_on"), str):
            values["referred_on"] = datetime.date.fromisoformat(values["referred_on"])
        if values.get("birth_date") and values.get("referred_on") and values["birth_date"] > values["referred_on"]:
            problems.append(
                Problem(row_no, mapping.get("birth_date", ""), "birth_date", "Born after the referral date.")
            )
            continue
        dup = ""
        for key in duplicate_keys(values):
            what = "medical record number" if key[0] == "mrn" else "name and birth date"
            if key in seen:
                dup = f"Same {what} as row {seen[key]} of this file."
            elif key in existing:
                dup = f"Same {what} as participant {existing[key]} already at this study site."
            if dup:
                column = mapping.get("medical_record_number", "") if key[0] == "mrn" else mapping.get("last_name", "")
                field_name = "medical_record_number" if key[0] == "mrn" else "last_name"
                problems.append(Problem(row_no, column, field_name, dup, kind="duplicate"))
                break
        for key in duplicate_keys(values):
            seen.setdefault(key, row_no)
        checked.append(CheckedRow(row_no, values, duplicate_of=dup))
    return checked, problems, count

"""Intake's pure rules: who may apply for what, and what a valid application looks like.
No I/O: every rule is a function of its inputs (and `today`), so each has a fast unit test.
Every violation carries a message in zh and en; validation collects all of them at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.shared import errors, filetypes
from services.shared.catalog import Catalog, Hall, Material, Matter
from services.shared.errors import FieldViolation, ValidationFailed

MAX_MATERIAL_BYTES = 20 * 1024 * 1024  # one file
MAX_APPLICATION_BYTES = 100 * 1024 * 1024  # all files of one application
ELDERLY_AGE = 60
LANGUAGES = {"zh": "普通话", "en": "English", "yue": "粤语", "sign": "手语"}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # sum mod 11 → check character (ISO 7064 MOD 11-2)
EARLIEST_BIRTH = date(1880, 1, 1)  # the standard's own example holder was born in 1880
MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)  # without re.ASCII, \d takes any script's digits
# Control and format characters (NUL, newlines, bidi overrides such as U+202E) have no place
# in a name printed on certificates and shown to officials; a bidi override can disguise one.
# Private-use and unassigned code points stay allowed: rare characters in names (生僻字) may
# be newer than this Python's Unicode tables, or encoded in the private-use area by older systems.
NAME_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs"}


@dataclass(frozen=True)
class ResidentId:
    number: str
    division: str
    birth_date: date
    sequence: int

    @property
    def male(self) -> bool:
        return self.sequence % 2 == 1

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def _v(field: str, code: str, zh: str, en: str) -> FieldViolation:
    return FieldViolation(field, code, zh, en)


def fold_width(text: str) -> str:
    """Full-width forms to ASCII ("１３８" → "138", "Ｘ" → "X"): kiosk users type through a
    Chinese IME, and the stored, masked and pseudonymised forms must not depend on that."""
    return unicodedata.normalize("NFKC", text)


def check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_violations(
    text: str, today: date, catalog: Catalog, field: str = "id_number"
) -> tuple[ResidentId | None, list[FieldViolation]]:
    """GB 11643-1999: 18 characters, real division, real past birth date, MOD 11-2 check."""
    number = fold_width(text).strip().upper()
    if len(number) != 18:
        return None, [_v(field, "LENGTH", "身份证号码应为 18 位", "the ID number must have 18 characters")]
    # isascii first: str.isdigit() also accepts other scripts' digits (e.g. Arabic-Indic)
    if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return None, [
            _v(
                field,
                "CHARACTERS",
                "身份证号码只能包含数字，最后一位可以是 X",
                "the ID number has digits only, the last may be X",
            )
        ]
    problems: list[FieldViolation] = []
    if not catalog.is_division_known(number[:6]):
        problems.append(
            _v(
                field,
                "DIVISION",
                "身份证号码的行政区划代码不存在",
                "the ID number's division code does not exist",
            )
        )
    birth: date | None = None
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        problems.append(
            _v(
                field,
                "BIRTH_DATE",
                "身份证号码中的出生日期不存在",
                "the ID number's birth date is not a real date",
            )
        )
    if birth is not None and not EARLIEST_BIRTH <= birth <= today:
        problems.append(
            _v(
                field,
                "BIRTH_DATE",
                "身份证号码中的出生日期不合理",
                "the ID number's birth date is in the future or too long ago",
            )
        )
    if check_digit(number[:17]) != number[17]:
        problems.append(
            _v(
                field,
                "CHECK_DIGIT",
                "身份证号码校验位错误，请核对",
                "the ID number's check digit is wrong; please check it",
            )
        )
    if problems or birth is None:
        return None, problems
    return ResidentId(number, number[:6], birth, int(number[14:17])), []


def parse_id_number(text: str, today: date, catalog: Catalog) -> ResidentId:
    resident, problems = id_number_violations(text, today, catalog)
    if problems or resident is None:
        raise ValidationFailed(problems)
    return resident


def normalise_mobile(text: str) -> str | None:
    """A mainland mobile number without +86, spaces or dashes; None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", fold_width(text))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def validate_mobile(text: str, field: str = "phone") -> str:
    """The normalised number, or ValidationFailed naming `field`."""
    mobile = normalise_mobile(text)
    if mobile is None:
        raise ValidationFailed([_mobile_violation(field)])
    return mobile


def _mobile_violation(field: str) -> FieldViolation:
    return _v(
        field, "FORMAT", "请输入 11 位中国大陆手机号码", "enter an 11-digit mainland China mobile number"
    )


def name_violations(name: str, field: str = "applicant_name") -> tuple[str, list[FieldViolation]]:
    """The name with its whitespace collapsed, and what is wrong with it."""
    clean = " ".join(name.split())
    problems: list[FieldViolation] = []
    if not clean or len(clean) > 50:
        problems.append(
            _v(field, "LENGTH", "姓名应为 1 到 50 个字符", "the name must have 1 to 50 characters")
        )
    if any(unicodedata.category(c) in NAME_FORBIDDEN_CATEGORIES for c in clean):
        problems.append(
            _v(
                field,
                "CHARACTERS",
                "姓名包含不可见或控制字符",
                "the name contains invisible or control characters",
            )
        )
    return clean, problems


def is_elderly(birth_date: date, today: date) -> bool:
    years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    return years >= ELDERLY_AGE


@dataclass(frozen=True)
class ValidApplication:
    name: str
    resident_id: ResidentId
    phone: str
    hall: Hall
    matter: Matter


def validate_application(
    catalog: Catalog,
    *,
    today: date,
    name: str,
    id_number: str,
    phone: str,
    hall_id: str,
    matter_code: str,
    target_province: str,
    preferred_language: str = "zh",
    delivery_method: str = "",
) -> ValidApplication:
    """Every rule of CreateApplication; raises ValidationFailed listing all problems."""
    clean_name, problems = name_violations(name)
    resident, id_problems = id_number_violations(id_number, today, catalog)
    problems += id_problems
    mobile = normalise_mobile(phone)
    if mobile is None:
        problems.append(_mobile_violation("phone"))
    hall = catalog.hall(hall_id)
    if hall is None:
        problems.append(_v("hall_id", "UNKNOWN", "服务大厅不存在", "unknown service hall"))
    matter = catalog.matter(matter_code)
    if matter is None:
        problems.append(_v("matter_code", "UNKNOWN", "事项不存在", "unknown matter"))
    if catalog.province(target_province) is None:
        problems.append(
            _v("target_province", "UNKNOWN", "办理地省份代码不存在", "unknown target province code")
        )
    elif matter is not None and not catalog.handles(matter.code, target_province):
        problems.append(
            _v(
                "target_province",
                "NOT_HANDLED",
                "该省份不通过远程虚拟窗口办理此事项",
                "that province does not handle this matter through the remote window",
            )
        )
    if hall is not None and hall.province == target_province:
        problems.append(
            _v(
                "target_province",
                "NOT_CROSS_PROVINCE",
                "办理地与大厅在同一省份，不属于跨省通办，请在本地窗口办理",
                "the hall is in the target province: this is not a cross-province case;"
                " please use a local window",
            )
        )
    if preferred_language not in LANGUAGES:
        problems.append(
            _v(
                "preferred_language",
                "UNKNOWN",
                "不支持的语言",
                f"language must be one of {', '.join(LANGUAGES)}",
            )
        )
    if delivery_method and matter is not None and delivery_method not in matter.delivery_methods:
        problems.append(
            _v(
                "delivery_method",
                "NOT_ALLOWED",
                "该事项不支持此送达方式",
                "this matter cannot be delivered that way",
            )
        )
    if problems or resident is None or mobile is None or hall is None or matter is None:
        raise ValidationFailed(problems)
    return ValidApplication(clean_name, resident, mobile, hall, matter)


def sniff_material(data: bytes) -> str:
    """The content type from the bytes themselves; the file name is not trusted."""
    kind = filetypes.sniff(data)
    if kind is not None:
        return kind
    raise ValidationFailed(
        [_v("data", "TYPE", "只接受 JPEG、PNG 或 PDF 文件", "only JPEG, PNG or PDF files are accepted")]
    )


@dataclass(frozen=True)
class SubmissionOutcome:
    accepted: bool
    missing_key: tuple[Material, ...]
    missing_optional: tuple[Material, ...]

    @property
    def with_deficiency(self) -> bool:
        """容缺受理: accepted while non-key materials are still to come."""
        return self.accepted and bool(self.missing_optional)


def submission_check(matter: Matter, uploaded_codes: Collection[str]) -> SubmissionOutcome:
    """Refused while a key material is missing; otherwise accepted, 容缺受理 when non-key
    materials are still to come (the official asks for them later)."""
    missing = [m for m in matter.materials if m.code not in uploaded_codes]
    key = tuple(m for m in missing if m.key)
    optional = tuple(m for m in missing if not m.key)
    return SubmissionOutcome(not key, key, optional)


# Intake's own statuses; what happens after submission is routing's and results' business,
# but for 补正: the official's request for supplements sends the application back to the
# applicant (SUPPLEMENT_REQUESTED), who uploads them and submits again.
def can_upload(status: str) -> bool:
    # SUBMITTED: non-key materials of a 容缺受理 application arrive later
    return status in {"DRAFT", "SUBMITTED", "SUPPLEMENT_REQUESTED"}


def can_submit(status: str) -> bool:
    return status in {"DRAFT", "SUPPLEMENT_REQUESTED"}


def can_cancel(status: str) -> bool:
    return status in {"DRAFT", "SUBMITTED", "SUPPLEMENT_REQUESTED"}


def is_material_of(matter: Matter, code: str) -> bool:
    """Only the matter's own materials are uploaded (and so only they can be supplied)."""
    return any(m.code == code for m in matter.materials)


@dataclass(frozen=True)
class SupplementRequest:
    """What a 补正 decision asks of the applicant, as intake will hold them to it."""

    awaited: tuple[str, ...]  # the materials the resubmission waits for, in the request's order
    ignored: tuple[str, ...]  # codes the matter has no material for: nobody could supply them


def supplement_request(matter: Matter, requested: Sequence[str]) -> SupplementRequest:
    """Results refuses a 补正 naming anything but the matter's materials; a decision made
    before it did (still on the topic) may name one. Waiting for it would leave the case
    with no way forward, so only supplies the applicant can upload are awaited."""
    awaited = tuple(dict.fromkeys(c for c in requested if is_material_of(matter, c)))
    ignored = tuple(c for c in requested if not is_material_of(matter, c))
    return SupplementRequest(awaited, ignored)


def reopens_for_supplements(status: str) -> bool:
    """A 补正 sends back a submitted application only; one withdrawn meanwhile stays so."""
    return status == "SUBMITTED"


def supplements_missing(requested: Collection[str], uploaded_since: Collection[str]) -> list[str]:
    """The requested supplements not uploaded since the request (in the request's order):
    a material uploaded before it is what the official found wanting."""
    return [code for code in requested if code not in uploaded_since]


def supplements_lacking(
    requested: Sequence[str], uploads: Iterable[tuple[str, datetime]], requested_at: datetime | None
) -> list[str]:
    """Before a resubmission: the requested supplements with no upload (code, time) after
    the request."""
    since = {code for code, at in uploads if requested_at is None or at > requested_at}
    return supplements_missing(requested, since)


def check_submission(
    matter: Matter,
    status: str,
    uploads: Sequence[tuple[str, datetime]],
    requested: Sequence[str] = (),
    requested_at: datetime | None = None,
) -> SubmissionOutcome:
    """Whether an application may be submitted now (first time, or again after a 补正):
    raises FAILED_PRECONDITION saying what is wrong (state, key materials, supplements not
    uploaded since the request); otherwise the outcome (容缺受理 or complete)."""
    if not can_submit(status):
        raise errors.failed_precondition(
            f"状态为 {status} 的申请不能提交",
            f"a {status} application cannot be submitted",
            reason="WRONG_STATE",
        )
    outcome = submission_check(matter, {code for code, _ in uploads})
    if not outcome.accepted:
        raise errors.failed_precondition(
            "缺少关键材料：" + "、".join(m.name_zh for m in outcome.missing_key),
            "key materials missing: " + ", ".join(m.name_en for m in outcome.missing_key),
            reason="KEY_MATERIALS_MISSING",
        )
    if status == "SUPPLEMENT_REQUESTED":
        lacking = supplements_lacking(requested, uploads, requested_at)
        if lacking:
            names = [matter.material_names(code) for code in lacking]
            raise errors.failed_precondition(
                "请先补正以下材料：" + "、".join(zh for zh, _ in names),
                "supply these first: " + ", ".join(en for _, en in names),
                reason="SUPPLEMENTS_MISSING",
            )
    return outcome

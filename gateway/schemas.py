"""Request bodies: strict types, no unknown fields, bounded sizes. What the services check
(ID numbers, matter codes, state) they check; these only keep nonsense out early."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from services.shared import pii


def no_personal_numbers(text: str) -> str:
    """Free text goes into events and onto screens, where only masked forms may appear."""
    kinds = pii.personal_numbers(text)
    if kinds:
        raise PydanticCustomError(
            "personal_data",
            "must not contain {kinds}: free text goes into events; personal data stays in the application",
            {"kinds": " or ".join("an ID number" if k == "id_number" else "a phone number" for k in kinds)},
        )
    return text


Checked = AfterValidator(no_personal_numbers)
Short = Annotated[str, Field(max_length=64), Checked]
Text = Annotated[str, Field(max_length=2000), Checked]
Delivery = Literal["mail", "hall_print", "e_certificate"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LoginRequest(Body):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class CreateApplicationRequest(Body):
    request_id: Annotated[str, Field(min_length=1, max_length=64)]
    applicant_name: Annotated[str, Field(min_length=1, max_length=64)]
    id_number: Annotated[str, Field(min_length=1, max_length=32)]
    phone: Annotated[str, Field(max_length=32)] = ""
    matter_code: Annotated[str, Field(min_length=1, max_length=64)]
    target_province: Annotated[str, Field(pattern=r"^[0-9]{6}$")]
    disability: bool = False
    interpreter: bool = False
    preferred_language: Literal["zh", "en", "yue", "sign"] = "zh"
    delivery_method: Delivery | None = None


class CancelRequest(Body):
    reason: Short = "applicant"


class JoinRequest(Body):
    sdp: Annotated[str, Field(min_length=1, max_length=200_000)]


class ConfirmRequest(Body):
    confirmed: bool
    note: Text = ""


class EvaluationRequest(Body):
    level: Annotated[int, Field(ge=1, le=5)]
    tags: Annotated[list[Short], Field(max_length=10)] = []
    comment: Annotated[str, Field(max_length=500), Checked] = ""


class PresenceRequest(Body):
    presence: Literal["available", "away", "offline"]
    reason: Short = ""


class RejectRequest(Body):
    reason: Short = "declined"


class DecisionRequest(Body):
    outcome: Literal["approved", "rejected", "supplement_requested", "transferred"]
    result_kind: Short = ""
    reason_code: Short = ""
    legal_basis: Text = ""
    supplements: Annotated[list[Short], Field(max_length=20)] = []
    transfer_to: Short = ""
    delivery_method: Delivery | None = None
    mail_address: Annotated[str, Field(max_length=500)] = ""


class SummaryRequest(Body):
    summary: Annotated[str, Field(min_length=1, max_length=2000), Checked]


class CreateAccountRequest(Body):
    username: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]
    password: Annotated[str, Field(min_length=1, max_length=256)]
    role: Literal["official", "supervisor", "operator", "admin"]
    province: Annotated[str, Field(pattern=r"^([0-9]{6})?$")] = ""
    department: Short = ""
    display_name: Short = ""
    languages: Annotated[list[Annotated[str, Field(max_length=8)]], Field(max_length=8)] = ["zh"]
    must_change_password: bool = True


class AccountStateRequest(Body):
    disabled: bool


class CreateDeviceRequest(Body):
    hall_id: Annotated[str, Field(min_length=1, max_length=64)]
    label: Short = ""


class SecondFactorRequest(Body):
    code: Annotated[str, Field(max_length=16)] = ""
    recovery_code: Annotated[str, Field(max_length=32)] = ""


class TotpConfirmRequest(Body):
    code: Annotated[str, Field(min_length=1, max_length=16)]


class PasswordChangeRequest(Body):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Annotated[str, Field(min_length=1, max_length=256)]

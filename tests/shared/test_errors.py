import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.shared import errors


def test_invalid_argument_carries_fields_in_both_languages() -> None:
    error = errors.invalid_argument(
        [
            errors.FieldViolation("id_number", "CHECK_DIGIT", "校验位错误", "wrong check digit"),
            errors.FieldViolation("phone", "FORMAT", "手机号格式错误", "bad mobile number"),
        ]
    )
    status = errors.to_status(error)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "校验位错误" in status.details and "wrong check digit" in status.details
    proto = rpc_status.to_status  # noqa: F841 (round trip below through trailing metadata)
    trailing = dict(status.trailing_metadata)
    from google.rpc import status_pb2

    decoded = status_pb2.Status.FromString(trailing["grpc-status-details-bin"])
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in decoded.details if d.Is(bad.DESCRIPTOR))
    assert [v.field for v in bad.field_violations] == ["id_number", "phone"]
    assert bad.field_violations[0].localized_message.message == "校验位错误"


def test_nul_characters_are_found_in_nested_and_repeated_text() -> None:
    from tongban.intake.v1 import intake_pb2
    from tongban.results.v1 import results_pb2

    clean = results_pb2.SearchCasesRequest(status="QUEUED", target_province="310000")
    assert errors.nul_fields(clean) == []
    assert errors.nul_fields(results_pb2.SearchCasesRequest(status="\x00", matter_code="a\x00b")) == [
        "matter_code",
        "status",
    ]
    nested = intake_pb2.UploadMaterialRequest(
        header=intake_pb2.UploadHeader(case_id="c", file_name="id\x00.jpg"), data=b"\x00 bytes are fine"
    )
    assert errors.nul_fields(nested) == ["header.file_name"]
    repeated = results_pb2.RecordDecisionRequest(supplements=["ok", "bad\x00", "bad\x00 too"])
    assert errors.nul_fields(repeated) == ["supplements"]


def test_free_text_with_personal_numbers_is_refused_field_by_field() -> None:
    errors.check_free_text(legal_basis="《住房公积金管理条例》第二十四条", supplements=["new_account"])
    with pytest.raises(errors.ServiceError) as refused:
        errors.check_free_text(
            legal_basis="申请人 11010519491231002X 不符合条件",
            reason_code="R1",
            supplements=["new_account", "call 13812345678"],
        )
    assert refused.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == ["legal_basis", "supplements"]
    assert all(v.code == "PERSONAL_DATA" and v.message_zh and v.message_en for v in refused.value.violations)
    exhausted = errors.resource_exhausted("太多", "too many")
    assert errors.to_status(exhausted).code == grpc.StatusCode.RESOURCE_EXHAUSTED

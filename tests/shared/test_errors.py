import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.shared import errors


def test_invalid_argument_carries_fields_in_both_languages() -> None:
    error = errors.invalid_argument([
        errors.FieldViolation("id_number", "CHECK_DIGIT", "校验位错误", "wrong check digit"),
        errors.FieldViolation("phone", "FORMAT", "手机号格式错误", "bad mobile number"),
    ])
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

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_current() -> None:
    """gen/ must match protos/: edit a contract, run `make proto`."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_protos.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_contracts_follow_the_style() -> None:
    """buf style: enums start with <ENUM>_UNSPECIFIED = 0; every field has a comment."""
    from tongban.events.v1 import events_pb2
    from tongban.intake.v1 import intake_pb2
    from tongban.results.v1 import results_pb2
    from tongban.routing.v1 import routing_pb2
    from tongban.types.v1 import types_pb2
    from tongban.window.v1 import window_pb2

    for module in (events_pb2, intake_pb2, results_pb2, routing_pb2, types_pb2, window_pb2):
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            prefix = "".join("_" + c if c.isupper() else c.upper() for c in enum.name).lstrip("_")
            assert enum.values[0].number == 0
            assert enum.values[0].name == prefix + "_UNSPECIFIED", enum.name
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                assert method.input_type.name == method.name + "Request"
                assert method.output_type.name == method.name + "Response"
        assert module.DESCRIPTOR.package.endswith(".v1")


def test_every_message_field_and_enum_value_is_commented(tmp_path: Path) -> None:
    """Reads protoc's source info: each message, field, enum value and RPC has a comment."""
    from google.protobuf import descriptor_pb2

    out = tmp_path / "set.pb"
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'protos'}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *protos,
        ],
        check=True,
        cwd=ROOT / "protos",
    )
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    missing: list[str] = []
    for file in files:
        commented = {
            tuple(loc.path)
            for loc in file.source_code_info.location
            if loc.leading_comments.strip() or loc.trailing_comments.strip()
        }
        for m, message in enumerate(file.message_type):
            if (4, m) not in commented:
                missing.append(f"{file.name}: message {message.name}")
            for f, field in enumerate(message.field):
                if (4, m, 2, f) not in commented:
                    missing.append(f"{file.name}: {message.name}.{field.name}")
        for e, enum in enumerate(file.enum_type):
            for v, value in enumerate(enum.value):
                if (5, e, 2, v) not in commented:
                    missing.append(f"{file.name}: {value.name}")
        for s, service in enumerate(file.service):
            for r, method in enumerate(service.method):
                if (6, s, 2, r) not in commented:
                    missing.append(f"{file.name}: rpc {method.name}")
    assert not missing, "uncommented: " + ", ".join(missing)

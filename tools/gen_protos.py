"""Regenerates the Python code for every contract under protos/ into gen/ (`make proto`).

With --check it generates into a temporary folder and fails when gen/ differs, so a
contract edited without regenerating is caught by the test suite.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
GEN = ROOT / "gen"


def generate(out: Path) -> None:
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        # typed stubs and servicers (mypy-protobuf): a call names its request and answer types
        f"--plugin=protoc-gen-mypy_grpc={Path(sys.executable).parent / 'protoc-gen-mypy_grpc'}",
        f"--mypy_grpc_out={out}",
        *files,
    ]
    subprocess.run(cmd, check=True, cwd=PROTOS)
    # Regular packages (not namespace packages) so setuptools, mypy and pytest all agree.
    for folder in [out / "tongban", *(p for p in (out / "tongban").rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()


def differences(a: Path, b: Path) -> list[str]:
    found: list[str] = []
    cmp = filecmp.dircmp(a, b, ignore=["__pycache__"])
    found += [f"only in {a}: {n}" for n in cmp.left_only]
    found += [f"only in {b}: {n}" for n in cmp.right_only]
    found += [f"differs: {a / n}" for n in cmp.diff_files]
    for name in cmp.common_dirs:
        found += differences(a / name, b / name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when gen/ is stale")
    args = parser.parse_args()
    if not args.check:
        generate(GEN)
        print(f"generated {GEN.relative_to(ROOT)}/")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = differences(Path(tmp) / "tongban", GEN / "tongban")
    for line in stale:
        print(line, file=sys.stderr)
    if stale:
        print("gen/ is stale: run `make proto`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())

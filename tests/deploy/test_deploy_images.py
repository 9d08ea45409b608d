"""The Dockerfiles (deploy/docker/base and one per process), read statically (there is no
Docker engine to build with), and the health check script, run for real against a gRPC
server and an HTTP server."""

from __future__ import annotations

import asyncio
import fnmatch
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploycheck import check as deploy_check
from deploycheck.settings import ProcessSettings
from services.shared.grpcserver import Service
from tools.engines import free_port

ROOT = deploy_check.REPO_ROOT
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"
# imported only when present (grpc tries grpc_tools, anyio sniffio, httpx its command line's
# pygments); images do without them
OPTIONAL = {"grpcio-tools", "sniffio", "pygments"}


def test_hadolint_finds_nothing(deploy_tools: Path, tmp_path: Path) -> None:
    paths = deploy_check.dockerfiles()
    assert deploy_check.BASE_DOCKERFILE in paths and len(paths) >= 2
    for path in paths:
        done = deploy_check.hadolint(deploy_tools, path)
        assert done.returncode == 0, f"{path}: {done.stdout}{done.stderr}"
    sloppy = tmp_path / "Dockerfile"
    sloppy.write_text("FROM python\nRUN cd /app && pip install grpcio\n")
    assert deploy_check.hadolint(deploy_tools, sloppy).returncode != 0  # it does look


def test_every_process_has_its_own_dockerfile_on_the_base(settings: dict[str, ProcessSettings]) -> None:
    assert deploy_check.dockerfile_problems(settings) == []
    for process, spec in settings.items():
        path = deploy_check.process_dockerfile(process)
        assert path == ROOT / "deploy" / "docker" / process / "Dockerfile"
        assert deploy_check.image(process).cmd == ["python", "-m", spec.module]
        # small, and built from its own folder: the shared part lives once, in the base
        assert len(path.read_text().splitlines()) < 25, f"{path} repeats the base"
        assert deploy_check.dockerfile_stages(path)[""].copies == []


@pytest.fixture
def docker_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of deploy/docker that the checks read instead of the real one."""
    copy = tmp_path / "docker"
    shutil.copytree(deploy_check.DOCKER_DIR, copy)
    monkeypatch.setattr(deploy_check, "DOCKER_DIR", copy)
    monkeypatch.setattr(deploy_check, "BASE_DOCKERFILE", copy / "base" / "Dockerfile")
    monkeypatch.setattr(deploy_check, "REPO_ROOT", tmp_path)
    return copy


@pytest.mark.parametrize(
    ("process", "good", "bad", "complaint"),
    [
        ("intake", "TONGBAN_BLOB_DIR=", "TONGBAN_BLOBS_DIR=", "ENV TONGBAN_BLOBS_DIR is not read"),
        ("window", '"services.window"', '"services.windows"', "is not python -m services.window"),
        (
            "results",
            "TONGBAN_GRPC_LISTEN=0.0.0.0:7054",
            "TONGBAN_GRPC_LISTEN=127.0.0.1:7054",
            "must bind 0.0.0.0",
        ),
        ("routing", "EXPOSE 7052", "EXPOSE 50099", "must bind 0.0.0.0 on an exposed port"),
        ("gateway", '"http"]', '"grpc"]', "no http HEALTHCHECK"),
        ("intake", "FROM base", "FROM python:3.11-slim", "must be one stage FROM the base"),
    ],
)
def test_a_wrong_dockerfile_is_caught(
    docker_copy: Path, settings: dict[str, ProcessSettings], process: str, good: str, bad: str, complaint: str
) -> None:
    path = docker_copy / process / "Dockerfile"
    text = path.read_text()
    assert good in text
    path.write_text(text.replace(good, bad))
    problems = deploy_check.dockerfile_problems(settings)
    assert any(complaint in p and process in p for p in problems), problems


def test_a_missing_dockerfile_and_a_stray_one_are_caught(
    docker_copy: Path, settings: dict[str, ProcessSettings]
) -> None:
    shutil.rmtree(docker_copy / "results")
    (docker_copy / "billing").mkdir()
    (docker_copy / "billing" / "Dockerfile").write_text("FROM base\n")
    problems = deploy_check.dockerfile_problems(settings)
    assert any("results/Dockerfile is missing" in p for p in problems), problems
    assert any("billing/Dockerfile: no process billing" in p for p in problems), problems


def test_the_base_root_user_would_be_caught(docker_copy: Path, settings: dict[str, ProcessSettings]) -> None:
    base = docker_copy / "base" / "Dockerfile"
    base.write_text(base.read_text().replace("USER 10001:10001", "USER root"))
    problems = deploy_check.dockerfile_problems(settings)
    assert {p.split(":")[0] for p in problems if "runs as root" in p} == {
        f"docker/{process}/Dockerfile" for process in settings
    }


def test_images_are_slim_python_311_and_run_as_non_root(settings: dict[str, ProcessSettings]) -> None:
    text = deploy_check.BASE_DOCKERFILE.read_text()
    match = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.MULTILINE)
    assert match and re.fullmatch(r"python:3\.11-slim(-\w+)?", match.group(1))
    stages = deploy_check.dockerfile_stages(deploy_check.BASE_DOCKERFILE)
    assert stages["deps"].base == stages["base"].base == "${PYTHON_IMAGE}"  # multi-stage
    assert stages[""] is stages["base"]  # the last stage, the one processes build on
    assert stages["base"].user == "10001:10001"
    for process in settings:
        assert deploy_check.image(process).user == "10001:10001"


def runtime_closure() -> set[str]:
    """The distributions [project].dependencies pull in, as installed in the venv."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(r) for r in project["dependencies"]]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        pending += [Requirement(r) for r in metadata.requires(name) or []]
    return seen


def test_dependencies_are_the_locked_runtime_set() -> None:
    text = deploy_check.BASE_DOCKERFILE.read_text()
    assert "-c requirements.lock" in text and "--only-binary=:all:" in text
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        lock[canonicalize_name(name)] = version
    # everything the image's pip resolves must be pinned by the lock, or an image could get
    # a version CI never ran
    closure = runtime_closure()
    for name in closure:
        assert name in lock, f"{name} (runtime) is not pinned in requirements.lock"
        assert metadata.version(name) == lock[name], f"{name}: the venv differs from the lock"
    assert {"grpcio", "faust-streaming", "aiortc", "fastapi"} <= closure


def test_build_context_admits_exactly_what_is_copied() -> None:
    ignore = (deploy_check.BASE_DOCKERFILE.parent / "Dockerfile.dockerignore").read_text()
    patterns = [p for p in ignore.splitlines() if p and not p.startswith("#")]

    def sent(path: str) -> bool:  # last matching pattern wins, as in Docker
        keep = True
        for pattern in patterns:
            negate = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                keep = negate
        return keep

    stages = deploy_check.dockerfile_stages(deploy_check.BASE_DOCKERFILE)
    sources = [s.rstrip("/") for name in ("deps", "base") for line in stages[name].copies for s in line]
    assert sources and all(sent(s) for s in sources), sources
    for private in (".stack", ".venv", ".git", ".env", "tests", "tools"):
        assert not sent(private), private


@pytest.mark.integration  # runs the processes
def test_the_copied_tree_runs_every_process(tmp_path: Path, settings: dict[str, ProcessSettings]) -> None:
    """The image's /app, laid out by the Dockerfile's own COPY lines, imports every process
    without reaching back into the repository (say, a service starting to import tools/)."""
    app = tmp_path / "app"
    for line in re.findall(r"^COPY (?!--from)(.+)$", deploy_check.BASE_DOCKERFILE.read_text(), re.MULTILINE):
        *sources, target = line.split()
        if not target.startswith("/app/"):
            continue  # the build stage's inputs, not part of the image
        for source in sources:
            destination = app / Path(target).relative_to("/app")
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                dest = destination / Path(source).name if target.endswith("/") else destination
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, dest)
    modules = [f"{s.module}.__main__" for s in settings.values()]
    probe = (
        "import importlib, json, sys\n"
        "before = set(sys.modules)\n"  # what the interpreter's start-up loaded, not ours
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "files = {n: getattr(m, '__file__', None) or '' for n, m in sys.modules.items()"
        " if n not in before}\n"
        "print(json.dumps({'files': files, 'venv': sys.prefix}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=app,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": f"{app}:{app / 'gen'}"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    leaks = sorted(
        n for n, f in loaded["files"].items() if f.startswith(f"{ROOT}/") and not f.startswith(loaded["venv"])
    )
    assert leaks == [], "modules the image would not have"
    # and every third-party module comes from a distribution the image installs
    owners = metadata.packages_distributions()
    used = {
        canonicalize_name(d)
        for n in loaded["files"]
        if loaded["files"][n].startswith(loaded["venv"])
        for d in owners.get(n.partition(".")[0], [])
    }
    assert used - runtime_closure() - OPTIONAL == set()


# ------------------------------------------------------------------ the health check script


async def run_healthcheck(kind: str, env: dict[str, str]) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HEALTHCHECK),
        kind,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'gen'}", **env},
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


@pytest.mark.integration  # runs the processes
async def test_healthcheck_grpc_follows_the_server() -> None:
    port = free_port()
    env = {"TONGBAN_GRPC_LISTEN": f"0.0.0.0:{port}"}  # as in the image: it asks 127.0.0.1
    service = Service("probe", f"127.0.0.1:{port}")
    await service.start()
    try:
        assert await run_healthcheck("grpc", env) == 0
    finally:
        await service.stop(grace=0.5)
    assert await run_healthcheck("grpc", env) == 1


class _Healthz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def healthz_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", free_port()), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.integration  # runs the processes
async def test_healthcheck_http_is_healthy_only_on_200(healthz_server: http.server.HTTPServer) -> None:
    env = {"TONGBAN_HTTP_LISTEN": f"0.0.0.0:{healthz_server.server_address[1]}"}
    _Healthz.status = 200
    assert await run_healthcheck("http", env) == 0
    _Healthz.status = 503  # the gateway's answer when a dependency is down
    assert await run_healthcheck("http", env) == 1
    env = {"TONGBAN_HTTP_LISTEN": f"0.0.0.0:{free_port()}"}
    assert await run_healthcheck("http", env) == 1


@pytest.mark.integration  # runs the processes
async def test_healthcheck_usage() -> None:
    assert await run_healthcheck("bogus", {}) == 2

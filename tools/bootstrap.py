"""Installs what a machine lacks for Tongban, and nothing more than the command needs:

    python3 -m tools.bootstrap dev    # make dev: Java, Maven, PostgreSQL, the runtime Python
                                      # packages (.venv), the Kafka jars
    python3 -m tools.bootstrap tools  # make lint, make test-fast: + the whole requirements.lock
    python3 -m tools.bootstrap test   # make test, CI: + coturn, Chromium, the deploy checks'
                                      # tools, SeaweedFS (built once from the Go module proxy)

Run with the machine's Python 3 (no .venv yet): it uses the standard library only. Safe to
run again: each part checks before it installs, so a second run costs a few checks. The
independent parts run side by side (the Python packages, the Kafka jars, the SeaweedFS
build), with a line of progress every ten seconds. Caches stay outside the work tree
(pip's, ~/.m2, ~/.cache/tongban), so a fresh clone on a machine that has them is quick.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tools.engines import KAFKA_LIBS, REPO_ROOT, EngineError, ensure_kafka_jars, ensure_weed, weed_binary

PROFILES = ("dev", "tools", "test")
VENV = REPO_ROOT / ".venv"
LOCK = REPO_ROOT / "requirements.lock"
PYPROJECT = REPO_ROOT / "pyproject.toml"


@dataclass(frozen=True)
class SystemPackage:
    name: str  # Debian's
    present: Callable[[], bool]
    profile: str  # the first profile that needs it


def on_path(program: str) -> Callable[[], bool]:
    return lambda: shutil.which(program) is not None


SYSTEM_PACKAGES = [
    SystemPackage("openjdk-17-jre-headless", on_path("java"), "dev"),
    SystemPackage("maven", on_path("mvn"), "dev"),
    SystemPackage("postgresql", lambda: any(Path("/usr/lib/postgresql").glob("*/bin/initdb")), "dev"),
    SystemPackage("coturn", on_path("turnserver"), "test"),  # the window's TURN test
    SystemPackage("chromium", on_path("chromium"), "test"),
    SystemPackage("chromium-driver", on_path("chromedriver"), "test"),
    # the consoles are Chinese first: without a CJK font the browser tests see empty boxes
    SystemPackage(
        "fonts-wqy-zenhei", lambda: Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc").exists(), "test"
    ),
]
STARTS_A_SERVICE = {"postgresql", "coturn"}  # Debian starts them; Tongban runs its own
BUILDS = {"SeaweedFS", "deploy tools"}  # the long ones, from source


class BootstrapError(RuntimeError):
    pass


def needs(profile: str, wanted: str) -> bool:
    """Whether `profile` includes what `wanted` (a profile) needs."""
    return PROFILES.index(profile) >= PROFILES.index(wanted)


# ------------------------------------------------------------------ system packages


def missing_system_packages(profile: str) -> list[str]:
    return [p.name for p in SYSTEM_PACKAGES if needs(profile, p.profile) and not p.present()]


def install_system_packages(names: list[str]) -> Callable[[Job], None]:
    def run(job: Job) -> None:
        if os.geteuid() != 0:
            raise BootstrapError(f"need root to install {' '.join(names)} (or install them yourself)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        log = REPO_ROOT / ".stack" / "apt.log"
        job.state = "apt-get update"
        follow(["apt-get", "update"], job, re.compile("^$"), "", log, env)
        # unsafe-io: no fsync per unpacked file (as Debian's container images do); a crash
        # mid-install is repaired by installing again
        install = ["apt-get", "install", "-y", "--no-install-recommends"]
        install += ["-o", "Dpkg::Options::=--force-unsafe-io", *names]
        follow(
            install,
            job,
            re.compile(r"^(Get:|Unpacking|Setting up)"),
            "steps",
            log.with_suffix(".install.log"),
            env,
        )
        for name in STARTS_A_SERVICE & set(names):
            subprocess.run(["service", name, "stop"], capture_output=True)

    return run


# ------------------------------------------------------------------ Python packages


def python_311() -> str:
    """The interpreter for .venv: this one if it is 3.11, else python3.11 on PATH."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if found is None:
        raise BootstrapError("Python 3.11 is needed (python3.11 on PATH)")
    return found


def runtime_requirements() -> list[str]:
    """[project].dependencies: what the services, the gateway and the CLI import."""
    with PYPROJECT.open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def stamp(profile: str) -> Path:
    """Stands for the Python packages of `profile` at the current lock and pyproject."""
    digest = hashlib.sha256(LOCK.read_bytes() + PYPROJECT.read_bytes()).hexdigest()[:16]
    return VENV / f".installed-{'runtime' if profile == 'dev' else 'full'}-{digest}"


def python_packages_current(profile: str) -> bool:
    """The full set serves `dev` too."""
    return stamp(profile).exists() or stamp("test").exists()


@dataclass
class Job:
    """A part of the installation that runs beside the others once the jobs it comes `after`
    are done, with a word on how far it got."""

    name: str
    run: Callable[[Job], None]
    after: tuple[str, ...] = ()
    state: str = "waiting"
    error: BaseException | None = None
    seconds: float = 0.0
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def start(self, others: dict[str, Job]) -> threading.Thread:
        def body() -> None:
            try:
                for name in self.after:
                    if name in others:
                        others[name].finished.wait()
                        if others[name].error is not None:
                            raise BootstrapError(f"not run: it needs {name}")
                started = time.monotonic()
                self.state = "working"
                self.run(self)
                self.seconds = time.monotonic() - started
                self.state = "done"
            except BaseException as error:  # reported by the caller, with the others'
                self.error, self.state = error, "failed"
            finally:
                self.finished.set()

        thread = threading.Thread(target=body, name=self.name, daemon=True)
        thread.start()
        return thread


def follow(
    command: list[str],
    job: Job,
    counted: re.Pattern[str],
    noun: str,
    log: Path,
    env: dict[str, str] | None = None,
) -> None:
    """Runs `command`, its output to `log`, counting the lines that match into job.state."""
    count = 0
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if counted.search(line):
                count += 1
                job.state = f"{count} {noun}"
        if process.wait() != 0:
            raise BootstrapError(f"{' '.join(command[:4])} … failed; see {log}")


def install_python(profile: str) -> Callable[[Job], None]:
    def run(job: Job) -> None:
        if not (VENV / "bin" / "python").exists():
            job.state = "creating .venv"
            subprocess.run([python_311(), "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        # dev: the runtime set at the lock's versions, as the images have it; else all of it
        runtime = ["-c", str(LOCK), *runtime_requirements()]
        wanted = runtime if profile == "dev" else ["-r", str(LOCK)]
        log = VENV / "pip.log"
        follow([*pip, *wanted], job, re.compile(r"^(Collecting|Requirement already)"), "packages", log)
        job.state = "installing tongban"
        follow(
            [*pip, "--no-deps", "-e", str(REPO_ROOT)], job, re.compile("^$"), "", log.with_suffix(".e.log")
        )
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp(profile).touch()

    return run


# ------------------------------------------------------------------ the rest


def kafka_jars(job: Job) -> None:
    job.state = "Maven"
    ensure_kafka_jars()


def weed(job: Job) -> None:
    def phase(text: str) -> None:
        job.state = text.split(" (")[0]

    ensure_weed(progress_every_s=3600, on_phase=phase)  # the ticker below reports


def deploy_tools(job: Job) -> None:
    """deploycheck/build_tools.sh; its steps ("==> kustomize ...") become the job's state."""
    log = REPO_ROOT / ".stack" / "deploy-tools.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "deploycheck/build_tools.sh"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        for line in process.stderr:
            out.write(line)
            if line.startswith("==> "):
                job.state = line[4:].strip()[:60]
        if process.wait() != 0:
            raise BootstrapError(f"building the deploy checks' tools failed; see {log}")


def run_side_by_side(jobs: list[Job], every_s: float = 10.0) -> None:
    """Runs the jobs together (each after the ones it needs), saying every `every_s` seconds
    how far each got."""
    by_name = {job.name: job for job in jobs}
    threads = [job.start(by_name) for job in jobs]
    started = last = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.2)
        if time.monotonic() - last >= every_s:
            last = time.monotonic()
            states = " | ".join(f"{j.name}: {j.state}" for j in jobs if j.state != "done")
            print(f"    {last - started:4.0f}s  {states}", flush=True)
    for job in jobs:
        print(f"    {job.name:<16} {job.state} ({job.seconds:.0f}s)", flush=True)
    failed = [j for j in jobs if j.error is not None]
    if failed:
        raise BootstrapError("; ".join(f"{j.name}: {j.error}" for j in failed))


def jobs_for(profile: str, builds: str = "with") -> list[Job]:
    """What is missing for `profile`, as jobs: Maven needs the system packages (Java, Maven),
    the deploy tools the venv; the Python packages and the SeaweedFS build (Go) need neither,
    so they start at once. `builds`: "with" the test engines' builds (SeaweedFS, the deploy
    tools), "without" them, or "only" them."""
    if builds == "only":
        return [j for j in jobs_for(profile) if j.name in BUILDS]
    jobs = []
    missing = missing_system_packages(profile)
    if missing:
        jobs.append(Job("system packages", install_system_packages(missing)))
    if not python_packages_current(profile):
        jobs.append(Job("Python packages", install_python(profile)))
    if not (KAFKA_LIBS.is_dir() and any(KAFKA_LIBS.glob("kafka_2.13-*.jar"))):
        jobs.append(Job("Kafka jars", kafka_jars, after=("system packages",)))
    if needs(profile, "test") and builds == "with":
        if not weed_binary().exists():
            jobs.append(Job("SeaweedFS", weed))
        # its own stamps tell what is current: a second run is a quick check
        jobs.append(Job("deploy tools", deploy_tools, after=("system packages", "Python packages")))
    return jobs


def bootstrap(profile: str, builds: str = "with") -> None:
    began = time.monotonic()
    jobs = jobs_for(profile, builds)
    if jobs:
        print(f"==> installing for {profile}: {', '.join(j.name for j in jobs)}", flush=True)
        run_side_by_side(jobs)
    ready = {"dev": "make dev", "tools": "make lint and make test-fast", "test": "make test"}[profile]
    print(f"==> ready for {ready} ({time.monotonic() - began:.0f}s)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profile", choices=PROFILES)
    parser.add_argument(
        "--builds",
        choices=["with", "without", "only"],
        default="with",
        help="the test engines' builds (SeaweedFS, the deploy tools): CI runs them beside the tests",
    )
    args = parser.parse_args()
    try:
        bootstrap(args.profile, args.builds)
    except (BootstrapError, EngineError, subprocess.CalledProcessError) as error:
        print(f"\nbootstrap: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The real engines on one machine, no Docker: a single-node Apache Kafka in KRaft mode (jars
from Maven Central via deploy/kafka/pom.xml), a private PostgreSQL cluster (initdb), and for
the tests SeaweedFS as an S3-compatible store (built from the Go module proxy) and coturn as
a TURN server (Debian's).

Used by `make dev` (tools/stack.py) and by the test suite's session fixtures, so the tests
run against exactly what developers run. Everything binds 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tools.ports import free_block
from tools.ports import free_port as free_port  # where the engines' callers find it

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LIBS = REPO_ROOT / "deploy" / "kafka" / "target" / "libs"


class EngineError(RuntimeError):
    pass


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for(check: object, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    tail = ""
    if log and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    raise EngineError(f"{what} did not come up within {timeout:.0f}s{tail}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    if not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            if not pid_alive(pid):
                return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------- Kafka


def ensure_kafka_jars() -> Path:
    """Fetches the broker jars through Maven (cached in ~/.m2: a second run downloads nothing)."""
    if not (KAFKA_LIBS.is_dir() and any(KAFKA_LIBS.glob("kafka_2.13-*.jar"))):
        if shutil.which("mvn") is None:
            raise EngineError("Maven (mvn) is needed to fetch the Kafka jars: apt-get install maven")
        log = KAFKA_LIBS.parent / "maven.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            done = subprocess.run(
                ["mvn", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies"], stdout=out, stderr=out
            )
        if done.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise EngineError(f"Maven could not fetch the Kafka jars (log: {log}):\n{tail}")
    return KAFKA_LIBS


LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = {level}
rootLogger.appenderRef.file.ref = file
"""


@dataclass
class KafkaNode:
    """One broker+controller in KRaft mode under `home`, listening on 127.0.0.1:`port`."""

    home: Path
    port: int
    controller_port: int
    heap: str = "768m"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "kafka.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"log.dirs={self.home / 'data'}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                ]
            )
            + "\n"
        )
        (self.home / "log4j2.properties").write_text(
            LOG4J2.format(log=self.home / "broker.log", level="WARN")
        )
        return config

    def _java(self, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise EngineError("Java 17 is needed for Kafka: apt-get install openjdk-17-jre-headless")
        return [
            java,
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",  # C1 only: much faster start-up, plenty for one node
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{ensure_kafka_jars()}/*",
            main,
            *args,
        ]

    def running_pid(self) -> int | None:
        if self.pid_file.exists():
            pid = int(self.pid_file.read_text().strip() or 0)
            if pid and pid_alive(pid):
                return pid
        return None

    def start(self, timeout: float = 90.0) -> None:
        if self.running_pid():
            return
        config = self._write_config()
        if not (self.home / "data" / "meta.properties").exists():
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            # "=" form: a base64 id may begin with "-", which the tool would take for an option
            formatted = subprocess.run(
                self._java(
                    "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config)
                ),
                capture_output=True,
                text=True,
            )
            if formatted.returncode != 0:
                raise EngineError(f"formatting Kafka storage failed: {formatted.stdout}{formatted.stderr}")
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                cwd=self.home,  # how the local stack knows its broker (tools/stack.py)
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(str(self.process.pid))
        wait_for(self.ready, timeout, "Kafka", self.home / "broker.log")

    def ready(self) -> bool:
        """Whether the broker answers an admin request (it runs, and is not starting)."""
        if self.process is not None and self.process.poll() is not None:
            raise EngineError(f"Kafka exited with {self.process.returncode}; see {self.log_file}")
        if not port_open(self.port):
            return False
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            admin.describe_cluster()
            admin.close()
            return True
        except (KafkaError, OSError):
            return False

    def stop(self) -> None:
        pid = self.running_pid()
        if pid:
            terminate(pid)
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        self.pid_file.unlink(missing_ok=True)


# ---------------------------------------------------------------------- PostgreSQL


def postgres_bin() -> Path:
    """The PostgreSQL server binaries (Debian keeps them out of PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise EngineError("PostgreSQL server not installed: apt-get install postgresql")


def _server_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as the `postgres` system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise EngineError("running as root needs a `postgres` user (Debian's package adds it)") from exc
    return "postgres"


def can_enter(user: str, folder: Path) -> bool:
    """Whether `user` may reach `folder`: search permission on it and on every folder above
    it (access(2) checks the whole path, as the server will)."""
    done = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(folder)], capture_output=True)
    return done.returncode == 0


# Where the server's files go when its user cannot reach the checkout (a sticky, world-
# enterable folder that outlives a reboot, like the data it holds).
SERVER_FALLBACK = Path("/var/tmp")


@dataclass
class PostgresNode:
    """A private cluster under `home`, listening on 127.0.0.1:`port`, trust auth for loopback."""

    home: Path
    port: int
    user: str = "tongban"
    fast: bool = False  # tests skip fsync for speed; `make dev` does not

    @cached_property
    def server_home(self) -> Path:
        """Where the server writes its data, log and socket: `home`, unless the server's user
        cannot reach it (run as root, the server is the `postgres` user, and a checkout under
        a mode-0700 home or a `mktemp -d` folder is closed to it). Then a folder of its own
        under /var/tmp named after `home`, so the next start finds the same cluster; `home`
        links to it (`server`)."""
        who = _server_user()
        existing = next(p for p in [self.home, *self.home.parents] if p.exists())
        if who is None or can_enter(who, existing):  # what we create below it is open to all
            return self.home
        if not can_enter(who, SERVER_FALLBACK):
            raise EngineError(
                f"PostgreSQL runs as the `{who}` user (it refuses to run as root), who can enter"
                f" neither {existing} nor {SERVER_FALLBACK}: let it in (chmod o+x on the"
                " folders above one of them) or start from a checkout it can reach"
            )
        digest = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:12]
        return SERVER_FALLBACK / f"tongban-postgres-{digest}"

    @property
    def data(self) -> Path:
        return self.server_home / "data"

    @property
    def log_file(self) -> Path:
        return self.server_home / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[bytes]:
        program = Path(args[0]).name
        who = _server_user()
        if who:
            args = ["runuser", "-u", who, "--", *args]
        done = subprocess.run(args, capture_output=True)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace").strip()
            raise EngineError(f"{program} failed ({' '.join(args)}):\n{output}")
        return done

    def running_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            first = pid_file.read_text().splitlines()[:1]
            if first and first[0].isdigit() and pid_alive(int(first[0])):
                return int(first[0])
        return None

    def start(self, timeout: float = 60.0) -> None:
        if self.running_pid():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        self.server_home.mkdir(mode=0o700, exist_ok=True)
        who = _server_user()
        if who:
            shutil.chown(self.server_home, who, who)
        if self.server_home != self.home:
            link = self.home / "server"
            if not link.is_symlink():
                link.symlink_to(self.server_home)
        bindir = postgres_bin()
        if not (self.data / "PG_VERSION").exists():
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    self.user,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {self.server_home}",
            "-c max_connections=200",
            "-c shared_buffers=256MB",
        ]
        if self.fast:
            # Safe against a crashed server process (the OS keeps written pages), which is what
            # the adversity tests simulate; only a machine crash could lose data. Never turn off
            # synchronous_commit here: it acknowledges commits a process crash then loses.
            options += ["-c fsync=off", "-c full_page_writes=off"]
        self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log_file),
                "-o",
                " ".join(options),
                "-w",
                "-t",
                str(int(timeout)),
                "start",
            ]
        )
        wait_for(lambda: port_open(self.port), timeout, "PostgreSQL", self.log_file)

    def stop(self, mode: str = "fast") -> None:
        if self.running_pid():
            self._run([str(postgres_bin() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def restart(self) -> None:
        """Immediate stop (like a crash) and start again: for adversity tests."""
        self.stop(mode="immediate")
        self.start()

    def remove(self) -> None:
        """Deletes the stopped cluster's files, outside `home` too."""
        if self.server_home != self.home:
            shutil.rmtree(self.server_home, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)


# ---------------------------------------------------------------------- SeaweedFS (S3)

# SeaweedFS (Apache-2.0) gives the tests a real S3-compatible server. Its `weed` binary is
# built from the Go module proxy once per version; its module has a replace directive, so
# `go install module@version` refuses it, and it is built inside its downloaded module.
SEAWEEDFS_MODULE = "github.com/seaweedfs/seaweedfs"
SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6"
# Outside the work tree, like ~/.m2 for the Kafka jars: a fresh clone (CI) or `make clean`
# does not pay the build again on a machine that has it.
TOOLS_BIN = Path(
    os.environ.get("TONGBAN_TOOLS_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tongban" / "bin"
)


def weed_binary() -> Path:
    return TOOLS_BIN / f"weed-{SEAWEEDFS_VERSION}"


def ensure_weed(progress_every_s: float = 30.0, on_phase: Callable[[str], None] = print) -> Path:
    """The `weed` binary, built on first use (several minutes from an empty Go cache)."""
    binary = weed_binary()
    if binary.exists():
        return binary
    TOOLS_BIN.mkdir(parents=True, exist_ok=True)
    # one build at a time: a second caller (CI's tests while bootstrap builds, another
    # clone) waits for the first and uses its binary
    with (TOOLS_BIN / "weed-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists():
            return binary
        return _build_weed(binary, progress_every_s, on_phase)


def _build_weed(binary: Path, progress_every_s: float, on_phase: Callable[[str], None]) -> Path:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise EngineError("Go 1.26 or newer is needed to build SeaweedFS for the S3 tests")
    # the machine's own Go; the module asks for go 1.26.6, which it covers
    env = dict(
        os.environ,
        GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "local"),
        GOFLAGS="-buildvcs=false",
        CGO_ENABLED="0",
    )  # pure Go: no C compiler needed
    TOOLS_BIN.mkdir(parents=True, exist_ok=True)
    log = TOOLS_BIN / "weed-build.log"
    started = time.monotonic()
    on_phase(f"downloading its Go modules (once; log in {log})")
    with log.open("wb") as out:
        downloaded = subprocess.run(
            [go, "mod", "download", "-json", f"{SEAWEEDFS_MODULE}@{SEAWEEDFS_VERSION}"],
            env=env,
            capture_output=True,
            check=False,
        )
        out.write(downloaded.stdout + downloaded.stderr)
        if downloaded.returncode != 0:
            raise EngineError(f"go mod download of SeaweedFS failed; see {log}")
        source = Path(json.loads(downloaded.stdout)["Dir"])
        on_phase(f"compiling weed {SEAWEEDFS_VERSION}")
        partial = binary.with_name(binary.name + ".partial")
        build = subprocess.Popen(
            [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(partial), "./weed"],
            cwd=source,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        while True:
            try:
                build.wait(timeout=progress_every_s)
                break
            except subprocess.TimeoutExpired:
                on_phase(f"compiling weed: {time.monotonic() - started:.0f} s")
    if build.returncode != 0:
        raise EngineError(f"building SeaweedFS failed; see {log}")
    partial.replace(binary)  # only a finished build carries the versioned name
    on_phase(f"weed built in {time.monotonic() - started:.0f} s")
    return binary


@dataclass
class SeaweedNode:
    """`weed server` (master, volume, filer, S3 gateway in one process) under `home`, all on
    127.0.0.1, its S3 API on `s3_port` refusing any request not signed with the one identity
    it knows."""

    home: Path
    s3_port: int
    access_key: str = "tongban"
    secret_key: str = field(default_factory=lambda: base64.b64encode(os.urandom(24)).decode())
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # the inner servers' ports, chosen once: a restart finds its cluster where it left it
    ports: dict[str, int] = field(
        default_factory=lambda: {
            name: free_port()
            for name in (
                "master",
                "master.port.grpc",
                "volume",
                "volume.port.grpc",
                "filer",
                "filer.port.grpc",
                "s3.port.grpc",
            )
        }
    )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def log_file(self) -> Path:
        return self.home / "weed.log"

    def _write_config(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "s3.json"
        # no anonymous identity: an unsigned or wrongly signed request is refused
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "tongban",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )
        # read from the working directory: every bucket is a collection with volumes of its
        # own, and the default grows seven at a time (a test suite makes many buckets)
        (self.home / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")
        return config

    def start(self, timeout: float = 90.0) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        weed = ensure_weed()
        config = self._write_config()
        (self.home / "data").mkdir(exist_ok=True)
        ports = self.ports
        args = [
            str(weed),
            "server",
            f"-dir={self.home / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master.port.grpc']}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['volume.port.grpc']}",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer.port.grpc']}",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={ports['s3.port.grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",  # extra listeners we do not use
            f"-s3.config={config}",
            "-master.telemetry=false",  # never call home
            "-s3.autoCreateBucket=false",  # like AWS: a missing bucket is NoSuchBucket
            "-master.volumeSizeLimitMB=64",
            "-volume.max=200",  # sparse files: small until used
            "-volume.preStopSeconds=0",  # one node: no peers to hand over to, stop at once
            "-master.electionTimeout=1s",  # a single master elects itself; do not wait 10 s
            f"-filer.localSocket={self.home / 'filer.sock'}",
            f"-s3.localSocket={self.home / 's3.sock'}",
        ]
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.home
            )
        wait_for(self._ready, timeout, "SeaweedFS S3", self.log_file)

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise EngineError(f"weed exited with {self.process.returncode}; see {self.log_file}")
        if not port_open(self.s3_port):
            return False
        import httpx

        from services.intake import sigv4

        # a signed ListBuckets answers 200 only once the filer behind the gateway is up
        headers = sigv4.sign(
            sigv4.Credentials(self.access_key, self.secret_key), "GET", f"127.0.0.1:{self.s3_port}", "/"
        )
        try:
            return httpx.get(self.endpoint + "/", headers=headers, timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, SIGKILL after `grace_s` (its first shutdown can linger for 15 s)."""
        if self.process is not None:
            terminate(self.process.pid, timeout=grace_s)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


# ---------------------------------------------------------------------- coturn (TURN)


@dataclass
class TurnNode:
    """Debian's coturn on 127.0.0.1 checking TURN REST credentials made from `secret`, its
    relay ports a block outside the ephemeral range (for the window's TURN test)."""

    home: Path
    secret: str
    port: int = field(default_factory=free_port)
    relay_ports: int = 50
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    @property
    def log_file(self) -> Path:
        return self.home / "turn.log"

    def start(self, timeout: float = 15.0) -> None:
        binary = shutil.which("turnserver")
        if binary is None:
            raise EngineError(
                "coturn's turnserver is missing: make test installs it (apt-get install coturn)"
            )
        self.home.mkdir(parents=True, exist_ok=True)
        low = free_block(self.relay_ports)
        args = [
            binary,
            "-n",  # no configuration file: everything is on this line
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={self.port}",
            f"--min-port={low}",
            f"--max-port={low + self.relay_ports - 1}",
            "--use-auth-secret",
            f"--static-auth-secret={self.secret}",
            "--realm=tongban",
            "--allow-loopback-peers",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--fingerprint",
            f"--pidfile={self.home / 'turn.pid'}",
            f"--log-file={self.log_file}",
        ]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise EngineError(f"turnserver exited with {self.process.returncode}; see {self.log_file}")
            return port_open(self.port)  # it listens on TCP and UDP alike

        wait_for(ready, timeout, "coturn", self.log_file)

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process.pid, timeout=10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            self.process = None

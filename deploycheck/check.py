"""Checks every deployment file offline: `python -m deploycheck.check` (`make deploy-check`).

- docker-compose.yml through the real Compose CLI (`docker compose config`), and each
  service's environment against the settings its code declares;
- the Dockerfiles (deploy/docker/base and one per process): hadolint (with ShellCheck on
  RUN lines); each image's command, user, ENV and health check, as the code expects them;
- each k8s overlay rendered by kustomize and validated by kubeconform, strictly, against the
  Kubernetes schemas of the oldest and newest supported versions and the Strimzi and
  CloudNativePG CRDs; containers' environments against the settings; pod hardening;
- the generated Strimzi topics are current with deploy/topics.yaml.

The tools come from deploycheck/build_tools.sh (built once, cached in .stack/tools/). The tests
in tests/deploy call the same functions.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from deploycheck import secrets as deploy_secrets
from deploycheck import topics as deploy_topics
from deploycheck.settings import ProcessSettings, discover
from services.shared import topics

Doc = dict[str, Any]
REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_SCRIPT = REPO_ROOT / "deploycheck" / "build_tools.sh"
DOCKER_DIR = REPO_ROOT / "deploy" / "docker"
BASE_DOCKERFILE = DOCKER_DIR / "base" / "Dockerfile"
BASE_CONTEXT = "base"  # the named build context every process's Dockerfile starts FROM
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
OVERLAYS = ("dev", "prod")
SECRET_OBJECTS = {"tongban-secrets", "tongban-pg-app"}  # the only Secrets manifests may read
APP_SECRETS = "tongban-secrets"  # made from deploycheck/secrets.py
# third-party images that must write their own root file system, and why
WRITABLE_ROOT = {"kafka": "apache/kafka writes its generated server.properties at start"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def kube_versions() -> list[str]:
    """The Kubernetes versions validated against, as deploycheck/build_tools.sh installs them."""
    match = re.search(r'^KUBE_VERSIONS="([^"]+)"', TOOLS_SCRIPT.read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError("KUBE_VERSIONS missing from deploycheck/build_tools.sh")
    return match.group(1).split()


def install_tools() -> Path:
    """Builds or reuses the tools; returns their folder. Fails loudly if they cannot be had."""
    done = subprocess.run(
        ["bash", str(TOOLS_SCRIPT)], cwd=REPO_ROOT, check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(done.stdout.strip().splitlines()[-1])


def run(command: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, **kw)


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def host_of(address: str) -> str:
    return address.rsplit(":", 1)[0]


# ------------------------------------------------------------------ kubernetes


def render(tools: Path, overlay: str) -> str:
    done = run([str(tools / "bin" / "kustomize"), "build", f"k8s/overlays/{overlay}"])
    if done.returncode:
        raise RuntimeError(f"kustomize build {overlay}: {done.stderr}")
    return done.stdout


def load_docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def kubeconform(tools: Path, manifests: str, version: str) -> subprocess.CompletedProcess[str]:
    """Strict validation; a kind without a schema is an error, never skipped."""
    schemas = tools / "schemas"
    return run(
        [
            str(tools / "bin" / "kubeconform"),
            "-strict",
            "-summary",
            "-kubernetes-version",
            version,
            "-schema-location",
            str(schemas / "kubernetes") + "/{{ .NormalizedKubernetesVersion }}"
            "-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "-schema-location",
            str(schemas / "crds") + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
            "-",
        ],
        input=manifests,
    )


def pod_templates(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    """(workload, pod template spec) for every workload in the manifests."""
    return [(d, d["spec"]["template"]["spec"]) for d in docs if d.get("kind") in WORKLOADS]


def container_env(docs: list[Doc], container: Doc) -> dict[str, Any]:
    """A container's environment: names from env and envFrom ConfigMaps -> value (a string)
    or, for a reference, its valueFrom dict. Later entries win, as in Kubernetes."""
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d.get("kind") == "ConfigMap"}
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps.get(source["configMapRef"]["name"], {}))
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def _selects(selector: Doc, labels: Doc) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def service_ports(docs: list[Doc], name: str) -> tuple[dict[int, int], Doc] | None:
    """Service `name`: its port -> the container port it reaches, and its selector."""
    service = next((d for d in docs if d.get("kind") == "Service" and d["metadata"]["name"] == name), None)
    if service is None:
        return None
    selector = service["spec"].get("selector", {})
    named: dict[str, int] = {}
    for workload, spec in pod_templates(docs):
        if _selects(selector, workload["spec"]["template"]["metadata"].get("labels", {})):
            for c in spec["containers"]:
                named.update({p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p})
    ports = {}
    for port in service["spec"]["ports"]:
        target = port.get("targetPort", port["port"])
        ports[port["port"]] = named.get(target, -1) if isinstance(target, str) else int(target)
    return ports, selector


def k8s_env_problems(docs: list[Doc], settings: dict[str, ProcessSettings]) -> list[str]:
    """Each Tongban container's TONGBAN_* settings, from env and envFrom ConfigMaps: names
    against the code, secrets from Secrets only, listen addresses on the container's ports,
    and every <service>_ADDR at a Service that reaches that service's gRPC port."""
    problems = []
    generated = set(deploy_secrets.names())
    labels_of = {
        w["metadata"]["name"]: w["spec"]["template"]["metadata"].get("labels", {})
        for w, _ in pod_templates(docs)
    }
    for workload, spec in pod_templates(docs):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        for container in spec["containers"]:
            if any("configMapRef" not in s for s in container.get("envFrom", [])):
                # a whole Secret hides which names it sets: name each key instead
                problems.append(f"{where}: envFrom other than a ConfigMap")
            env = container_env(docs, container)
            for value in env.values():
                ref = value.get("secretKeyRef") if isinstance(value, dict) else None
                if ref and ref["name"] not in SECRET_OBJECTS:
                    problems.append(f"{where}: reads unknown Secret {ref['name']}")
                if ref and ref["name"] == APP_SECRETS and ref["key"] not in generated:
                    problems.append(f"{where}: deploycheck/secrets.py makes no {ref['key']}")
            process = settings.get(container["name"])
            if process is None:
                continue
            problems += process.problems(env, where)
            for name in sorted(process.secrets & set(env)):
                if not isinstance(env[name], dict) or "secretKeyRef" not in env[name]:
                    problems.append(f"{where}: secret {name} is not read from a Secret")
            ports = {p["containerPort"] for p in container.get("ports", [])}
            for name in sorted(process.listens):
                value = env.get(name)
                if not isinstance(value, str) or host_of(value) != "0.0.0.0" or port_of(value) not in ports:
                    problems.append(f"{where}: {name}={value} does not bind 0.0.0.0 on a container port")
            for name, callee in sorted(process.addresses.items()):
                value = env.get(name)
                problems += _address_problems(docs, settings, labels_of, where, name, value, callee)
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            for name in sorted(process.folders):
                if env.get(name) not in mounts:
                    problems.append(
                        f"{where}: {name}={env.get(name)} is not a mounted volume "
                        "(the root file system is read-only)"
                    )
    return problems


def _address_problems(
    docs: list[Doc],
    settings: dict[str, ProcessSettings],
    labels_of: dict[str, Doc],
    where: str,
    name: str,
    value: Any,
    callee: str,
) -> list[str]:
    if callee not in settings:
        return []  # that service does not exist yet
    if not isinstance(value, str):
        return [f"{where}: {name} is not set (it would default to 127.0.0.1)"]
    found = service_ports(docs, host_of(value))
    if found is None:
        return [f"{where}: {name}={value}: no Service {host_of(value)}"]
    ports, selector = found
    callee_env = {}
    for _, spec in pod_templates(docs):
        for container in spec["containers"]:
            if container["name"] == callee:
                callee_env = container_env(docs, container)
    listen = callee_env.get("TONGBAN_GRPC_LISTEN")
    if not _selects(selector, labels_of.get(callee, {})):
        return [f"{where}: {name}={value}: Service {host_of(value)} does not select {callee}"]
    if not isinstance(listen, str) or ports.get(port_of(value)) != port_of(listen):
        return [f"{where}: {name}={value} does not reach {callee}'s gRPC port"]
    return []


def security_problems(docs: list[Doc]) -> list[str]:
    """Pod hardening: what the restricted Pod Security Standard asks, and more."""
    problems = []
    for workload, spec in pod_templates(docs):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: no RuntimeDefault seccomp profile")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: mounts a service account token it does not use")
        if spec.get("enableServiceLinks") is not False:
            problems.append(f"{where}: service link variables enter the environment")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            ctx = c.get("securityContext", {})
            if ctx.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: {c['name']} may escalate privileges")
            if ctx.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: {c['name']} does not drop all capabilities")
            if ctx.get("privileged"):
                problems.append(f"{where}: {c['name']} is privileged")
            if ctx.get("readOnlyRootFilesystem") is not True and c["name"] not in WRITABLE_ROOT:
                problems.append(f"{where}: {c['name']} has a writable root file system")
            if ctx.get("readOnlyRootFilesystem") is True:
                tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
                if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
                    problems.append(f"{where}: {c['name']} has a read-only root and no /tmp")
            resources = c.get("resources", {})
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in resources.get(part, {}):
                        problems.append(f"{where}: {c['name']} has no {what} {part[:-1]}")
    return problems


# ------------------------------------------------------------------ compose


def compose_command(tools: Path) -> list[str]:
    """The Docker CLI's compose plugin when there is one, else the one deploy_tools built."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"]).returncode == 0:
        return [docker, "compose"]
    return [str(tools / "bin" / "docker-compose")]


def compose_config(
    tools: Path, env: dict[str, str], path: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with exactly `env` as the interpolation environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TONGBAN_", "COMPOSE_"))} | env
    return run(
        [*compose_command(tools), "--env-file", os.devnull, "-f", str(path), "config", "--format", "json"],
        env=clean,
    )


def stand_in_secrets() -> dict[str, str]:
    """Values for `config` only, one per secret the code reads."""
    return {name: deploy_secrets.value_for(name) for name in deploy_secrets.names()}


def compose_env_problems(config: Doc, settings: dict[str, ProcessSettings]) -> list[str]:
    """Each process's environment in the resolved compose file: names against the code,
    listen addresses on 0.0.0.0, every <service>_ADDR at that compose service's gRPC port."""
    problems = []
    services = config["services"]
    for name, process in settings.items():
        where = f"compose service {name}"
        if name not in services:
            problems.append(f"{where} is missing")
            continue
        env = services[name].get("environment") or {}
        problems += process.problems(env, where)
        for key in sorted(process.listens):
            value = env.get(key) or ""
            if host_of(value) != "0.0.0.0":
                problems.append(f"{where}: {key}={value or '(image default)'} must bind 0.0.0.0")
        mounts = {v["target"] for v in services[name].get("volumes", [])}
        mounts |= {t.split(":")[0] for t in services[name].get("tmpfs", [])}
        for key in sorted(process.folders):
            if env.get(key) not in mounts:
                problems.append(
                    f"{where}: {key}={env.get(key)} is not a volume or tmpfs "
                    "(the root file system is read-only)"
                )
        for key, callee in sorted(process.addresses.items()):
            if callee not in settings:
                continue
            value = env.get(key)
            listen = (services.get(callee, {}).get("environment") or {}).get("TONGBAN_GRPC_LISTEN", "")
            if not value or host_of(value) != callee or not listen or port_of(value) != port_of(listen):
                problems.append(f"{where}: {key}={value} does not reach {callee} ({listen})")
    return problems


# ------------------------------------------------------------------ Dockerfiles


@dataclass
class Stage:
    """One stage of a Dockerfile, as far as the checks need it."""

    name: str
    base: str
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    healthcheck: str | None = None
    cmd: list[str] | None = None
    copies: list[list[str]] = field(default_factory=list)  # COPY sources (not --from)


def dockerfile_stages(path: Path, parents: dict[str, Stage] | None = None) -> dict[str, Stage]:
    """Stages by name; a stage built FROM another (or FROM a named context in `parents`)
    inherits its ENV, USER, HEALTHCHECK and CMD. The last stage is also under ""."""
    text = re.sub(r"\\\n", " ", path.read_text("utf-8"))
    known = dict(parents or {})
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else parts[0]
            parent = stages.get(parts[0]) or known.get(parts[0])
            current = Stage(name, parts[0])
            if parent:
                current.env = dict(parent.env)
                current.user, current.healthcheck = parent.user, parent.healthcheck
                current.cmd = parent.cmd
            stages[name] = stages[""] = current
        elif current is None:
            continue
        elif word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                current.env[key] = value
        elif word == "USER":
            current.user = rest.strip()
        elif word == "HEALTHCHECK":
            current.healthcheck = rest.strip()
        elif word == "CMD":
            current.cmd = json.loads(rest)
        elif word == "COPY" and "--from=" not in rest:
            sources = [p for p in rest.split() if not p.startswith("--")][:-1]
            current.copies.append(sources)
    return stages


def process_dockerfile(process: str) -> Path:
    return DOCKER_DIR / process / "Dockerfile"


def dockerfiles() -> list[Path]:
    return sorted(DOCKER_DIR.glob("*/Dockerfile"))


def image(process: str) -> Stage:
    """The final stage of a process's image: its Dockerfile on top of the base's."""
    base = dockerfile_stages(BASE_DOCKERFILE)[""]
    return dockerfile_stages(process_dockerfile(process), {BASE_CONTEXT: base})[""]


def hadolint(tools: Path, path: Path) -> subprocess.CompletedProcess[str]:
    """The Dockerfile linter (with ShellCheck on every RUN): any finding fails."""
    return run([str(tools / "bin" / "hadolint"), "--no-color", "--failure-threshold", "style", str(path)])


def dockerfile_problems(settings: dict[str, ProcessSettings]) -> list[str]:
    """Each process's image against its code: a Dockerfile of its own on the base, the
    command `make dev` runs, a non-root user, ENV names the code reads, listen addresses on
    0.0.0.0 and exposed, and a health check of the kind its listener implies."""
    problems = []
    own = {p.parent.name for p in dockerfiles()} - {"base"}
    problems += [
        f"deploy/docker/{n}/Dockerfile: no process {n} (tools/stack.py)" for n in sorted(own - set(settings))
    ]
    for name, process in settings.items():
        path = process_dockerfile(name)
        where = str(path.relative_to(REPO_ROOT))
        if not path.exists():
            problems.append(f"{where} is missing")
            continue
        stages = dockerfile_stages(path)
        if len([s for s in stages if s]) != 1 or stages[""].base != BASE_CONTEXT:
            problems.append(f"{where}: must be one stage FROM the base context {BASE_CONTEXT!r}")
        final = image(name)
        if final.cmd != ["python", "-m", process.module]:
            problems.append(f"{where}: CMD {final.cmd} is not python -m {process.module}")
        if (final.user or "root").split(":")[0] in {"root", "0"}:
            problems.append(f"{where}: runs as root")
        unknown = {n for n in final.env if n.startswith("TONGBAN_")} - process.known
        problems += [f"{where}: ENV {n} is not read by {name}" for n in sorted(unknown)]
        exposed = set(re.findall(r"^EXPOSE (.+)$", path.read_text("utf-8"), re.MULTILINE))
        exposed_ports = {int(p.split("/")[0]) for line in exposed for p in line.split()}
        for key in sorted(process.listens):
            value = final.env.get(key, "")
            if host_of(value) != "0.0.0.0" or port_of(value) not in exposed_ports:
                problems.append(
                    f"{where}: ENV {key}={value or '(unset)'} must bind 0.0.0.0 on an exposed port"
                )
        kind = "grpc" if "TONGBAN_GRPC_LISTEN" in process.listens else "http"
        expected = f'["python", "/app/deploy/docker/healthcheck.py", "{kind}"]'
        if not final.healthcheck or not final.healthcheck.endswith(expected):
            problems.append(f"{where}: no {kind} HEALTHCHECK")
    return problems


# ------------------------------------------------------------------ everything


def check_all() -> list[str]:
    tools = install_tools()
    settings = discover()
    problems: list[str] = []
    compose = compose_config(tools, stand_in_secrets())
    if compose.returncode:
        problems.append(f"docker compose config: {compose.stderr.strip()}")
    else:
        problems += compose_env_problems(json.loads(compose.stdout), settings)
    problems += dockerfile_problems(settings)
    for path in dockerfiles():
        lint = hadolint(tools, path)
        if lint.returncode:
            problems.append(f"hadolint {path.relative_to(REPO_ROOT)}:\n{lint.stdout}{lint.stderr}")
    files = deploy_topics.render(topics.load())
    problems += [
        f"{p.relative_to(REPO_ROOT)} is stale: python -m deploycheck.topics"
        for p in deploy_topics.stale(files)
    ]
    for overlay in OVERLAYS:
        text = render(tools, overlay)
        for version in kube_versions():
            done = kubeconform(tools, text, version)
            if done.returncode:
                problems.append(f"kubeconform {overlay} (Kubernetes {version}):\n{done.stdout}")
        docs = load_docs(text)
        problems += [f"{overlay}: {p}" for p in k8s_env_problems(docs, settings)]
        problems += [f"{overlay}: {p}" for p in security_problems(docs)]
    return problems


def main() -> int:
    problems = check_all()
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"deploy check: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

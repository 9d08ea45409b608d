"""Checks every deployment file offline: `python -m tools.deploy_check`.

- docker-compose.yml through the real Compose CLI (`docker compose config`), and each
  service's environment against the settings its code declares;
- the Dockerfile: hadolint (and ShellCheck on its RUN lines); each target's health check,
  non-root user, command and ENV;
- each k8s overlay rendered by kustomize and validated by kubeconform, strictly, against the
  Kubernetes schemas of the oldest and newest supported versions and the Strimzi and
  CloudNativePG CRDs; containers' environments against the settings; pod hardening;
- the generated Strimzi topics are current with deploy/topics.yaml.

The tools come from tools/deploy_tools.sh (built once, cached in .stack/tools/). The tests
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

from services.shared import topics
from tools import deploy_secrets, deploy_topics
from tools.deploy_settings import ProcessSettings, discover

Doc = dict[str, Any]
REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_SCRIPT = REPO_ROOT / "tools" / "deploy_tools.sh"
DOCKERFILE = REPO_ROOT / "deploy" / "docker" / "Dockerfile"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
OVERLAYS = ("dev", "prod")
SECRETS = {"tongban-secrets", "tongban-pg-app"}  # the only Secrets manifests may read
# third-party images that must write their own root file system, and why
WRITABLE_ROOT = {"kafka": "apache/kafka writes its generated server.properties at start"}


def kube_versions() -> list[str]:
    """The Kubernetes versions validated against, as tools/deploy_tools.sh installs them."""
    match = re.search(r'^KUBE_VERSIONS="([^"]+)"', TOOLS_SCRIPT.read_text(), re.MULTILINE)
    assert match, "KUBE_VERSIONS missing from tools/deploy_tools.sh"
    return match.group(1).split()


def install_tools() -> Path:
    """Builds or reuses the tools; returns their folder."""
    done = subprocess.run(["bash", str(TOOLS_SCRIPT)], cwd=REPO_ROOT, check=True,
                          stdout=subprocess.PIPE, text=True)
    return Path(done.stdout.strip().splitlines()[-1])


def run(command: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, **kw)


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
    return run([
        str(tools / "bin" / "kubeconform"), "-strict", "-summary", "-kubernetes-version", version,
        "-schema-location", str(schemas / "kubernetes") + "/{{ .NormalizedKubernetesVersion }}"
        "-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json",
        "-schema-location", str(schemas / "crds") + "/{{ .Group }}/{{ .ResourceKind }}"
        "_{{ .ResourceAPIVersion }}.json",
        "-",
    ], input=manifests)


def pod_templates(docs: list[Doc]) -> list[tuple[Doc, Doc]]:
    """(workload, pod template spec) for every workload in the manifests."""
    kinds = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    return [(d, d["spec"]["template"]["spec"]) for d in docs if d.get("kind") in kinds]


def k8s_env_problems(docs: list[Doc], settings: dict[str, ProcessSettings]) -> list[str]:
    """Each Tongban container's TONGBAN_* names, from env and envFrom ConfigMaps, checked."""
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs
                  if d.get("kind") == "ConfigMap"}
    problems = []
    for workload, spec in pod_templates(docs):
        for container in spec["containers"]:
            where = f"{workload['kind']}/{workload['metadata']['name']}"
            names = [e["name"] for e in container.get("env", [])]
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    names += list(configmaps[source["configMapRef"]["name"]])
                else:  # a whole Secret hides which names it sets: name each key instead
                    problems.append(f"{where}: envFrom other than a ConfigMap")
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] not in SECRETS:
                    problems.append(f"{where}: reads unknown Secret {ref['name']}")
                if ref and ref["name"] == "tongban-secrets" and \
                        ref["key"] not in deploy_secrets.NAMES:
                    problems.append(f"{where}: tools/deploy_secrets.py makes no {ref['key']}")
            if container["name"] in settings:
                problems += settings[container["name"]].problems(names, where)
    return problems


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
        mounts_by_volume = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            ctx = c.get("securityContext", {})
            if ctx.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: {c['name']} may escalate privileges")
            if ctx.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: {c['name']} does not drop all capabilities")
            if ctx.get("readOnlyRootFilesystem") is not True and c["name"] not in WRITABLE_ROOT:
                problems.append(f"{where}: {c['name']} has a writable root file system")
            if ctx.get("readOnlyRootFilesystem") is True:
                tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
                if not tmp or "emptyDir" not in mounts_by_volume.get(tmp[0]["name"], {}):
                    problems.append(f"{where}: {c['name']} has a read-only root and no /tmp")
            resources = c.get("resources", {})
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in resources.get(part, {}):
                        problems.append(f"{where}: {c['name']} has no {what} {part[:-1]}")
    return problems


# ------------------------------------------------------------------ compose and Dockerfile


def compose_command(tools: Path) -> list[str]:
    """The Docker CLI's compose plugin when there is one, else the one deploy_tools built."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"]).returncode == 0:
        return [docker, "compose"]
    return [str(tools / "bin" / "docker-compose")]


def compose_config(tools: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker compose config` with exactly `env` as the interpolation environment."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TONGBAN_", "COMPOSE_"))} | env
    return run([*compose_command(tools), "--env-file", os.devnull, "-f", str(COMPOSE_FILE),
                "config", "--format", "json"], env=clean)


def test_secrets() -> dict[str, str]:
    """Stand-in values, never used anywhere but in `config`."""
    return {name: "k1:dGVzdA==" for name in deploy_secrets.NAMES}


def compose_env_problems(config: Doc, settings: dict[str, ProcessSettings]) -> list[str]:
    problems = []
    for name, service in config["services"].items():
        if name in settings:
            names = list(service.get("environment") or {})
            problems += settings[name].problems(names, f"compose service {name}")
    return problems


@dataclass
class Stage:
    """One stage of a Dockerfile, as far as the checks need it."""

    name: str
    base: str
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    healthcheck: str | None = None
    cmd: list[str] | None = None


def dockerfile_stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """Stages by name; a stage built FROM another inherits its ENV, USER and HEALTHCHECK."""
    text = re.sub(r"\\\n", " ", path.read_text())
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
            parent = stages.get(parts[0])
            current = Stage(name, parts[0])
            if parent:
                current.env = dict(parent.env)
                current.user, current.healthcheck = parent.user, parent.healthcheck
            stages[name] = current
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
    return stages


def hadolint(tools: Path, path: Path = DOCKERFILE) -> subprocess.CompletedProcess[str]:
    """The Dockerfile linter (with ShellCheck on every RUN): any finding fails."""
    return run([str(tools / "bin" / "hadolint"), "--no-color", "--failure-threshold", "style",
                str(path)])


def dockerfile_env_problems(stages: dict[str, Stage],
                            settings: dict[str, ProcessSettings]) -> list[str]:
    problems = []
    for name, process in settings.items():
        if name in stages:
            unknown = set(stages[name].env) - process.known
            problems += [f"Dockerfile target {name}: ENV {n} is not read by {name}"
                         for n in sorted(n for n in unknown if n.startswith("TONGBAN_"))]
    return problems


# ------------------------------------------------------------------ everything


def check_all() -> list[str]:
    tools = install_tools()
    settings = discover()
    problems: list[str] = []
    compose = compose_config(tools, test_secrets())
    if compose.returncode:
        problems.append(f"docker compose config: {compose.stderr.strip()}")
    else:
        problems += compose_env_problems(json.loads(compose.stdout), settings)
    problems += dockerfile_env_problems(dockerfile_stages(), settings)
    lint = hadolint(tools)
    if lint.returncode:
        problems.append(f"hadolint:\n{lint.stdout}{lint.stderr}")
    files = deploy_topics.render(topics.load())
    problems += [f"{p.relative_to(REPO_ROOT)} is stale: python -m tools.deploy_topics"
                 for p in deploy_topics.stale(files)]
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

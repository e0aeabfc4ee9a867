#!/usr/bin/env python3
"""Checks compose.yaml against the Dockerfile (and Prometheus' and RabbitMQ's
files), statically: no Docker engine runs here. For every service built from
the Dockerfile: its target is a stage and it names an image; the kfarm
subcommand it runs fits the stage (the packages it needs are installed, and
serve/migrate/admin carry no toolchains); every writable volume is mounted on
a directory the Dockerfile made and gave to the stage's user; the paths it
passes (--artifact-dir, --signing-key, --work-dir, --source-cache, --root)
are under a writable volume. For every service: depends_on names services
that exist (and run without a profile when the dependent does); a service
waited on to complete is a one-shot, one waited on to be healthy has a
healthcheck; the others restart and have a healthcheck; services sharing a
volume run as one user. Prometheus scrapes services that exist, on the ports
they listen on; RabbitMQ has the plugins and asks the API's broker-auth
listener.

Usage: check-compose-images.py [compose.yaml [Dockerfile]]
(ruamel.yaml or PyYAML must be importable: scripts/check-compose.sh runs it
with check-jsonschema's venv, which has ruamel.yaml.)
"""
import os
import posixpath
import re
import shlex
import sys

try:
    from ruamel.yaml import YAML

    def load_yaml(path):
        with open(path) as f:
            return YAML(typ="safe", pure=True).load(f)
except ImportError:
    import yaml

    def load_yaml(path):
        with open(path) as f:
            return yaml.safe_load(f)

# Options whose value is a path the command writes (or keeps) state in.
STATE_OPTIONS = {
    "serve": ["--artifact-dir", "--signing-key"],
    "worker": ["--work-dir", "--source-cache"],
    "agent": ["--root"],
}
# Where those default to when the option is missing (relative to WORKDIR, or fixed).
STATE_DEFAULTS = {"--artifact-dir": "artifacts", "--work-dir": "/tmp/kfarm-worker-NAME",
                  "--source-cache": "/tmp/kfarm-kernel-sources"}
# What each subcommand needs installed in its image (apt packages of the stage and its parents).
NEEDS = {
    "worker": ["make", "gcc", "gcc-aarch64-linux-gnu", "gcc-riscv64-linux-gnu", "linux-source-6.1", "bubblewrap",
               "ccache", "qemu-system-x86", "qemu-system-arm", "qemu-system-misc"],
    "agent": ["tar", "zstd", "qemu-system-x86", "qemu-system-arm", "qemu-system-misc"],
    "serve": [], "migrate": [], "admin": [],
}
# Toolchains an API image should not carry (it would be the worker's or the agent's image).
HEAVY = re.compile(r"^(gcc|qemu-system|linux-source|bubblewrap|ccache)")
PORT_OPTIONS = ["--port", "--broker-auth-port", "--metrics-port"]
RABBITMQ_PLUGINS = ["rabbitmq_management", "rabbitmq_prometheus", "rabbitmq_auth_backend_http",
                    "rabbitmq_auth_backend_cache"]

errors = []
checked = []


def fail(message):
    errors.append(message)
    print(f"  FAIL {message}")


def ok(message):
    checked.append(message)
    print(f"  ok   {message}")


# --- Dockerfile ---------------------------------------------------------------

class Stage:
    def __init__(self, name, parent):
        self.name = name
        self.parent = parent
        self.user = parent.user if parent else "root"
        self.owned = dict(parent.owned) if parent else {}  # directory -> owner
        self.made = set(parent.made) if parent else set()
        self.packages = set(parent.packages) if parent else set()
        self.entrypoint = parent.entrypoint if parent else None
        self.cmd = parent.cmd if parent else None
        self.workdir = parent.workdir if parent else "/"


def brace_expand(word):
    match = re.search(r"\{([^{}]*,[^{}]*)\}", word)
    if not match:
        return [word]
    return [expanded for part in match.group(1).split(",")
            for expanded in brace_expand(word[:match.start()] + part + word[match.end():])]


def parse_exec_form(text):
    import json
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return ["/bin/sh", "-c", text]


def parse_dockerfile(path):
    lines, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.lstrip().startswith("#"):
                continue  # a comment inside a continued instruction
            if line.endswith("\\"):
                current += line[:-1] + " "
                continue
            lines.append(current + line)
            current = ""
    stages, order, stage = {}, [], None
    for line in lines:
        instruction, _, rest = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = rest.split()
            base = words[0]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else f"stage{len(order)}"
            stage = Stage(name, stages.get(base))
            stages[name] = stage
            order.append(name)
        elif instruction == "USER":
            stage.user = rest.strip().split(":")[0]
        elif instruction == "WORKDIR":
            stage.workdir = posixpath.join(stage.workdir, rest.strip())
        elif instruction == "ENTRYPOINT":
            stage.entrypoint = parse_exec_form(rest)
            stage.cmd = None
        elif instruction == "CMD":
            stage.cmd = parse_exec_form(rest)
        elif instruction == "RUN":
            for command in re.split(r"&&|;|\|\|", rest):
                try:
                    words = shlex.split(command)
                except ValueError:
                    continue
                if not words:
                    continue
                arguments = [w for w in words[1:] if not w.startswith("-")]
                paths = [p for w in arguments for p in brace_expand(w)]
                if words[0] == "mkdir":
                    stage.made.update(p.rstrip("/") for p in paths)
                elif words[0] == "chown" and arguments:
                    owner = arguments[0].split(":")[0]
                    for p in (p for w in arguments[1:] for p in brace_expand(w)):
                        stage.owned[p.rstrip("/")] = owner
                elif words[0] == "apt-get" and "install" in words:
                    stage.packages.update(a for a in arguments if a != "install")
    return stages, order


# --- compose.yaml -------------------------------------------------------------

def as_list(value):
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def kfarm_invocations(service, stage):
    """(subcommand, arguments) of each kfarm run by the service."""
    entrypoint = as_list(service.get("entrypoint")) if "entrypoint" in service else stage.entrypoint
    command = as_list(service.get("command")) if "command" in service else (
        stage.cmd if "entrypoint" not in service else None)
    argv = (entrypoint or []) + (command or [])
    argv = [a.replace("$$", "$") for a in argv]
    if argv and posixpath.basename(argv[0]) == "kfarm":
        return [(argv[1] if len(argv) > 1 else None, argv[2:])]
    if len(argv) >= 3 and posixpath.basename(argv[0]) in ("sh", "bash") and argv[1] == "-c":
        script = re.sub(r"\\\n", " ", argv[2])
        found = []
        for line in script.splitlines():
            for match in re.finditer(r"(?:^|[\s;&|(`\"])(?:[^\s;&|(`\"]*/)?kfarm\s+(.*)", line):
                try:
                    words = shlex.split(match.group(1), comments=True)
                except ValueError:
                    words = match.group(1).split()
                if words:
                    found.append((words[0], words[1:]))
        return found
    return []


def option(arguments, name):
    for index, word in enumerate(arguments):
        if word == name and index + 1 < len(arguments):
            return arguments[index + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1:]
    return None


def mounts(service):
    """(source, target, read_only, kind) of each volume of the service."""
    result = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, str):
            parts = entry.split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
            read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            kind = "bind" if source and source.startswith((".", "/", "~")) else "volume"
        else:
            source, target = entry.get("source"), entry.get("target")
            read_only = bool(entry.get("read_only"))
            kind = entry.get("type", "volume")
        result.append((source, target.rstrip("/"), read_only, kind))
    return result


def under(path, directory):
    return path == directory or path.startswith(directory + "/")


def check_built_service(name, service, stages, order):
    build = service["build"]
    build = {"context": build} if isinstance(build, str) else build
    target = build.get("target")
    if build.get("dockerfile", "Dockerfile") != "Dockerfile" or build.get("context", ".") not in (".", "./"):
        ok(f"{name}: built from another Dockerfile; not checked")
        return None
    if not target:
        fail(f"{name}: build has no target, so Docker builds the last stage ({order[-1]})")
        return None
    if target not in stages:
        fail(f"{name}: build target {target!r} is not a stage of the Dockerfile (stages: {', '.join(order)})")
        return None
    stage = stages[target]
    ok(f"{name}: target {target} is a stage; it runs as {stage.user}")
    if not service.get("image"):
        fail(f"{name}: no image name (a built image needs one to be shared and found)")
    else:
        ok(f"{name}: image {service['image']}")

    invocations = kfarm_invocations(service, stage)
    if not invocations:
        fail(f"{name}: runs no kfarm subcommand that this check can see")
    for subcommand in dict.fromkeys(s for s, _ in invocations):
        if subcommand not in NEEDS:
            fail(f"{name}: runs `kfarm {subcommand}`, which no image is meant for (known: {', '.join(NEEDS)})")
            continue
        missing = [p for p in NEEDS[subcommand] if p not in stage.packages]
        if missing:
            fail(f"{name}: `kfarm {subcommand}` needs {', '.join(missing)}, which stage {target} does not install")
        elif not NEEDS[subcommand] and any(HEAVY.match(p) for p in stage.packages):
            fail(f"{name}: `kfarm {subcommand}` runs in stage {target}, which carries the toolchains of another role")
        else:
            ok(f"{name}: `kfarm {subcommand}` fits stage {target}")

    test = service.get("healthcheck", {}).get("test")
    words = (test if isinstance(test, list) else ["CMD-SHELL", test or ""])[1:]
    tools = {w for w in " ".join(words).split() if w in ("curl", "wget")}
    for tool in tools:
        if tool not in stage.packages:
            fail(f"{name}: the healthcheck runs {tool}, which stage {target} does not install")
        else:
            ok(f"{name}: the healthcheck's {tool} is installed")

    writable = []
    for source, target_path, read_only, kind in mounts(service):
        if read_only:
            ok(f"{name}: {target_path} is mounted read-only")
            continue
        if kind == "bind":
            if stage.user != "root":
                fail(f"{name}: writable bind mount {source}:{target_path}: its owner comes from the host, not the image")
            continue
        owner = stage.owned.get(target_path)
        if stage.user == "root":
            ok(f"{name}: {target_path} writable (runs as root)")
        elif owner != stage.user:
            made = "made but owned by " + (owner or "root") if target_path in stage.made else "not made"
            fail(f"{name}: volume {source} on {target_path}: the Dockerfile's stage {target} has it {made}; "
                 f"{stage.user} cannot write it")
        else:
            ok(f"{name}: volume {source} on {target_path}, a directory owned by {stage.user}")
        writable.append(target_path)

    for subcommand, arguments in invocations:
        for opt in STATE_OPTIONS.get(subcommand, []):
            value = option(arguments, opt)
            if value is None and opt == "--signing-key":
                directory = option(arguments, "--artifact-dir") or STATE_DEFAULTS["--artifact-dir"]
                value = posixpath.join(directory, "signing-key")
                how = "(default: <artifact-dir>/signing-key)"
            elif value is None:
                value, how = STATE_DEFAULTS.get(opt, "(none)"), "(default)"
            else:
                how = ""
            # The path up to the first shell expansion ("…/sources/$(cat …)").
            static = value.split("$", 1)[0]
            path = posixpath.normpath(posixpath.join(stage.workdir, static))
            if opt == "--signing-key":
                path = posixpath.dirname(path)  # written aside and linked: its directory must be writable
            mount = next((m for m in writable if under(path, m)), None)
            if mount:
                ok(f"{name}: {subcommand} {opt} {value} is under the volume on {mount}")
            else:
                fail(f"{name}: {subcommand} {opt} {value}{' ' + how if how else ''} is not under a writable volume: "
                     f"it would be lost with the container, or unwritable for {stage.user}")
    return stage


def listening_ports(service, stage):
    ports = set()
    if stage is None:
        return None
    for subcommand, arguments in kfarm_invocations(service, stage):
        for opt in PORT_OPTIONS:
            value = option(arguments, opt)
            if value and value.isdigit():
                ports.add(int(value))
        if subcommand == "serve" and option(arguments, "--port") is None:
            ports.add(8080)
    return ports


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    compose_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "compose.yaml")
    dockerfile_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(compose_path), "Dockerfile")
    base = os.path.dirname(os.path.abspath(compose_path))
    compose = load_yaml(compose_path)
    stages, order = parse_dockerfile(dockerfile_path)
    services = compose.get("services") or {}
    print(f"{compose_path} against {dockerfile_path} (stages: {', '.join(order)})")

    built = {}
    for name, service in services.items():
        print(f"[{name}]")
        if "build" in service:
            built[name] = check_built_service(name, service, stages, order)
        profiles = service.get("profiles")
        depends = service.get("depends_on") or {}
        for dependency in (depends if isinstance(depends, list) else list(depends)):
            condition = depends.get(dependency, {}).get("condition") if isinstance(depends, dict) else None
            if dependency not in services:
                fail(f"{name}: depends on {dependency!r}, which is not a service")
                continue
            if not profiles and services[dependency].get("profiles"):
                fail(f"{name}: depends on {dependency}, which runs only with profile(s) {services[dependency]['profiles']}")
            if condition == "service_completed_successfully" and str(services[dependency].get("restart", "no")) != "no":
                fail(f"{name}: waits for {dependency} to complete, but {dependency} restarts "
                     f"({services[dependency].get('restart')}): make it restart: \"no\"")
            elif condition == "service_healthy" and "healthcheck" not in services[dependency]:
                fail(f"{name}: waits for {dependency} to be healthy, but {dependency} has no healthcheck")
            else:
                ok(f"{name}: depends on {dependency}" + (f" ({condition})" if condition else ""))
        restart = str(service.get("restart", "no"))
        if restart == "no":
            ok(f"{name}: one-shot (restart: \"no\")")
        else:
            if "healthcheck" not in service:
                fail(f"{name}: long-running (restart: {restart}) without a healthcheck")
            else:
                ok(f"{name}: restart {restart}, with a healthcheck")
    for name, service in services.items():
        if str(service.get("restart", "no")) == "no" and not any(
                isinstance(s.get("depends_on"), dict) and
                (s["depends_on"].get(name) or {}).get("condition") == "service_completed_successfully"
                for s in services.values()):
            fail(f"{name}: has no restart policy and no service waits for it to complete")

    print("[shared volumes]")
    users = {}
    for name, service in services.items():
        stage = built.get(name)
        for source, target, read_only, kind in mounts(service):
            if kind == "volume" and stage is not None:
                users.setdefault(source, {})[name] = stage.user
    for volume, by_service in users.items():
        distinct = set(by_service.values()) - {"root"}
        if len(distinct) > 1:
            fail(f"volume {volume} is shared by services running as different users: {by_service}")
        elif len(by_service) > 1:
            ok(f"volume {volume}: {', '.join(by_service)} all run as {', '.join(distinct) or 'root'}")
    for volume in {s for service in services.values() for s, _, _, k in mounts(service) if k == "volume"}:
        if volume not in (compose.get("volumes") or {}):
            fail(f"volume {volume} is used but not declared under volumes:")

    for name, service in services.items():
        for source, target, read_only, kind in mounts(service):
            if kind != "bind":
                continue
            if not os.path.exists(os.path.join(base, source)):
                print(f"[{name}]")
                fail(f"{name}: bind mount {source} does not exist")

    prometheus = next((s for s in services.values() if str(s.get("image", "")).startswith("prom/prometheus")), None)
    if prometheus:
        print("[prometheus.yml]")
        source = next((s for s, t, _, k in mounts(prometheus) if k == "bind" and t == "/etc/prometheus/prometheus.yml"),
                      None)
        if not source:
            fail("prometheus: no prometheus.yml mounted on /etc/prometheus/prometheus.yml")
        else:
            config = load_yaml(os.path.join(base, source))
            for job in config.get("scrape_configs") or []:
                targets = [t for s in job.get("static_configs") or [] for t in s.get("targets") or []]
                targets += [f"{n}:{d.get('port')}" for d in job.get("dns_sd_configs") or [] for n in d.get("names") or []]
                for target in targets:
                    host, _, port = target.rpartition(":")
                    if host not in services:
                        fail(f"prometheus job {job['job_name']}: {host} is not a service")
                        continue
                    ports = listening_ports(services[host], built.get(host))
                    if ports is not None and int(port) not in ports:
                        fail(f"prometheus job {job['job_name']}: {host} listens on {sorted(ports)}, not {port}")
                    else:
                        ok(f"prometheus job {job['job_name']}: scrapes {host}:{port}")

    rabbitmq = services.get("rabbitmq")
    if rabbitmq:
        print("[rabbitmq files]")
        files = {t: s for s, t, _, k in mounts(rabbitmq) if k == "bind"}
        plugins_file = files.get("/etc/rabbitmq/enabled_plugins")
        if plugins_file:
            with open(os.path.join(base, plugins_file)) as f:
                plugins = re.findall(r"[a-z_]+", f.read())
            missing = [p for p in RABBITMQ_PLUGINS if p not in plugins]
            if missing:
                fail(f"rabbitmq: {plugins_file} lacks {', '.join(missing)}")
            else:
                ok(f"rabbitmq: plugins {', '.join(RABBITMQ_PLUGINS)}")
        else:
            fail("rabbitmq: no enabled_plugins mounted")
        for target, source in files.items():
            if not target.endswith(".conf"):
                continue
            with open(os.path.join(base, source)) as f:
                asked = re.findall(r"^auth_http\.\w+\s*=\s*https?://([^:/\s]+):(\d+)/", f.read(), re.M)
                for host, port in dict.fromkeys(asked):
                    service = services.get(host)
                    ports = listening_ports(service, built.get(host)) if service else set()
                    if not service or (ports is not None and int(port) not in ports):
                        fail(f"rabbitmq: {source} asks {host}:{port}, where no service listens")
                    else:
                        serve = [a for s, a in kfarm_invocations(service, built[host]) if s == "serve"]
                        if serve and option(serve[0], "--broker-auth-host") in (None, "127.0.0.1", "localhost"):
                            fail(f"rabbitmq: {host}'s broker-auth listener binds loopback; the broker cannot reach it")
                        else:
                            ok(f"rabbitmq: {source} asks {host}:{port}")

    if errors:
        print(f"\n{len(errors)} problem(s) in {compose_path} / {dockerfile_path}:")
        for message in errors:
            print(f"  - {message}")
        return 1
    print(f"\ncompose.yaml and the Dockerfile agree ({len(checked)} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU seconds used by the farm's own processes over a stretch of a
benchmark, by process, so a compile's overhead can be put down to who
spent it. `snapshot FILE` records every process's CPU time so far;
`report FILE SECONDS` prints what each group used since (processes that
began later count from zero; ones that ended are not seen) and its share
of the machine over SECONDS of wall time.

    python3 cpu-use.py snapshot /tmp/before
    python3 cpu-use.py report /tmp/before 118.4
"""
import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")
# What the farm runs beside a build: the API (kfarm serve), the worker (kfarm
# worker), PostgreSQL and RabbitMQ (Erlang).
GROUPS = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ", "erl_child_setup": "RabbitMQ", "epmd": "RabbitMQ",
          "inet_gethost": "RabbitMQ"}


def processes():
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except OSError:
            continue
        name = os.path.basename(argv[0].decode(errors="replace")) if argv and argv[0] else ""
        role = argv[1].decode(errors="replace") if len(argv) > 1 else ""
        if name == "kfarm":
            group = f"kfarm {role}"
        else:
            comm = open(f"/proc/{entry}/comm").read().strip() if os.path.exists(f"/proc/{entry}/comm") else name
            group = GROUPS.get(comm)
        if group:
            # utime, stime: fields 14 and 15 of stat, 12 and 13 after the command's name.
            yield entry, group, (int(fields[11]) + int(fields[12])) / TICKS


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == "snapshot":
        with open(path, "w") as out:
            json.dump({pid: seconds for pid, _, seconds in processes() if pid != str(os.getpid())}, out)
        return
    wall = float(sys.argv[3])
    with open(path) as before_file:
        before = json.load(before_file)
    used = {}
    for pid, group, seconds in processes():
        if pid != str(os.getpid()):
            used[group] = used.get(group, 0.0) + seconds - before.get(pid, 0.0)
    cores = os.cpu_count() or 1
    total = sum(used.values())
    parts = ", ".join(f"{group} {seconds:.1f} s" for group, seconds in sorted(used.items(), key=lambda item: -item[1]))
    print(f"the farm's own processes over {wall:.1f} s: {total:.1f} CPU-s = {100 * total / (wall * cores):.1f}% "
          f"of the machine's {cores} cores ({parts})")


if __name__ == "__main__":
    main()

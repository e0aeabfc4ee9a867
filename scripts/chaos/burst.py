#!/usr/bin/env python3
"""Submits BUILDS builds of one configuration version through the API, from
CLIENTS threads, the way a patient client does while the farm is being hurt:
a refused connection, a timeout or a 502-504 is tried again after a pause (a new
request: the first may have been committed without its answer arriving).
Each acknowledged build's id (a 201's) is appended to ACKED as it comes, so
the caller can time its faults by the count. Prints what it saw.

usage: burst.py API_URL CONFIG_VERSION_ID BUILDS CLIENTS ACKED (KFARM_TOKEN in the environment)
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

api, version, builds, clients, acked_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
token = os.environ["KFARM_TOKEN"]
priorities = ["low", "normal", "high", "critical"]

lock = threading.Lock()
acked = open(acked_path, "a", buffering=1)
retries = {"refused or timed out": 0, "5xx": 0}
refusals = []
acknowledged = 0
next_build = 0


def submit(priority):
    body = json.dumps({"configVersionId": version, "priority": priority}).encode()
    request = urllib.request.Request(f"{api}/builds", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]["id"]


def lane():
    global next_build, acknowledged
    while True:
        with lock:
            if next_build == builds:
                return
            number = next_build
            next_build += 1
        while True:
            try:
                build = submit(priorities[number % 4])
                break
            except urllib.error.HTTPError as error:
                # A fault is a 503 to try again after, never a 4xx, nor an internal error.
                if error.code <= 500:
                    with lock:
                        refusals.append(f"build {number}: {error.code} {error.read()[:300]!r}")
                    return
                kind, why = "5xx", f"{error.code} {error.read()[:200]!r}"
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                # Refused, timed out, or cut off mid-answer (the API killed while it replied).
                kind, why = "refused or timed out", f"{type(error).__name__}: {error}"
            with lock:
                retries[kind] += 1
            print(f"burst: {time.strftime('%H:%M:%S')} build {number}: {why}; trying again", file=sys.stderr, flush=True)
            time.sleep(0.2)
        with lock:
            acked.write(build + "\n")
            acknowledged += 1


started = time.monotonic()
threads = [threading.Thread(target=lane) for _ in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"burst: {acknowledged} of {builds} builds acknowledged in {time.monotonic() - started:.1f} s by {clients} clients; "
      f"tries again after a refused connection or timeout: {retries['refused or timed out']}, after a 5xx: {retries['5xx']}")
if refusals:
    sys.exit("burst: refused (a 4xx or a 500 is never tried again): " + "; ".join(refusals))

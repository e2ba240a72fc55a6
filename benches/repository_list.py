#!/usr/bin/env python3
"""`renet repository list` benchmark (not a test): 100 registered repositories, each with a
slot map of 20 services, in four cases:
  - down:    no daemon socket (one `stat` each);
  - stale:   a socket file nobody listens on (the connection is refused at once);
  - answer:  a fake Docker API on every socket (benches/routes.py's, asyncio: /version and
             /containers/json with 20 labelled containers: auto routes, domains, tier 2);
  - hang:    a socket that accepts and never answers (each daemon is bounded by the list's
             2 s probe, all asked at once).
Prints the median and minimum wall time and the median CPU time (user + system) of --runs
runs each; the CPU time tells the cost apart from the load of a busy machine.

usage: python3 benches/repository_list.py [--renet target/debug/renet] [--runs 21]
"""
import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import routes  # noqa: E402  (the fake daemons of the route-server benchmark)

REPOS = 100
SERVICES = 20


def world(mode):
    root = tempfile.mkdtemp(prefix="renet-list-bench-")
    run, state = os.path.join(root, "run"), os.path.join(root, "state")
    os.makedirs(run)
    os.makedirs(state)
    nets = routes.network_ids(REPOS)
    entries, held = [], []
    for net in nets:
        repo = os.path.join(root, f"repo{net}")
        os.makedirs(repo)
        slots = {f"svc{j:02d}": {"slot": j} for j in range(SERVICES)}
        with open(os.path.join(repo, ".rediacc.json"), "w") as f:
            json.dump({"services": slots}, f)
        entries.append({"name": f"repo{net}", "path": repo, "network_id": net})
        path = os.path.join(run, f"docker-{net}.sock")
        if mode in ("stale", "hang"):
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            if mode == "hang":
                s.listen(128)
                held.append(s)
            else:
                s.close()
    with open(os.path.join(state, "repositories.json"), "w") as f:
        json.dump({"repositories": entries}, f)
    if mode == "answer":
        ready = threading.Event()
        threading.Thread(
            target=routes.serve_fake_daemons, args=(run, nets, SERVICES, ready), daemon=True
        ).start()
        ready.wait(30)
    return dict(os.environ, RENET_RUN_DIR=run, RENET_STATE_DIR=state), held


def measure(renet, mode, runs):
    env, _held = world(mode)
    walls, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        out = subprocess.run([renet, "repository", "list", "--json"], env=env,
                             capture_output=True, check=True)
        walls.append((time.perf_counter() - t) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000)
    doc = json.loads(out.stdout)
    rows = doc["repositories"]
    assert len(rows) == REPOS, doc
    running = sum(r["daemon_running"] for r in rows)
    urls = sum(len(r["urls"]) for r in rows)
    return statistics.median(walls), min(walls), statistics.median(cpus), running, urls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--renet", default="target/debug/renet")
    p.add_argument("--runs", type=int, default=21)
    a = p.parse_args()
    print("| case | wall median | wall min | CPU median | daemons answering | URLs |")
    print("|---|---|---|---|---|---|")
    for mode in ("down", "stale", "answer", "hang"):
        runs = 3 if mode == "hang" else a.runs
        wall, low, cpu, running, urls = measure(a.renet, mode, runs)
        print(f"| {mode} | {wall:.1f} ms | {low:.1f} ms | {cpu:.1f} ms | {running} | {urls} |")


if __name__ == "__main__":
    main()

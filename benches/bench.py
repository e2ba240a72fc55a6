#!/usr/bin/env python3
"""Benchmarks for renet (not timed tests): medians of interleaved runs against the reference.

The reference is real Docker Compose v2 (`docker compose`, the plugin in
$RENET_DOCKER_CONFIG_V2/cli-plugins, default target/ci-docker-v2: `.ci/run` installs it).
1. `renet compose --dry-run` on a 61-service compose file vs `docker compose config` on the
   same file (goal: renet at most 5% of compose's time).
2. `renet compose -- config`, the real run (renet's model through v2's `config`), vs
   `docker compose config` alone (goal: at most 1.10 x).
3. Start-up: `renet --version` (goal: under 5 ms).
renet asks the compose binary for its version once and caches the answer in $RENET_RUN_DIR;
the warm-up runs the real command first, as an operator's machine has run it before.

usage: benches/bench.py [--renet target/release/renet] [--rounds 21]
Run `cargo build --release` first. Prints a Markdown table for the README.
"""
import argparse
import os
import statistics
import tempfile
import time


def run(argv, env):
    """Run argv with stdout/stderr discarded; return (seconds, max RSS in KiB, exit status)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    start = time.perf_counter()
    pid = os.posix_spawnp(
        argv[0], argv, env,
        file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2),
                      (os.POSIX_SPAWN_CLOSE, devnull)],
    )
    os.close(devnull)
    _, status, rusage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, rusage.ru_maxrss, os.waitstatus_to_exitcode(status)


def compose_file(n):
    lines = ["x-common: &common", "  image: busybox:1", "  restart: unless-stopped",
             "  environment:", "    TZ: UTC", "    DB: ${DB_HOST:-db}", "services:"]
    for i in range(n):
        lines += [f"  svc-{i:02d}:", "    <<: *common",
                  f"    command: [\"sh\", \"-c\", \"httpd -f -p $${{SERVICE_IP}}:{8000 + i}\"]",
                  f"    ports: [\"{8000 + i}:{8000 + i}\"]",
                  "    labels:", f"      rediacc.service_port: \"{8000 + i}\"",
                  "    volumes: [\"./data:/data\"]"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--renet", default="target/release/renet")
    ap.add_argument("--rounds", type=int, default=21)
    args = ap.parse_args()
    renet = os.path.abspath(args.renet)
    docker_config = os.path.abspath(os.environ.get("RENET_DOCKER_CONFIG_V2", "target/ci-docker-v2"))
    if not os.path.exists(os.path.join(docker_config, "cli-plugins", "docker-compose")):
        raise SystemExit(f"no Compose v2 plugin in {docker_config}/cli-plugins (run .ci/run first)")

    with tempfile.TemporaryDirectory(prefix="rn-bench") as d:
        with open(os.path.join(d, "compose.yaml"), "w") as f:
            f.write(compose_file(61))
        run_dir = os.path.join(d, "run")
        env = dict(os.environ, RENET_RUN_DIR=run_dir, RENET_STATE_DIR=os.path.join(d, "state"),
                   DOCKER_CONFIG=docker_config)
        for k in ("COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "DOCKER_HOST", "DOCKER_CONTEXT"):
            env.pop(k, None)
        # `compose config` never talks to the daemon: a stand-in socket file is enough for renet.
        os.makedirs(run_dir)
        open(os.path.join(run_dir, "docker-2816.sock"), "w").close()
        renet_compose = [renet, "compose", "--network-id", "2816", "--repo", d]
        cases = {
            "renet compose --dry-run (61 services)": renet_compose + ["--dry-run", "--", "config"],
            "docker compose config (v2, same file)": ["docker", "compose", "-f", "compose.yaml", "config"],
            "renet compose -- config (real run through v2)": renet_compose + ["--", "config"],
            "renet --version": [renet, "--version"],
        }
        samples = {k: [] for k in cases}
        rss = {k: [] for k in cases}
        os.chdir(d)
        for name, argv in cases.items():  # warm-up, and check every command works
            _, _, code = run(argv, env)
            if code != 0:
                raise SystemExit(f"{name}: exit {code}")
        for _ in range(args.rounds):  # interleaved: each round runs every case once
            for name, argv in cases.items():
                t, m, _ = run(argv, env)
                samples[name].append(t)
                rss[name].append(m)

    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"rounds: {args.rounds} (interleaved), machine: {os.cpu_count()} cores\n")
    print("| command | median | min | max RSS |")
    print("|---|---|---|---|")
    for k in cases:
        print(f"| {k} | {med[k] * 1000:.2f} ms | {min(samples[k]) * 1000:.2f} ms | {max(rss[k]) / 1024:.1f} MiB |")
    v2 = med["docker compose config (v2, same file)"]
    ratio = med["renet compose --dry-run (61 services)"] / v2
    print(f"\nrenet dry-run / docker compose config = {ratio * 100:.1f}% (goal: at most 5%)")
    real = med["renet compose -- config (real run through v2)"] / v2
    print(f"renet compose -- config / docker compose config = {real:.2f} x (goal: at most 1.10 x)")
    print(f"renet --version median = {med['renet --version'] * 1000:.2f} ms (goal: under 5 ms)")


if __name__ == "__main__":
    main()

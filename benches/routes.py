#!/usr/bin/env python3
"""Route server benchmark (not a test). Prints a Markdown table for the README.

Part 1, scale (no root needed): a fake Docker API (this script, asyncio) listens on N unix
sockets `docker-<id>.sock` (default 1,000), each answering /_ping, /version (API 1.41),
/containers/json (20 labelled containers: auto-routes, custom domains, tier-2 labels) and
/events (held open, silent). `renet route-server --poll 1s` runs against that folder. Measured:
  - refresh: discovery (listing every daemon) and build (the pure builder plus YAML/JSON
    serialisation of the whole configuration), as the route server reports them in /health
    for each refresh (medians over the refreshes seen in --seconds);
  - GET /config (YAML) and GET /health, sequential requests on one keep-alive connection:
    median and 99th percentile;
  - resident memory of the route server (VmRSS) after the refreshes and its peak (VmHWM),
    and the sockets it holds (proof that every daemon's event stream is open).

Part 2, freshness (root, dockerd, Traefik): one real per-repository daemon, the route server
(--poll 1s) and Traefik (HTTP provider polling every 1s, loopback high ports). A routed busybox
httpd container is stopped, then `docker start`ed; measured is the time from `docker start`
returning to Traefik answering 200 for its host (medians over --rounds).

Part 3, a new repository (root, dockerd, Traefik): the route server at its default poll (5 s)
and Traefik (polling every 1 s). Each round starts from a repository that is down with its
daemon stopped (its socket gone, its routes gone from Traefik) and runs `renet repository up`
(daemon start, then the Rediaccfile's `renet compose -- up -d`); measured is the time from
`up` returning to Traefik answering 200 for the repository's first route, and how long `up`
itself took (medians over --rounds). The route server learns of the new daemon socket through
its inotify watch of the run folder, not its poll.

usage: python3 benches/routes.py [--renet target/release/renet] [--daemons 1000]
       [--containers 20] [--seconds 20] [--rounds 7] [--traefik PATH] [--skip-freshness]
       [--skip-scale]
Build first: cargo build --release.
"""
import argparse
import asyncio
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# ---------------------------------------------------------------------------------------------
# Part 1: fake Docker API on many unix sockets
# ---------------------------------------------------------------------------------------------


def network_ids(n):
    return [2816 + 64 * i for i in range(n)]


def block_addr(net, slot):
    base = ((net >> 16) & 255, (net >> 8) & 255, net & 255)
    return f"127.{base[0]}.{base[1]}.{base[2] + slot + 2}"


def containers_for(net, count, seq=None):
    out = []
    repo = f"repo{net}"
    for j in range(count):
        svc = f"svc{j:02d}"
        labels = {
            "rediacc.service_name": svc,
            "rediacc.service_ip": block_addr(net, j),
            "rediacc.network_id": str(net),
            "rediacc.repo_name": repo,
            "com.docker.compose.project": repo,
            "com.docker.compose.service": svc,
        }
        if seq is not None and j == 0:
            labels["bench.seq"] = str(seq)
        if j < 2:  # tier 2
            labels.update({
                "traefik.enable": "true",
                f"traefik.http.routers.{svc}.rule": f"Host(`{svc}-{net}.apps.example.org`)",
                f"traefik.http.services.{svc}.loadbalancer.server.port": "8080",
            })
        else:
            labels["rediacc.service_port"] = str(8000 + j)
            if j < 5:
                labels["rediacc.domain"] = f"d{j}-{net},www{j}-{net}.example.net"
        out.append({
            "Id": f"{net:08x}{j:056x}",
            "Names": [f"/{repo}_{svc}_1"],
            "Image": "busybox",
            "Command": "httpd",
            "Created": 1700000000,
            "State": "running",
            "Status": "Up 1 hour",
            "Labels": labels,
        })
    return json.dumps(out).encode()


VERSION = json.dumps({
    "Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12",
    "Os": "linux", "Arch": "amd64",
}).encode()


def strip_version(path):
    if path.startswith("/v") and "/" in path[1:]:
        head, rest = path[1:].split("/", 1)
        if head[1:].replace(".", "").isdigit():
            return "/" + rest
    return path


# Set during the second half of the refresh measurement: the first daemon's list changes on
# every request (a counter label), so every refresh has to build again.
CHANGING = threading.Event()


def handler(body_for_list, net=None, count=0):
    seq = [0]

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode()
                _, target, _ = line.split(" ", 2)
                path = strip_version(target.split("?", 1)[0])
                if path == "/events":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    await writer.drain()
                    await reader.read()  # held open until the client goes away
                    return
                if path == "/_ping":
                    body, ctype = b"OK", b"text/plain"
                elif path == "/version":
                    body, ctype = VERSION, b"application/json"
                elif path == "/containers/json":
                    body, ctype = body_for_list, b"application/json"
                    if net is not None and CHANGING.is_set():
                        seq[0] += 1
                        body = containers_for(net, count, seq[0])
                else:
                    body, ctype = b'{"message":"not found"}', b"application/json"
                status = b"200 OK" if body != b'{"message":"not found"}' else b"404 Not Found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype +
                             b"\r\nApi-Version: 1.41\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
    return handle


def serve_fake_daemons(run_dir, nets, count, ready):
    async def main():
        servers = []
        for i, net in enumerate(nets):
            path = os.path.join(run_dir, f"docker-{net}.sock")
            h = handler(containers_for(net, count), net if i == 0 else None, count)
            servers.append(await asyncio.start_unix_server(h, path=path, backlog=64))
        ready.set()
        await asyncio.Event().wait()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    except RuntimeError:
        pass


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    if conn is None:
        c.close()
    return r.status, body


def vm_kib(pid, field="VmRSS"):
    """VmRSS (resident now) or VmHWM (the peak resident size so far) of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def open_sockets(pid):
    """Sockets the process holds open: one event stream per daemon shows up here."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))] if xs else float("nan")


class Proc:
    """A background process stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, argv, env, log):
        self.log = open(log, "wb")
        self.p = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def wait_for(what, limit, f):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        v = f()
        if v:
            return v
        time.sleep(0.05)
    raise SystemExit(f"gave up waiting for {what}")


# ---------------------------------------------------------------------------------------------
# Part 1
# ---------------------------------------------------------------------------------------------


def scale(args, renet):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory(prefix="rnb") as d:
        run_dir, state_dir = os.path.join(d, "run"), os.path.join(d, "state")
        os.makedirs(run_dir)
        os.makedirs(state_dir)
        nets = network_ids(args.daemons)
        ready = threading.Event()
        threading.Thread(target=serve_fake_daemons, args=(run_dir, nets, args.containers, ready),
                         daemon=True).start()
        ready.wait(120)
        port = free_port()
        env = dict(os.environ, RENET_RUN_DIR=run_dir, RENET_STATE_DIR=state_dir)
        for k in ("RENET_BASE_DOMAIN", "RENET_MACHINE_NAME"):
            env.pop(k, None)
        started = time.monotonic()
        rs = Proc([renet, "route-server", "--listen", f"127.0.0.1:{port}", "--poll", "1s",
                   "--base-domain", "example.com", "--machine-name", "m1",
                   "--daemon-timeout", "10s"], env, os.path.join(d, "rs.log"))
        try:
            def first():
                try:
                    s, b = get(port, "/health")
                    return json.loads(b) if s == 200 else None
                except OSError:
                    return None
            h = wait_for("the route server", 300, first)
            first_ready = time.monotonic() - started
            assert h["daemons_seen"] == args.daemons, h["daemons_seen"]
            failed = h["daemons_failed"]
            # Refresh timings, one sample per refresh: first with nothing changing (the last
            # build is reused), then with one daemon's containers changing on every list.
            def sample(seconds):
                seen = {}
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    _, b = get(port, "/health", conn)
                    h = json.loads(b)
                    seen[h["refreshes"]] = (h["discover_ms"], h["build_ms"], h["daemons_failed"],
                                            h["builds"])
                    time.sleep(0.2)
                return seen
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            steady = sample(args.seconds / 2)
            CHANGING.set()
            changing = sample(args.seconds / 2)
            CHANGING.clear()
            discover = [s[0] for s in steady.values()]
            build = [s[1] for s in changing.values()]
            builds_steady = max(s[3] for s in steady.values()) - min(s[3] for s in steady.values())
            samples = {**steady, **changing}
            failed = max([failed] + [s[2] for s in samples.values()])
            # Request latency.
            cfg_times, health_times = [], []
            size = 0
            for _ in range(args.requests):
                t0 = time.perf_counter()
                s, body = get(port, "/config", conn)
                cfg_times.append((time.perf_counter() - t0) * 1000)
                size = len(body)
                assert s == 200
                t0 = time.perf_counter()
                get(port, "/health", conn)
                health_times.append((time.perf_counter() - t0) * 1000)
            conn.close()
            rss = vm_kib(rs.p.pid)
            peak = vm_kib(rs.p.pid, "VmHWM")
            sockets = open_sockets(rs.p.pid)
            _, routes = get(port, "/routes.json")
            routes = json.loads(routes)
            routers = len(routes.get("http", {}).get("routers", {}))
        finally:
            rs.stop()
    return {
        "daemons": args.daemons, "containers": args.daemons * args.containers,
        "routers": routers, "first_ready_s": first_ready, "failed": failed,
        "refreshes": len(steady), "rebuilds": len(changing), "builds_steady": builds_steady,
        "discover_ms": median(discover), "build_ms": median(build),
        "config_ms": median(cfg_times), "config_p99_ms": p99(cfg_times),
        "health_ms": median(health_times), "config_bytes": size, "rss_mib": rss / 1024,
        "peak_mib": peak / 1024, "sockets": sockets,
    }


# ---------------------------------------------------------------------------------------------
# Part 2
# ---------------------------------------------------------------------------------------------


def https_status(host, port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=ctx)
    try:
        c.request("GET", "/", headers={"Host": host})
        return c.getresponse().status
    except OSError:
        return 0
    finally:
        c.close()


def real_setup(args, prefix, repo_name):
    """What the two real-daemon parts share: their needs (root, dockerd, Traefik), a private
    folder with run/state/repository folders, and an environment without the caller's renet
    and docker settings. Returns (traefik, d, run_dir, state_dir, repo, env), or (None, why)."""
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        return None, "needs root and dockerd"
    traefik = args.traefik or os.environ.get("RENET_TRAEFIK") or "target/ci-venv/bin/traefik"
    if not os.path.isfile(traefik):
        return None, f"no traefik at {traefik}"
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    run_dir, state_dir, repo = (os.path.join(d, x) for x in ("run", "state", repo_name))
    os.makedirs(repo)
    env = dict(os.environ, RENET_RUN_DIR=run_dir, RENET_STATE_DIR=state_dir)
    for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "RENET_BASE_DOMAIN", "RENET_MACHINE_NAME",
              "REDIACC_NETWORK_ID", "REDIACC_WORKING_DIR", "COMPOSE_FILE"):
        env.pop(k, None)
    return (traefik, d, run_dir, state_dir, repo, env), None


def freshness(args, renet):
    setup, why = real_setup(args, "rnf", "fresh")
    if setup is None:
        return None, why
    traefik, d, run_dir, state_dir, repo, env = setup
    web, websecure = 28080, 28443
    net = "16711616"  # far from the tests' 2816/2880
    ip = block_addr(int(net), 0)
    docker_env = dict(env, DOCKER_HOST=f"unix://{run_dir}/docker-{net}.sock")
    procs = []
    times = []
    try:
        subprocess.run([renet, "daemon", "start", "--network-id", net, "--repo", repo],
                       env=env, check=True, capture_output=True)
        busybox_image(d, docker_env, "bench/busybox:1")
        with open(os.path.join(repo, "compose.yaml"), "w") as f:
            f.write("services:\n  app:\n    image: bench/busybox:1\n    stop_signal: SIGKILL\n"
                    "    labels:\n      rediacc.service_port: \"8080\"\n"
                    "    command: [\"sh\", \"-c\", \"mkdir -p /w && echo ok > /w/index.html && "
                    "exec httpd -f -p $${SERVICE_IP}:8080 -h /w\"]\n")
        port = free_port()
        procs.append(Proc([renet, "route-server", "--listen", f"127.0.0.1:{port}", "--poll", "1s",
                           "--base-domain", "bench.test", "--no-watchdog"], env,
                          os.path.join(d, "rs.log")))
        out = os.path.join(d, "proxy")
        subprocess.run([renet, "proxy", "config", "--out", out, "--bind", "127.0.0.1",
                        "--web-port", str(web), "--websecure-port", str(websecure),
                        "--tcp-ports", "", "--udp-ports", "", "--lease-range", "28500",
                        "--route-server", f"http://127.0.0.1:{port}/config",
                        "--poll-interval", "1s"], env=env, check=True, capture_output=True)
        procs.append(Proc([traefik, f"--configFile={out}/traefik.yml"], env,
                          os.path.join(d, "traefik.log")))
        subprocess.run([renet, "compose", "--network-id", net, "--repo", repo, "--", "up", "-d"],
                       env=env, cwd=repo, check=True, capture_output=True)
        host = f"app-{net}.bench.test"
        wait_for("the first route", 60, lambda: https_status(host, websecure) == 200)
        cid = subprocess.run(["docker", "ps", "-q", "--filter", "label=rediacc.service_name=app"],
                             env=docker_env, check=True, capture_output=True,
                             text=True).stdout.split()[0]
        for _ in range(args.rounds):
            subprocess.run(["docker", "stop", cid], env=docker_env, check=True,
                           capture_output=True)
            wait_for("the route to go", 60, lambda: https_status(host, websecure) == 404)
            time.sleep(1.3)  # let Traefik's provider throttle window pass
            subprocess.run(["docker", "start", cid], env=docker_env, check=True,
                           capture_output=True)
            t0 = time.monotonic()
            wait_for("the route", 60, lambda: https_status(host, websecure) == 200)
            times.append(time.monotonic() - t0)
        subprocess.run([renet, "compose", "--network-id", net, "--repo", repo, "--", "down"],
                       env=env, cwd=repo, capture_output=True)
    finally:
        for p in reversed(procs):
            p.stop()
        subprocess.run([renet, "daemon", "stop", "--network-id", net], env=env,
                       capture_output=True)
        subprocess.run(["umount", "-l", os.path.join(run_dir, f"docker-{net}/exec/netns/default")],
                       capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
    return times, ip


def busybox_image(d, docker_env, tag):
    """Import a busybox root filesystem (sh, httpd) as `tag` into the daemon of docker_env."""
    rootfs = os.path.join(d, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
    shutil.copy("/usr/bin/busybox", os.path.join(rootfs, "bin/busybox"))
    for a in ("sh", "httpd", "mkdir", "echo"):
        link = os.path.join(rootfs, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "-c", 'CMD ["/bin/sh"]', "-", tag],
                   stdin=tar.stdout, env=docker_env, check=True, capture_output=True)
    tar.wait()


def new_repository(args, renet):
    setup, why = real_setup(args, "rnn", "newrepo")
    if setup is None:
        return None, why
    traefik, d, run_dir, state_dir, repo, env = setup
    web, websecure = 28081, 28444
    # renet on PATH for the Rediaccfile's `renet compose`.
    env["PATH"] = os.path.dirname(renet) + os.pathsep + env.get("PATH", "")
    net = "16711552"  # far from the tests' 2816/2880 and part 2's 16711616
    docker_env = dict(env, DOCKER_HOST=f"unix://{run_dir}/docker-{net}.sock")
    procs = []
    took, served = [], []
    repo_args = ["--path", repo, "--network-id", net]
    try:
        with open(os.path.join(repo, "compose.yaml"), "w") as f:
            f.write("services:\n  app:\n    image: bench/busybox:1\n    stop_signal: SIGKILL\n"
                    "    labels:\n      rediacc.service_port: \"8080\"\n"
                    "    command: [\"sh\", \"-c\", \"mkdir -p /w && echo ok > /w/index.html && "
                    "exec httpd -f -p $${SERVICE_IP}:8080 -h /w\"]\n")
        with open(os.path.join(repo, "Rediaccfile"), "w") as f:
            f.write("up() { renet compose -- up -d; }\ndown() { renet compose -- down; }\n")
        # The image, once: the data-root (in the repository) outlives the daemon.
        subprocess.run([renet, "daemon", "start", "--network-id", net, "--repo", repo],
                       env=env, check=True, capture_output=True)
        busybox_image(d, docker_env, "bench/busybox:1")
        subprocess.run([renet, "daemon", "stop", "--network-id", net], env=env, check=True,
                       capture_output=True)
        port = free_port()
        procs.append(Proc([renet, "route-server", "--listen", f"127.0.0.1:{port}",
                           "--base-domain", "bench.test", "--no-watchdog"], env,
                          os.path.join(d, "rs.log")))
        out = os.path.join(d, "proxy")
        subprocess.run([renet, "proxy", "config", "--out", out, "--bind", "127.0.0.1",
                        "--web-port", str(web), "--websecure-port", str(websecure),
                        "--tcp-ports", "", "--udp-ports", "", "--lease-range", "28501",
                        "--route-server", f"http://127.0.0.1:{port}",
                        "--poll-interval", "1s"], env=env, check=True, capture_output=True)
        procs.append(Proc([traefik, f"--configFile={out}/traefik.yml"], env,
                          os.path.join(d, "traefik.log")))
        host = f"app-{net}.bench.test"
        wait_for("Traefik", 60, lambda: https_status(host, websecure) == 404)
        for _ in range(args.rounds):
            time.sleep(1.3)  # let Traefik's provider throttle window pass
            t0 = time.monotonic()
            subprocess.run([renet, "repository", "up", *repo_args], env=env, check=True,
                           capture_output=True)
            t1 = time.monotonic()
            wait_for("the new repository's route", 60,
                     lambda: https_status(host, websecure) == 200)
            served.append(time.monotonic() - t1)
            took.append(t1 - t0)
            subprocess.run([renet, "repository", "down", *repo_args, "--stop-daemon"], env=env,
                           check=True, capture_output=True)
            wait_for("the route to go", 60, lambda: https_status(host, websecure) == 404)
    finally:
        for p in reversed(procs):
            p.stop()
        subprocess.run([renet, "daemon", "stop", "--network-id", net], env=env,
                       capture_output=True)
        subprocess.run(["umount", "-l", os.path.join(run_dir, f"docker-{net}/exec/netns/default")],
                       capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
    return (served, took), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--renet", default="target/release/renet")
    ap.add_argument("--daemons", type=int, default=1000)
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--traefik")
    ap.add_argument("--skip-freshness", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args()
    renet = os.path.abspath(args.renet)

    if not args.skip_scale:
        print_scale(args, scale(args, renet))
    if not args.skip_freshness:
        times, why = freshness(args, renet)
        if times is None:
            print(f"| freshness | skipped: {why} |")
        else:
            print(f"| freshness: `docker start` to Traefik serving the host, 1 s polls, "
                  f"{len(times)} rounds | {median(times):.2f} s (min {min(times):.2f}, "
                  f"max {max(times):.2f}) |")
        result, why = new_repository(args, renet)
        if result is None:
            print(f"| new repository | skipped: {why} |")
        else:
            served, took = result
            print(f"| new repository: `repository up` returning to Traefik serving its first "
                  f"route, 1 s polls, route server at its default 5 s poll, {len(served)} rounds "
                  f"| {median(served):.2f} s (min {min(served):.2f}, max {max(served):.2f}) |")
            print(f"| `renet repository up` itself (daemon start, compose up), same rounds | "
                  f"{median(took):.2f} s |")


def print_scale(args, s):
    print(f"| route server, {s['daemons']:,} fake daemons x {args.containers} containers "
          f"({s['containers']:,} containers, {s['routers']:,} HTTP routers) | median |")
    print("|---|---|")
    print(f"| first configuration served after start | {s['first_ready_s']:.2f} s |")
    print(f"| refresh: list every daemon (64 at a time), {s['refreshes']} refreshes, nothing changed "
          f"({s['builds_steady']} rebuilds: the last build is reused) | {s['discover_ms']:.0f} ms |")
    print(f"| refresh after a change: build + serialise YAML and JSON (pure builder), "
          f"{s['rebuilds']} refreshes | {s['build_ms']:.0f} ms |")
    print(f"| GET /config ({s['config_bytes'] / 1e6:.1f} MB YAML), {args.requests} requests | "
          f"{s['config_ms']:.1f} ms (p99 {s['config_p99_ms']:.1f} ms) |")
    print(f"| GET /health | {s['health_ms']:.2f} ms |")
    print(f"| resident memory of the route server after the run (VmRSS) | {s['rss_mib']:.0f} MiB |")
    print(f"| peak resident memory over the run (VmHWM) | {s['peak_mib']:.0f} MiB |")
    print(f"| sockets held open by the route server (an event stream per daemon, "
          f"listener, connections) | {s['sockets']:,} |")
    if s["failed"]:
        print(f"| daemons that failed to answer in a refresh | {s['failed']} |")


if __name__ == "__main__":
    sys.exit(main())

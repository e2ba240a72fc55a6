#!/usr/bin/env python3
"""`renet doctor` benchmark (not a test). Prints a Markdown table for the README.

A fake Docker API (this script, asyncio, as benches/routes.py fakes it) listens on N unix
sockets `docker-<id>.sock` (default 100) in a private RENET_RUN_DIR, each answering /_ping,
/version (API 1.41), /info and /containers/json (20 labelled containers each). A real `renet
route-server` runs on that folder, so the route-server and proxy checks ask a real one.
`renet doctor --json` then runs --runs times (default 11) and the wall time of each run is
measured; the table gives the median, min and max. A second row repeats it with --hung of the
daemons accepting connections and never answering: every daemon is asked at once, each within
its own 1 s timeout, so hung daemons cost one timeout in all, not one each.

Everything doctor reads besides the daemons is this machine's (firewall, listeners,
/etc/resolv.conf); run it as root so the firewall is read as in production.

usage: python3 benches/doctor.py [--renet target/debug/renet] [--daemons 100]
       [--containers 20] [--runs 11] [--hung 5]
Build first: cargo build (the figures in the README name the build they were taken with).
"""
import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def network_ids(n):
    return [2816 + 64 * i for i in range(n)]


def block_addr(net, slot):
    return f"127.{(net >> 16) & 255}.{(net >> 8) & 255}.{(net & 255) + slot + 2}"


def containers_for(net, count):
    out = []
    for j in range(count):
        svc = f"svc{j:02d}"
        out.append({
            "Id": f"{net:08x}{j:056x}",
            "Names": [f"/repo{net}-{svc}-1"],
            "Image": "busybox",
            "State": "running",
            "Status": "Up 1 hour",
            "Labels": {
                "rediacc.service_name": svc,
                "rediacc.service_ip": block_addr(net, j),
                "rediacc.network_id": str(net),
                "rediacc.repo_name": f"repo{net}",
                "rediacc.service_port": str(8000 + j),
            },
        })
    return json.dumps(out).encode()


VERSION = json.dumps({"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12",
                      "Os": "linux", "Arch": "amd64"}).encode()


def strip_version(path):
    if path.startswith("/v") and "/" in path[1:]:
        head, rest = path[1:].split("/", 1)
        if head[1:].replace(".", "").isdigit():
            return "/" + rest
    return path


def handler(listing, count, hung):
    info = json.dumps({"Containers": count, "ContainersRunning": count}).encode()

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if hung:
                    await reader.read()  # accepts, never answers
                    return
                target = head.split(b"\r\n", 1)[0].decode().split(" ")[1]
                path = strip_version(target.split("?", 1)[0])
                if path == "/events":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n")
                    await writer.drain()
                    await reader.read()
                    return
                body, ctype, status = {
                    "/_ping": (b"OK", b"text/plain", b"200 OK"),
                    "/version": (VERSION, b"application/json", b"200 OK"),
                    "/info": (info, b"application/json", b"200 OK"),
                    "/containers/json": (listing, b"application/json", b"200 OK"),
                }.get(path, (b'{"message":"not found"}', b"application/json", b"404 Not Found"))
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype +
                             b"\r\nApi-Version: 1.41\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()
    return handle


class FakeDaemons:
    """N fake daemons in `run_dir`, on one asyncio loop in a thread; `hung` of them never answer."""

    def __init__(self, run_dir, nets, count, hung):
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, args=(run_dir, nets, count, hung), daemon=True)
        self.thread.start()
        self.ready.wait(60)

    def _run(self, run_dir, nets, count, hung):
        async def main():
            for i, net in enumerate(nets):
                path = os.path.join(run_dir, f"docker-{net}.sock")
                h = handler(containers_for(net, count), count, i < hung)
                await asyncio.start_unix_server(h, path=path, backlog=64)
            self.ready.set()
            await asyncio.Event().wait()
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(main())
        except RuntimeError:
            pass

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def time_doctor(renet, env, url, runs):
    times = []
    statuses = {}
    for _ in range(runs):
        t0 = time.monotonic()
        out = subprocess.run([renet, "doctor", "--json", "--route-server", url], env=env,
                             capture_output=True, text=True, timeout=120)
        times.append(time.monotonic() - t0)
        report = json.loads(out.stdout)
        statuses = {c["id"]: c["status"] for c in report["checks"]}
    return times, statuses


def measure(args, hung):
    root = tempfile.mkdtemp(prefix="rdoc-bench")
    run_dir, state_dir = os.path.join(root, "run"), os.path.join(root, "state")
    os.makedirs(run_dir)
    os.makedirs(state_dir)
    fakes = FakeDaemons(run_dir, network_ids(args.daemons), args.containers, hung)
    env = dict(os.environ, RENET_RUN_DIR=run_dir, RENET_STATE_DIR=state_dir)
    port = free_port()
    rs = subprocess.Popen([args.renet, "route-server", "--listen", f"127.0.0.1:{port}"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        time_doctor(args.renet, env, f"http://127.0.0.1:{port}", 1)  # warm the page cache
        return time_doctor(args.renet, env, f"http://127.0.0.1:{port}", args.runs)
    finally:
        rs.terminate()
        rs.wait(10)
        fakes.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--renet", default="target/debug/renet")
    ap.add_argument("--daemons", type=int, default=100)
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--hung", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(args.renet):
        sys.exit(f"{args.renet} not found: cargo build first")
    rows = []
    for hung in (0, args.hung):
        times, statuses = measure(args, hung)
        rows.append((hung, times, statuses))
    print(f"daemons: {args.daemons} fake, {args.containers} containers each; runs: {args.runs}; "
          f"machine: {os.cpu_count()} cores; renet: {args.renet}\n")
    print("| daemons that hang | median | min | max | daemons check |")
    print("|---|---|---|---|---|")
    for hung, times, statuses in rows:
        ms = [t * 1000 for t in times]
        print(f"| {hung} | {statistics.median(ms):.0f} ms | {min(ms):.0f} ms | {max(ms):.0f} ms "
              f"| {statuses.get('daemons', '?')} |")


if __name__ == "__main__":
    main()

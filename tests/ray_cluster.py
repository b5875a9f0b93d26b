"""A real two-node Ray cluster on 127.0.0.1 for the batch tests: its own temp dir, ports and auth token,
stopped by the PIDs it started (never `ray stop`, which ends every Ray on the machine, nor a match by name).

It lives in a network namespace of its own with only loopback: Ray turns 127.0.0.1 into the machine's
own address for any node that may join others, and a test's cluster must not listen there. The batch
drivers the tests start join that namespace (``command()``).
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
OBJECT_STORE = str(150 * 1024 * 1024)


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free now (held open together, so none is handed out twice)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), so a PID reused by another process is told apart."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def namespace_problem() -> str | None:
    """None if this machine lets us make a loopback-only network namespace (root, util-linux), else why not."""
    if not (shutil.which("unshare") and shutil.which("nsenter") and shutil.which("ip")):
        return "unshare, nsenter and ip (util-linux, iproute2) are needed for the test cluster's network namespace"
    r = subprocess.run(["unshare", "--net", "ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"cannot make a network namespace: {r.stderr.strip()}"


class Cluster:
    """``ray start --head --block`` and one ``ray start --address --block`` worker node, 1 CPU each."""

    def __init__(self) -> None:
        self.temp = tempfile.mkdtemp(prefix="nst-ray-", dir="/tmp")  # short: Ray's socket paths have a limit
        self.procs: list[subprocess.Popen] = []
        # its own token: a driver without it is refused, and no other Ray's token is needed or read
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token",
                    "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        self.netns = subprocess.Popen(["unshare", "--net", "sh", "-c", "ip link set lo up && exec sleep 86400"],
                                      start_new_session=True)
        self._wait_for_namespace()
        ports = free_ports(16)
        self.gcs, self.client_port = ports[0], ports[1]
        self.address = f"127.0.0.1:{self.gcs}"
        self.client = f"ray://127.0.0.1:{self.client_port}"
        head = ["--head", f"--port={self.gcs}", f"--ray-client-server-port={self.client_port}",
                f"--temp-dir={self.temp}", "--include-dashboard=false", *self._node_ports(ports[2:9], 21000)]
        self._start(head)
        self._wait_for_nodes(1)
        self._start([f"--address={self.address}", *self._node_ports(ports[9:16], 22000)])
        self._wait_for_nodes(2)

    def _wait_for_namespace(self, timeout: float = 30) -> None:
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # until unshare has moved into the new namespace with lo up
            try:
                if os.readlink(f"/proc/{self.netns.pid}/ns/net") != mine and \
                        os.readlink(f"/proc/{self.netns.pid}/exe").endswith("sleep"):
                    return
            except OSError:
                pass
            if self.netns.poll() is not None:
                raise RuntimeError("could not make the test cluster's network namespace")
            time.sleep(0.05)  # polling interval, not synchronisation
        raise RuntimeError("the test cluster's network namespace did not come up")

    def command(self, *cmd: str) -> list[str]:
        """``cmd`` run inside the cluster's network namespace."""
        return ["nsenter", f"--net=/proc/{self.netns.pid}/ns/net", "--", *cmd]

    @staticmethod
    def _node_ports(p: list[int], workers: int) -> list[str]:
        return [f"--node-manager-port={p[0]}", f"--object-manager-port={p[1]}",
                f"--dashboard-agent-listen-port={p[2]}", f"--dashboard-agent-grpc-port={p[3]}",
                f"--runtime-env-agent-port={p[4]}", f"--metrics-export-port={p[5]}",
                f"--min-worker-port={workers + p[6] % 700}", f"--max-worker-port={workers + p[6] % 700 + 99}"]

    def _start(self, args: list[str]) -> None:
        cmd = [RAY, "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1",
               f"--object-store-memory={OBJECT_STORE}", "--disable-usage-stats", *args]
        log = open(Path(self.temp) / f"start{len(self.procs)}.log", "w")
        self.procs.append(subprocess.Popen(self.command(*cmd), stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                           start_new_session=True))

    def _wait_for_nodes(self, n: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    logs = self.logs()
                    self.stop()
                    raise RuntimeError(f"ray start exited: {logs}")
            r = subprocess.run(self.command(RAY, "status", f"--address={self.address}"), capture_output=True, text=True,
                               env=self.env, timeout=60)
            if r.returncode == 0 and f"0.0/{n}.0 CPU" in r.stdout:  # every node's CPU seen, none in use
                return
            time.sleep(1)  # polling interval, not synchronisation
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"the Ray cluster did not come up with {n} nodes in {timeout:.0f} s: {logs}")

    def logs(self) -> str:
        return "\n".join(p.read_text()[-2000:] for p in sorted(Path(self.temp).glob("start*.log")))

    def workers(self) -> list[int]:
        """PIDs of every process the cluster's nodes started (services and workers)."""
        return [d for p in self.procs for d in descendants(p.pid)]

    def stop(self) -> None:
        """SIGTERM to each `ray start --block` (it stops its node), then SIGKILL whatever is left of what
        it had started: a test's cluster holds nothing worth its 30 s of draining."""
        started = [(pid, start_time(pid)) for pid in self.workers()]
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for pid, when in started:
            if when is not None and start_time(pid) == when:  # still the process the cluster started
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.netns.poll() is None:
            os.kill(self.netns.pid, signal.SIGKILL)
            self.netns.wait(timeout=10)
        shutil.rmtree(self.temp, ignore_errors=True)

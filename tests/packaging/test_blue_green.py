#!/usr/bin/env python3
"""Blue-green upgrade behind nginx with no failed request (issue 11; the README's "Upgrading without downtime").

Real processes on loopback: nginx (nginx-light, started here with the package's sample site, HTTPS), two smartbotd on
one config folder (blue, then green), and a load generator that keeps plain and streamed OpenAI chat requests going
through nginx the whole time, each on a fresh TLS connection, checking every reply (a JSON completion, or a stream
that ends with data: [DONE]). The steps are the README's:
  1. blue serves behind nginx; 2. green starts on the other port with the same config folder and gets ready;
  3. nginx's upstream is pointed at green and nginx reloaded (nginx -s reload);
  4. blue is drained (POST /admin/drain): it finishes what it has and exits 0.
Prints requests made and failed (each failure with its reason); fails unless none failed, both daemons served,
and blue exited 0 having drained.

Usage: test_blue_green.py SOURCE_DIR BUILD_DIR
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SRC, BUILD = (os.path.abspath(a) for a in sys.argv[1:3])
SMARTBOTD = os.path.join(BUILD, "server/daemon/smartbotd")
SAMPLE = os.path.join(SRC, "installers/deb/nginx-smartbot.conf")
PLAIN_WORKERS, STREAM_WORKERS = 3, 3
SECONDS_BEFORE, SECONDS_AFTER = 4.0, 4.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(why):
    print("FAIL:", why, flush=True)
    sys.exit(1)


class Daemon:
    def __init__(self, name, config, port, work):
        self.name, self.port = name, port
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([SMARTBOTD, "serve", "--config", config, "--port", str(port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                fail(f"{self.name} exited early:\n" + open(self.log_path).read())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.1)
        fail(f"{self.name} not ready:\n" + open(self.log_path).read())

    def served(self):
        """Chat requests this daemon answered, from its request log lines."""
        return len(re.findall(r" request \S+ /v1/chat/completions 200 ", open(self.log_path).read()))


class Nginx:
    def __init__(self, work, tls_port, http_port, cert, key):
        self.dir = os.path.join(work, "nginx")
        for sub in ("logs", "tmp"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.site = os.path.join(self.dir, "site.conf")
        self.tls_port, self.http_port, self.cert, self.key = tls_port, http_port, cert, key
        self.conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        with open(self.conf, "w") as f:
            f.write(f"""pid {d}/nginx.pid;
error_log {d}/logs/error.log;
worker_processes 2;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    include {self.site};
}}
""")

    def point_at(self, ports):
        """The package's sample site with this test's ports and certificate: its upstream on one daemon, or its two
        servers as they are (only the ports changed)."""
        text = open(SAMPLE).read()
        servers = re.findall(r"^\s*server 127\.0\.0\.1:(\d+)[^;]*;\n", text, re.M)
        lines = re.findall(r"^\s*server 127\.0\.0\.1:\d+[^;]*;\n", text, re.M)
        if len(servers) != 2:
            fail("the nginx sample's upstream no longer lists two servers")
        if len(ports) == 1:
            text = text.replace(lines[0], f"    server 127.0.0.1:{ports[0]};\n").replace(lines[1], "")
        else:
            for line, old, new in zip(lines, servers, ports):
                text = text.replace(line, line.replace(f":{old}", f":{new}"))
        text = text.replace("/etc/ssl/smartbot/fullchain.pem", self.cert)
        text = text.replace("/etc/ssl/smartbot/privkey.pem", self.key)
        text = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{self.tls_port} ssl http2;", text)
        text = re.sub(r"listen 80;", f"listen 127.0.0.1:{self.http_port};", text)
        text = re.sub(r"\s*listen \[::\]:\d+[^;]*;", "", text)
        with open(self.site, "w") as f:
            f.write(text)

    def run(self, *args):
        r = subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, *args], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"nginx {' '.join(args)}: {r.stderr}")

    def stop(self):
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, "-s", "quit"], capture_output=True)


class Load:
    """Workers sending chat requests through nginx until stopped; every reply is checked."""

    def __init__(self, port, cafile, key):
        self.port, self.key = port, key
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = {"plain": 0, "stream": 0}
        self.failures = []
        self.threads = [threading.Thread(target=self.work, args=(stream,))
                        for stream in [False] * PLAIN_WORKERS + [True] * STREAM_WORKERS]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def one(self, stream):
        body = json.dumps({"model": "stories260K", "messages": [{"role": "user", "content": "Once upon a time"}],
                           "max_tokens": 24, "stream": stream})
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.ctx, timeout=60)
        try:
            conn.request("POST", "/v1/chat/completions", body,
                         {"Authorization": "Bearer " + self.key, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read().decode("utf-8", "replace")
            if r.status != 200:
                return f"HTTP {r.status}: {data[:200]}"
            if stream:
                if not data.rstrip().endswith("data: [DONE]"):
                    return "stream ended without data: [DONE]: ..." + data[-200:]
                if '"error"' in data:
                    return "error event in the stream: " + data[-200:]
            elif not json.loads(data)["choices"][0]["message"]["content"]:
                return "empty completion"
            return None
        except Exception as e:  # a refused or reset connection, a timeout, a reply cut short
            return f"{type(e).__name__}: {e}"
        finally:
            conn.close()

    def work(self, stream):
        while not self.stop.is_set():
            problem = self.one(stream)
            with self.lock:
                self.done["stream" if stream else "plain"] += 1
                if problem:
                    self.failures.append((time.strftime("%H:%M:%S"), "stream" if stream else "plain", problem))

    def count(self):
        with self.lock:
            return sum(self.done.values())


def scenario(mode):
    """mode "reload": the README's steps (upstream moved to green, nginx -s reload, blue drained).
    mode "two-slot": the sample's upstream of two servers as it is; green starts in the empty slot, blue is drained
    with no nginx change at all (its 503s and then its refused connections are retried on green)."""
    print(f"--- {mode}", flush=True)
    if not os.access(SMARTBOTD, os.X_OK):
        fail(f"no {SMARTBOTD}")
    work = tempfile.mkdtemp(prefix="smartbot-bluegreen-")
    daemons, nginx = [], None
    try:
        config = os.path.join(work, "config")
        os.makedirs(config, mode=0o700)
        with open(os.path.join(config, "server.conf"), "w") as f:
            f.write("[network]\ntrusted_proxies = 127.0.0.1\n[logging]\ndir = logs\n")
        made = subprocess.run([SMARTBOTD, "key", "create", "--config", config, "--name", "load"],
                              capture_output=True, text=True)
        if made.returncode != 0:
            fail("key create: " + made.stderr)
        key = made.stdout.strip().split()[-1]
        cert, tlskey = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", tlskey, "-out", cert], check=True, capture_output=True)

        blue = Daemon("blue", config, free_port(), work)
        daemons.append(blue)
        blue.wait_ready()
        admin = open(os.path.join(config, "admin.key")).read().strip()
        nginx = Nginx(work, free_port(), free_port(), cert, tlskey)
        green_port = free_port()
        nginx.point_at([blue.port] if mode == "reload" else [blue.port, green_port])
        nginx.run()
        load = Load(nginx.tls_port, cert, key)
        t0 = time.time()
        load.start()
        time.sleep(SECONDS_BEFORE)
        print(f"blue alone: {load.count()} requests in {time.time() - t0:.1f} s", flush=True)

        green = Daemon("green", config, green_port, work)  # the new version, same config folder
        daemons.append(green)
        green.wait_ready()
        print(f"green ready after {time.time() - t0:.1f} s", flush=True)
        if mode == "reload":
            nginx.point_at([green.port])
            nginx.run("-t", "-q")
            nginx.run("-s", "reload")
            time.sleep(1.0)  # nginx's old workers pass on what they had accepted
        else:
            time.sleep(6.0)  # the sample's fail_timeout (5 s): nginx tries the green slot again
        req = urllib.request.Request(f"http://127.0.0.1:{blue.port}/admin/drain", data=b"{}", method="POST",
                                     headers={"X-API-Key": admin, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status != 202:
                fail(f"POST /admin/drain answered {r.status}")
        drained_at = time.time()
        try:
            blue_rc = blue.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            fail("blue did not exit within 60 s of the drain")
        print(f"blue drained and exited {blue_rc} after {time.time() - drained_at:.2f} s", flush=True)
        time.sleep(SECONDS_AFTER)
        load.finish()
        elapsed = time.time() - t0
        total = sum(load.done.values())
        print(f"requests: {total} in {elapsed:.1f} s ({load.done['plain']} plain, {load.done['stream']} streamed); "
              f"served by blue {blue.served()}, by green {green.served()}; failed: {len(load.failures)}", flush=True)
        for when, kind, why in load.failures[:20]:
            print(f"  failed at {when} ({kind}): {why}")
        blue_log = open(blue.log_path).read()
        if blue_rc != 0:
            fail(f"blue exited {blue_rc}:\n{blue_log[-2000:]}")
        if "drain" not in blue_log:
            fail("blue's log says nothing of a drain")
        if load.failures:
            fail(f"{len(load.failures)} of {total} requests failed during the switch")
        if blue.served() == 0 or green.served() == 0 or total < 200:
            fail(f"too little traffic to tell: blue {blue.served()}, green {green.served()}, total {total}")
        print(f"ok: blue-green upgrade behind nginx ({mode}), no request failed", flush=True)
    finally:
        if nginx:
            nginx.stop()
        for d in daemons:
            if d.proc.poll() is None:
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if not shutil.which("nginx"):
        fail("nginx is not installed (installers/setup-debian.sh installs nginx-light)")
    for m in ("reload", "two-slot"):
        scenario(m)

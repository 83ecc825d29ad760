#!/usr/bin/env python3
"""Regenerate the banner test vectors in this folder (run by hand, as root, once).

Network rule (LAB.md): the servers listen on 127.0.0.1 only, on high ports; the client
connects to them over lo. Nothing else is contacted. Every wait is bounded, and the servers
(started by this script, in the foreground) are killed by PID at the end, even on failure.

- openssh-server.txt: Debian's OpenSSH (`/usr/sbin/sshd -D -f <cfg>`, fresh host keys made
  with ssh-keygen in a temporary directory, listening on 127.0.0.1:<port>). The client sends
  our ident line `SSH-2.0-tidescan_0.1.0\r\n` (what src/banners/ssh.ts sends) and records
  every byte the server sends in 1.5 s: its ident line and its KEXINIT packet.
- nginx-response.txt: Debian's nginx (`nginx -p <tmp> -c <cfg> -g 'daemon off;'`, listening on
  127.0.0.1:<port>, serving Debian's default page /var/www/html/index.nginx-debian.html). The
  client sends tidescan's default HTTP request and records the whole response until nginx
  closes the connection.

Each file: `#` comment lines (what, how, the server's version), then `sent:`/`received:`
blocks of hex, 32 bytes a line.
"""
import os, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SSH_PORT = 47222
HTTP_PORT = 47280
OUR_IDENT = b"SSH-2.0-tidescan_0.1.0\r\n"
HTTP_REQUEST = (b"GET / HTTP/1.0\r\n"
                b"User-Agent: tidescan/0.1.0\r\n"
                b"Accept: */*\r\n\r\n")


def hexlines(b):
    return "\n".join(b[i:i + 32].hex() for i in range(0, len(b), 32))


def write(name, comments, sent, received):
    with open(os.path.join(HERE, name), "w") as f:
        for c in comments:
            f.write("# " + c + "\n")
        f.write("sent:\n" + hexlines(sent) + "\nreceived:\n" + hexlines(received) + "\n")


def wait_listen(port):
    for _ in range(50):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
            s.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def read_for(s, seconds, until_close=False):
    s.settimeout(0.2)
    got = b""
    end = time.time() + seconds
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        got += chunk
    return got


def capture_ssh(tmp):
    for t in ("ed25519", "ecdsa", "rsa"):
        subprocess.run(["ssh-keygen", "-q", "-t", t, "-N", "", "-f", f"{tmp}/host_{t}"], check=True)
    cfg = f"{tmp}/sshd_config"
    with open(cfg, "w") as f:
        f.write(f"ListenAddress 127.0.0.1:{SSH_PORT}\n")
        for t in ("ed25519", "ecdsa", "rsa"):
            f.write(f"HostKey {tmp}/host_{t}\n")
        f.write(f"PidFile {tmp}/sshd.pid\nUsePAM no\n")
    os.makedirs("/run/sshd", exist_ok=True)
    version = subprocess.run(["/usr/sbin/sshd", "-V"], capture_output=True, text=True).stderr.strip()
    p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", cfg])
    try:
        wait_listen(SSH_PORT)
        s = socket.create_connection(("127.0.0.1", SSH_PORT), timeout=2)
        s.sendall(OUR_IDENT)
        got = read_for(s, 1.5)
        s.close()
    finally:
        p.kill()
        p.wait(timeout=5)
    write("openssh-server.txt", [
        f"Debian's OpenSSH server ({version}), /usr/sbin/sshd -D -f <cfg> on 127.0.0.1:{SSH_PORT},",
        "host keys ed25519, ecdsa, rsa made by ssh-keygen; captured by capture.py in this folder.",
        "sent: our ident line; received: the server's ident line and its KEXINIT packet.",
    ], OUR_IDENT, got)


def capture_nginx(tmp):
    os.makedirs(f"{tmp}/logs", exist_ok=True)
    cfg = f"{tmp}/nginx.conf"
    with open(cfg, "w") as f:
        f.write(f"""pid {tmp}/nginx.pid;
error_log {tmp}/logs/error.log;
events {{ worker_connections 16; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  include /etc/nginx/mime.types;
  server {{
    listen 127.0.0.1:{HTTP_PORT};
    root /var/www/html;
    index index.nginx-debian.html;
  }}
}}
""")
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    p = subprocess.Popen(["nginx", "-p", tmp, "-c", cfg, "-g", "daemon off;"])
    try:
        wait_listen(HTTP_PORT)
        s = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=2)
        s.sendall(HTTP_REQUEST)
        got = read_for(s, 3)
        s.close()
    finally:
        # NOTE: SIGTERM, not SIGKILL: the master then stops its workers (a killed master
        # leaves them running).
        p.terminate()
        p.wait(timeout=5)
    write("nginx-response.txt", [
        f"Debian's nginx ({version}), nginx -p <tmp> -c <cfg> -g 'daemon off;' on 127.0.0.1:{HTTP_PORT},",
        "serving /var/www/html/index.nginx-debian.html; captured by capture.py in this folder.",
        "sent: tidescan's default HTTP request; received: the whole response (nginx closed).",
    ], HTTP_REQUEST, got)


tmp = tempfile.mkdtemp(prefix="tsbanner")
try:
    capture_ssh(tmp)
    capture_nginx(tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

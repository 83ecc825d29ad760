#!/usr/bin/env python3
"""Regenerate the Banners II test vectors in this folder (run by hand, as root, once).

Network rule (LAB.md): every server listens on 127.0.0.1 only, on a high port; the client
connects over lo. Nothing else is contacted. Every wait is bounded, and the servers (started
here, in the foreground) are killed by PID at the end, even on failure.

Each conversation is the one tidescan's module has (src/banners/*.ts): the same commands, in
the same order, each sent once the server's reply to the previous one has come. The TLS part
of the STARTTLS conversations is not captured (its ClientHello is per scan): the capture
stops at the server's go-ahead (`234`, `220 Ready to start TLS`, `+OK Begin TLS`, `a002 OK`).

Each file: `#` comment lines (what, how, the server's version), then `sent:`/`received:`
blocks of hex, 32 bytes a line (everything we sent, then everything we received).
"""
import os, re, shutil, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def hexlines(b):
    return "\n".join(b[i:i + 32].hex() for i in range(0, len(b), 32))


def write(name, comments, sent, received):
    with open(os.path.join(HERE, name), "w") as f:
        for c in comments:
            f.write("# " + c + "\n")
        f.write("sent:\n" + hexlines(sent) + "\nreceived:\n" + hexlines(received) + "\n")


def wait_listen(port, tries=100):
    for _ in range(tries):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
            s.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def converse(port, steps, settle=0.3):
    """steps: (regex the received bytes must match before we send, bytes to send or None).
    Returns (sent, received)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.settimeout(0.1)
    sent, got = b"", b""
    for pattern, data in steps:
        end = time.time() + 5
        while not re.search(pattern, got, re.S) and time.time() < end:
            try:
                c = s.recv(65536)
                if not c:
                    break
                got += c
            except socket.timeout:
                pass
        if not re.search(pattern, got, re.S):
            raise SystemExit(f"port {port}: {pattern!r} never came; got {got!r}")
        if data is not None:
            s.sendall(data)
            sent += data
    end = time.time() + settle
    while time.time() < end:
        try:
            c = s.recv(65536)
            if not c:
                break
            got += c
        except socket.timeout:
            pass
    s.close()
    return sent, got


def run(argv, port, tmp, **kw):
    p = subprocess.Popen(argv, stdout=open(f"{tmp}/{port}.log", "wb"), stderr=subprocess.STDOUT, **kw)
    try:
        wait_listen(port)
    except BaseException:
        p.kill()
        raise
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)


def cert(tmp):
    if not os.path.exists(f"{tmp}/cert.pem"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", "/CN=lab.tidescan.test", "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem"],
                       check=True, capture_output=True)
    return f"{tmp}/cert.pem", f"{tmp}/key.pem"


def pkg(name):
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", name], capture_output=True, text=True).stdout


def capture_ftp(tmp):
    port = 47221
    crt, key = cert(tmp)
    os.makedirs(f"{tmp}/ftproot", exist_ok=True)
    with open(f"{tmp}/vsftpd.conf", "w") as f:
        f.write(f"listen=YES\nlisten_address=127.0.0.1\nlisten_port={port}\nbackground=NO\n"
                f"anonymous_enable=YES\nanon_root={tmp}/ftproot\nsecure_chroot_dir=/var/run/vsftpd/empty\n"
                f"ssl_enable=YES\nrsa_cert_file={crt}\nrsa_private_key_file={key}\nallow_anon_ssl=YES\n"
                f"run_as_launching_user=NO\nseccomp_sandbox=NO\n")
    os.makedirs("/var/run/vsftpd/empty", exist_ok=True)
    p = run(["/usr/sbin/vsftpd", f"{tmp}/vsftpd.conf"], port, tmp)
    try:
        sent, got = converse(port, [(rb"^220 [^\n]*\n", b"AUTH TLS\r\n"), (rb"\n234 [^\n]*\n", None)])
    finally:
        stop(p)
    write("vsftpd-auth-tls.txt", [
        f"Debian's vsftpd {pkg('vsftpd')}, `vsftpd <cfg>` (anonymous, ssl_enable=YES, a self-signed",
        f"certificate) on 127.0.0.1:{port}; captured by capture2.py in this folder.",
        "sent: AUTH TLS after the greeting; received: the greeting and the 234 reply.",
    ], sent, got)


def capture_smtp(tmp):
    port = 47225
    crt, key = cert(tmp)
    os.chmod(key, 0o600)
    with open(f"{tmp}/smtpd.conf", "w") as f:
        f.write(f'pki lab.tidescan.test cert "{crt}"\npki lab.tidescan.test key "{key}"\n'
                f'listen on 127.0.0.1 port {port} tls pki lab.tidescan.test hostname lab.tidescan.test\n'
                f'action "local" mbox\nmatch from any for local action "local"\n')
    p = run(["/usr/sbin/smtpd", "-d", "-f", f"{tmp}/smtpd.conf"], port, tmp)
    try:
        sent, got = converse(port, [(rb"^220 [^\n]*\n", b"EHLO tidescan\r\n"), (rb"\n250 [^\n]*\n", b"STARTTLS\r\n"),
                                    (rb"\n220 [^\n]*\n", None)])
    finally:
        stop(p)
    write("opensmtpd-starttls.txt", [
        f"Debian's OpenSMTPD {pkg('opensmtpd')}, `smtpd -d -f <cfg>` (listen ... tls pki, a self-signed",
        f"certificate) on 127.0.0.1:{port}; captured by capture2.py in this folder.",
        "sent: EHLO tidescan, STARTTLS; received: the greeting, the EHLO reply, the 220 go-ahead.",
    ], sent, got)


def dovecot(tmp, imap, pop):
    crt, key = cert(tmp)
    os.makedirs(f"{tmp}/dovecot", exist_ok=True)
    with open(f"{tmp}/dovecot.conf", "w") as f:
        f.write(f"""base_dir = {tmp}/dovecot
state_dir = {tmp}/dovecot
log_path = /dev/stderr
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <{crt}
ssl_key = <{key}
auth_mechanisms = plain
passdb {{
  driver = static
  args = password=unused
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
    return f"{tmp}/dovecot.conf"


def capture_mail(tmp):
    imap, pop = 47243, 47210
    conf = dovecot(tmp, imap, pop)
    p = run(["/usr/sbin/dovecot", "-F", "-c", conf], imap, tmp)
    try:
        wait_listen(pop)
        isent, igot = converse(imap, [(rb"^\* OK [^\n]*\n", b"a001 CAPABILITY\r\n"), (rb"\na001 [^\n]*\n", b"a002 STARTTLS\r\n"),
                                      (rb"\na002 [^\n]*\n", None)])
        psent, pgot = converse(pop, [(rb"^\+OK [^\n]*\n", b"CAPA\r\n"), (rb"\n\.\r\n", b"STLS\r\n"),
                                     (rb"\.\r\n\+OK[^\n]*\n", None)])
    finally:
        stop(p)
    v = pkg("dovecot-core")
    write("dovecot-imap-starttls.txt", [
        f"Debian's Dovecot {v} (dovecot-imapd), `dovecot -F -c <cfg>` (ssl = yes, a self-signed",
        f"certificate) on 127.0.0.1:{imap}; captured by capture2.py in this folder.",
        "sent: a001 CAPABILITY, a002 STARTTLS; received: greeting, capability, a002 OK.",
    ], isent, igot)
    write("dovecot-pop3-stls.txt", [
        f"Debian's Dovecot {v} (dovecot-pop3d), `dovecot -F -c <cfg>` (ssl = yes, a self-signed",
        f"certificate) on 127.0.0.1:{pop}; captured by capture2.py in this folder.",
        "sent: CAPA, STLS; received: greeting, the CAPA list, +OK Begin TLS.",
    ], psent, pgot)


def capture_vnc(tmp):
    port = 47290
    p = run(["/usr/bin/Xtigervnc", ":47", "-rfbport", str(port), "-interface", "127.0.0.1", "-SecurityTypes", "None",
             "-desktop", "tidescan-lab", "-nolisten", "tcp", "-geometry", "800x600", "-depth", "24"], port, tmp)
    try:
        sent, got = converse(port, [(rb"^RFB 003\.008\n", b"RFB 003.008\n"), (rb"^.{12}\x01\x01$", b"\x01"),
                                    (rb"^.{14}\x00\x00\x00\x00$", b"\x01"), (rb"tidescan-lab$", None)])
    finally:
        stop(p)
    write("tigervnc-none.txt", [
        f"Debian's TigerVNC {pkg('tigervnc-standalone-server')}, `Xtigervnc :47 -rfbport {port} -interface 127.0.0.1",
        "-SecurityTypes None -desktop tidescan-lab -geometry 800x600 -depth 24`; captured by capture2.py.",
        "sent: RFB 003.008, security type 1, ClientInit (shared); received: version, types,",
        "SecurityResult, ServerInit with the desktop name.",
    ], sent, got)


def capture_telnet(tmp):
    port = 47223
    p = run(["/usr/bin/socat", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
             "EXEC:/usr/sbin/telnetd -h -E /bin/login"], port, tmp)
    # the replies are those of src/banners/telnet.ts to telnetd's negotiation, byte for byte
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.settimeout(0.1)
        sent, got = b"", b""
        answered = set()
        end = time.time() + 8
        i = 0
        while time.time() < end and not re.search(rb"login: ?$", got, re.I):
            try:
                c = s.recv(65536)
                if not c:
                    break
                got += c
            except socket.timeout:
                continue
            reply = b""
            while i < len(got):
                b = got[i]
                if b == 255 and i + 1 < len(got) and got[i + 1] in (251, 252, 253, 254):
                    if i + 2 >= len(got):
                        break
                    verb, opt = got[i + 1], got[i + 2]
                    key = (verb in (251, 252), opt)
                    if key not in answered:
                        answered.add(key)
                        if verb == 251:
                            reply += bytes([255, 253 if opt in (1, 3) else 254, opt])
                        elif verb == 253:
                            reply += bytes([255, 252, opt])
                    i += 3
                elif b == 255 and i + 1 < len(got) and got[i + 1] == 250:
                    j = got.find(b"\xff\xf0", i)
                    if j < 0:
                        break
                    i = j + 2
                else:
                    i += 1
            if reply:
                s.sendall(reply)
                sent += reply
        s.close()
    finally:
        stop(p)
    write("inetutils-telnetd.txt", [
        f"Debian's inetutils-telnetd {pkg('inetutils-telnetd')} under socat (`socat TCP-LISTEN:{port},bind=127.0.0.1,",
        "reuseaddr,fork EXEC:\"/usr/sbin/telnetd -h -E /bin/login\"`); captured by capture2.py.",
        "sent: the negotiation replies of src/banners/telnet.ts; received: up to the login prompt.",
    ], sent, got)


def capture_memcached(tmp):
    port = 47211
    p = run(["/usr/bin/memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", str(port), "-U", "0"], port, tmp)
    try:
        sent, got = converse(port, [(rb"", b"stats\r\n"), (rb"END\r\n$", None)])
    finally:
        stop(p)
    write("memcached-stats.txt", [
        f"Debian's memcached {pkg('memcached')}, `memcached -u nobody -l 127.0.0.1 -p {port} -U 0`;",
        "captured by capture2.py in this folder. sent: stats; received: the STAT lines and END.",
    ], sent, got)


def capture_redis(tmp):
    port = 47279
    p = run(["/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "no",
             "--daemonize", "no", "--save", "", "--dir", tmp], port, tmp)
    try:
        sent, got = converse(port, [(rb"", b"*1\r\n$4\r\ninfo\r\n"), (rb"^\$(\d+)\r\n.*\r\n$", None)])
    finally:
        stop(p)
    write("redis-info.txt", [
        f"Debian's redis-server {pkg('redis-server')}, `redis-server --bind 127.0.0.1 --port {port}",
        "--protected-mode no --daemonize no --save ''`; captured by capture2.py in this folder.",
        "sent: masscan HEAD's probe (INFO as a RESP array); received: the INFO bulk string.",
    ], sent, got)


CAPTURES = {"ftp": capture_ftp, "smtp": capture_smtp, "mail": capture_mail, "vnc": capture_vnc,
            "telnet": capture_telnet, "memcached": capture_memcached, "redis": capture_redis}

tmp = tempfile.mkdtemp(prefix="tsbanner2")
os.chmod(tmp, 0o755)
try:
    for name in (sys.argv[1:] or CAPTURES):
        CAPTURES[name](tmp)
        print("captured", name)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

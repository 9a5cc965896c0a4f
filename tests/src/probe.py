# Network probes run inside a sandbox: each prints one word (open/closed, an HTTP status, …) so
# the test can tell what the sandbox saw; what reached the target is counted at the target.
import base64, re, socket, ssl, struct, sys


def tcp(host, port):
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return "open"
    except Exception:
        return "closed"


def udp(host, port):
    try:
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.sendto(b"exfil", (host, int(port)))
        s.recvfrom(512)
        return "answered"
    except Exception:
        return "silent"


def resolve(name):
    try:
        socket.getaddrinfo(name, 80)
        return "resolved"
    except Exception:
        return "unresolved"


def dns(server, name, qtype="16"):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", int(qtype), 1)
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(q, (server, 53))
        data, _ = s.recvfrom(4096)
        rcode = data[3] & 0x0F
        answers = struct.unpack(">H", data[6:8])[0]
        return f"rcode{rcode}-answers{answers}"
    except Exception:
        return "silent"


def proxy_raw(proxy, port, payload_b64):
    payload = base64.b64decode(payload_b64)
    s = socket.create_connection((proxy, int(port)), timeout=5)
    s.sendall(payload)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except Exception:
        pass
    statuses = [m.decode() for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", out)]
    return ",".join(statuses) or "none"


def connect_tls(proxy, port, target, sni):
    s = socket.create_connection((proxy, int(port)), timeout=5)
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return "closed-before-reply"
        head += chunk
    status = head.split(b" ")[1].decode()
    if status != "200":
        return status
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        t = ctx.wrap_socket(s, server_hostname=sni)
        t.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
        data = t.recv(4096)
        return "tls-ok" if b"200 OK" in data else "tls-no-answer"
    except Exception:
        return "tls-refused"


def connect_raw(proxy, port, target):
    s = socket.create_connection((proxy, int(port)), timeout=5)
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            return "closed"
        head += chunk
    status = head.split(b" ")[1].decode()
    if status != "200":
        return status
    rest = head.split(b"\r\n\r\n", 1)[1]
    s.settimeout(5)
    try:
        rest += s.recv(100)
    except Exception:
        pass
    return "tunnel:" + rest.decode(errors="replace").strip()


def socks(proxy, port, host, target_port):
    s = socket.create_connection((proxy, int(port)), timeout=5)
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        return "no-method"
    h = host.encode()
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(h)]) + h + struct.pack(">H", int(target_port)))
    reply = s.recv(10)
    if len(reply) < 2:
        return "closed"
    if reply[1] != 0:
        return f"refused{reply[1]}"
    s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = s.recv(4096)
    return "socks-ok" if b"200 OK" in data else "socks-no-answer"


cmd, args = sys.argv[1], sys.argv[2:]
print({"tcp": tcp, "udp": udp, "resolve": resolve, "dns": dns, "proxy_raw": proxy_raw,
       "connect_tls": connect_tls, "connect_raw": connect_raw, "socks": socks}[cmd](*args))

# A test "internet" server: counts everything that reaches it, on the addresses it is given.
# Every accepted TCP connection and UDP datagram is one line in the events file:
#   tcp <ip>:<port> <peer>            (accepted)
#   sni <ip>:<port> <name>           (a TLS ClientHello's server name)
#   http <ip>:<port> <Host header> <path>
#   hdr <ip>:<port> <header line>   (x-api-key, authorization and x-test* headers: what a secret became)
#   udp <ip>:<port> <peer> <bytes>
#   ws <ip>:<port> <text>           (a websocket text frame received on /ws, echoed back)
# HTTP ports answer `hello <port> <host>`; /bytes/N answers N bytes; /git/PATH serves the file
# PATH of --static (a bare repository prepared for git's "dumb" HTTP protocol). TLS ports do the same after
# a handshake with the given certificate. Raw ports answer `hello` and close.
import argparse, base64, hashlib, os, socket, ssl, sys, threading

p = argparse.ArgumentParser()
p.add_argument("--events", required=True)
p.add_argument("--http", action="append", default=[])   # ip:port
p.add_argument("--tls", action="append", default=[])    # ip:port
p.add_argument("--raw", action="append", default=[])    # ip:port
p.add_argument("--udp", action="append", default=[])    # ip:port
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--static")                              # files served under /git/
a = p.parse_args()
lock = threading.Lock()


def event(line):
    with lock, open(a.events, "a") as f:
        f.write(line + "\n")


def split(addr):
    ip, port = addr.rsplit(":", 1)
    return ip.strip("[]"), int(port)


def family(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def serve_http(conn, where):
    conn.settimeout(10)
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        path = parts[1] if len(parts) > 1 else "/"
        host = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("host:")), "-")
        event(f"http {where} {host} {path}")
        headers = {}
        for l in lines[1:]:
            n = l.split(":", 1)[0].strip().lower()
            headers[n] = l.split(":", 1)[1].strip() if ":" in l else ""
            if n in ("x-api-key", "authorization") or n.startswith("x-test"):
                event(f"hdr {where} {l}")
        # A request body (Content-Length) is read and dropped.
        need = int(headers.get("content-length", "0") or 0)
        while len(buf) < need:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buf += chunk
        buf = buf[need:]
        if path == "/ws" and headers.get("upgrade", "").lower() == "websocket":
            websocket(conn, where, headers.get("sec-websocket-key", ""), buf)
            return
        if path.startswith("/git/") and a.static:
            rel = os.path.normpath(path[len("/git/"):].split("?")[0]).lstrip("/")
            full = os.path.join(a.static, rel)
            if ".." in rel.split("/") or not os.path.isfile(full):
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            data = open(full, "rb").read()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
            continue
        if path.startswith("/bytes/"):
            n = int(path[len("/bytes/"):])
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            block = b"x" * 65536
            while n > 0:
                k = min(n, len(block))
                conn.sendall(block[:k])
                n -= k
            continue
        body = f"hello {where.rsplit(':', 1)[1]} {host}\n".encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def websocket(conn, where, key, buf):
    # RFC 6455: the handshake, then one (masked, short) text frame from the client, echoed.
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
    while len(buf) < 2 or len(buf) < 6 + (buf[1] & 0x7F):
        chunk = conn.recv(65536)
        if not chunk:
            return
        buf += chunk
    n = buf[1] & 0x7F
    mask, data = buf[2:6], buf[6:6 + n]
    text = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    event(f"ws {where} {text.decode('utf-8', 'replace')}")
    conn.sendall(bytes([0x81, len(text)]) + text)


def listen_tcp(addr, kind):
    ip, port = split(addr)
    s = socket.socket(family(ip), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(64)
    ctx = None
    if kind == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)

        def on_sni(sock, name, _ctx):
            event(f"sni {addr} {name}")

        ctx.sni_callback = on_sni

    def handle(conn, peer):
        try:
            event(f"tcp {addr} {peer[0]}")
            if kind == "raw":
                conn.sendall(b"hello\n")
                return
            if kind == "tls":
                conn = ctx.wrap_socket(conn, server_side=True)
            serve_http(conn, addr)
        except Exception:
            pass
        finally:
            try:
                conn.close()
            except Exception:
                pass

    def loop():
        while True:
            conn, peer = s.accept()
            threading.Thread(target=handle, args=(conn, peer), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def listen_udp(addr):
    ip, port = split(addr)
    s = socket.socket(family(ip), socket.SOCK_DGRAM)
    s.bind((ip, port))

    def loop():
        while True:
            data, peer = s.recvfrom(65536)
            event(f"udp {addr} {peer[0]} {len(data)}")

    threading.Thread(target=loop, daemon=True).start()


for addr in a.http:
    listen_tcp(addr, "http")
for addr in a.tls:
    listen_tcp(addr, "tls")
for addr in a.raw:
    listen_tcp(addr, "raw")
for addr in a.udp:
    listen_udp(addr)
print("ready", flush=True)
sys.stdin.read()  # until the test closes stdin (or dies)
os._exit(0)

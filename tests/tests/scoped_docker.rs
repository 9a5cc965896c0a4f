//! Scoped Docker access (`--docker scoped`) against the real engine, the docker CLI and raw
//! HTTP inside the sandbox as the clients: the reference's 36 attacks each proven harmless at
//! the engine (the container, volume, network or image does not exist, the foreign object is
//! untouched), and the flows users need (build, run with `$PWD`, compose, exec, cp, logs,
//! networks, ports) working as on a host.

use std::collections::BTreeMap;
use std::path::Path;

use docksandbox::{DockerAccess, Sandbox};
use docksandbox_tests::{docker, docker_inspect, env_or_skip, BUSYBOX, DEBIAN};

const ATTACKS: &str = include_str!("../src/engine_attacks.py");
const OWNER: &str = "io.docksandbox.owner";

/// The creates the proxy neutralizes rather than refuses (top-level or lower-case HostConfig
/// fields dropped, the owner label overwritten, the published port not published on the host).
const NEUTRALIZED: &[&str] = &[
    "09-top-level-hostconfig",
    "10-lowercase-hostconfig",
    "35-spoofed-owner",
    "36-host-ip",
];

async fn sh(sb: &Sandbox, script: &str) -> (i64, String) {
    let out = sb.exec(["bash", "-c", script]).await.unwrap();
    (
        out.exit_code,
        format!("{}{}", out.stdout_str(), out.stderr_str()),
    )
}

async fn scoped(env: &docksandbox_tests::TestEnv, ws: &Path) -> Sandbox {
    env.builder(ws)
        .template(DEBIAN)
        .docker(DockerAccess::Scoped)
        .run()
        .await
        .expect("scoped sandbox")
}

/// Every container the agent of `sandbox` has, by name.
fn children(sandbox: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label={OWNER}={sandbox}"),
        "--format",
        "{{.Names}}",
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

/// A child container's settings reach nothing of the host.
fn assert_harmless(name: &str, ws: &Path, sandbox: &str) {
    let c = docker_inspect(name);
    let hc = &c["HostConfig"];
    assert_eq!(hc["Privileged"], false, "{name}");
    for b in hc["Binds"].as_array().into_iter().flatten() {
        let src = b.as_str().unwrap().split(':').next().unwrap();
        assert!(
            !src.starts_with('/') || Path::new(src).starts_with(ws),
            "{name} binds {src}"
        );
    }
    assert!(
        hc["CapAdd"].as_array().is_none_or(|a| a.is_empty()),
        "{name}"
    );
    for ns in ["PidMode", "IpcMode", "UTSMode", "UsernsMode"] {
        assert_ne!(hc[ns], "host", "{name} {ns}");
    }
    assert_eq!(
        hc["NetworkMode"].as_str().unwrap(),
        format!("{sandbox}-net"),
        "{name}"
    );
    assert!(
        hc["PortBindings"].as_object().is_none_or(|p| p.is_empty()),
        "{name} publishes {}",
        hc["PortBindings"]
    );
    assert_eq!(c["Config"]["Labels"][OWNER], sandbox, "{name}");
    assert_eq!(hc["LogConfig"]["Type"], "json-file", "{name}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_36_attacks_are_refused_or_neutralized_at_the_engine() {
    let env = env_or_skip!();
    let ws = env.workspace("attacks");
    std::os::unix::fs::symlink("/", ws.join("lnk")).unwrap();
    std::fs::create_dir(ws.join("d")).unwrap();
    std::fs::create_dir(ws.join("x")).unwrap();
    let sb = scoped(&env, &ws).await;
    let name = sb.name().to_string();
    let label = format!("dev.docksandbox.test-run={}", env.run_id);

    // Foreign objects, made on the host: a running container F (with an exec instance FX), a
    // stopped one F2, a volume, a network, an image.
    let f = docker(&["run", "-d", "--label", &label, BUSYBOX, "sleep", "300"])
        .trim()
        .to_string();
    let f2 = docker(&["create", "--label", &label, BUSYBOX, "true"])
        .trim()
        .to_string();
    let fvol = format!("atk-foreign-{}", env.run_id);
    docker(&["volume", "create", "--label", &label, &fvol]);
    let fnet = format!("atk-foreign-{}", env.run_id);
    docker(&["network", "create", "--label", &label, &fnet]);
    let fimg = BUSYBOX;
    let fimg_id = docker(&["image", "inspect", "-f", "{{.Id}}", fimg])
        .trim()
        .to_string();
    let fx = {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "--unix-socket",
                "/var/run/docker.sock",
                "-H",
                "Content-Type: application/json",
                "-d",
                r#"{"Cmd":["touch","/tmp/atk28fx"]}"#,
                &format!("http://d/v1.41/containers/{f}/exec"),
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["Id"].as_str().unwrap().to_string()
    };
    // O: the sandbox's own container, created, never started.
    let (code, o) = sh(
        &sb,
        &format!("docker create --name own-o {BUSYBOX} sleep 300"),
    )
    .await;
    assert_eq!(code, 0, "{o}");
    let o = o.trim().lines().last().unwrap().to_string();

    sb.write_file("/tmp/attacks.py", ATTACKS).await.unwrap();
    let args = serde_json::json!({
        "W": ws, "F": f, "FX": fx, "O": o, "FIMG": fimg, "FNET": fnet, "IMG": BUSYBOX,
    });
    let out = sb
        .exec(["python3", "/tmp/attacks.py", &args.to_string()])
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{}", out.stderr_str());
    let results: BTreeMap<String, Vec<u16>> = serde_json::from_str(out.stdout_str().trim())
        .unwrap_or_else(|e| panic!("{e}: {}", out.stdout_str()));
    assert!(results.len() >= 60, "{results:?}");
    let mut groups = std::collections::BTreeSet::new();
    for (key, statuses) in &results {
        groups.insert(key[..2].to_string());
        if NEUTRALIZED.contains(&key.as_str()) {
            assert_eq!(statuses, &vec![201], "{key}");
        } else if key == "27-pipelined" {
            // The ping is answered; the privileged create after it on the same connection is not.
            assert_eq!(statuses[0], 200, "{key}: {statuses:?}");
            assert!(
                statuses[1..].iter().all(|s| *s >= 400),
                "{key}: {statuses:?}"
            );
        } else if key.starts_with("30-") {
            // Prunes are allowed, scoped to the sandbox's objects (checked below).
            assert_eq!(statuses, &vec![200], "{key}");
        } else {
            assert!(
                statuses.iter().all(|s| *s >= 400 || *s == 0),
                "{key} was answered {statuses:?}"
            );
        }
    }

    // Attack 5: a bind source swapped for a symlink between create and start.
    let (code, outp) = sh(
        &sb,
        &format!(
            "docker create --name atk-05-swap -v {}/d:/d {BUSYBOX} true",
            ws.display()
        ),
    )
    .await;
    assert_eq!(code, 0, "{outp}");
    std::fs::remove_dir(ws.join("d")).unwrap();
    std::os::unix::fs::symlink("/etc", ws.join("d")).unwrap();
    let (code, outp) = sh(&sb, "docker start atk-05-swap").await;
    assert_ne!(code, 0, "{outp}");
    assert!(outp.contains("docksandbox"), "{outp}");
    groups.insert("05".into());

    // At the engine: only the neutralized creates exist, each harmless.
    let mine = children(&name);
    for c in &mine {
        if c == "own-o" {
            continue;
        }
        if c == "atk-05-swap" {
            assert_eq!(docker_inspect(c)["State"]["Running"], false);
            assert!(docker_inspect(c)["State"]["StartedAt"]
                .as_str()
                .unwrap()
                .starts_with("0001-"));
            continue;
        }
        let key = c
            .strip_prefix("atk-")
            .and_then(|k| k.rsplit_once('-'))
            .map(|(k, _)| k)
            .unwrap_or(c);
        assert!(NEUTRALIZED.contains(&key), "{c} exists at the engine");
        assert_harmless(c, &ws, &name);
    }
    let all_names = docker(&["ps", "-a", "--format", "{{.Names}}"]);
    for line in all_names.lines().filter(|l| l.starts_with("atk-")) {
        assert!(
            mine.contains(&line.to_string()),
            "{line} exists outside the sandbox"
        );
    }
    for n in ["atk-23a", "atk-27a", "atk-27b"] {
        assert!(!all_names.lines().any(|l| l == n), "{n} was created");
    }
    let spoofed = mine
        .iter()
        .find(|c| c.starts_with("atk-35-spoofed"))
        .unwrap();
    assert_eq!(docker_inspect(spoofed)["Config"]["Labels"][OWNER], name);
    // Volumes and networks of the attacks do not exist; the foreign ones are untouched.
    let volumes = docker(&["volume", "ls", "-q"]);
    assert!(
        !volumes
            .lines()
            .any(|v| v.starts_with("atk-06") || v == "atk-vol7"),
        "{volumes}"
    );
    assert!(
        volumes.lines().any(|v| v == fvol),
        "the foreign volume was pruned"
    );
    let networks = docker(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(
        !networks
            .lines()
            .any(|n| n == "atk-macvlan" || n == "atk-docker0"),
        "{networks}"
    );
    assert!(
        networks.lines().any(|n| n == fnet),
        "the foreign network was pruned"
    );
    assert!(docker_inspect(&o)["NetworkSettings"]["Networks"][&fnet].is_null());
    // 22: the owned container was not started with a HostConfig.
    let oi = docker_inspect(&o);
    assert_eq!(oi["State"]["Running"], false);
    assert_eq!(oi["HostConfig"]["Privileged"], false);
    // 30: lists and events inside show only the sandbox's objects.
    let (_, ps) = sh(&sb, "docker ps -a --format '{{.Names}}'").await;
    let listed: Vec<&str> = ps.lines().collect();
    assert!(!listed.is_empty());
    for l in &listed {
        assert!(
            mine.iter().any(|m| m == l) || *l == "atk-05-swap",
            "{l} listed inside"
        );
    }
    let (_, events) = sh(
        &sb,
        "docker events --since 0 --until \"$(date +%s)\" --format '{{.Actor.Attributes.name}}'",
    )
    .await;
    for e in events.lines().filter(|l| !l.is_empty()) {
        assert!(
            mine.iter().any(|m| m == e) || e.starts_with("atk-"),
            "event of {e} seen inside"
        );
    }
    // 30: a container prune inside removes the sandbox's stopped containers, no other.
    let (code, pruned) = sh(&sb, "docker container prune -f").await;
    assert_eq!(code, 0, "{pruned}");
    assert!(
        docker_inspect(&o).is_null(),
        "the owned stopped container was not pruned"
    );
    // 28, 29, 30: the foreign containers are there, unchanged.
    let fi = docker_inspect(&f);
    assert_eq!(fi["State"]["Running"], true);
    assert!(
        !docker_inspect(&f2).is_null(),
        "the stopped foreign container was pruned"
    );
    let ls = docker(&["exec", &f, "ls", "/tmp"]);
    assert!(!ls.contains("atk28"), "{ls}");
    // 31, 34: no image was built, committed, tagged or imported; the foreign image is the same.
    let images = docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    for i in ["atk-build", "atk-commit", "atk-retag", "atk-import"] {
        assert!(!images.contains(i), "{i} exists: {images}");
    }
    assert_eq!(
        docker(&["image", "inspect", "-f", "{{.Id}}", fimg]).trim(),
        fimg_id
    );
    // 32: no swarm, no plugin.
    assert_eq!(
        docker(&["info", "-f", "{{.Swarm.LocalNodeState}}"]).trim(),
        "inactive"
    );
    assert!(docker(&["plugin", "ls", "-q"]).trim().is_empty());
    let every: Vec<String> = (1..=36).map(|i| format!("{i:02}")).collect();
    for g in &every {
        assert!(groups.contains(g), "attack {g} not run");
    }

    sb.remove().await.unwrap();
    assert!(
        children(&name).is_empty(),
        "children outlived their sandbox"
    );
    assert_eq!(docker_inspect(&f)["State"]["Running"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docker_cli_inside_is_refused_what_reaches_the_host() {
    let env = env_or_skip!();
    let ws = env.workspace("cli-refusals");
    let sb = scoped(&env, &ws).await;
    let name = sb.name().to_string();
    let foreign = docker(&[
        "run",
        "-d",
        "--label",
        &format!("dev.docksandbox.test-run={}", env.run_id),
        BUSYBOX,
        "sleep",
        "300",
    ]);
    let foreign = foreign.trim();
    for (i, flags) in [
        "--privileged".to_string(),
        "-v /:/host".into(),
        "-v /etc:/etc2".into(),
        "--mount type=bind,source=/,target=/h".into(),
        "--cap-add SYS_ADMIN".into(),
        "--cap-add ALL".into(),
        "--device /dev/null:/dev/x".into(),
        "--pid host".into(),
        "--ipc host".into(),
        "--uts host".into(),
        "--userns host".into(),
        "--network host".into(),
        format!("--pid container:{foreign}"),
        format!("--network container:{foreign}"),
        format!("--volumes-from {foreign}"),
        format!("--link {foreign}:db"),
        "--security-opt seccomp=unconfined".into(),
        "--security-opt apparmor=unconfined".into(),
        "--security-opt systempaths=unconfined".into(),
        "--sysctl kernel.shmmax=1".into(),
        "--cgroup-parent /".into(),
        "--runtime nvidia".into(),
        "--log-driver syslog --log-opt syslog-address=udp://169.254.169.254:514".into(),
        "--oom-kill-disable".into(),
        "--oom-score-adj -1000".into(),
        "--cpuset-cpus 0".into(),
        format!("-v {}/x:/x:rshared", ws.display()),
    ]
    .iter()
    .enumerate()
    {
        let (code, out) = sh(
            &sb,
            &format!("docker run --rm --name cli-{i} {flags} {BUSYBOX} true"),
        )
        .await;
        assert_ne!(code, 0, "docker run {flags} succeeded: {out}");
        assert!(out.contains("docksandbox"), "docker run {flags}: {out}");
    }
    for cmd in [
        format!("docker exec {foreign} true"),
        format!("docker logs {foreign}"),
        format!("docker cp {foreign}:/etc/hostname /tmp/x"),
        "docker network create -d macvlan -o parent=eth0 mv".to_string(),
        "docker volume create -o type=none -o o=bind -o device=/ rootvol".into(),
        "docker swarm init".into(),
        "docker plugin install vieux/sshfs".into(),
        format!("docker tag {BUSYBOX} mine:1"),
        format!("docker rmi {BUSYBOX}"),
    ] {
        let (code, out) = sh(&sb, &cmd).await;
        assert_ne!(code, 0, "{cmd} succeeded: {out}");
    }
    assert!(children(&name).is_empty(), "{:?}", children(&name));
    assert_eq!(docker_inspect(foreign)["State"]["Running"], true);
    let vols = docker(&["volume", "ls", "-q"]);
    assert!(!vols.lines().any(|v| v == "rootvol"));
    sb.remove().await.unwrap();
}

/// A compose project: a web server on a named volume, its page written by a one-off service.
const COMPOSE: &str = r#"version: "3.8"
services:
  web:
    image: docksandbox/busybox:test
    command: ["sh", "-c", "mkdir -p /www && echo served-by-compose > /www/index.html && httpd -f -p 8000 -h /www"]
    volumes: ["data:/data"]
    networks:
      default:
        aliases: ["site"]
volumes:
  data: {}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn build_run_compose_exec_cp_logs_networks_and_ports_work_from_inside() {
    let env = env_or_skip!();
    let ws = env.workspace("flows");
    std::fs::write(
        ws.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nRUN echo built-here > /built\nLABEL made=inside\n"),
    )
    .unwrap();
    std::fs::write(ws.join("input.txt"), "from the workspace\n").unwrap();
    std::fs::create_dir(ws.join("data")).unwrap();
    std::fs::write(ws.join("data/f"), "read-only data\n").unwrap();
    std::fs::write(ws.join("docker-compose.yml"), COMPOSE).unwrap();
    let sb = scoped(&env, &ws).await;
    let name = sb.name().to_string();
    let app = format!("app-{}", env.run_id);
    let www = "sh -c 'mkdir -p /www && echo pong > /www/index.html && httpd -f -p 8000 -h /www'";
    let run = |script: String| {
        let sb = &sb;
        async move {
            let (code, out) = sh(sb, &format!("set -e\n{script}")).await;
            assert_eq!(code, 0, "{script}\n{out}");
            out
        }
    };

    // 1. Build: the image is the sandbox's.
    let out = run(format!("docker build -q -t {app} . && docker image inspect {app} --format '{{{{index .Config.Labels \"io.docksandbox.owner\"}}}} {{{{index .Config.Labels \"made\"}}}}'")).await;
    assert!(out.trim().ends_with(&format!("{name} inside")), "{out}");
    // 10. BuildKit (its session hijacked through the proxy), without a network: BuildKit cannot
    // use the sandbox's, and is refused one.
    let out = run(format!("DOCKER_BUILDKIT=1 docker build -q --network none -t {app}-bk . >/dev/null && docker image inspect {app}-bk --format '{{{{index .Config.Labels \"io.docksandbox.owner\"}}}}' && (DOCKER_BUILDKIT=1 docker build -t {app}-bk2 . 2>&1 || true)")).await;
    assert!(out.contains(&name), "{out}");
    assert!(out.contains("BuildKit build with a network"), "{out}");
    // 2, 3. Run with the workspace at its own path, and a read-only bind of a part of it.
    let out = run(format!(
        "docker run --rm -v \"$PWD\":/app -w /app {app} sh -c 'cat /built input.txt'"
    ))
    .await;
    assert!(
        out.contains("built-here") && out.contains("from the workspace"),
        "{out}"
    );
    let out = run(format!("docker run --rm -v \"$PWD/data\":/data:ro {app} sh -c 'cat /data/f; touch /data/g 2>&1 || echo refused-write'")).await;
    assert!(
        out.contains("read-only data") && out.contains("refused-write"),
        "{out}"
    );
    assert!(!ws.join("data/g").exists());
    // 9. A network of its own, a server on it reached by name, ps, cp, exec (hijacked both
    // ways), logs, rm.
    let out = run(format!(
        "docker network create t >/dev/null
         docker run -d --name web --network t {app} {www} >/dev/null
         sleep 1
         docker run --rm --network t {app} wget -qO- http://web:8000/
         docker ps --format '{{{{.Names}}}}'
         echo copied > /tmp/c.txt && docker cp /tmp/c.txt web:/tmp/c.txt && docker exec web cat /tmp/c.txt
         echo 'echo hijacked-$((40+2))' | docker exec -i web sh
         docker logs web 2>&1 | head -3; echo logs-done
         (timeout 2 docker logs -f web; true) | head -1 >/dev/null; echo follow-done
         docker cp web:/built /tmp/built-out && cat /tmp/built-out"
    ))
    .await;
    for want in [
        "pong",
        "web",
        "copied",
        "hijacked-42",
        "logs-done",
        "follow-done",
        "built-here",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
    // Ports: published by the proxy on the sandbox's network, never on the host.
    let out = run(format!(
        "docker run -d --name pub -p 8080:8000 {app} {www} >/dev/null
         sleep 1
         docker port pub 8000
         curl -s --max-time 5 http://docksandbox-docker:8080/"
    ))
    .await;
    assert!(out.contains(":8080") && out.contains("pong"), "{out}");
    let host_ports = docker_inspect("pub")["HostConfig"]["PortBindings"].clone();
    assert!(
        host_ports.as_object().is_none_or(|p| p.is_empty()),
        "{host_ports}"
    );
    assert!(docker(&["port", "pub"]).trim().is_empty());
    // 4. Compose with a named volume and an alias; then down -v removes what it made.
    let out = run("docker compose up -d 2>&1
         sleep 2
         curl -s --noproxy '*' --max-time 5 http://site:8000/ || docker compose logs
         docker compose ps
         docker compose down -v 2>&1"
        .into())
    .await;
    assert!(out.contains("served-by-compose"), "{out}");
    let vols = docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("label={OWNER}={name}"),
    ]);
    assert!(!vols.contains("flows_data"), "{vols}");
    // 8. exec -it through a terminal.
    let out =
        run("script -qec 'docker exec -it web sh -c \"tty && echo tty-ok\"' /dev/null".into())
            .await;
    assert!(out.contains("tty-ok") && out.contains("/dev/pts"), "{out}");

    // The children show in inspect and go with the sandbox.
    let info = sb.inspect().await.unwrap();
    let kids = info.children.expect("children in inspect");
    assert!(kids.containers.iter().any(|c| c == "web"), "{kids:?}");
    assert!(kids.networks.iter().any(|n| n == "t"), "{kids:?}");
    sb.remove().await.unwrap();
    assert!(children(&name).is_empty());
    let nets = docker(&[
        "network",
        "ls",
        "--filter",
        &format!("label={OWNER}={name}"),
        "-q",
    ]);
    assert!(nets.trim().is_empty(), "{nets}");
    docker(&["rmi", &app, &format!("{app}-bk")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_scoped_sandboxes_cannot_see_or_touch_each_others_containers() {
    let env = env_or_skip!();
    let a = scoped(&env, &env.workspace("one")).await;
    let b = scoped(&env, &env.workspace("two")).await;
    let (code, out) = sh(
        &a,
        &format!("docker run -d --name only-a {BUSYBOX} sleep 300"),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let (_, ps) = sh(&b, "docker ps -a --format '{{.Names}}'").await;
    assert!(!ps.contains("only-a"), "{ps}");
    for cmd in [
        "docker inspect only-a",
        "docker exec only-a true",
        "docker logs only-a",
        "docker stop only-a",
        "docker rm -f only-a",
    ] {
        let (code, out) = sh(&b, cmd).await;
        if cmd.starts_with("docker rm") {
            continue; // `rm -f` of a missing container exits 0; checked below
        }
        assert_ne!(code, 0, "{cmd}: {out}");
    }
    assert_eq!(docker_inspect("only-a")["State"]["Running"], true);
    a.remove().await.unwrap();
    b.remove().await.unwrap();
    assert!(docker_inspect("only-a").is_null());
}

/// Python's testcontainers (fetched by scripts/setup.sh --all) inside the sandbox: ping, info,
/// image list, a container started with a mapped port and read through it. Ryuk (which needs
/// Docker Hub) is off; what it relies on, a child that binds `/var/run/docker.sock`, is
/// checked directly: the child gets the sandbox's scoped engine, never the host's.
const TESTCONTAINERS_FLOW: &str = r#"
import urllib.request
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import wait_for_logs
import docker
client = docker.from_env()
assert client.ping()
print("images:", len(client.images.list()) > 0)
cmd = ["sh", "-c", "mkdir -p /www && echo tc-pong > /www/index.html && echo ready && httpd -f -p 8000 -h /www"]
with DockerContainer(IMAGE).with_command(cmd).with_exposed_ports(8000) as c:
    wait_for_logs(c, "ready", timeout=30)
    url = f"http://{c.get_container_host_ip()}:{c.get_exposed_port(8000)}/"
    print(url, urllib.request.urlopen(url, timeout=10).read().decode().strip())
"#;

#[tokio::test(flavor = "multi_thread")]
async fn testcontainers_and_a_socket_binding_child_work_inside() {
    let env = env_or_skip!();
    let ws = env.workspace("testcontainers");
    let deps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pydeps/testcontainers");
    assert!(
        deps.join(".done").exists(),
        "Python's testcontainers is missing: run scripts/setup.sh --all"
    );
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(&deps)
        .arg(ws.join(".pydeps"))
        .status()
        .unwrap();
    assert!(copied.success());
    std::fs::write(
        ws.join("flow.py"),
        format!("IMAGE = {BUSYBOX:?}\n{TESTCONTAINERS_FLOW}"),
    )
    .unwrap();
    let sb = scoped(&env, &ws).await;
    let name = sb.name().to_string();
    let (code, out) = sh(
        &sb,
        "PYTHONPATH=$PWD/.pydeps TESTCONTAINERS_RYUK_DISABLED=true python3 flow.py 2>&1",
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("images: True") && out.contains("tc-pong"),
        "{out}"
    );
    // A child binding the engine socket (as Ryuk does) talks to this sandbox's proxy.
    let (code, out) = sh(
        &sb,
        &format!(
            "docker run -d --name marker {BUSYBOX} sleep 60 >/dev/null && \
             docker run --rm -v /var/run/docker.sock:/var/run/docker.sock {DEBIAN} \
               curl -s --unix-socket /var/run/docker.sock 'http://d/v1.41/containers/json?all=1'"
        ),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let listed: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["Names"][0].as_str())
        .collect();
    assert!(names.contains(&"/marker"), "{names:?}");
    let on_host = docker(&["ps", "-a", "-q"]).lines().count();
    assert!(
        names.len() < on_host,
        "the child saw the host's engine: {names:?}"
    );
    for n in &names {
        let c = docker_inspect(n.trim_start_matches('/'));
        if c.is_null() {
            continue; // the listing child itself, removed (`--rm`)
        }
        assert_eq!(c["Config"]["Labels"][OWNER], name.as_str(), "{n}");
    }
    sb.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_its_proxy_down_the_sandbox_has_no_engine_and_run_brings_it_back() {
    let env = env_or_skip!();
    let ws = env.workspace("fail-closed");
    let sb = scoped(&env, &ws).await;
    let proxy = format!("{}-docker", sb.name());
    docker(&["stop", "-t", "1", &proxy]);
    let (code, out) = sh(&sb, &format!("docker run --rm {BUSYBOX} true")).await;
    assert_ne!(code, 0, "{out}");
    // Nothing reached the engine: the sandbox has no containers of its own.
    assert!(children(sb.name()).is_empty());
    // No way around it: the engine's own socket is not in the sandbox.
    let (code, _) = sh(
        &sb,
        "ls /run/docker.sock /var/run/docker.sock.real 2>/dev/null",
    )
    .await;
    assert_ne!(code, 0);
    let again = scoped(&env, &ws).await;
    assert_eq!(again.id(), sb.id());
    let (code, out) = sh(&again, &format!("docker run --rm {BUSYBOX} echo back")).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("back"));
    again.remove().await.unwrap();
    assert!(
        docker_inspect(&proxy).is_null(),
        "the proxy outlived its sandbox"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_removed_behind_our_back_leaves_nothing_after_prune() {
    let env = env_or_skip!();
    let sb = scoped(&env, &env.workspace("orphan")).await;
    let name = sb.name().to_string();
    let (code, out) = sh(
        &sb,
        &format!("docker run -d --name orphan-child {BUSYBOX} sleep 300"),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    docker(&["rm", "-f", sb.id()]);
    env.client.prune().await.unwrap();
    assert!(
        docker_inspect(&format!("{name}-docker")).is_null(),
        "the engine proxy is left"
    );
    assert!(
        children(&name).is_empty(),
        "the agent's containers are left"
    );
}

/// A registry of the test's own on the host's loopback (Debian's docker-registry), where the
/// engine pulls from: `docker pull` inside a scoped sandbox fetches into the shared cache, and
/// the pulled image runs; raw `curl` on the socket is refused what the docker CLI is.
#[tokio::test(flavor = "multi_thread")]
async fn pull_from_a_registry_and_curl_on_the_socket() {
    let env = env_or_skip!();
    let ws = env.workspace("pull");
    let dir = env.workspace("registry-data");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = dir.join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("store").display()
        ),
    )
    .unwrap();
    let mut registry = std::process::Command::new("docker-registry")
        .arg("serve")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("docker-registry (scripts/start-docker.sh installs it)");
    let image = format!("127.0.0.1:{port}/tc/busybox:{}", env.run_id);
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    docker(&["tag", BUSYBOX, &image]);
    let pushed = std::process::Command::new("docker")
        .args(["push", &image])
        .output()
        .unwrap();
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    docker(&["rmi", &image]);
    let sb = scoped(&env, &ws).await;
    let (code, out) = sh(
        &sb,
        &format!("docker pull -q {image} && docker run --rm {image} echo pulled"),
    )
    .await;
    let _ = registry.kill();
    let _ = registry.wait();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("pulled"), "{out}");
    // The raw socket with curl: refused what the CLI is, nothing created.
    for body in [
        format!(r#"{{"Image":"{BUSYBOX}","HostConfig":{{"Privileged":true}}}}"#),
        format!(r#"{{"Image":"{BUSYBOX}","HostConfig":{{"Binds":["/:/h"]}}}}"#),
        format!(r#"{{"Image":"{BUSYBOX}","HostConfig":{{"PidMode":"host"}}}}"#),
    ] {
        let (_, status) = sh(
            &sb,
            &format!(
                "curl -s -o /dev/null -w '%{{http_code}}' --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -d '{body}' 'http://d/v1.41/containers/create?name=curl-atk'"
            ),
        )
        .await;
        assert_eq!(status.trim(), "403", "{body}");
        assert!(docker_inspect("curl-atk").is_null());
    }
    sb.remove().await.unwrap();
    docker(&["rmi", &image]);
}

//! The exec channel: commands run through the in-sandbox helper (`docksandbox-execd`), many at
//! once, with back-pressure, kills, reconnection after the helper dies, and the engine's exec
//! as the fallback for sandboxes without the helper.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use docksandbox::{Error, ExecEvent, ExecOptions, Sandbox, TtySize};
use docksandbox_execd::frame::{self, Decoder};
use docksandbox_execd::message::{kind, Hello};
use docksandbox_tests::{docker, env_or_skip};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

const HELPER: &str = "/mnt/docksandbox/bin/execd";

/// The command line of the process that started a command: `HELPER serve` through the
/// channel; through the engine's exec the parent is outside the container (pid 0, no file).
async fn parent_of_a_command(sb: &Sandbox) -> String {
    let out = sb
        .exec([
            "sh",
            "-c",
            "tr '\\0' ' ' < /proc/$PPID/cmdline 2>/dev/null; true",
        ])
        .await
        .unwrap();
    out.stdout_str().trim().to_string()
}

/// Reads a process's events until its stdout holds `want`; returns what was read.
async fn read_until(
    events: &mut futures_util::stream::BoxStream<'static, docksandbox::Result<ExecEvent>>,
    want: &str,
) -> String {
    let mut got = String::new();
    while !got.contains(want) {
        match events.next().await {
            Some(Ok(ExecEvent::Stdout(b))) => got.push_str(&String::from_utf8_lossy(&b)),
            Some(Ok(ExecEvent::Stderr(_))) => {}
            other => panic!("waiting for {want:?}, got {other:?}; seen {got:?}"),
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_run_through_the_helper_which_is_root_only_and_listens_on_nothing() {
    let env = env_or_skip!();
    let ws = env.workspace("through");
    let sb = env.builder(&ws).run().await.unwrap();
    assert_eq!(parent_of_a_command(&sb).await, format!("{HELPER} serve"));
    let out = sb
        .exec_with(
            [
                "sh",
                "-c",
                &format!(
                    "stat -c '%a %u' {HELPER}; \
                     awk 'NR>1 && $4==\"00010000\"' /proc/net/unix; \
                     awk 'NR>1 && $4==\"0A\" && $2 !~ /^0B00007F:/' /proc/net/tcp /proc/net/tcp6 2>/dev/null"
                    // (127.0.0.11 is the engine's own resolver on the sandbox's network.)
                ),
            ],
            ExecOptions::default().user("0:0"),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "700 0\n", "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helper_comes_from_one_shared_volume_that_no_sandbox_can_write() {
    let env = env_or_skip!();
    let (a, b) = (env.workspace("shared a"), env.workspace("shared b"));
    let (a, b) = tokio::join!(env.builder(&a).run(), env.builder(&b).run());
    let (a, b) = (a.unwrap(), b.unwrap());
    let mount_of = |id: &str| {
        docker(&[
            "inspect",
            "-f",
            "{{range .Mounts}}{{if eq .Destination \"/mnt/docksandbox/bin\"}}{{.Type}} {{.Name}} {{.RW}}{{end}}{{end}}",
            id,
        ])
        .trim()
        .to_string()
    };
    let (ma, mb) = (mount_of(a.id()), mount_of(b.id()));
    assert!(
        ma.starts_with("volume docksandbox-execd-") && ma.ends_with(" false"),
        "{ma}"
    );
    assert_eq!(ma, mb, "both sandboxes mount the same helper volume");
    // Root in one sandbox cannot change what the other runs.
    let out = a
        .exec_with(
            [
                "sh",
                "-c",
                &format!("echo x > {HELPER} || echo refused; touch /mnt/docksandbox/bin/new || echo refused"),
            ],
            ExecOptions::default().user("0:0"),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "refused\nrefused\n", "{out:?}");
    assert_eq!(parent_of_a_command(&b).await, format!("{HELPER} serve"));
    let out = b.exec(["true"]).await.unwrap();
    assert_eq!(out.exit_code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_processes_at_once_each_get_their_own_output() {
    let env = env_or_skip!();
    let ws = env.workspace("fifty");
    let sb = env.builder(&ws).run().await.unwrap();
    let runs = (0..50).map(|i| {
        let sb = sb.clone();
        async move {
            let script = format!("echo out-{i}; sleep 0.3; echo err-{i} >&2; exit {}", i % 7);
            (i, sb.exec(["sh", "-c", &script]).await.unwrap())
        }
    });
    for (i, out) in futures_util::future::join_all(runs).await {
        assert_eq!(
            (out.stdout_str(), out.stderr_str(), out.exit_code),
            (format!("out-{i}\n"), format!("err-{i}\n"), i % 7)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_flooding_stdout_does_not_stall_one_that_reads_stdin() {
    let env = env_or_skip!();
    let ws = env.workspace("flood");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut flood = sb
        .exec_process(["cat", "/dev/zero"], ExecOptions::default(), None)
        .await
        .unwrap();
    // The flood runs, and from now on nobody reads it: its window fills up.
    match flood.events.next().await {
        Some(Ok(ExecEvent::Stdout(b))) => assert!(!b.is_empty()),
        other => panic!("{other:?}"),
    }
    let mut echo = sb
        .exec_process(["cat"], ExecOptions::default(), None)
        .await
        .unwrap();
    let mut stdin = echo.stdin.take().unwrap();
    for i in 0..100 {
        stdin
            .write_all(format!("line {i}\n").as_bytes())
            .await
            .unwrap();
        read_until(&mut echo.events, &format!("line {i}\n")).await;
    }
    drop(stdin);
    let mut code = None;
    while let Some(ev) = echo.events.next().await {
        if let ExecEvent::Exit(c) = ev.unwrap() {
            code = Some(c);
        }
    }
    assert_eq!(code, Some(0));
    // The flood resumes once read again, and a kill ends it with SIGKILL's code.
    let mut read = 0usize;
    while read < 8 << 20 {
        match flood.events.next().await {
            Some(Ok(ExecEvent::Stdout(b))) => read += b.len(),
            other => panic!("{other:?}"),
        }
    }
    flood.control.kill().await.unwrap();
    let mut last = None;
    while let Some(ev) = flood.events.next().await {
        last = Some(ev.unwrap());
    }
    assert_eq!(last, Some(ExecEvent::Exit(137)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_kills_the_whole_tree_even_children_in_their_own_session() {
    let env = env_or_skip!();
    let ws = env.workspace("kill");
    let sb = env.builder(&ws).run().await.unwrap();
    let err = sb
        .exec_with(
            [
                "sh",
                "-c",
                "setsid sleep 303 & sleep 304 & echo started; wait",
            ],
            ExecOptions::default().timeout(std::time::Duration::from_millis(700)),
        )
        .await
        .unwrap_err();
    match err {
        Error::ExecTimeout { stdout, .. } => assert_eq!(stdout, b"started\n"),
        other => panic!("expected ExecTimeout, got {other:?}"),
    }
    let out = sb
        .exec(["sh", "-c", "ps -o args | grep '[s]leep 30' || true"])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "", "processes survived the timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_helper_interrupts_its_commands_with_a_typed_error_then_reconnects() {
    let env = env_or_skip!();
    let ws = env.workspace("helper killed");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut s = sb
        .exec_stream(
            ["sh", "-c", "echo $PPID; exec sleep 305"],
            ExecOptions::default(),
        )
        .await
        .unwrap();
    let helper_pid = read_until(&mut s, "\n").await.trim().to_string();
    docker(&["exec", "-u", "0:0", sb.id(), "kill", "-9", &helper_pid]);
    let mut last = None;
    while let Some(ev) = s.next().await {
        last = Some(ev);
    }
    match last {
        Some(Err(Error::ExecInterrupted { command, reason })) => {
            assert!(command.contains("sleep 305"), "{command}");
            assert!(reason.contains("137"), "{reason}");
        }
        other => panic!("expected ExecInterrupted, got {other:?}"),
    }
    // The next command reconnects: a new helper runs it, and the interrupted one is gone.
    let out = sb
        .exec([
            "sh",
            "-c",
            "echo $PPID; ps -o args | grep '[s]leep 305' || true",
        ])
        .await
        .unwrap();
    let new_pid = out
        .stdout_str()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_ne!(new_pid, helper_pid);
    assert_eq!(
        out.stdout_str(),
        format!("{new_pid}\n"),
        "the interrupted command survived"
    );
    assert_eq!(parent_of_a_command(&sb).await, format!("{HELPER} serve"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_256_mib_stream_arrives_whole_and_stdin_is_paced() {
    let env = env_or_skip!();
    let ws = env.workspace("big");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut s = sb
        .exec_stream(
            ["head", "-c", "268435456", "/dev/zero"],
            ExecOptions::default(),
        )
        .await
        .unwrap();
    let (mut n, mut exit) = (0usize, None);
    while let Some(ev) = s.next().await {
        match ev.unwrap() {
            ExecEvent::Stdout(b) => {
                assert!(b.iter().all(|x| *x == 0));
                n += b.len();
            }
            ExecEvent::Stderr(b) => panic!("stderr: {b:?}"),
            ExecEvent::Exit(c) => exit = Some(c),
        }
    }
    assert_eq!((n, exit), (256 << 20, Some(0)));
    // More stdin than one window: it is sent as the helper writes it.
    let data: Vec<u8> = (0..(9u32 << 20)).map(|i| (i % 251) as u8).collect();
    let out = sb
        .exec_with(["md5sum"], ExecOptions::default().stdin(data.clone()))
        .await
        .unwrap();
    let host = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&data)?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        out.stdout_str().split_whitespace().next(),
        String::from_utf8_lossy(&host.stdout)
            .split_whitespace()
            .next()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_process_is_resized_through_the_helper() {
    let env = env_or_skip!();
    let ws = env.workspace("pty");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut p = sb
        .exec_process(
            ["sh"],
            ExecOptions::default(),
            Some(TtySize { rows: 10, cols: 20 }),
        )
        .await
        .unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin
        .write_all(b"tr '\\0' ' ' < /proc/$PPID/cmdline; echo; stty size\n")
        .await
        .unwrap();
    let got = read_until(&mut p.events, "10 20").await;
    assert!(got.contains(&format!("{HELPER} serve")), "{got:?}");
    p.control.resize(33, 77).await.unwrap();
    stdin.write_all(b"stty size\n").await.unwrap();
    read_until(&mut p.events, "33 77").await;
    stdin.write_all(b"exit 4\n").await.unwrap();
    let mut code = None;
    while let Some(ev) = p.events.next().await {
        if let ExecEvent::Exit(c) = ev.unwrap() {
            code = Some(c);
        }
    }
    assert_eq!(code, Some(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_without_the_helper_uses_the_engines_exec() {
    let env = env_or_skip!();
    let ws = env.workspace("old");
    // Copied in (its volume is read-only), then removed: as a sandbox made before the helper
    // existed. (Other tests creating meanwhile copy theirs too, which they do not notice.)
    std::env::set_var(docksandbox::HELPER_VOLUME_ENV, "off");
    let made = env.builder(&ws).run().await;
    std::env::remove_var(docksandbox::HELPER_VOLUME_ENV);
    let made = made.unwrap();
    // As a sandbox made before the helper existed: no helper file.
    docker(&["exec", "-u", "0:0", made.id(), "rm", HELPER]);
    let sb = env.client.get(made.name()).await.unwrap();
    assert_eq!(parent_of_a_command(&sb).await, "");
    let out = sb
        .exec_with(
            ["sh", "-c", "echo hi; cat"],
            ExecOptions::default().stdin(b"in".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "hi\nin");
    let err = sb
        .exec_with(
            ["sleep", "306"],
            ExecOptions::default().timeout(std::time::Duration::from_millis(500)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ExecTimeout { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helper_refuses_a_protocol_version_it_does_not_know() {
    let env = env_or_skip!();
    let ws = env.workspace("version");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut child = Command::new("docker")
        .args(["exec", "-i", "-u", "0:0", sb.id(), HELPER, "serve"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let hello = Hello { version: 999 }.encode();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&frame::encode(kind::HELLO, 0, &hello))
        .unwrap();
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let status = child.wait().unwrap();
    let mut d = Decoder::default();
    d.push(&out);
    let f = d.next_frame().unwrap().expect("a frame");
    assert_eq!(f.kind, kind::FATAL);
    let reason = String::from_utf8_lossy(&f.payload);
    assert!(reason.contains("version 999 is not supported"), "{reason}");
    assert_eq!(status.code(), Some(2));
}

/// How many helper servers run in the sandbox (one per open channel).
async fn helper_servers(sb: &Sandbox) -> usize {
    let out = docker(&["top", sb.id(), "-o", "pid,args"]);
    out.lines()
        .filter(|l| l.contains(&format!("{HELPER} serve")))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_and_a_get_share_the_open_channel_of_a_live_handle() {
    let env = env_or_skip!();
    let ws = env.workspace("shared-channel");
    let first = env.builder(&ws).run().await.unwrap();
    first.exec(["true"]).await.unwrap();
    assert_eq!(helper_servers(&first).await, 1);
    // While `first` lives, new handles in this process use its connection.
    let again = env.builder(&ws).run().await.unwrap();
    again.exec(["true"]).await.unwrap();
    let got = env.client.get(first.name()).await.unwrap();
    got.exec(["true"]).await.unwrap();
    assert_eq!(
        helper_servers(&first).await,
        1,
        "a second channel was opened"
    );
    // With every handle gone, the next one opens its own.
    let name = first.name().to_string();
    drop((first, again, got));
    let later = env.client.get(&name).await.unwrap();
    later.exec(["true"]).await.unwrap();
    assert_eq!(parent_of_a_command(&later).await, format!("{HELPER} serve"));
    later.remove_with(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abandoned_command_is_killed_only_when_asked() {
    let env = env_or_skip!();
    let ws = env.workspace("kill-on-drop");
    let sb = env.builder(&ws).run().await.unwrap();
    let running = |marker: &'static str| {
        let sb = sb.clone();
        async move {
            let out = sb.exec(["ps", "-o", "args"]).await.unwrap();
            out.stdout_str().contains(marker)
        }
    };
    for (kill, marker) in [(true, "sleep 311"), (false, "sleep 312")] {
        let opts = ExecOptions::default().kill_on_drop(kill);
        let mut events = sb
            .exec_stream(["sh", "-c", &format!("echo up; exec {marker}")], opts)
            .await
            .unwrap();
        read_until(&mut events, "up").await;
        drop(events);
        let mut gone = false;
        for _ in 0..50 {
            if !running(marker).await {
                gone = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(gone, kill, "{marker}: killed {gone}, asked {kill}");
    }
    sb.remove_with(true).await.unwrap();
}

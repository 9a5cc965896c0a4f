//! Exec: captured and streamed output, exit codes, env/workdir/user/stdin, timeouts, TTY.

use std::time::Duration;

use docksandbox::{Error, ExecEvent, ExecOptions, TtySize};
use docksandbox_tests::env_or_skip;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread")]
async fn exec_captures_streams_exit_codes_and_honours_options() {
    let env = env_or_skip!();
    let ws = env.workspace("exec");
    let sb = env.builder(&ws).run().await.unwrap();

    let out = sb
        .exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
        .await
        .unwrap();
    assert_eq!(
        (out.exit_code, out.stdout_str(), out.stderr_str()),
        (7, "out\n".into(), "err\n".into())
    );

    let out = sb
        .exec_with(
            ["sh", "-c", "echo $GREETING; pwd; id -u; cat"],
            ExecOptions::default()
                .env("GREETING", "hi there")
                .workdir("/tmp")
                .user("65534:65534")
                .stdin(b"from stdin".to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(
        out.stdout_str(),
        "hi there\n/tmp\n65534\nfrom stdin",
        "{out:?}"
    );

    let out = sb.exec(["/no/such/program"]).await.unwrap();
    assert_ne!(out.exit_code, 0);

    // Large output arrives whole and in order.
    let out = sb
        .exec(["sh", "-c", "head -c 8388608 /dev/zero | tr '\\0' 'x'"])
        .await
        .unwrap();
    assert_eq!(out.stdout.len(), 8 << 20);
    assert!(out.stdout.iter().all(|b| *b == b'x'));
}

#[tokio::test(flavor = "multi_thread")]
async fn streaming_exec_yields_chunks_then_the_exit_code() {
    let env = env_or_skip!();
    let ws = env.workspace("stream");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut s = sb
        .exec_stream(
            [
                "sh",
                "-c",
                "for i in 1 2 3; do echo o$i; echo e$i >&2; sleep 0.1; done; exit 3",
            ],
            ExecOptions::default(),
        )
        .await
        .unwrap();
    let (mut out, mut err, mut exit, mut after_exit) = (String::new(), String::new(), None, 0);
    let mut chunks = 0;
    while let Some(ev) = s.next().await {
        if exit.is_some() {
            after_exit += 1;
        }
        match ev.unwrap() {
            ExecEvent::Stdout(b) => {
                chunks += 1;
                out.push_str(&String::from_utf8_lossy(&b))
            }
            ExecEvent::Stderr(b) => err.push_str(&String::from_utf8_lossy(&b)),
            ExecEvent::Exit(c) => exit = Some(c),
        }
    }
    assert_eq!(
        (out.as_str(), err.as_str(), exit, after_exit),
        ("o1\no2\no3\n", "e1\ne2\ne3\n", Some(3), 0)
    );
    assert!(chunks >= 3, "output came in one piece: not streamed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_kills_the_command_and_its_children_and_is_a_typed_error() {
    let env = env_or_skip!();
    let ws = env.workspace("timeout");
    let sb = env.builder(&ws).run().await.unwrap();
    let started = std::time::Instant::now();
    let err = sb
        .exec_with(
            ["sh", "-c", "echo before; sleep 300 & sleep 301; echo never"],
            ExecOptions::default().timeout(Duration::from_millis(800)),
        )
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30));
    match &err {
        Error::ExecTimeout {
            stdout, timeout, ..
        } => {
            assert_eq!(String::from_utf8_lossy(stdout), "before\n");
            assert_eq!(*timeout, Duration::from_millis(800));
        }
        other => panic!("expected ExecTimeout, got {other:?}"),
    }
    // Neither the command nor its child survives.
    let out = sb
        .exec(["sh", "-c", "ps -o args | grep '[s]leep 30' || true"])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "", "processes survived the timeout");

    // A command that finishes in time is unaffected by its timeout.
    let out = sb
        .exec_with(
            ["echo", "quick"],
            ExecOptions::default().timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "quick\n");

    // Streams time out too.
    let mut s = sb
        .exec_stream(
            ["sleep", "302"],
            ExecOptions::default().timeout(Duration::from_millis(500)),
        )
        .await
        .unwrap();
    let mut last = None;
    while let Some(ev) = s.next().await {
        last = Some(ev);
    }
    assert!(
        matches!(last, Some(Err(Error::ExecTimeout { .. }))),
        "{last:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interactive_process_gets_a_terminal_stdin_and_resizes() {
    let env = env_or_skip!();
    let ws = env.workspace("tty");
    let sb = env.builder(&ws).run().await.unwrap();
    let mut p = sb
        .exec_process(
            ["sh"],
            ExecOptions::default(),
            Some(TtySize {
                rows: 40,
                cols: 100,
            }),
        )
        .await
        .unwrap();
    let mut stdin = p.stdin.take().unwrap();
    stdin
        .write_all(b"stty size; test -t 0 && echo TTY-$((40+2))\n")
        .await
        .unwrap();
    let mut got = String::new();
    while !got.contains("TTY-42") {
        match tokio::time::timeout(Duration::from_secs(10), p.events.next()).await {
            Ok(Some(Ok(ExecEvent::Stdout(b)))) => got.push_str(&String::from_utf8_lossy(&b)),
            other => panic!("waiting for the terminal's answer, got {other:?}; seen {got:?}"),
        }
    }
    assert!(got.contains("40 100"), "{got:?}");
    p.control.resize(30, 90).await.unwrap();
    stdin.write_all(b"stty size; exit 5\n").await.unwrap();
    let mut rest = String::new();
    let mut code = None;
    while let Some(ev) = p.events.next().await {
        match ev.unwrap() {
            ExecEvent::Stdout(b) => rest.push_str(&String::from_utf8_lossy(&b)),
            ExecEvent::Exit(c) => code = Some(c),
            ExecEvent::Stderr(_) => {}
        }
    }
    assert!(rest.contains("30 90"), "{rest:?}");
    assert_eq!(code, Some(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_memory_kill_is_told_apart_from_another_sigkill() {
    let env = env_or_skip!();
    let sb = env
        .builder(&env.workspace("oom"))
        .memory(64 << 20)
        .run()
        .await
        .unwrap();
    // `tail` keeps a line in memory; /dev/zero has no newline: it grows past 64 MiB.
    let out = sb.exec(["sh", "-c", "tail /dev/zero"]).await.unwrap();
    assert_eq!(out.exit_code, 137);
    assert!(out.oom_killed, "an OOM kill was not reported");
    let out = sb.exec(["sh", "-c", "kill -9 $$"]).await.unwrap();
    assert_eq!(out.exit_code, 137);
    assert!(
        !out.oom_killed,
        "a plain SIGKILL was reported as out of memory"
    );
    assert!(!sb.exec(["true"]).await.unwrap().oom_killed);
    sb.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_report_memory_now_limit_and_peak_and_processes() {
    let env = env_or_skip!();
    let ws = env.workspace("stats");
    let sb = env
        .builder(&ws)
        .memory(64 << 20)
        .pids_limit(300)
        .run()
        .await
        .unwrap();
    // Holds about 30 MB in the shell, then lets it go.
    let out = sb
        .exec([
            "sh",
            "-c",
            "x=$(head -c 30000000 /dev/zero | tr '\\0' a); echo ${#x}",
        ])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "30000000\n", "{out:?}");
    let u = sb.stats().await.unwrap();
    assert_eq!(u.memory_limit, Some(64 << 20), "{u:?}");
    assert!(u.memory_peak.unwrap() >= 25_000_000, "{u:?}");
    assert!(u.memory_bytes < u.memory_peak.unwrap(), "{u:?}");
    assert_eq!(u.pids_limit, Some(300), "{u:?}");
    assert!(u.pids >= 1, "{u:?}");
    sb.stop().await.unwrap();
    assert!(matches!(sb.stats().await, Err(Error::NotRunning { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_detached_sessions_output_is_in_the_logs_followed_and_from_a_time() {
    let env = env_or_skip!();
    let ws = env.workspace("detached session");
    let sb = env.builder(&ws).run().await.unwrap();
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    sb.start_agent_detached(&[
        "-c".into(),
        "echo first-line; echo to-stderr >&2; sleep 1; echo second-line".into(),
    ])
    .await
    .unwrap();
    // Followed: the lines as they come (the session outlives the exec that started it).
    let mut s = sb.logs(true, 0).await.unwrap();
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(c) = s.next().await {
            seen.push_str(&String::from_utf8_lossy(&c.unwrap()));
            if seen.contains("second-line") {
                return;
            }
        }
    })
    .await;
    assert!(got.is_ok(), "not followed to the end: {seen:?}");
    assert!(
        seen.contains("first-line\n") && seen.contains("to-stderr\n"),
        "{seen:?}"
    );
    assert!(!seen.contains("docksandbox-ready"), "{seen:?}");
    let all = String::from_utf8(
        sb.logs(false, start - 5)
            .await
            .unwrap()
            .map(|c| c.unwrap().to_vec())
            .concat()
            .await,
    )
    .unwrap();
    assert!(
        all.contains("first-line") && all.contains("second-line"),
        "{all:?}"
    );
    let later = sb.logs(false, start + 3600).await.unwrap().count().await;
    assert_eq!(later, 0, "nothing after an hour from now");
}

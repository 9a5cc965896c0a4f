//! `prune` removes stopped sandboxes on the whole engine. It lives alone in this test binary:
//! cargo runs test binaries one after the other, so no other test's sandbox exists while it
//! runs (do not run it beside stopped sandboxes you care about). Images and credentials
//! volumes are only listed (`--dry-run`): removing them for real would take the templates
//! other tests use and the logins of whoever runs the tests.

mod common;

use common::{assert_one_line_error, cli, show, stdout, BUSYBOX};

#[test]
fn prune_removes_stopped_and_orphaned_sandboxes_and_keeps_running_ones() {
    let Some(env) = common::TestEnv::new() else {
        return;
    };
    let running = env.detached(&env.workspace("prune-running"));
    let stopped = env.detached(&env.workspace("prune-stopped"));
    let out = cli().args(["stop", &stopped]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let orphan_ws = env.workspace("prune-orphan");
    let orphan = env.detached(&orphan_ws);
    std::fs::remove_dir_all(&orphan_ws).unwrap();

    // What would go, and nothing goes.
    let out = cli().args(["prune", "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let said = stdout(&out);
    assert!(
        said.contains(&format!("would remove sandbox {stopped}")),
        "{said}"
    );
    assert!(
        said.contains(&format!("would remove sandbox {orphan}")),
        "{said}"
    );
    assert!(!said.contains(&running), "{said}");
    assert_eq!(env.containers().len(), 3);

    // Without a terminal it asks for -f; a filter keeps the young ones.
    let out = cli().arg("prune").output().unwrap();
    assert_one_line_error(&out, 125, &["-f/--force"]);
    let out = cli()
        .args(["prune", "--filter", "until=1h"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["--filter", "since=DURATION"]);
    let out = cli()
        .args(["prune", "-f", "--filter", "since=1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(env.containers().len(), 3, "{}", show(&out));

    let out = cli().args(["prune", "-f"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let removed = stdout(&out);
    assert!(
        removed.contains(&stopped) && removed.contains(&orphan),
        "{removed}"
    );
    let ls = stdout(&cli().args(["ls", "--no-trunc"]).output().unwrap());
    assert!(ls.contains(&running), "{ls}");
    assert!(!ls.contains(&stopped) && !ls.contains(&orphan), "{ls}");

    // Images: an unused template image is listed, one a container uses is not.
    let dir = env.workspace("prune-image");
    let tag = format!("docksandbox-cli-test/prune-{}:latest", env.run_id);
    common::build_dockerfile(
        &dir,
        &format!("FROM {BUSYBOX}\nRUN echo {} > /id\n", env.run_id),
        &tag,
    );
    let dry = || {
        let out = cli()
            .args(["prune", "--dry-run", "--images", "--volumes"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", show(&out));
        stdout(&out)
    };
    let ws = env.workspace("prune-uses-image");
    let out = env
        .run_on(&ws, &tag)
        .args(["-d", "shell"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let user = stdout(&out).trim().to_string();
    let said = dry();
    assert!(!said.contains(&tag), "an image in use is listed: {said}");
    assert!(!said.contains("would remove sandbox"), "{said}");
    let out = cli().args(["rm", &user]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let said = dry();
    assert!(
        said.contains(&format!("would remove image {tag}")),
        "{said}"
    );
    common::docker(&["rmi", "-f", &tag]);
}

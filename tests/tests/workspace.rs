//! Behaviours 1 and 7: the same-path mount and host file ownership.

use std::os::unix::fs::MetadataExt;

use docksandbox::Mount;
use docksandbox_tests::{env_or_skip, DEBIAN};

#[tokio::test(flavor = "multi_thread")]
async fn workspace_is_mounted_at_the_same_path_even_with_spaces_colons_and_commas() {
    let env = env_or_skip!();
    let ws = env.workspace("my project: v1, final");
    std::fs::write(ws.join("from-host.txt"), "hello from host").unwrap();
    let extra = env.workspace("extra dir:a,b");
    std::fs::write(extra.join("data.txt"), "extra").unwrap();

    let sb = env
        .builder(&ws)
        .mount(Mount::read_only(&extra, "/opt/extra: x,y"))
        .run()
        .await
        .unwrap();
    assert_eq!(sb.workspace(), ws.canonicalize().unwrap());

    let out = sb.exec(["pwd"]).await.unwrap();
    assert_eq!(out.stdout_str().trim_end(), ws.to_str().unwrap());

    let out = sb.exec(["cat", "from-host.txt"]).await.unwrap();
    assert_eq!(out.stdout_str(), "hello from host");

    let out = sb
        .exec(["sh", "-c", "echo made-inside > made-inside.txt"])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(ws.join("made-inside.txt")).unwrap(),
        "made-inside\n"
    );

    let out = sb.exec(["cat", "/opt/extra: x,y/data.txt"]).await.unwrap();
    assert_eq!(out.stdout_str(), "extra");
    let out = sb.exec(["touch", "/opt/extra: x,y/nope"]).await.unwrap();
    assert_ne!(out.exit_code, 0, "a read-only mount must refuse writes");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_made_in_the_sandbox_belong_to_the_workspace_owner() {
    let env = env_or_skip!();
    let ws = env.workspace("owned");
    std::os::unix::fs::chown(&ws, Some(1234), Some(2345)).unwrap();

    let sb = env.builder(&ws).template(DEBIAN).run().await.unwrap();
    assert_eq!(sb.user(), "1234:2345");
    let out = sb
        .exec([
            "sh",
            "-c",
            "id -u; id -g; echo x > by-exec.txt; mkdir sub; echo $HOME; whoami",
        ])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    let lines: Vec<String> = out.stdout_str().lines().map(str::to_owned).collect();
    assert_eq!(lines[..2], ["1234", "2345"]);
    assert_eq!(lines[2], "/home/agent");
    assert_eq!(
        lines[3], "agent",
        "the sandbox user has a name (sudo, ssh, git need one)"
    );

    sb.write_file("by-api.txt", b"api").await.unwrap();
    for f in ["by-exec.txt", "sub", "by-api.txt"] {
        let m = std::fs::metadata(ws.join(f)).unwrap();
        assert_eq!((m.uid(), m.gid()), (1234, 2345), "{f}");
    }
    // The sandbox user can still become root when the template allows it (agent templates do).
    let out = sb.exec(["sudo", "-n", "id", "-u"]).await.unwrap();
    assert_eq!(out.stdout_str().trim(), "0", "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn write_read_and_copy_files() {
    let env = env_or_skip!();
    let ws = env.workspace("files");
    let sb = env.builder(&ws).run().await.unwrap();

    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    sb.write_file("/tmp/blob.bin", &data).await.unwrap();
    assert_eq!(sb.read_file("/tmp/blob.bin").await.unwrap(), data);
    sb.write_file("rel.txt", "relative").await.unwrap();
    // Names over 100 bytes need the tar's long-name entry.
    let long = format!("/tmp/{}.txt", "n".repeat(150));
    sb.write_file(&long, "long name").await.unwrap();
    assert_eq!(sb.read_file(&long).await.unwrap(), b"long name");
    // Sizes that are and are not a multiple of the tar block.
    for len in [0usize, 512, 513, 4096 * 3 + 1] {
        let d = vec![7u8; len];
        sb.write_file("/tmp/sized", &d).await.unwrap();
        assert_eq!(sb.read_file("/tmp/sized").await.unwrap(), d, "{len}");
    }
    assert_eq!(
        std::fs::read_to_string(ws.join("rel.txt")).unwrap(),
        "relative"
    );

    let err = sb.read_file("/tmp/does-not-exist").await.unwrap_err();
    assert!(err.to_string().contains("/tmp/does-not-exist"), "{err}");
    let err = sb.write_file("/no/such/dir/f", "x").await.unwrap_err();
    assert!(err.to_string().contains("/no/such/dir"), "{err}");

    let src = env.workspace("to-copy");
    std::fs::create_dir_all(src.join("inner")).unwrap();
    std::fs::write(src.join("inner/a.txt"), "A").unwrap();
    sb.copy_in(&src, "/tmp").await.unwrap();
    let out = sb.exec(["cat", "/tmp/to-copy/inner/a.txt"]).await.unwrap();
    assert_eq!(out.stdout_str(), "A");

    let back = env.workspace("back");
    sb.copy_out("/tmp/to-copy", &back).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(back.join("to-copy/inner/a.txt")).unwrap(),
        "A"
    );
}

//! `Sandbox::save`: what was installed comes back in a sandbox made from the saved template;
//! the workspace, the spec's environment and its values never go into the image.

use docksandbox::{Error, ErrorKind, NetworkMode};
use docksandbox_tests::{docker, env_or_skip};

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_sandbox_is_a_template_without_the_workspace_or_the_environment() {
    let env = env_or_skip!();
    let ws = env.workspace("save");
    std::fs::write(ws.join("project-file.txt"), "in the workspace").unwrap();
    let sb = env
        .builder(&ws)
        .network(NetworkMode::None)
        .env("API_TOKEN", "s3cret-token-value")
        .env("PLAIN_SETTING", "plain-value-1234")
        .run()
        .await
        .unwrap();
    let out = sb
        .exec_with(
            [
                "sh",
                "-c",
                "mkdir -p /opt/tools && echo installed > /opt/tools/marker",
            ],
            docksandbox::ExecOptions::default().user("0:0"),
        )
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{out:?}");
    let tag = format!("docksandbox-test/saved:{}", env.run_id);
    let id = sb.save(&tag).await.unwrap();
    assert!(id.starts_with("sha256:"), "{id}");
    struct Rmi(String);
    impl Drop for Rmi {
        fn drop(&mut self) {
            docker(&["rmi", "-f", &self.0]);
        }
    }
    let _rmi = Rmi(tag.clone());
    // The sandbox runs on after the save (it was paused only while read).
    assert_eq!(
        sb.exec(["echo", "alive"]).await.unwrap().stdout_str(),
        "alive\n"
    );

    let inspect = docker(&["image", "inspect", &tag]);
    for leaked in [
        "s3cret-token-value",
        "plain-value-1234",
        "API_TOKEN",
        "PLAIN_SETTING",
    ] {
        assert!(
            !inspect.contains(leaked),
            "{leaked} is in the image: {inspect}"
        );
    }
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(
        v[0]["Config"]["Labels"]["docksandbox.saved-from"],
        sb.name()
    );
    assert!(v[0]["Config"]["Labels"]["docksandbox.version"].is_null());

    let other = env.workspace("from saved");
    let again = env
        .builder(&other)
        .template(&tag)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    let out = again
        .exec([
            "sh",
            "-c",
            &format!(
                "cat /opt/tools/marker; ls {}/project-file.txt 2>&1; echo ${{API_TOKEN:-unset}}",
                ws.display()
            ),
        ])
        .await
        .unwrap();
    let text = out.stdout_str();
    assert!(text.starts_with("installed\n"), "{text}");
    assert!(
        !text.contains("in the workspace") && text.contains("No such file"),
        "{text}"
    );
    assert!(text.ends_with("unset\n"), "{text}");

    // Bad names are refused before anything happens.
    for bad in ["Upper:case", "a@sha256:00", "x:", "-lead"] {
        let e = sb.save(bad).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSpec, "{bad}: {e}");
        assert!(matches!(&e, Error::InvalidSpec { field, .. } if field == "template"));
    }
}

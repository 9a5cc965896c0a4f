//! End to end on a real terminal: an interactive `docksandbox run shell` in a tmux pane,
//! driven with send-keys and read with capture-pane.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{wait_for, DEBIAN};

/// How long a screen may take to show what is expected on a loaded machine.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(120);

/// A private tmux server (its own socket) with one session; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(socket: String, cols: u16, rows: u16) -> Tmux {
        let t = Tmux { socket };
        let mut c = t.cmd();
        c.args(["-f", "/dev/null", "new-session", "-d", "-s", "main"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .args([
                "env",
                "-i",
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "TERM=xterm-256color",
            ])
            .args(["HOME=/tmp", "PS1=host$ "]);
        if let Ok(h) = std::env::var("DOCKER_HOST") {
            c.arg(format!("DOCKER_HOST={h}"));
        }
        let ok = c
            .args(["bash", "--norc", "--noprofile"])
            .status()
            .expect("tmux (apt-get install -y tmux)")
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Types `text` and Enter.
    fn type_line(&self, text: &str) {
        self.send(&["-l", text]);
        self.send(&["Enter"]);
    }

    fn send(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "main"])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys {keys:?}");
    }

    /// The visible screen plus history, trailing blanks removed.
    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-J", "-S", "-200", "-t", "main"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Types `text` every few seconds until a screen line equals `line` (for input that may
    /// be typed before the program reading it has started).
    fn retype_until(&self, text: &str, line: &str) {
        let found = wait_for(SCREEN_TIMEOUT, || {
            self.type_line(text);
            wait_for(Duration::from_secs(3), || {
                self.screen()
                    .lines()
                    .any(|l| l.trim() == line)
                    .then_some(())
            })
        });
        assert!(
            found.is_some(),
            "no line `{line}` on the screen:\n{}",
            self.screen()
        );
    }

    /// Waits until a screen line equals `line` (trimmed); panics with the screen otherwise.
    fn wait_line(&self, line: &str) {
        let found = wait_for(SCREEN_TIMEOUT, || {
            self.screen()
                .lines()
                .any(|l| l.trim() == line)
                .then_some(())
        });
        assert!(
            found.is_some(),
            "no line `{line}` on the screen:\n{}",
            self.screen()
        );
    }

    /// Waits until the host shell's prompt is the last line (the CLI has exited: typing
    /// before that would feed the sandbox's stdin).
    fn wait_host_prompt(&self) {
        let found = wait_for(SCREEN_TIMEOUT, || {
            (self.screen().lines().last().map(str::trim) == Some("host$")).then_some(())
        });
        assert!(found.is_some(), "no host prompt:\n{}", self.screen());
    }

    fn resize(&self, cols: u16, rows: u16) {
        let ok = self
            .cmd()
            .args(["resize-window", "-t", "main"])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "resize-window");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn interactive_run_in_tmux() {
    let env = env_or_skip!();
    let ws = env.workspace("tty work");
    let bin = assert_cmd::cargo::cargo_bin("docksandbox");
    let tmux = Tmux::start(format!("ds-{}", env.run_id), 90, 25);

    tmux.type_line("BEFORE=$(stty -g); echo READY");
    tmux.wait_line("READY");
    let run = format!(
        "{} run --label {} -t {DEBIAN} -e MARK=inside -w {} shell",
        quote(&bin),
        env.label(),
        quote(&ws)
    );
    tmux.type_line(&run);
    // MARK is only set in the sandbox: the line shows once bash runs there.
    tmux.retype_until("echo IN-${MARK}-SANDBOX", "IN-inside-SANDBOX");

    tmux.type_line("pwd");
    tmux.wait_line(&ws.display().to_string());
    tmux.type_line("echo SIZE=$(stty size)");
    tmux.wait_line("SIZE=25 90");

    tmux.resize(120, 40);
    // SIGWINCH reaches the CLI, which resizes the sandbox's terminal.
    let followed = wait_for(SCREEN_TIMEOUT, || {
        tmux.type_line("echo NOW=$(stty size)");
        std::thread::sleep(Duration::from_millis(500));
        tmux.screen()
            .lines()
            .any(|l| l.trim() == "NOW=40 120")
            .then_some(())
    });
    assert!(followed.is_some(), "size not followed:\n{}", tmux.screen());

    // Ctrl-C is a byte for the sandbox: it interrupts the command there, the session lives.
    tmux.type_line("sleep 600");
    // Once `sleep 600` runs in the sandbox (polled, no fixed wait), Ctrl-C must end it.
    let sleeping = wait_for(SCREEN_TIMEOUT, || {
        env.containers()
            .iter()
            .any(|id| common::docker(&["top", id]).contains("sleep 600"))
            .then_some(())
    });
    assert!(
        sleeping.is_some(),
        "sleep 600 never ran:\n{}",
        tmux.screen()
    );
    tmux.send(&["C-c"]);
    tmux.type_line("echo AFTER-$((1+1))-CTRL-C");
    tmux.wait_line("AFTER-2-CTRL-C");

    // Exit with a status: the CLI exits with it and the host terminal is as it was.
    tmux.type_line("exit 7");
    tmux.wait_host_prompt();
    tmux.type_line("echo STATUS=$?");
    tmux.wait_line("STATUS=7");
    tmux.type_line(r#"[ "$(stty -g)" = "$BEFORE" ] && echo RESTORED || echo NOT-RESTORED"#);
    tmux.wait_line("RESTORED");
    tmux.type_line(
        "stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig)' | tr '\\n' ' '; echo",
    );
    tmux.wait_line("isig icanon echo");

    // The agent crashing (killed from outside) also restores the terminal.
    tmux.type_line(&run);
    tmux.retype_until("echo AGAIN-${MARK}", "AGAIN-inside");
    tmux.type_line("kill -9 $$");
    tmux.wait_host_prompt();
    tmux.type_line("echo CRASH=$?");
    tmux.wait_line("CRASH=137");
    tmux.type_line(r#"[ "$(stty -g)" = "$BEFORE" ] && echo RESTORED-2 || echo NOT-RESTORED"#);
    tmux.wait_line("RESTORED-2");
}

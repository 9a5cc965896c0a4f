//! What runs as the sandbox container's main process: a one-time-per-start setup as root
//! (the sandbox user at the workspace owner's uid/gid, its home, the credential links), a
//! ready marker, then it follows the detached sessions' log (`tail -F`) under the engine's
//! init, so their output is the container's. Everything else is exec'd.

use crate::model::paths::CREDENTIALS_DIR;

/// Arguments: uid gid home credentials-dir host-config-paths (newline-separated)
/// [credential paths…]. POSIX sh, busybox included.
const SCRIPT: &str = r#"set -u
U=$1; G=$2; H=$3; CRED=$4; CFG=$5; shift 5
if [ "$U" != 0 ]; then
  if grep -q '^agent:' /etc/passwd 2>/dev/null; then
    sed -i "s/^agent:[^:]*:[0-9]*:[0-9]*:/agent:x:$U:$G:/" /etc/passwd
  else
    echo "agent:x:$U:$G:agent:$H:/bin/sh" >> /etc/passwd
  fi
  if grep -q '^agent:' /etc/group 2>/dev/null; then
    sed -i "s/^agent:[^:]*:[0-9]*:/agent:x:$G:/" /etc/group
  elif ! grep -q "^[^:]*:[^:]*:$G:" /etc/group 2>/dev/null; then
    echo "agent:x:$G:" >> /etc/group
  fi
fi
# Scoped Docker access: the engine's usual socket is the sandbox's proxy.
if [ -d /run/docksandbox/docker ] && [ ! -e /var/run/docker.sock ]; then
  mkdir -p /var/run; ln -s /run/docksandbox/docker/docker.sock /var/run/docker.sock
fi
mkdir -p "$H"
[ "$(stat -c %u "$H" 2>/dev/null)" = "$U" ] || chown -R "$U:$G" "$H" 2>/dev/null
if [ -n "$CRED" ] && [ -d "$CRED" ]; then
  chown "$U:$G" "$CRED"
  for p in "$@"; do
    src="$CRED/$p"; dst="$H/$p"
    [ -L "$dst" ] && continue
    mkdir -p "$(dirname "$dst")" "$(dirname "$src")"
    if [ -f "$dst" ] || { [ ! -e "$dst" ] && case "$p" in *.json) true;; *) false;; esac; }; then
      [ -e "$src" ] || { [ -f "$dst" ] && cp -p "$dst" "$src"; }
      rm -f "$dst"
    else
      mkdir -p "$src"
      [ -d "$dst" ] && cp -a "$dst/." "$src/" 2>/dev/null
      rm -rf "$dst"
    fi
    ln -s "$src" "$dst"
    chown -h "$U:$G" "$dst"; [ -e "$src" ] && chown "$U:$G" "$src"
    chown "$U:$G" "$(dirname "$dst")" 2>/dev/null
  done
fi
# The host's agent configuration, when shared, is linked in where nothing of the sandbox's own
# is; links left from an earlier start that shared it are removed when it no longer is.
HC=/mnt/docksandbox/host-config
printf '%s\n' "$CFG" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  dst="$H/$p"
  if [ -e "$HC/$p" ]; then
    if [ -L "$dst" ] || [ ! -e "$dst" ]; then
      mkdir -p "$(dirname "$dst")"
      ln -sfn "$HC/$p" "$dst"
      chown -h "$U:$G" "$dst"
    fi
  elif [ -L "$dst" ]; then
    case "$(readlink "$dst")" in "$HC"/*) rm -f "$dst" ;; esac
  fi
done
# With secrets: the egress proxy writes its CA when it starts (at most a few seconds from now);
# it is added to the system's roots and to the bundles the TLS variables point at.
if [ -n "${DOCKSANDBOX_SECRETS_CA:-}" ]; then
  i=0
  while [ ! -s "$DOCKSANDBOX_SECRETS_CA" ] && [ $i -lt 600 ]; do
    sleep 0.1 2>/dev/null || sleep 1; i=$((i+1))
  done
  if [ ! -s "$DOCKSANDBOX_SECRETS_CA" ]; then
    echo "docksandbox: the egress proxy's CA ($DOCKSANDBOX_SECRETS_CA) did not appear" >&2
    exit 1
  fi
  T=/etc/docksandbox/trust; mkdir -p "$T"
  SYS=""
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    [ -f "$f" ] && { SYS=$f; break; }
  done
  XB=/etc/docksandbox/ca-bundle.crt
  { [ -s "$XB" ] && cat "$XB"; cat "$DOCKSANDBOX_SECRETS_CA"; } > "$T/extra.pem"
  { [ -n "$SYS" ] && cat "$SYS"; cat "$T/extra.pem"; } > "$T/all.pem"
  if [ -n "$SYS" ] && ! grep -q docksandbox-secrets-ca "$SYS" 2>/dev/null; then
    { echo '# docksandbox-secrets-ca'; cat "$DOCKSANDBOX_SECRETS_CA"; } >> "$SYS" 2>/dev/null
  fi
  chmod 644 "$T/extra.pem" "$T/all.pem"
fi
# Detached sessions write here (as the sandbox user); its lines become the container's output.
L=/mnt/docksandbox/session.log
mkdir -p /mnt/docksandbox; : > "$L"; chown "$U:$G" "$L"; chmod 600 "$L"
echo docksandbox-ready
exec tail -n +1 -F "$L" 2>/dev/null
"#;

/// The container's entrypoint for a sandbox whose user is `uid:gid` with home `home`.
pub(crate) fn entrypoint(
    uid: u32,
    gid: u32,
    home: &str,
    cred_paths: Option<&[String]>,
    config_paths: &[String],
) -> Vec<String> {
    let mut v = vec![
        "/bin/sh".to_string(),
        "-c".into(),
        SCRIPT.into(),
        "docksandbox-init".into(),
        uid.to_string(),
        gid.to_string(),
        home.to_string(),
        cred_paths
            .map(|_| CREDENTIALS_DIR.to_string())
            .unwrap_or_default(),
        config_paths.join("\n"),
    ];
    v.extend(cred_paths.unwrap_or_default().iter().cloned());
    v
}

#[cfg(test)]
mod tests {
    use super::SCRIPT;
    use crate::sandbox::ready::READY_MARKER;

    #[test]
    fn the_script_uses_the_paths_spelled_in_paths_rs() {
        use crate::model::paths::{CA_BUNDLE_TARGET, TRUST_DIR};
        assert!(SCRIPT.contains(&format!("T={TRUST_DIR};")));
        assert!(SCRIPT.contains(&format!("XB={CA_BUNDLE_TARGET}\n")));
    }

    #[test]
    fn the_script_follows_the_session_log() {
        use crate::model::paths::SESSION_LOG;
        assert!(SCRIPT.contains(&format!("L={SESSION_LOG}\n")));
    }

    #[test]
    fn the_script_prints_the_marker_the_waiter_looks_for() {
        assert!(SCRIPT.contains(&format!("echo {READY_MARKER}\n")));
    }
}

//! The wait script on its own: POSIX sh that `sh`, `dash` and `checkbashisms` accept, and its
//! refusals (a check it does not know, an image without the tool it needs) fail at once, with
//! exit code 2 and a message, instead of waiting until the timeout.

mod common;

use std::process::Command;

use overhelm::steps::wait_for::SCRIPT;

fn script_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("wait-for.sh");
    std::fs::write(&path, SCRIPT).expect("write script");
    path
}

#[test]
fn is_posix_sh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script_file(dir.path());
    for shell in ["sh", "dash"] {
        let Some(shell) = common::tool(shell) else {
            continue;
        };
        let out = Command::new(&shell)
            .arg("-n")
            .arg(&path)
            .output()
            .expect("run shell");
        assert!(
            out.status.success(),
            "{} -n: {}",
            shell.display(),
            common::stderr(&out)
        );
    }
    // checkbashisms (Debian's devscripts) is optional: it is not on every machine.
    let found = std::env::var_os("PATH").map(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("checkbashisms"))
            .find(|c| c.is_file())
    });
    match found.flatten() {
        Some(checker) => {
            let out = Command::new(checker)
                .arg("--extra")
                .arg(&path)
                .output()
                .expect("checkbashisms");
            assert!(
                out.status.success(),
                "checkbashisms: {}{}",
                common::stdout(&out),
                common::stderr(&out)
            );
        }
        None => eprintln!("SKIPPED: checkbashisms not on PATH (Debian package devscripts)"),
    }
}

fn run(env: &[(&str, &str)], path: &str) -> (i32, String) {
    let out = Command::new("/bin/sh")
        .args(["-c", SCRIPT, "wait-for-postgres"])
        .env_clear()
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .expect("run script");
    (
        out.status.code().unwrap_or(-1),
        common::stderr(&out) + &common::stdout(&out),
    )
}

#[test]
fn refuses_an_unknown_check_at_once() {
    let (code, out) = run(&[("WAIT_CHECK", "ping")], "/usr/bin:/bin");
    assert_eq!(code, 2);
    assert_eq!(
        out,
        "wait-for-postgres: WAIT_CHECK is 'ping'; it must be login, ready or tcp\n"
    );
}

#[test]
fn an_image_without_the_tool_fails_at_once() {
    let empty = tempfile::tempdir().expect("tempdir");
    let path = empty.path().to_string_lossy().into_owned();
    for (check, message) in [
        (
            "login",
            "wait-for-postgres: psql is not in this image; set the waitFor image to a PostgreSQL image\n",
        ),
        (
            "ready",
            "wait-for-postgres: pg_isready is not in this image; set the waitFor image to a PostgreSQL image\n",
        ),
        (
            "tcp",
            "wait-for-postgres: this image has neither nc nor bash to open a TCP connection; set the waitFor image to one that has (busybox has nc)\n",
        ),
    ] {
        let (code, out) = run(
            &[
                ("WAIT_CHECK", check),
                ("WAIT_HOST", "h"),
                ("WAIT_PORT", "1"),
            ],
            &path,
        );
        assert_eq!((code, out.as_str()), (2, message), "{check}");
    }
}

//! `check --update`: makes a case's expected file what the case produces now, byte for byte.
//!
//! A case that succeeds gets `expected.yaml` (and loses a stale `expected.err`); a case that
//! fails gets `expected.err` with the message (and loses a stale `expected.yaml`), so a case
//! always has exactly one expected file. Refusing the update under CI is the caller's job: the
//! library reads no environment.

use std::path::PathBuf;

use super::case::{Case, Produced};
use crate::error::{Error, Result};

/// Writes what `produced` holds as the case's expected file; returns the file written.
pub fn write_expected(case: &Case, produced: &Produced) -> Result<PathBuf> {
    let (target, stale, text) = match produced {
        Ok(output) => (
            case.expected_path(),
            case.expected_err_path(),
            output.clone(),
        ),
        Err(message) => (
            case.expected_err_path(),
            case.expected_path(),
            format!("{}\n", message.trim_end()),
        ),
    };
    std::fs::write(&target, text.as_bytes())
        .map_err(|e| Error::io(format!("writing {}", target.display()), e))?;
    if stale.exists() {
        std::fs::remove_file(&stale)
            .map_err(|e| Error::io(format!("removing {}", stale.display()), e))?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::case::CaseSpec;

    #[test]
    fn one_expected_file_with_exact_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case {
            dir: dir.path().to_path_buf(),
            spec: CaseSpec::default(),
        };
        let out = "---\r\nkind: A\r\n# no final newline";
        write_expected(&case, &Ok(out.into())).unwrap();
        assert_eq!(std::fs::read(case.expected_path()).unwrap(), out.as_bytes());
        write_expected(&case, &Err("overlay tls: bad\n\n".into())).unwrap();
        assert!(!case.expected_path().exists());
        assert_eq!(
            std::fs::read_to_string(case.expected_err_path()).unwrap(),
            "overlay tls: bad\n"
        );
    }
}

//! Why a script file cannot start, all of it at once: the runtime names the first reason the
//! kernel gave (one errno), but fixing that one alone often leaves the next (a file without the
//! execute bit that also has CRLF line endings and names a missing interpreter).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Whether this process may do `mode` (`libc::X_OK`...) on `path`.
fn may(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a NUL-terminated path; access has no other effect.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

/// `name` found the way execvp does, in this process's PATH.
fn in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The program file of `command` (its first word), if it is a file.
fn program(command: &str) -> Option<PathBuf> {
    let first = shell_words::split(command).ok()?.into_iter().next()?;
    let path = if first.contains('/') {
        PathBuf::from(first)
    } else {
        in_path(&first)?
    };
    path.is_file().then_some(path)
}

/// Every defect that stops `command`'s program file from running, each a sentence saying what
/// to do; empty when the file is fine or is not a file.
pub fn defects(command: &str) -> Vec<String> {
    let Some(path) = program(command) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let shown = path.display();
    // A directory on the way that this user cannot search hides the file whatever its mode.
    let absolute = std::env::current_dir().map_or(path.clone(), |cwd| cwd.join(&path));
    let blocked = absolute
        .ancestors()
        .skip(1)
        .filter(|d| !d.as_os_str().is_empty())
        .find(|d| !may(d, libc::X_OK));
    if let Some(dir) = blocked {
        let mode = std::fs::metadata(dir).map_or(0, |m| m.permissions().mode() & 0o7777);
        out.push(format!(
            "the directory `{}` (mode {mode:04o}) on the file's path is not searchable by this user, so the file cannot be reached: that directory, not the file's mode, is the cause (chmod +x the directory or run as a user who may search it)",
            dir.display()
        ));
    }
    let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode() & 0o7777);
    if mode & 0o111 == 0 {
        out.push(format!(
            "the file's mode is {mode:04o}, without an execute bit: the file's mode is a cause (chmod +x {shown})"
        ));
    } else if blocked.is_none() && !may(&path, libc::X_OK) {
        out.push(format!(
            "the file's mode {mode:04o} does not let this user execute it: the file's mode is the cause (chmod +x {shown}, or change its owner)"
        ));
    }
    let head = read_head(&path);
    if head.starts_with(b"\x7fELF") {
        return out;
    }
    let Some(line) = head.strip_prefix(b"#!") else {
        out.push(
            "it has no #! line and is not a binary, so even executable it cannot be started: add one (e.g. #!/bin/sh) or name the interpreter on the command line (sh script.sh)"
                .into(),
        );
        return out;
    };
    let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    if line.ends_with('\r') {
        out.push(
            "its #! line ends in a carriage return (the file has CRLF, Windows, line endings), so the interpreter's name ends in \\r: convert the file with dos2unix".into(),
        );
    }
    let mut words = line.trim_end_matches('\r').split_whitespace();
    let interpreter = words.next().unwrap_or_default();
    let interp_path = Path::new(interpreter);
    if interpreter.is_empty() {
        out.push("its #! line names no interpreter".into());
    } else if !interp_path.is_file() {
        out.push(format!(
            "its interpreter `{interpreter}` (from the #! line) does not exist"
        ));
    } else if !may(interp_path, libc::X_OK) {
        out.push(format!(
            "its interpreter `{interpreter}` (from the #! line) is not executable"
        ));
    } else if interpreter.ends_with("/env") {
        let name = words.find(|w| !w.starts_with('-')).unwrap_or_default();
        if !name.is_empty() && in_path(name).is_none() {
            out.push(format!(
                "its #! line runs `env {name}`, and there is no `{name}` in PATH"
            ));
        }
    }
    out
}

fn read_head(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(512).read_to_end(&mut head);
    }
    head
}

/// `(1) a; (2) b`.
pub fn numbered(defects: &[String]) -> String {
    defects
        .iter()
        .enumerate()
        .map(|(i, d)| format!("({}) {d}", i + 1))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defect_of_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.py");
        std::fs::write(&path, b"#!/nonexistent/python9\r\nprint(1)\r\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let d = defects(&path.to_string_lossy());
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].contains("mode is 0644"), "{d:?}");
        assert!(d[1].contains("dos2unix"), "{d:?}");
        assert!(d[2].contains("`/nonexistent/python9`"), "{d:?}");

        std::fs::write(&path, b"print(1)\n").unwrap();
        let d = defects(&format!("'{}' -v", path.display()));
        assert!(d[1].contains("no #! line"), "{d:?}");
        assert!(defects("sh -c true").is_empty());
        assert!(defects("/nonexistent/x").is_empty());
    }
}

//! Configured command lines: split like POSIX shell words (quotes, backslashes) without running a
//! shell, then one mode flag appended.

use std::ffi::CString;
use std::sync::Arc;

use super::schedule::Mode;
use crate::diagnostic::{printable, shortened};

/// Longest command line shown in a message (longer ones keep their start and end).
pub const SHOWN_CHARS: usize = 240;

/// A script's argv for both modes, ready for exec.
#[derive(Debug, Clone)]
pub struct CommandLine {
    /// The command line as configured.
    pub text: Arc<str>,
    /// The command line for messages: printable and at most about `SHOWN_CHARS` characters.
    pub shown: Arc<str>,
    config: Arc<[CString]>,
    data: Arc<[CString]>,
}

impl CommandLine {
    /// Splits `text`; fails with a message naming the problem.
    pub fn parse(text: &str) -> Result<CommandLine, String> {
        if text.contains('\0') {
            return Err("the command line contains a NUL byte".into());
        }
        let shown = printable(&shortened(text, SHOWN_CHARS));
        let words = shell_words::split(text).map_err(|e| {
            format!("cannot split command line `{shown}`: {e} (an unclosed quote?)")
        })?;
        if words.is_empty() {
            return Err("the command line is empty".into());
        }
        let argv = |mode: Mode| -> Arc<[CString]> {
            words
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(mode.flag()))
                // Checked above: no word contains NUL.
                .map(|w| CString::new(w).expect("no NUL"))
                .collect()
        };
        Ok(CommandLine {
            text: text.into(),
            shown: shown.into(),
            config: argv(Mode::Config),
            data: argv(Mode::Data),
        })
    }

    /// The argv for a mode, including the trailing flag.
    pub fn argv(&self, mode: Mode) -> &Arc<[CString]> {
        match mode {
            Mode::Config => &self.config,
            Mode::Data => &self.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, mode: Mode) -> Vec<String> {
        CommandLine::parse(text)
            .unwrap()
            .argv(mode)
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn splits_like_a_shell_and_appends_one_flag() {
        assert_eq!(
            words("/opt/s/check.sh", Mode::Config),
            ["/opt/s/check.sh", "-c"]
        );
        assert_eq!(
            words("python3 /srv/x.py", Mode::Data),
            ["python3", "/srv/x.py", "-d"]
        );
        assert_eq!(
            words(r#""/opt/my scripts/x.sh" --verbose"#, Mode::Data),
            ["/opt/my scripts/x.sh", "--verbose", "-d"]
        );
        assert_eq!(
            words(r"/opt/my\ scripts/x.sh 'a b'", Mode::Config),
            ["/opt/my scripts/x.sh", "a b", "-c"]
        );
    }

    #[test]
    fn rejects_unclosed_quotes_empty_and_nul() {
        assert!(CommandLine::parse(r#""/opt/x.sh"#)
            .unwrap_err()
            .contains("unclosed quote"));
        assert!(CommandLine::parse("   ").unwrap_err().contains("empty"));
        assert!(CommandLine::parse("a\0b").unwrap_err().contains("NUL"));
    }
}

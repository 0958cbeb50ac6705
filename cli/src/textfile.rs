//! node_exporter's textfile collector: `gsp run --textfile DIR` writes one `<stem>.prom` file per
//! script, atomically, and keeps names and HELP consistent with the other files in `DIR`
//! (node_exporter drops a family whose HELP differs between files).

use std::collections::HashMap;
use std::io;
use std::path::Path;

use crate::names::fnv1a;

/// File stems for `--textfile`, one per script: `gsp_` + the command line with every run of
/// characters other than letters, digits, `.` and `-` turned into `_` (at most 100 characters),
/// plus `_<N>` (its position) when two scripts would share a file.
pub fn textfile_stems(commands: &[String]) -> Vec<String> {
    let mut stems: Vec<String> = Vec::with_capacity(commands.len());
    for (i, command) in commands.iter().enumerate() {
        let mut stem = String::from("gsp_");
        for c in command.chars() {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                stem.push(c);
            } else if !stem.ends_with('_') {
                stem.push('_');
            }
            if stem.len() >= 100 {
                break;
            }
        }
        let mut stem = stem.trim_end_matches('_').to_string();
        if stems.contains(&stem) {
            stem = format!("{stem}_{}", i + 1);
        }
        stems.push(stem);
    }
    stems
}

/// Replaces `DIR/<stem>.prom` atomically: node_exporter reads only `*.prom`, so it never sees
/// the temporary file, and the rename means it never sees a half-written one. Families that
/// another gsp process (or any tool) already writes to the directory with another HELP or TYPE
/// are renamed first (see [`reconcile`]) and the collision is reported on stderr, once.
pub fn write_textfile(dir: &Path, stem: &str, body: &str) -> io::Result<()> {
    let others = earlier_files(dir, stem);
    let (body, notes) = reconcile(body, stem, &others);
    report_once(notes);
    let tmp = dir.join(format!(".{stem}.prom.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, body)
        .and_then(|()| std::fs::rename(&tmp, dir.join(format!("{stem}.prom"))));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `(file name, contents)` of the `*.prom` files in `dir` whose names sort before
/// `<stem>.prom`: a file only yields to those, so every writer reaches the same names.
fn earlier_files(dir: &Path, stem: &str) -> Vec<(String, String)> {
    let own = format!("{stem}.prom");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".prom") && !n.starts_with('.') && *n < own)
        .filter_map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).ok()?;
            Some((n, text))
        })
        .collect();
    out.sort();
    out
}

/// The family a line is about: the name after `# HELP `/`# TYPE `, or a sample's metric name.
fn line_family(line: &str) -> Option<(&str, &str)> {
    if let Some(rest) = line
        .strip_prefix("# HELP ")
        .or_else(|| line.strip_prefix("# TYPE "))
    {
        let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
        return Some((name, text));
    }
    if line.starts_with('#') || line.is_empty() {
        return None;
    }
    let end = line.find(['{', ' ']).unwrap_or(line.len());
    Some((&line[..end], ""))
}

/// HELP and TYPE per family name in an exposition text.
fn help_and_type(text: &str) -> HashMap<&str, (Option<&str>, Option<&str>)> {
    let mut out: HashMap<&str, (Option<&str>, Option<&str>)> = HashMap::new();
    for line in text.lines() {
        if let Some((name, rest)) = line_family(line) {
            let entry = out.entry(name).or_default();
            if line.starts_with("# HELP ") {
                entry.0 = Some(rest);
            } else if line.starts_with("# TYPE ") {
                entry.1 = Some(rest);
            }
        }
    }
    out
}

/// node_exporter drops a family whose HELP or TYPE differs between two files of its directory
/// (it only logs it). Renames each family of `body` that an earlier file declares differently:
/// `<name>_f<hash of the stem>`, before `_total`. Returns the new body and what was renamed.
pub fn reconcile(body: &str, stem: &str, earlier: &[(String, String)]) -> (String, Vec<String>) {
    let ours = help_and_type(body);
    let mut renames: HashMap<&str, String> = HashMap::new();
    let mut notes = Vec::new();
    for (file, text) in earlier {
        for (name, (help, kind)) in help_and_type(text) {
            let Some(&(our_help, our_kind)) = ours.get(name) else {
                continue;
            };
            let differs = |a: Option<&str>, b: Option<&str>| a.is_some() && b.is_some() && a != b;
            if renames.contains_key(name) || !(differs(help, our_help) || differs(kind, our_kind)) {
                continue;
            }
            let tag = format!("f{:08x}", fnv1a(stem.as_bytes()));
            let new = match name.strip_suffix("_total") {
                Some(base) => format!("{base}_{tag}_total"),
                None => format!("{name}_{tag}"),
            };
            notes.push(format!(
                "gsp: --textfile: {name} is already in {file} with another HELP or TYPE, which makes node_exporter drop it; {stem}.prom names it {new}"
            ));
            let name = ours.get_key_value(name).map_or(name, |(k, _)| *k);
            renames.insert(name, new);
        }
    }
    if renames.is_empty() {
        return (body.to_string(), notes);
    }
    let mut out = String::with_capacity(body.len() + 64);
    for line in body.lines() {
        match line_family(line).and_then(|(name, _)| Some((name, renames.get(name)?))) {
            Some((name, new)) => {
                let at = line.find(name).unwrap_or(0);
                out.push_str(&line[..at]);
                out.push_str(new);
                out.push_str(&line[at + name.len()..]);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    (out, notes)
}

/// Prints each note to stderr the first time it occurs in this process.
fn report_once(notes: Vec<String>) {
    static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut seen) = SEEN.lock() else {
        return;
    };
    for note in notes {
        if !seen.contains(&note) {
            eprintln!("{note}");
            seen.push(note);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_another_file_declares_differently_are_renamed() {
        let body = "# HELP gsp_disk_used_percent Disk used: Used space per mount point [%]\n\
                    # TYPE gsp_disk_used_percent gauge\n\
                    gsp_disk_used_percent{mount=\"/\",script=\"b\"} 42.5\n\
                    # HELP gsp_hits_total Hits\n# TYPE gsp_hits_total counter\n\
                    gsp_hits_total{script=\"b\"} 3\n\
                    # HELP gsp_script_success ok\n# TYPE gsp_script_success gauge\n\
                    gsp_script_success{script=\"b\"} 1\n";
        let earlier = vec![(
            "gsp_a.prom".to_string(),
            "# HELP gsp_disk_used_percent Disk used: Used space [%]\n\
             # TYPE gsp_disk_used_percent gauge\n\
             gsp_disk_used_percent{script=\"a\"} 1\n\
             # TYPE gsp_hits_total gauge\ngsp_hits_total 1\n\
             # HELP gsp_script_success ok\n# TYPE gsp_script_success gauge\n"
                .to_string(),
        )];
        let (out, notes) = reconcile(body, "gsp_b", &earlier);
        let tag = format!("f{:08x}", fnv1a(b"gsp_b"));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("gsp_a.prom"), "{notes:?}");
        assert!(out.contains(&format!(
            "# HELP gsp_disk_used_percent_{tag} Disk used: Used space per mount point [%]\n"
        )));
        assert!(out.contains(&format!(
            "gsp_disk_used_percent_{tag}{{mount=\"/\",script=\"b\"}} 42.5\n"
        )));
        assert!(out.contains(&format!(
            "# TYPE gsp_hits_{tag}_total counter\ngsp_hits_{tag}_total{{script=\"b\"}} 3\n"
        )));
        // Identical families are shared, as node_exporter allows.
        assert!(out.contains("gsp_script_success{script=\"b\"} 1\n"));
        assert_eq!(reconcile(body, "gsp_b", &[]).0, body);
    }

    #[test]
    fn stems_are_file_names_unique_per_script() {
        assert_eq!(
            textfile_stems(&[
                "python3 /srv/x.py --verbose".into(),
                "python3 /srv/x.py  --verbose".into(),
                "/opt/disk.sh".into()
            ]),
            [
                "gsp_python3_srv_x.py_--verbose",
                "gsp_python3_srv_x.py_--verbose_2",
                "gsp_opt_disk.sh"
            ]
        );
    }
}

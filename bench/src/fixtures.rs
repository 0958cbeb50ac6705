//! What the workloads run: the test scripts and the W3/W6 data file, written into a temporary
//! directory, and the compiled C programs (the spawn floor, W3's bare reader and C host).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::peers::{compile_c, compile_c_host};

/// One benchmark session: its size and the files its workloads run.
pub struct Bench {
    /// `--quick`: smaller workloads, one repetition.
    pub quick: bool,
    /// Repetitions of the workloads whose median is reported.
    pub reps: usize,
    /// The bench/ directory (the C peers, naive_agent.py).
    pub bench_dir: PathBuf,
    dir: PathBuf,
    /// The C spawn floor.
    pub floor: PathBuf,
    /// The C spawn floor with one hand-off between threads (bench/handoff_floor.c).
    pub handoff_floor: PathBuf,
    /// W3's floor: a bare C reader parsing the lines in place (bench/bare_reader.c).
    pub bare_reader: PathBuf,
    /// W3's C host over libgsp (bench/w3_host.c).
    pub c_host: PathBuf,
    /// Prints 10 metric lines.
    pub ten: String,
    /// Sleeps 2 s, then prints a metric.
    pub sleep2: String,
    /// `cat`s the file given as its first argument (metric lines with dimensions).
    pub cat: String,
    /// Prints one metric; period 60 s.
    pub tiny: String,
    /// Writes "<pid> <start ns>" into the directory given, then hangs past its 1 s maxruntime.
    pub hang: String,
    /// As `cat`, with the metric's calctype Difference.
    pub diff: String,
    /// The metric lines `cat` and `diff` print: 10 MB (quick) or 50 MB.
    pub data: String,
}

impl Bench {
    /// Writes the scripts and the data file into a fresh temporary directory.
    pub fn new(quick: bool) -> Bench {
        // The package's own directory since bench/ is a workspace member of its own.
        let bench_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::temp_dir().join(format!("gsp-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let floor = compile_c(&bench_dir, &dir, "floor", &[]);
        let handoff_floor = compile_c(&bench_dir, &dir, "handoff_floor", &["-lpthread".into()]);
        let bare_reader = compile_c(&bench_dir, &dir, "bare_reader", &[]);
        let c_host = compile_c_host(&bench_dir, &dir);
        let script = |name, body| write_script(&dir, name, body);
        let ten = script(
            "ten.sh",
            "#!/bin/sh\nif [ \"$1\" = -c ]; then\n  echo '{\"maxruntime\": 5000, \"metrics\": [{\"id\":1},{\"id\":2},{\"id\":3},{\"id\":4},{\"id\":5},{\"id\":6},{\"id\":7},{\"id\":8},{\"id\":9},{\"id\":10}]}'\n  exit 0\nfi\nprintf 'M1 1.5\\nM2 2.5\\nM3 3.5\\nM4 4.5\\nM5 5.5\\nM6 6.5\\nM7 7.5\\nM8 8.5\\nM9 9.5\\nM10 10.5\\n'\n",
        );
        let sleep2 = script(
            "sleep2.sh",
            "#!/bin/sh\nif [ \"$1\" = -c ]; then echo '{\"maxruntime\": 10000, \"metrics\": [{\"id\":1}]}'; exit 0; fi\nsleep 2\necho 'M1 1'\n",
        );
        let cat = script(
            "cat.sh",
            "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 50000, \"metrics\": [{\"id\":1,\"dimensions\":[{\"id\":1,\"name\":\"if\"},{\"id\":2,\"name\":\"dir\"}]}]}'; exit 0; fi\nexec cat \"$1\"\n",
        );
        let tiny = script(
            "tiny.sh",
            "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 5000, \"period\": 60, \"metrics\": [{\"id\":1}]}'; exit 0; fi\necho 'M1 1'\n",
        );
        let hang = script(
            "hang.sh",
            "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 1000, \"metrics\": [{\"id\":1}]}'; exit 0; fi\necho \"$$ $(date +%s%N)\" > \"$1/$$.tmp\" && mv \"$1/$$.tmp\" \"$1/$$\"\nexec sleep 30\n",
        );
        let diff = script(
            "diff.sh",
            "#!/bin/sh\nif [ \"$2\" = -c ]; then echo '{\"maxruntime\": 50000, \"metrics\": [{\"id\":1,\"calctype\":\"Difference\",\"dimensions\":[{\"id\":1,\"name\":\"if\"},{\"id\":2,\"name\":\"dir\"}]}]}'; exit 0; fi\nexec cat \"$1\"\n",
        );
        let data = dir.join("w3.txt");
        write_data(&data, if quick { 10_000_000 } else { 50_000_000 });
        Bench {
            quick,
            reps: if quick { 1 } else { 3 },
            bench_dir,
            floor,
            handoff_floor,
            bare_reader,
            c_host,
            ten,
            sleep2,
            cat,
            tiny,
            hang,
            diff,
            data: data.to_str().unwrap().to_string(),
            dir,
        }
    }

    /// A fresh directory for a workload's own files.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::create_dir_all(&path).unwrap();
        path
    }

    /// The size of the data file, in MB.
    pub fn data_mb(&self) -> u32 {
        if self.quick {
            10
        } else {
            50
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

/// At least `target` bytes of lines `M1 "1:eth<i>,2:rx" <value>`, 16 interfaces.
fn write_data(path: &Path, target: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut i = 0u64;
    while written < target {
        let line = format!(
            "M1 \"1:eth{},2:rx\" {}.{}\n",
            i % 16,
            1_000_000 + i,
            i % 1000
        );
        written += line.len();
        w.write_all(line.as_bytes()).unwrap();
        i += 1;
    }
}

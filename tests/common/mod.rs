//! Helpers shared by the integration tests that drive `ssmdeck sim` as a real process.

/// A running `ssmdeck sim` child process; killed on drop.
pub struct SimProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `ssmdeck sim ARGS` and read its `listening on URL` line.
pub fn spawn_sim(args: &[&str]) -> SimProcess {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ssmdeck"))
        .arg("sim")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn ssmdeck sim");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    SimProcess { child, url }
}

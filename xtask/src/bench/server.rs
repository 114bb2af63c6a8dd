//! The servers under load, each in its own process so that every row of the report
//! measures a server the same way: its own runtime and threads, reached over
//! loopback TCP.

use anyhow::Context as _;
use crm_testkit::Fixtures;
use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to print its token and accept connections.
const STARTUP: Duration = Duration::from_secs(60);

/// A running server process, killed when dropped: on success, on error and on
/// panic alike.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    /// Where `crm serve` answers `/metrics` (`--metrics-bind`).
    pub metrics: Option<SocketAddr>,
    what: String,
    log: PathBuf,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `command` with its stderr in `log`: with `RUST_LOG=info` the server
    /// logs every request, and a pipe nobody reads would block it.
    fn spawn(
        mut command: Command,
        addr: SocketAddr,
        log: PathBuf,
        what: &str,
    ) -> anyhow::Result<Self> {
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        command.stderr(log_file);
        let child = command
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        Ok(ServerProcess {
            child,
            addr,
            metrics: None,
            what: what.to_owned(),
            log,
        })
    }

    /// Waits until the port accepts connections, or the process has exited.
    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + STARTUP;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(self.failure(&format!("exited during start-up ({status})")));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(self.failure(&format!(
            "did not accept connections on {} within {STARTUP:?}",
            self.addr
        )))
    }

    /// An error naming the server, with the end of its log.
    fn failure(&self, what_happened: &str) -> anyhow::Error {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        anyhow::anyhow!(
            "{} {what_happened}; the end of {}:\n{tail}",
            self.what,
            self.log.display()
        )
    }
}

/// A loopback address no one is listening on. Another process could take the port
/// before the server binds it; the server then fails to start and says so.
pub fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    Group,
    PerRequest,
}

impl Commit {
    fn arg(self) -> &'static str {
        match self {
            Commit::Group => "group",
            Commit::PerRequest => "per-request",
        }
    }
}

/// How to start `crm serve`.
pub struct CrmConfig<'a> {
    pub bin: &'a Path,
    /// A SQLite file, or a `postgres://` URL.
    pub db: &'a Path,
    /// Where the stderr log file goes.
    pub log_dir: &'a Path,
    pub commit: Commit,
    pub rust_log: &'a str,
    /// The name of the stderr log file, in `log_dir`.
    pub log_name: &'a str,
}

/// Starts `crm serve` on a fresh database and returns it with the bearer token it
/// prints for the default workspace (id 1).
pub fn start_crm_fresh(config: &CrmConfig) -> anyhow::Result<(ServerProcess, String)> {
    let (mut command, addr, metrics) = crm_command(config)?;
    command.stdout(Stdio::piped());
    let mut server = ServerProcess::spawn(command, addr, log_path(config), "crm serve")?;
    server.metrics = Some(metrics);
    let stdout = server.child.stdout.take().context("crm serve's stdout")?;
    let (tx, rx) = mpsc::channel();
    // Reads to the end (the process's exit) so the server never blocks on stdout.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim().starts_with("crm_") {
                let _ = tx.send(line.trim().to_owned());
            }
        }
    });
    let token = match rx.recv_timeout(STARTUP) {
        Ok(token) => token,
        Err(_) => return Err(server.failure("printed no token (a line starting with crm_)")),
    };
    server.wait_ready()?;
    Ok((server, token))
}

/// Starts `crm serve` again on a database that already has its workspace and token.
pub fn restart_crm(config: &CrmConfig) -> anyhow::Result<ServerProcess> {
    let (mut command, addr, metrics) = crm_command(config)?;
    command.stdout(Stdio::null());
    let mut server = ServerProcess::spawn(command, addr, log_path(config), "crm serve")?;
    server.metrics = Some(metrics);
    server.wait_ready()?;
    Ok(server)
}

fn crm_command(config: &CrmConfig) -> anyhow::Result<(Command, SocketAddr, SocketAddr)> {
    let addr = free_addr()?;
    let metrics = free_addr()?;
    let mut command = Command::new(config.bin);
    command
        .arg("serve")
        .arg("--db")
        .arg(config.db)
        .arg("--bind")
        .arg(addr.to_string())
        .arg("--metrics-bind")
        .arg(metrics.to_string())
        .args(["--durability", "full", "--commit", config.commit.arg()])
        .env("RUST_LOG", config.rust_log)
        .env_remove("CRM_DB")
        .env_remove("CRM_BIND")
        .stdin(Stdio::null());
    Ok((command, addr, metrics))
}

fn log_path(config: &CrmConfig) -> PathBuf {
    config.log_dir.join(config.log_name)
}

/// Creates, with `crm admin`, the organization of workspace 1 that the operations
/// name: BigChange's `contactId` (its integer id) and a lead's `organizationId`
/// (its uuid). `crm admin` may run beside the server (SQLite WAL).
pub fn create_fixtures(bin: &Path, db: &Path) -> anyhow::Result<Fixtures> {
    let output = Command::new(bin)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(["organization", "--workspace", "1", "--name", "Bench"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .context("running crm admin organization")?;
    anyhow::ensure!(
        output.status.success(),
        "crm admin organization failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout)
        .context("reading crm admin organization's output")?;
    let organization = &printed["organization"];
    match (organization["id"].as_i64(), organization["uuid"].as_str()) {
        (Some(contact_id), Some(uuid)) => Ok(Fixtures {
            workspace_id: 1,
            contact_id,
            organization_uuid: uuid.to_owned(),
        }),
        _ => anyhow::bail!("crm admin organization printed no organization id and uuid: {printed}"),
    }
}

/// Starts the no-op dropshot server: this very binary, `bench-noop-server`.
pub fn start_noop(dir: &Path) -> anyhow::Result<ServerProcess> {
    let addr = free_addr()?;
    let exe = std::env::current_exe().context("finding the xtask binary")?;
    let mut command = Command::new(exe);
    command
        .args(["bench-noop-server", "--bind", &addr.to_string()])
        // Its stdin is its lifeline: it exits when this process goes away, even if
        // this process is killed before its guard runs.
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut server = ServerProcess::spawn(
        command,
        addr,
        dir.join("noop.log"),
        "the no-op dropshot server",
    )?;
    server.wait_ready()?;
    Ok(server)
}

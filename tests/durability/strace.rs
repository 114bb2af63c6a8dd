//! `strace` for `tests/durability.rs`: whether it can trace here, the options it
//! runs `crm serve` under, and its output read back as system calls in the order
//! the tracer saw them.
//!
//! One tracer sees every thread, and a traced thread stops at each system call
//! until the tracer has recorded it. So when a call's completion is recorded
//! before another call's start, the first really ended before the second began:
//! the order of the lines is an order in time, whatever the threads. A call
//! during which another thread made one is printed `<unfinished ...>` at its start
//! and `<... resumed>` at its end; both positions are kept.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether the trace must be taken: in CI (`CI` set) or when asked
/// (`CRM_REQUIRE_STRACE=1`). Elsewhere a machine without strace skips loudly.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var("CRM_REQUIRE_STRACE").is_ok_and(|v| v == "1")
}

/// True when `strace -f` works here. When it does not: panics if the trace is
/// required, else says so on stderr, loudly, and the caller skips.
pub fn available(test: &str) -> bool {
    // With the options the tests use: `--seccomp-bpf` needs the kernel's support.
    let probe = wrapper(Path::new("/dev/null"));
    let why = match Command::new(&probe[0])
        .args(&probe[1..])
        .arg("true")
        .stdout(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!(
            "`{} true` failed ({}): {}; a container needs ptrace (e.g. `--cap-add SYS_PTRACE`)",
            probe.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("strace cannot be run ({e}); `apt-get install strace` (.ci/run does)"),
    };
    assert!(
        !required(),
        "{test}: {why}. It is required here (CI or CRM_REQUIRE_STRACE=1): durability is not proven without it"
    );
    // Past the test harness's capture (it takes `eprintln!`), so that a passing
    // run still shows it.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}.\n*** Durability is NOT checked on this machine; \
         CI installs strace and fails without it.\n"
    );
    false
}

/// The system calls traced: syncs, writes to files (the WAL: `pwrite64`) and
/// writes to sockets (the answers).
const CALLS: &str = "trace=fsync,fdatasync,write,writev,pwrite64,pwritev,sendto,sendmsg";

/// `strace` and its options, to run before `crm serve …`: every thread (`-f`),
/// only the traced calls stop the process (`--seccomp-bpf`), descriptors shown
/// with their file or socket (`-yy`), written data in full up to a page and a bit
/// (`-s`), each line stamped with the time (`-ttt`, for whoever reads the trace:
/// the checks use the lines' order), into `out`.
pub fn wrapper(out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "strace",
        "-f",
        "--seccomp-bpf",
        "-ttt",
        "-yy",
        "-s",
        "8192",
        "-e",
    ]
    .map(str::to_owned)
    .to_vec();
    args.push(CALLS.to_owned());
    args.push("-o".to_owned());
    args.push(out.display().to_string());
    args
}

/// One system call: where its start and its end are in the trace.
#[derive(Debug)]
pub struct Call {
    pub pid: u32,
    pub name: String,
    /// The first argument's file or socket, as `-yy` shows it.
    pub fd: String,
    /// The arguments as printed at the call's start (written data included).
    pub args: String,
    pub start: usize,
    /// None if the trace ends before the call did.
    pub end: Option<usize>,
    pub ret: Option<i64>,
}

impl Call {
    fn succeeded(&self) -> bool {
        self.end.is_some() && self.ret.is_some_and(|r| r >= 0)
    }
}

/// What the part after the call's name holds: (arguments, return value).
fn split_return(rest: &str) -> (&str, Option<i64>) {
    match rest.rfind(") = ") {
        Some(at) => {
            let ret = rest[at + 4..].split_whitespace().next();
            (&rest[..at], ret.and_then(|r| r.parse().ok()))
        }
        None => (rest, None),
    }
}

/// The descriptor's file or socket: `11</tmp/x/crm.db-wal>` gives
/// `/tmp/x/crm.db-wal`; `15<TCP:[127.0.0.1:1->127.0.0.1:2]>` gives
/// `TCP:[127.0.0.1:1->127.0.0.1:2]`.
fn fd_of(args: &str) -> String {
    let Some(open) = args.find('<') else {
        return String::new();
    };
    let inner = &args[open + 1..];
    // A socket's "->" holds a '>' too: the descriptor ends where its '>' is
    // followed by the next argument, the call's end, or `<unfinished ...>`.
    let close = [">, ", ">)", "> "]
        .iter()
        .filter_map(|end| inner.find(end))
        .min()
        .unwrap_or_else(|| inner.len() - usize::from(inner.ends_with('>')));
    inner[..close].to_owned()
}

/// A whole trace.
pub struct Trace {
    pub calls: Vec<Call>,
    pub lines: usize,
}

impl Trace {
    pub fn read(path: &Path) -> Trace {
        let text = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&text);
        let mut calls = Vec::new();
        let mut pending: HashMap<u32, Call> = HashMap::new();
        let mut lines = 0;
        for (i, line) in text.lines().enumerate() {
            lines = i + 1;
            let Some((pid, rest)) = line.split_once(' ') else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            // The `-ttt` stamp.
            let rest = rest.trim_start();
            let rest = match rest.split_once(' ') {
                Some((stamp, after)) if stamp.parse::<f64>().is_ok() => after,
                _ => rest,
            };
            if let Some(resumed) = rest.strip_prefix("<... ") {
                if let Some(mut call) = pending.remove(&pid) {
                    let tail = resumed.split_once("resumed>").map_or("", |(_, t)| t);
                    call.end = Some(i);
                    call.ret = split_return(&format!("){tail}")).1;
                    calls.push(call);
                }
                continue;
            }
            let Some((name, after)) = rest.split_once('(') else {
                continue; // "+++ exited", "--- SIGTERM", …
            };
            if let Some(args) = after.strip_suffix(" <unfinished ...>") {
                pending.insert(
                    pid,
                    Call {
                        pid,
                        name: name.to_owned(),
                        fd: fd_of(args),
                        args: args.to_owned(),
                        start: i,
                        end: None,
                        ret: None,
                    },
                );
                continue;
            }
            let (args, ret) = split_return(after);
            calls.push(Call {
                pid,
                name: name.to_owned(),
                fd: fd_of(args),
                args: args.to_owned(),
                start: i,
                end: Some(i),
                ret,
            });
        }
        calls.extend(pending.into_values());
        calls.sort_by_key(|c| c.start);
        Trace { calls, lines }
    }

    /// Successful syncs of the WAL of `db`.
    pub fn wal_syncs<'a>(&'a self, db: &Path) -> impl Iterator<Item = &'a Call> + 'a {
        let wal = format!("{}-wal", db.display());
        self.calls.iter().filter(move |c| {
            matches!(c.name.as_str(), "fsync" | "fdatasync") && c.fd == wal && c.succeeded()
        })
    }

    /// For each of `texts`, all starting with `prefix`, the first write into the
    /// WAL of `db` whose data holds it. One pass over the trace: a text is looked
    /// for where `prefix` occurs, among the letters and digits that follow it.
    pub fn first_wal_writes(
        &self,
        db: &Path,
        prefix: &str,
        texts: &[&str],
    ) -> HashMap<String, &Call> {
        let wanted: HashSet<&str> = texts.iter().copied().collect();
        let wal = format!("{}-wal", db.display());
        let mut found = HashMap::new();
        let writes = self.calls.iter().filter(|c| {
            matches!(c.name.as_str(), "pwrite64" | "pwritev" | "write" | "writev") && c.fd == wal
        });
        for call in writes {
            for (at, _) in call.args.match_indices(prefix) {
                let run = &call.args[at..];
                let len = run.bytes().take_while(u8::is_ascii_alphanumeric).count();
                for end in prefix.len()..=len {
                    if wanted.contains(&run[..end]) {
                        found.entry(run[..end].to_owned()).or_insert(call);
                    }
                }
            }
        }
        found
    }

    /// Writes on TCP connections accepted on `port` whose data holds `text`.
    pub fn socket_writes<'a>(
        &'a self,
        port: u16,
        text: &'a str,
    ) -> impl Iterator<Item = &'a Call> + 'a {
        self.calls
            .iter()
            .filter(move |c| is_socket_write(c, port) && c.args.contains(text))
    }

    /// For each UUID written on TCP connections accepted on `port`, the first
    /// write that holds it.
    pub fn first_socket_writes_by_uuid(&self, port: u16) -> HashMap<String, &Call> {
        let mut found = HashMap::new();
        for call in self.calls.iter().filter(|c| is_socket_write(c, port)) {
            for uuid in uuids(&call.args) {
                found.entry(uuid.to_owned()).or_insert(call);
            }
        }
        found
    }
}

fn is_socket_write(call: &Call, port: u16) -> bool {
    matches!(
        call.name.as_str(),
        "write" | "writev" | "sendto" | "sendmsg"
    ) && call
        .fd
        .strip_prefix("TCP:[127.0.0.1:")
        .and_then(|rest| rest.split_once("->"))
        .is_some_and(|(local, _)| local == port.to_string())
}

/// The UUIDs (8-4-4-4-12 hexadecimal digits) in `text`.
fn uuids(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(35)).filter_map(move |i| {
        let shaped = bytes[i..i + 36].iter().enumerate().all(|(j, b)| {
            if matches!(j, 8 | 13 | 18 | 23) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
        // All ASCII, so both ends are character boundaries.
        shaped.then(|| &text[i..i + 36])
    })
}

//! Where log lines wait for stderr: a bounded queue emptied by one writer thread,
//! so a request never waits on the log's reader.
//!
//! Why not `tracing_appender::non_blocking`: it hands each line to its worker
//! through a channel, and a worker that has caught up sleeps until the next line
//! wakes it, so under load every request paid a thread wake-up (a futex call and
//! a context switch: about a fifth of a create's CPU on two cores). Here a
//! request appends its line to a buffer under a short lock and wakes no one; the
//! writer takes the whole buffer every few milliseconds (sooner when it is half
//! full) and writes it at once.
//!
//! A line is appended whole or not at all, so lines are never spliced. When the
//! queue holds its limit of lines (the reader stalled), new lines are dropped and
//! counted; the count is logged once the reader catches up and exported as a
//! metric.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long written lines may wait before the writer takes them.
const PERIOD: Duration = Duration::from_millis(5);

struct Queue {
    pending: Mutex<Pending>,
    /// Signalled when the queue is half full, and at shutdown.
    wake: Condvar,
    limit_lines: usize,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    lines: usize,
    closed: bool,
}

/// What `tracing_subscriber` writes each formatted line into.
#[derive(Clone)]
pub struct QueueWriter(Arc<Queue>);

/// Joins the writer thread, after it has written every queued line, when dropped.
pub struct FlushOnDrop {
    queue: Arc<Queue>,
    writer: Option<JoinHandle<()>>,
}

/// A queue of at most `limit_lines` lines, written to `out` by a thread of its own.
pub fn spawn(
    limit_lines: usize,
    mut out: impl Write + Send + 'static,
) -> std::io::Result<(QueueWriter, FlushOnDrop)> {
    let queue = Arc::new(Queue {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        limit_lines: limit_lines.max(1),
        dropped: AtomicU64::new(0),
    });
    let writer = {
        let queue = queue.clone();
        std::thread::Builder::new()
            .name("crm-log".into())
            .spawn(move || {
                let mut taken = Vec::new();
                loop {
                    let closed = {
                        let mut pending = queue.pending.lock().unwrap_or_else(|e| e.into_inner());
                        if pending.lines == 0 && !pending.closed {
                            pending = queue
                                .wake
                                .wait_timeout(pending, PERIOD)
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                        }
                        std::mem::swap(&mut taken, &mut pending.bytes);
                        pending.lines = 0;
                        pending.closed
                    };
                    if !taken.is_empty() {
                        // A failed write (stderr closed) loses these lines, as it
                        // would have written directly; the server goes on.
                        let _ = out.write_all(&taken).and_then(|()| out.flush());
                        taken.clear();
                    }
                    if closed {
                        return;
                    }
                    // Let lines gather rather than waking for each one.
                    std::thread::sleep(PERIOD);
                }
            })?
    };
    Ok((
        QueueWriter(queue.clone()),
        FlushOnDrop {
            queue,
            writer: Some(writer),
        },
    ))
}

impl QueueWriter {
    /// Lines dropped so far because the queue was full.
    pub fn dropped_lines(&self) -> u64 {
        self.0.dropped.load(Ordering::Relaxed)
    }
}

impl Write for QueueWriter {
    /// `tracing_subscriber` writes each formatted line with one `write_all`, which
    /// this takes whole, so a line is one call here.
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let queue = &self.0;
        let mut pending = queue.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.lines >= queue.limit_lines {
            drop(pending);
            queue.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            pending.bytes.extend_from_slice(line);
            pending.lines += 1;
            if pending.lines == queue.limit_lines / 2 {
                queue.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for QueueWriter {
    type Writer = QueueWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.queue
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .closed = true;
        self.queue.wake.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `out` the test can read, and stall.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_whole_and_in_order_by_the_time_the_guard_drops() {
        let sink = Sink::default();
        let (writer, guard) = spawn(1 << 16, sink.clone()).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let mut w = writer.clone();
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        w.write_all(format!("thread {t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 4000);
        for t in 0..4 {
            let mine: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..1000).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(mine, expected);
        }
        assert_eq!(writer.dropped_lines(), 0);
    }

    #[test]
    fn a_stalled_reader_drops_and_counts_lines_past_the_limit() {
        let stalled = Arc::new(Mutex::new(()));
        struct Stalled(Arc<Mutex<()>>, Sink);
        impl Write for Stalled {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _wait = self.0.lock().unwrap();
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let sink = Sink::default();
        let (mut writer, guard) = spawn(10, Stalled(stalled.clone(), sink.clone())).unwrap();
        // Taken after the guard, so that a failing assertion releases the reader
        // before the guard waits for the writer, and reports instead of hanging.
        let hold = stalled.lock().unwrap();
        // The first line is taken by the writer, which then blocks on the reader.
        writer.write_all(b"first\n").unwrap();
        while writer.0.pending.lock().unwrap().lines > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        for i in 0..25 {
            writer.write_all(format!("line {i}\n").as_bytes()).unwrap();
        }
        assert_eq!(writer.dropped_lines(), 15);
        drop(hold);
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let expected: Vec<String> = std::iter::once("first".to_owned())
            .chain((0..10).map(|i| format!("line {i}")))
            .collect();
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    }
}

//! Dropshot's own log (slog) into ours (tracing), so that every request gets one
//! line, whoever answered it: requests our handlers answer are logged by
//! [`crate::request_log::logged`] (with the workspace); the rest — unknown paths,
//! wrong methods on unregistered paths, the documents — get dropshot's "request
//! completed" record, in the same shape. Its other records above debug pass through.
//!
//! Dropshot's terminal drain is asynchronous and drops lines under load; this one
//! writes into the same non-blocking log as everything else.

use slog::{Drain, Key, OwnedKVList, Record, Serializer, KV};
use std::collections::BTreeMap;
use std::fmt::Arguments;

/// The logger to hand to dropshot.
pub fn logger() -> slog::Logger {
    slog::Logger::root(ToTracing.fuse(), slog::o!())
}

struct ToTracing;

/// A record's key-value pairs, as text.
#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Serializer for Fields {
    fn emit_arguments(&mut self, key: Key, val: &Arguments<'_>) -> slog::Result {
        self.0.insert(key.to_string(), val.to_string());
        Ok(())
    }
}

impl Drain for ToTracing {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        // Decided before any field is formatted: this runs for every request, and
        // most records (connection chatter, debug) are dropped.
        let completed = record.msg().as_str() == Some("request completed");
        if !completed && !record.level().is_at_least(slog::Level::Warning) {
            return Ok(());
        }
        let mut fields = Fields::default();
        let _ = record.kv().serialize(record, &mut fields);
        let _ = values.serialize(record, &mut fields);
        let fields = fields.0;
        let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        if completed {
            if crate::request_log::was_logged(get("req_id")) {
                return Ok(());
            }
            let path = get("uri").split('?').next().unwrap_or("");
            tracing::info!(
                request_id = %get("req_id"),
                method = %get("method"),
                path = %path,
                status = get("response_code").parse::<u16>().unwrap_or(0),
                latency_us = get("latency_us").parse::<u64>().unwrap_or(0),
                workspace = -1,
                "request"
            );
            return Ok(());
        }
        let message = record.msg().to_string();
        let detail = detail(&fields);
        match record.level() {
            slog::Level::Critical | slog::Level::Error => {
                tracing::error!(target: "dropshot", "{message} {detail}")
            }
            slog::Level::Warning => tracing::warn!(target: "dropshot", "{message} {detail}"),
            // Connection-level chatter ("accepted connection") would double the log.
            _ => {}
        }
        Ok(())
    }
}

/// A record's fields as `k=v` pairs, with a `uri`'s query dropped: a query may carry
/// a token (`?access_token=`) or a value of the request, and nothing a request
/// carried is logged.
fn detail(fields: &BTreeMap<String, String>) -> String {
    fields
        .iter()
        .map(|(k, v)| match k.as_str() {
            "uri" => format!("{k}={}", v.split('?').next().unwrap_or("")),
            _ => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_warning_never_carries_the_query() {
        let fields = [
            ("method", "POST"),
            ("uri", "/v2/people?access_token=crm_secret&q=1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(super::detail(&fields), "method=POST uri=/v2/people");
    }
}

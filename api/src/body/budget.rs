//! The bound on request bytes buffered at once, across every body being read
//! (`crm serve --max-inflight-body-bytes`). A body reserves its declared
//! `Content-Length` before a byte of it is read (and grows its reservation as
//! chunks arrive when it declares none); past the bound it is refused with 503 and
//! `Retry-After`, unread. The reservation is released when the extractor is done,
//! whatever happened, by dropping it.
//!
//! The server owns the budget, in its context; dropshot's body extractors are
//! generic over any context, so the context lends it through
//! [`BodyBudgetContext`], made known once with [`provide`].

use dropshot::{ErrorStatusCode, HttpError, ServerContext};
use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;
use std::time::Duration;

/// How long a refused client is asked to wait, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Request bytes that may be buffered at once, and how long one body may take to
/// arrive (so that a client trickling its body cannot hold its share for ever).
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    in_use: AtomicUsize,
    read_timeout: Duration,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Self {
        BodyBudget {
            limit,
            in_use: AtomicUsize::new(0),
            read_timeout: Duration::from_secs(30),
        }
    }

    /// How long a body may take to arrive, from its first read (`crm serve
    /// --request-timeout-secs`).
    pub fn with_read_timeout(self, read_timeout: Duration) -> Self {
        BodyBudget {
            read_timeout,
            ..self
        }
    }

    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// The 408 for a body that did not arrive in time.
    pub fn timed_out(&self) -> HttpError {
        HttpError::for_client_error(
            None,
            dropshot::ClientErrorStatusCode::REQUEST_TIMEOUT,
            format!(
                "body: did not arrive within {} s; send it at once",
                self.read_timeout.as_secs_f64()
            ),
        )
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes reserved by the bodies being read now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// Reserves `bytes`, or nothing when they do not fit.
    pub fn reserve(&self, bytes: usize) -> Option<Reservation<'_>> {
        // Lazily: a `Reservation` releases its bytes when dropped.
        self.take(bytes).then(|| Reservation {
            budget: self,
            bytes,
        })
    }

    fn take(&self, bytes: usize) -> bool {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// The 503 for a body that does not fit, with `Retry-After`.
    pub fn refusal(&self) -> HttpError {
        let message = format!(
            "body: the server is reading as many request bodies as it may at once ({} bytes); retry after {RETRY_AFTER_SECS} s",
            self.limit
        );
        let mut e = HttpError {
            status_code: ErrorStatusCode::SERVICE_UNAVAILABLE,
            error_code: None,
            external_message: message.clone(),
            internal_message: message,
            headers: None,
        };
        e.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from(RETRY_AFTER_SECS),
        );
        e
    }
}

/// Bytes reserved for one body; released when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl Reservation<'_> {
    /// Makes the reservation at least `bytes`; false when that does not fit.
    pub fn cover(&mut self, bytes: usize) -> bool {
        let more = bytes.saturating_sub(self.bytes);
        if more == 0 || self.budget.take(more) {
            self.bytes += more;
            true
        } else {
            false
        }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.budget.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// A server context that lends the body extractors its budget.
pub trait BodyBudgetContext: ServerContext {
    fn body_budget(&self) -> &BodyBudget;
}

type Lend = for<'a> fn(&'a dyn Any) -> Option<&'a BodyBudget>;

/// The context types that lend a budget. An extractor's `from_request` is generic
/// over any `dropshot::ServerContext` and cannot ask for more, so the lending is
/// looked up by the context's type.
static LENDERS: RwLock<Vec<(TypeId, Lend)>> = RwLock::new(Vec::new());

fn lend<C: BodyBudgetContext>(context: &dyn Any) -> Option<&BodyBudget> {
    context.downcast_ref::<C>().map(C::body_budget)
}

/// Makes `C`'s budget known to the body extractors; call it before serving.
pub fn provide<C: BodyBudgetContext>() {
    let mut lenders = LENDERS.write().unwrap_or_else(|e| e.into_inner());
    if !lenders.iter().any(|(id, _)| *id == TypeId::of::<C>()) {
        lenders.push((TypeId::of::<C>(), lend::<C>));
    }
}

/// The budget `context` lends, if its type was [`provide`]d.
pub fn of<C: ServerContext>(context: &C) -> Option<&BodyBudget> {
    let lenders = LENDERS.read().unwrap_or_else(|e| e.into_inner());
    let (_, lend) = lenders.iter().find(|(id, _)| *id == TypeId::of::<C>())?;
    lend(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_bounded_and_released() {
        let budget = BodyBudget::new(100);
        let a = budget.reserve(60).expect("fits");
        assert!(budget.reserve(41).is_none());
        let mut b = budget.reserve(40).expect("fits exactly");
        assert!(!b.cover(41), "no room left to grow");
        drop(a);
        assert!(b.cover(100));
        assert_eq!(budget.in_use(), 100);
        drop(b);
        assert_eq!(budget.in_use(), 0);
        let refusal = budget.refusal();
        assert_eq!(refusal.status_code, ErrorStatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            refusal
                .headers
                .unwrap()
                .get(http::header::RETRY_AFTER)
                .unwrap(),
            "1"
        );
    }

    struct Lender(BodyBudget);
    impl BodyBudgetContext for Lender {
        fn body_budget(&self) -> &BodyBudget {
            &self.0
        }
    }

    #[test]
    fn a_provided_context_lends_its_budget() {
        struct Other;
        assert!(of(&Lender(BodyBudget::new(1))).is_none());
        provide::<Lender>();
        assert_eq!(
            of(&Lender(BodyBudget::new(7))).map(BodyBudget::limit),
            Some(7)
        );
        assert!(of(&Other).is_none());
    }

    /// A process may serve more than one context type (the tests' servers do);
    /// each is lent its own budget, and providing again adds no second entry.
    /// With types of its own: the lenders are one list for the whole test
    /// process, and the test above needs `Lender` unprovided when it starts.
    #[test]
    fn every_provided_context_lends_its_own_budget_once() {
        struct First(BodyBudget);
        struct Second(BodyBudget);
        impl BodyBudgetContext for First {
            fn body_budget(&self) -> &BodyBudget {
                &self.0
            }
        }
        impl BodyBudgetContext for Second {
            fn body_budget(&self) -> &BodyBudget {
                &self.0
            }
        }
        provide::<First>();
        provide::<Second>();
        provide::<Second>();
        assert_eq!(
            of(&Second(BodyBudget::new(3))).map(BodyBudget::limit),
            Some(3)
        );
        assert_eq!(
            of(&First(BodyBudget::new(5))).map(BodyBudget::limit),
            Some(5)
        );
        let lenders = LENDERS.read().unwrap();
        let entries = |id: TypeId| lenders.iter().filter(|(i, _)| *i == id).count();
        assert_eq!(
            (
                entries(TypeId::of::<First>()),
                entries(TypeId::of::<Second>())
            ),
            (1, 1)
        );
    }
}

//! `crm-testkit`: the one table of the API's create operations, shared by the
//! integration tests (`tests/*.rs`) and the bench's load generator
//! (`xtask/src/bench/load.rs`).
//!
//! Each [`Operation`] says how to call one create: its method and path, the status
//! it answers on success, the media types its body may take, the headers it needs
//! beyond `Authorization`, a valid body, where the created record is stored and
//! where its id is in the answer, and (through its [`Family`]) the shape of its
//! errors. `testkit/tests/coverage.rs` checks the table against `openapi/*.yaml`:
//! an operation a document has and the table lacks, or the other way round, fails.

mod family;

pub use family::Family;
use serde_json::{json, Value};

/// What a tenant's requests need besides its token: records made with the admin
/// helpers (`crm admin`), named by the ids the families use.
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// The workspace's integer id: BigChange's `Customer-Id`.
    pub workspace_id: i64,
    /// An organization's integer id: BigChange's `contactId`.
    pub contact_id: i64,
    /// An organization's uuid: what a SalesMap lead belongs to (`organizationId`).
    pub organization_uuid: String,
}

/// Where a create stores its record, and the value that makes it unique: the
/// column the body's `suffix` lands in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
}

/// One create operation of the API.
#[derive(Debug)]
pub struct Operation {
    /// The document's `operationId`.
    pub operation_id: &'static str,
    pub family: Family,
    /// Upper case, as on the wire: `POST`.
    pub method: &'static str,
    pub path: &'static str,
    /// The status of a successful create.
    pub success: u16,
    /// The request media types the document lists; `application/json` first.
    pub media_types: &'static [&'static str],
    /// The headers the operation needs besides `Authorization`, `Content-Type` and
    /// `Idempotency-Key`.
    pub headers: fn(&Fixtures) -> Vec<(&'static str, String)>,
    /// A valid JSON body; `suffix` makes its unique values (e-mail, reference id,
    /// name) new.
    pub body: fn(suffix: &str, &Fixtures) -> Value,
    /// Where the record [`Operation::body`] makes with `suffix` is stored.
    pub stored: fn(suffix: &str) -> Stored,
    /// A JSON pointer to the created record's id (the row's `uuid`) in a success
    /// answer.
    pub id_pointer: &'static str,
}

const JSON: &str = "application/json";

/// Every create operation, in document order: SalesMap, Introzy, BigChange,
/// MaiaScore.
pub static OPERATIONS: [Operation; 5] = [
    Operation {
        operation_id: "salesmap_create_people",
        family: Family::SalesMap,
        method: "POST",
        path: "/v2/people",
        success: 201,
        media_types: &[JSON],
        headers: |_| vec![],
        body: |s, _| {
            json!({"name": format!("고객 {s}"),
                   "fieldList": [{"name": "이메일", "stringValue": format!("salesmap-{s}@example.test")}]})
        },
        stored: |s| Stored {
            table: "people",
            column: "email_norm",
            value: format!("salesmap-{s}@example.test"),
        },
        id_pointer: "/data/people/id",
    },
    Operation {
        operation_id: "salesmap_create_lead",
        family: Family::SalesMap,
        method: "POST",
        path: "/v2/lead",
        success: 201,
        media_types: &[JSON],
        headers: |_| vec![],
        // A lead needs a person or an organization: the fixtures' organization.
        body: |s, f| json!({"name": format!("리드 {s}"), "organizationId": f.organization_uuid}),
        stored: |s| Stored {
            table: "leads",
            column: "name",
            value: format!("리드 {s}"),
        },
        id_pointer: "/data/lead/id",
    },
    Operation {
        operation_id: "introzy_create_person",
        family: Family::Introzy,
        method: "POST",
        path: "/api/people",
        success: 201,
        media_types: &[JSON],
        headers: |_| vec![],
        body: |s, _| json!({"email": format!("introzy-{s}@example.test"), "firstName": "Introzy", "lastName": s}),
        stored: |s| Stored {
            table: "people",
            column: "email_norm",
            value: format!("introzy-{s}@example.test"),
        },
        id_pointer: "/data/id",
    },
    Operation {
        operation_id: "bigchange_create_person",
        family: Family::BigChange,
        method: "POST",
        path: "/v1/contacts/persons",
        success: 201,
        media_types: &[JSON],
        // The call acts for the customer (workspace) it names.
        headers: |f| vec![("Customer-Id", f.workspace_id.to_string())],
        body: |s, f| {
            json!({"contactId": f.contact_id, "forename": "BigChange", "surname": s,
                   "email": format!("bigchange-{s}@example.test")})
        },
        stored: |s| Stored {
            table: "people",
            column: "email_norm",
            value: format!("bigchange-{s}@example.test"),
        },
        id_pointer: "/id",
    },
    Operation {
        operation_id: "maiascore_create_customer",
        family: Family::MaiaScore,
        method: "POST",
        path: "/customers",
        success: 200,
        media_types: &[JSON, "application/xml", "application/x-www-form-urlencoded"],
        headers: |_| vec![],
        body: |s, _| json!({"referenceId": format!("ref-{s}"), "dateOfBirth": "1990-01-01", "gender": "male"}),
        stored: |s| Stored {
            table: "customers",
            column: "reference_id",
            value: format!("ref-{s}"),
        },
        id_pointer: "/id",
    },
];

/// The operation with this `operationId`; panics naming it when there is none.
pub fn operation(operation_id: &str) -> &'static Operation {
    OPERATIONS
        .iter()
        .find(|op| op.operation_id == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id:?} in crm_testkit::OPERATIONS"))
}

/// The tables creates store into, each once: what "nothing was stored" counts.
pub fn tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = OPERATIONS.iter().map(|op| (op.stored)("").table).collect();
    tables.sort_unstable();
    tables.dedup();
    tables
}

impl Operation {
    /// `operationId (METHOD path)`, for messages.
    pub fn name(&self) -> String {
        format!("{} ({} {})", self.operation_id, self.method, self.path)
    }

    /// Checks that `body` is this operation's error for `status` and returns its
    /// message (see [`Family::error_message`]).
    pub fn error_message(&self, status: u16, body: &Value) -> Result<String, String> {
        self.family
            .error_message(self.path, status, body)
            .map_err(|e| format!("{}: {e}", self.name()))
    }

    /// This operation's whole answer to a refusal with `status` and `message` only
    /// (see [`Family::plain_error`]).
    pub fn refusal(&self, status: u16, message: &str) -> (u16, Value) {
        (status, self.family.plain_error(self.path, status, message))
    }

    /// This operation's whole answer to a request refused for one invalid `field`
    /// (see [`Family::invalid`]).
    pub fn invalid(&self, field: &str, message: &str) -> (u16, Value) {
        self.family.invalid(self.path, field, message)
    }

    /// The created record's id in a success answer.
    pub fn created_id<'a>(&self, answer: &'a Value) -> Option<&'a str> {
        answer.pointer(self.id_pointer)?.as_str()
    }
}

//! The data the store takes and gives: plain values, with no behaviour beyond naming
//! themselves. Kept apart from the traits in `mod.rs` so that the interface reads in
//! one screen; every type is re-exported from [`crate::store`]. What `crm admin`
//! prints is serialized from here, with camelCase keys like the APIs'.

use crate::time::Timestamp;
use serde::Serialize;

/// One record's two representations: the integer id (BigChange's int64 ids and
/// foreign keys) and the uuid (the string ids SalesMap and Introzy show).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordId {
    pub id: i64,
    pub uuid: String,
}

#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub token_id: i64,
    pub label: String,
    pub workspace: RecordId,
    pub scopes: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

/// A token as `crm admin token list` and `revoke` show it: never its secret or hash.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub token_id: i64,
    pub label: String,
    pub scopes: Vec<String>,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub workspace: RecordId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Person,
    Lead,
    Organization,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Person => "person",
            Entity::Lead => "lead",
            Entity::Organization => "organization",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "person" => Some(Entity::Person),
            "lead" => Some(Entity::Lead),
            "organization" => Some(Entity::Organization),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
    Select,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Select => "select",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(FieldType::Text),
            "number" => Some(FieldType::Number),
            "boolean" => Some(FieldType::Boolean),
            "date" => Some(FieldType::Date),
            "select" => Some(FieldType::Select),
            _ => None,
        }
    }
}

/// A standard field whose value lives in the record itself (a column, or its
/// link to an organization) rather than in `field_values`. Only SalesMap's
/// `fieldList`, which names fields, sets one; custom fields by key or id never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Builtin {
    Email,
    Phone,
    Position,
    /// 이름: the person's name.
    Name,
    /// 소속 기업: the organization the person belongs to, by id or by name.
    Organization,
}

impl Builtin {
    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::Email => "email",
            Builtin::Phone => "phone",
            Builtin::Position => "position",
            Builtin::Name => "name",
            Builtin::Organization => "organization",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Builtin::Email),
            "phone" => Some(Builtin::Phone),
            "position" => Some(Builtin::Position),
            "name" => Some(Builtin::Name),
            "organization" => Some(Builtin::Organization),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldDefinition {
    #[serde(flatten)]
    pub id: RecordId,
    pub entity: Entity,
    pub name: String,
    pub key: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub builtin: Option<Builtin>,
}

/// What every workspace has: SalesMap's standard people fields (이름, 소속 기업,
/// 전화, 이메일, 최근 연락일, 포지션). A new workspace gets them in this order;
/// migration 0007 added the last two to workspaces made before it.
pub const STANDARD_PERSON_FIELDS: &[(&str, &str, FieldType, Option<Builtin>)] = &[
    ("이메일", "email", FieldType::Text, Some(Builtin::Email)),
    ("전화", "phone", FieldType::Text, Some(Builtin::Phone)),
    (
        "포지션",
        "position",
        FieldType::Text,
        Some(Builtin::Position),
    ),
    ("최근 연락일", "last_contacted_at", FieldType::Date, None),
    ("이름", "name", FieldType::Text, Some(Builtin::Name)),
    (
        "소속 기업",
        "organization",
        FieldType::Text,
        Some(Builtin::Organization),
    ),
];

/// A field value ready to store: JSON string, number or boolean.
pub type CustomValues = Vec<(i64, serde_json::Value)>;

/// Which organization a new person belongs to.
#[derive(Clone, Debug)]
pub enum OrganizationTarget {
    /// One the domain already resolved in the workspace.
    Existing(RecordId),
    /// The workspace's organization of this name (compared by
    /// [`crate::canonical::name_key`]), created if there is none. Resolved inside the write, so concurrent creates naming one
    /// new company make exactly one.
    Named(String),
}

#[derive(Clone, Debug, Default)]
pub struct NewPerson {
    pub workspace_id: i64,
    pub organization: Option<OrganizationTarget>,
    /// Read the organization's details inside the write, into
    /// [`PersonRecord::organization_details`], so that an answer embedding the
    /// company (Introzy's) can be rendered in the create's own transaction.
    pub with_organization_details: bool,
    /// The display name every family shows.
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub landline: Option<String>,
    pub extension: Option<String>,
    pub title: Option<String>,
    pub position: Option<String>,
    pub department: Option<String>,
    pub address: Option<String>,
    pub memo: Option<String>,
    pub is_opted_out: bool,
    pub custom: CustomValues,
}

#[derive(Clone, Debug)]
pub struct PersonRecord {
    pub id: RecordId,
    pub name: String,
    /// As stored: [`crate::canonical::email_as_given`] of the request's.
    pub email: Option<String>,
    pub organization: Option<RecordId>,
    /// Only when [`NewPerson::with_organization_details`] asked for it.
    pub organization_details: Option<OrganizationDetails>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// How a request names a record: by uuid (SalesMap, Introzy) or integer id
/// (BigChange).
#[derive(Clone, Debug)]
pub enum RecordKey {
    Uuid(String),
    Id(i64),
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordKey::Uuid(u) => f.write_str(u),
            RecordKey::Id(i) => write!(f, "{i}"),
        }
    }
}

/// An organization as Introzy embeds it in a person.
#[derive(Clone, Debug)]
pub struct OrganizationDetails {
    pub id: RecordId,
    pub name: String,
    pub industry: Option<String>,
    pub website: Option<String>,
    /// Custom field values by field key.
    pub custom: Vec<(String, serde_json::Value)>,
}

#[derive(Clone, Debug, Default)]
pub struct NewLead {
    pub workspace_id: i64,
    pub name: String,
    pub person: Option<RecordId>,
    pub organization: Option<RecordId>,
    pub pipeline: Option<RecordId>,
    pub stage: Option<RecordId>,
    pub memo: Option<String>,
    pub custom: CustomValues,
}

#[derive(Clone, Debug)]
pub struct LeadRecord {
    pub id: RecordId,
    pub name: String,
    pub created_at: Timestamp,
    pub person: Option<RecordId>,
    pub organization: Option<RecordId>,
    pub pipeline: Option<RecordId>,
    pub stage: Option<RecordId>,
}

/// A MaiaScore customer. Text fields are stored as the request gave them.
#[derive(Clone, Debug, Default)]
pub struct NewCustomer {
    pub workspace_id: i64,
    pub vendor_uuid: Option<String>,
    pub reference_id: Option<String>,
    /// `YYYY-MM-DD`, checked by the domain.
    pub date_of_birth: Option<String>,
    pub address_street: Option<String>,
    pub address_neighborhood: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_country: Option<String>,
    pub gender: Option<String>,
    pub marital_status: Option<String>,
    /// The identity behind the token.
    pub created_by: String,
}

#[derive(Clone, Debug)]
pub struct CustomerRecord {
    pub id: RecordId,
    pub customer: NewCustomer,
    pub published_at: Timestamp,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRecord {
    #[serde(flatten)]
    pub id: RecordId,
    pub name: String,
    /// In order: the first is where a lead lands when no stage is given.
    pub stages: Vec<StageRecord>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageRecord {
    #[serde(flatten)]
    pub id: RecordId,
    pub name: String,
    pub position: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceRecord {
    #[serde(flatten)]
    pub id: RecordId,
    pub name: String,
    /// BigChange's `Customer-Id` for this workspace.
    pub customer_id: i64,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationRecord {
    #[serde(flatten)]
    pub id: RecordId,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct NewToken {
    pub workspace_id: i64,
    pub label: String,
    pub secret_hash: [u8; 32],
    pub scopes: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewFieldDefinition {
    pub workspace_id: i64,
    pub entity: Entity,
    pub name: String,
    pub key: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
}

/// The most writes a commit batch carries, as the buckets of
/// [`WriterStats::batch_sizes`].
pub const BATCH_SIZE_BOUNDS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// What the store's writer has done since it opened: how well commits batch.
#[derive(Clone, Debug, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: u64,
    /// Writes (creates) those transactions carried.
    pub writes: u64,
    /// (at most this many writes, commits so far): cumulative, by
    /// [`BATCH_SIZE_BOUNDS`].
    pub batch_sizes: Vec<(u64, u64)>,
    /// Batches not committed, every write in them answered an error.
    pub failed_batches: u64,
    /// Writes those batches carried.
    pub failed_writes: u64,
}

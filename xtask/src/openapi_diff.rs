//! The semantic walk over two OpenAPI 3.0 documents that both the contract check
//! (YAML vs the server's emitted document) and the breaking-change gate (a
//! baseline vs the current YAML) are built on.
//!
//! Operations are paired by `METHOD /path`; per operation it compares the
//! operationId, parameters, security (with the `x-required-scopes` extension),
//! request media types and schemas, response statuses, media types and schemas,
//! and, when asked, response headers. Schemas are compared with `$ref`s resolved and
//! `required` as a set: type, format, lengths, pattern, bounds, enum (as a set),
//! nullable (as OpenAPI 3.0.3 reads it), items, properties, additionalProperties and
//! the combinators. Prose (descriptions, summaries, examples, tags) is not compared.
//!
//! Each difference is a structured [`Change`]: what differs ([`Kind`]), on which
//! side it exists, in which direction the data flows ([`Direction`]: what clients
//! send or what they read), where in request terms (`request.fieldList.items.name`)
//! and where in each document (a JSON pointer). The callers decide what it means:
//! the contract check words it as "in YAML, in server"; the gate classifies it.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Which document a one-sided difference exists in: `Old` is the left document
/// (the YAML for the contract check, the baseline for the gate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Old,
    New,
}

/// Which way the data of a difference flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// What clients send: the operation itself, parameters, headers, security,
    /// request bodies.
    Send,
    /// What clients read: response statuses, headers and bodies.
    Read,
}

/// What `additionalProperties` allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Additional {
    /// Absent or `true`.
    Allowed,
    /// `false`.
    Forbidden,
    /// A schema the values must match.
    Schema,
}

/// What differs. Values are the old (left) side first.
#[derive(Clone, Debug)]
pub enum Kind<'a> {
    /// The operation (`METHOD /path`) exists on one side only.
    Operation(Side),
    OperationId {
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    },
    /// A parameter exists on one side only; `required` is that side's flag.
    Parameter {
        side: Side,
        required: bool,
    },
    ParameterRequired {
        old: bool,
        new: bool,
    },
    /// The effective security requirements (normalized: scopes as sorted sets).
    Security {
        old: Value,
        new: Value,
    },
    /// The `x-required-scopes` extension, as sorted sets.
    Scopes {
        old: Vec<String>,
        new: Vec<String>,
    },
    /// The definition of a security scheme the old side's requirements name (prose
    /// left out).
    SecurityScheme {
        scheme: String,
        old: Option<Value>,
        new: Option<Value>,
    },
    /// A request body exists on one side only; `required` is that side's flag.
    RequestBody {
        side: Side,
        required: bool,
    },
    BodyRequired {
        old: bool,
        new: bool,
    },
    /// A response status exists on one side only.
    Status {
        status: String,
        side: Side,
    },
    /// A response header exists on one side only.
    ResponseHeader {
        name: String,
        side: Side,
    },
    HeaderRequired {
        old: bool,
        new: bool,
    },
    /// A media type exists on one side only.
    MediaType {
        media: String,
        side: Side,
    },
    /// A media type has a schema on one side only.
    Schema(Side),
    Nullable {
        old: bool,
        new: bool,
    },
    /// A schema keyword with a scalar value (see [`KEYWORDS`]).
    Keyword {
        keyword: &'static str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
    },
    /// `enum`, each side as a sorted set.
    Enum {
        old: Option<Value>,
        new: Option<Value>,
    },
    /// The property is required on one side only. The (resolved) schemas holding it
    /// are given, so that a caller can tell a new property from an existing one.
    Required {
        name: String,
        side: Side,
        old_schema: &'a Value,
        new_schema: &'a Value,
    },
    /// The property exists on one side only; the schemas holding it are given.
    Property {
        name: String,
        side: Side,
        old_schema: &'a Value,
        new_schema: &'a Value,
    },
    /// `items` is present on one side only.
    Items {
        old: bool,
        new: bool,
    },
    AdditionalProperties {
        old: Additional,
        new: Additional,
    },
    /// `oneOf`, `anyOf` or `allOf` with a different number of schemas.
    Combinator {
        keyword: &'static str,
        old: usize,
        new: usize,
    },
}

/// One semantic difference between two documents.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    /// `POST /v2/people`.
    pub operation: String,
    pub direction: Direction,
    /// Where, in request terms: `request.fieldList.items.stringValue`,
    /// `parameter.header.Customer-Id`, `response.201.data.people.id`; empty for
    /// the operation itself.
    pub path: String,
    /// JSON pointers (without `#`) to where it is in the old and new document;
    /// `None` on a side that has nothing there.
    pub old_at: Option<String>,
    pub new_at: Option<String>,
    pub kind: Kind<'a>,
}

impl Kind<'_> {
    /// The difference in words, naming the two documents: with `("YAML", "server")`,
    /// `maxLength 255 in YAML, none in server`, `property in server, not in YAML`.
    pub fn describe(&self, old: &str, new: &str) -> String {
        let differs =
            |what: &str, o: String, n: String| format!("{what} {o} in {old}, {n} in {new}");
        let present = |side: Side, what: &str, absent: &str| match side {
            Side::Old => format!("{what} in {old}, {absent} in {new}"),
            Side::New => format!("{what} in {new}, {absent} in {old}"),
        };
        let flag = |b: bool| b.to_string();
        match self {
            Kind::Operation(side) => present(*side, "operation", "not"),
            Kind::OperationId { old: o, new: n } => differs("operationId", show(*o), show(*n)),
            Kind::Parameter { side, .. } => present(*side, "parameter", "not"),
            Kind::ParameterRequired { old: o, new: n }
            | Kind::BodyRequired { old: o, new: n }
            | Kind::HeaderRequired { old: o, new: n } => differs("required", flag(*o), flag(*n)),
            Kind::Security { old: o, new: n } => differs("security", o.to_string(), n.to_string()),
            Kind::Scopes { old: o, new: n } => differs(
                "scopes",
                Value::from(o.clone()).to_string(),
                Value::from(n.clone()).to_string(),
            ),
            Kind::SecurityScheme { old: o, new: n, .. } => {
                differs("scheme", show(o.as_ref()), show(n.as_ref()))
            }
            Kind::RequestBody { side, .. } => present(*side, "request body", "none"),
            Kind::Status { status, side } => present(*side, &format!("status {status}"), "not"),
            Kind::ResponseHeader { name, side } => {
                present(*side, &format!("response header {name}"), "not")
            }
            Kind::MediaType { media, side } => {
                present(*side, &format!("media type {media}"), "not")
            }
            Kind::Schema(side) => present(*side, "schema", "none"),
            Kind::Nullable { old: o, new: n } => differs("nullable", flag(*o), flag(*n)),
            Kind::Keyword {
                keyword,
                old: o,
                new: n,
            } => differs(keyword, show(*o), show(*n)),
            Kind::Enum { old: o, new: n } => differs("enum", show(o.as_ref()), show(n.as_ref())),
            Kind::Required { side, .. } => match side {
                Side::Old => format!("required in {old}, optional in {new}"),
                Side::New => format!("optional in {old}, required in {new}"),
            },
            Kind::Property { side, .. } => present(*side, "property", "not"),
            Kind::Items { old: o, new: n } => {
                let items = |b: bool| if b { "true" } else { "none" }.to_owned();
                differs("items", items(*o), items(*n))
            }
            Kind::AdditionalProperties { old: o, new: n } => differs(
                "additionalProperties",
                o.describe().into(),
                n.describe().into(),
            ),
            Kind::Combinator {
                keyword,
                old: o,
                new: n,
            } => format!("{keyword} with {o} schemas in {old}, {n} in {new}"),
        }
    }
}

impl Additional {
    fn of(v: Option<&Value>) -> Self {
        match v {
            None | Some(Value::Bool(true)) => Additional::Allowed,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(_) => Additional::Schema,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Additional::Allowed => "allowed",
            Additional::Forbidden => "forbidden",
            Additional::Schema => "a schema",
        }
    }

    /// What a (resolved) schema says of properties it does not list.
    pub fn of_schema(schema: &Value) -> Self {
        Additional::of(schema.get("additionalProperties"))
    }
}

/// The scalar schema keywords compared as they are written.
pub const KEYWORDS: &[&str] = &[
    "type",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// What to compare beyond what both callers need.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Compare the headers of each response (dropshot emits none, so the contract
    /// check cannot).
    pub response_headers: bool,
}

/// Every semantic difference between `old` and `new`, in walk order.
pub fn walk<'a>(old: &'a Value, new: &'a Value, options: Options) -> Vec<Change<'a>> {
    let mut walk = Walk {
        old,
        new,
        options,
        out: Vec::new(),
        operation: String::new(),
        direction: Direction::Send,
        visiting: BTreeSet::new(),
    };
    let old_ops = operations(old);
    let new_ops = operations(new);
    // An operation is what clients send.
    for (key, op) in &old_ops {
        if !new_ops.contains_key(key) {
            walk.operation = key.clone();
            walk.push("", Some(op.op.at.clone()), None, Kind::Operation(Side::Old));
        }
    }
    for (key, op) in &new_ops {
        if !old_ops.contains_key(key) {
            walk.operation = key.clone();
            walk.push("", None, Some(op.op.at.clone()), Kind::Operation(Side::New));
        }
    }
    for (key, o) in &old_ops {
        if let Some(n) = new_ops.get(key) {
            walk.operation = key.clone();
            walk.operation_pair(o, n);
        }
    }
    walk.out
}

/// A value in a document and its JSON pointer there (without `#`).
#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub value: &'a Value,
    pub at: String,
}

impl<'a> Node<'a> {
    pub fn root(doc: &'a Value) -> Self {
        Node {
            value: doc,
            at: String::new(),
        }
    }

    /// The child under `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.value.get(key).map(|value| Node {
            value,
            at: format!("{}/{}", self.at, escape(key)),
        })
    }

    /// The pointer to `key` if this node has it, else to this node.
    fn at_or_self(&self, key: &str) -> String {
        match self.value.get(key) {
            Some(_) => format!("{}/{}", self.at, escape(key)),
            None => self.at.clone(),
        }
    }
}

/// A JSON pointer token: `~` and `/` escaped.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation and the path item holding it.
#[derive(Clone, Debug)]
pub struct Operation<'a> {
    pub item: Node<'a>,
    pub op: Node<'a>,
}

/// `METHOD /path` → the operation, for every operation of `doc`.
pub fn operations(doc: &Value) -> BTreeMap<String, Operation<'_>> {
    let mut ops = BTreeMap::new();
    let Some(paths) = Node::root(doc).get("paths") else {
        return ops;
    };
    for path in paths.value.as_object().into_iter().flat_map(Map::keys) {
        let item = paths.get(path).expect("a key of the map");
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let key = format!("{} {path}", method.to_uppercase());
                ops.insert(
                    key,
                    Operation {
                        item: item.clone(),
                        op,
                    },
                );
            }
        }
    }
    ops
}

struct Walk<'a> {
    old: &'a Value,
    new: &'a Value,
    options: Options,
    out: Vec<Change<'a>>,
    operation: String,
    direction: Direction,
    /// `$ref` pairs being compared, so recursive schemas terminate.
    visiting: BTreeSet<(String, String)>,
}

static NULL: Value = Value::Null;
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

fn show(v: Option<&Value>) -> String {
    match v {
        None => "none".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn join(path: &str, part: &str) -> String {
    if path.is_empty() {
        part.to_owned()
    } else {
        format!("{path}.{part}")
    }
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn object(v: Option<&Value>) -> &Map<String, Value> {
    v.and_then(Value::as_object).unwrap_or(&EMPTY)
}

impl<'a> Walk<'a> {
    fn push(&mut self, path: &str, old_at: Option<String>, new_at: Option<String>, kind: Kind<'a>) {
        self.out.push(Change {
            operation: self.operation.clone(),
            direction: self.direction,
            path: path.to_owned(),
            old_at,
            new_at,
            kind,
        });
    }

    /// A change between two nodes that both exist, pointing at `key` in each.
    fn push_at(&mut self, path: &str, o: &Node<'a>, n: &Node<'a>, key: &str, kind: Kind<'a>) {
        self.push(path, Some(o.at_or_self(key)), Some(n.at_or_self(key)), kind);
    }

    /// Both nodes when both exist. When one does, pushes `kind(side, node)` at
    /// `path`, pointing at it and, on the other side, at `beside` (old, new).
    fn pair(
        &mut self,
        path: &str,
        nodes: (Option<Node<'a>>, Option<Node<'a>>),
        beside: (&str, &str),
        kind: impl FnOnce(Side, &Node<'a>) -> Kind<'a>,
    ) -> Option<(Node<'a>, Node<'a>)> {
        match nodes {
            (Some(o), Some(n)) => return Some((o, n)),
            (Some(o), None) => {
                let kind = kind(Side::Old, &o);
                self.push(path, Some(o.at), Some(beside.1.to_owned()), kind);
            }
            (None, Some(n)) => {
                let kind = kind(Side::New, &n);
                self.push(path, Some(beside.0.to_owned()), Some(n.at), kind);
            }
            (None, None) => {}
        }
        None
    }

    /// The `required` flag of a parameter, request body or response header.
    fn required_flag(
        &mut self,
        path: &str,
        o: &Node<'a>,
        n: &Node<'a>,
        kind: fn(bool, bool) -> Kind<'a>,
    ) {
        let (or, nr) = (flag(o.value, "required"), flag(n.value, "required"));
        if or != nr {
            self.push_at(path, o, n, "required", kind(or, nr));
        }
    }

    fn operation_pair(&mut self, o: &Operation<'a>, n: &Operation<'a>) {
        self.direction = Direction::Send;
        let (oid, nid) = (o.op.value.get("operationId"), n.op.value.get("operationId"));
        if oid != nid {
            let kind = Kind::OperationId { old: oid, new: nid };
            self.push_at("operationId", &o.op, &n.op, "operationId", kind);
        }
        self.parameters(o, n);
        self.security(&o.op, &n.op);
        self.request_body(&o.op, &n.op);
        self.direction = Direction::Read;
        self.responses(&o.op, &n.op);
    }

    fn parameters(&mut self, o: &Operation<'a>, n: &Operation<'a>) {
        let collect = |doc: &'a Value, op: &Operation<'a>| -> BTreeMap<String, Node<'a>> {
            let mut params = BTreeMap::new();
            for list in [op.item.get("parameters"), op.op.get("parameters")]
                .into_iter()
                .flatten()
            {
                for i in 0..list.value.as_array().map_or(0, Vec::len) {
                    let p = resolve(doc, list.get_index(i));
                    let key = format!("{}.{}", show(p.value.get("in")), show(p.value.get("name")));
                    params.insert(key, p);
                }
            }
            params
        };
        let (op, np) = (collect(self.old, o), collect(self.new, n));
        for key in op.keys().chain(np.keys()).collect::<BTreeSet<_>>() {
            let path = format!("parameter.{key}");
            let nodes = (op.get(key).cloned(), np.get(key).cloned());
            let kind = |side, p: &Node<'a>| Kind::Parameter {
                side,
                required: flag(p.value, "required"),
            };
            if let Some((op, np)) = self.pair(&path, nodes, (&o.op.at, &n.op.at), kind) {
                self.required_flag(&path, &op, &np, |old, new| Kind::ParameterRequired {
                    old,
                    new,
                });
                if let (Some(os), Some(ns)) = (op.get("schema"), np.get("schema")) {
                    self.schema(&path, os, ns);
                }
            }
        }
    }

    /// Effective security: the operation's, or the document's default.
    fn security(&mut self, o: &Node<'a>, n: &Node<'a>) {
        let effective = |doc: &'a Value, op: &Node<'a>| -> (Value, String) {
            match op.get("security") {
                Some(s) => (normalize_security(s.value), s.at),
                None => (
                    normalize_security(doc.get("security").unwrap_or(&Value::Null)),
                    "/security".to_owned(),
                ),
            }
        };
        let ((os, o_at), (ns, n_at)) = (effective(self.old, o), effective(self.new, n));
        if os != ns {
            let kind = Kind::Security {
                old: os.clone(),
                new: ns,
            };
            self.push("security", Some(o_at), Some(n_at), kind);
        }
        let scopes = |op: &Value| -> Vec<String> {
            let set = names(op.get("x-required-scopes"));
            set.into_iter().collect()
        };
        let (osc, nsc) = (scopes(o.value), scopes(n.value));
        if osc != nsc {
            let kind = Kind::Scopes { old: osc, new: nsc };
            self.push_at("x-required-scopes", o, n, "x-required-scopes", kind);
        }
        // The schemes each requirement names must be defined alike.
        for requirement in os.as_array().into_iter().flatten() {
            for scheme in requirement.as_object().into_iter().flat_map(|o| o.keys()) {
                let at = format!("/components/securitySchemes/{}", escape(scheme));
                let def = |doc: &Value| doc.pointer(&at).map(|s| strip_prose(s.clone()));
                let (od, nd) = (def(self.old), def(self.new));
                if od != nd {
                    let kind = Kind::SecurityScheme {
                        scheme: scheme.clone(),
                        old: od,
                        new: nd,
                    };
                    let path = format!("securitySchemes.{scheme}");
                    self.push(&path, Some(at.clone()), Some(at.clone()), kind);
                }
            }
        }
    }

    fn request_body(&mut self, o: &Node<'a>, n: &Node<'a>) {
        let nodes = (
            o.get("requestBody").map(|b| resolve(self.old, b)),
            n.get("requestBody").map(|b| resolve(self.new, b)),
        );
        let kind = |side, b: &Node<'a>| Kind::RequestBody {
            side,
            required: flag(b.value, "required"),
        };
        if let Some((ob, nb)) = self.pair("request", nodes, (&o.at, &n.at), kind) {
            self.required_flag("request", &ob, &nb, |old, new| Kind::BodyRequired {
                old,
                new,
            });
            self.content("request", &ob, &nb);
        }
    }

    fn responses(&mut self, o: &Node<'a>, n: &Node<'a>) {
        let responses = |op: &Node<'a>| {
            op.get("responses").unwrap_or_else(|| Node {
                value: &NULL,
                at: format!("{}/responses", op.at),
            })
        };
        let (or, nr) = (responses(o), responses(n));
        let (om, nm) = (object(Some(or.value)), object(Some(nr.value)));
        for status in om.keys().chain(nm.keys()).collect::<BTreeSet<_>>() {
            let path = format!("response.{status}");
            let nodes = (or.get(status), nr.get(status));
            let kind = |side, _: &Node<'a>| Kind::Status {
                status: status.clone(),
                side,
            };
            if let Some((ro, rn)) = self.pair(&path, nodes, (&or.at, &nr.at), kind) {
                let (ro, rn) = (resolve(self.old, ro), resolve(self.new, rn));
                if self.options.response_headers {
                    self.response_headers(&path, &ro, &rn);
                }
                self.content(&path, &ro, &rn);
            }
        }
    }

    fn response_headers(&mut self, path: &str, o: &Node<'a>, n: &Node<'a>) {
        let (oh, nh) = (
            object(o.value.get("headers")),
            object(n.value.get("headers")),
        );
        for name in oh.keys().chain(nh.keys()).collect::<BTreeSet<_>>() {
            let at = join(path, &format!("header.{name}"));
            let header = |doc: &'a Value, r: &Node<'a>| {
                let h = r.get("headers").and_then(|h| h.get(name));
                h.map(|h| resolve(doc, h))
            };
            let nodes = (header(self.old, o), header(self.new, n));
            let kind = |side, _: &Node<'a>| Kind::ResponseHeader {
                name: name.clone(),
                side,
            };
            if let Some((oh, nh)) = self.pair(&at, nodes, (&o.at, &n.at), kind) {
                self.required_flag(&at, &oh, &nh, |old, new| Kind::HeaderRequired { old, new });
                if let (Some(os), Some(ns)) = (oh.get("schema"), nh.get("schema")) {
                    self.schema(&at, os, ns);
                }
            }
        }
    }

    /// Media types as sets; with one media type on each side the path stays plain,
    /// with several it names the type: `request[application/xml]`.
    fn content(&mut self, path: &str, o: &Node<'a>, n: &Node<'a>) {
        let (oc, nc) = (
            object(o.value.get("content")),
            object(n.value.get("content")),
        );
        let types: BTreeSet<&String> = oc.keys().chain(nc.keys()).collect();
        let single = types.len() == 1;
        let beside = (o.at_or_self("content"), n.at_or_self("content"));
        for media in types {
            let at = if single {
                path.to_owned()
            } else {
                format!("{path}[{media}]")
            };
            let get = |body: &Node<'a>| body.get("content").and_then(|c| c.get(media));
            let kind = |side, _: &Node<'a>| Kind::MediaType {
                media: media.clone(),
                side,
            };
            let beside = (beside.0.as_str(), beside.1.as_str());
            let Some((om, nm)) = self.pair(path, (get(o), get(n)), beside, kind) else {
                continue;
            };
            let schemas = (om.get("schema"), nm.get("schema"));
            let kind = |side, _: &Node<'a>| Kind::Schema(side);
            if let Some((os, ns)) = self.pair(&at, schemas, (&om.at, &nm.at), kind) {
                self.schema(&at, os, ns);
            }
        }
    }

    fn schema(&mut self, path: &str, o: Node<'a>, n: Node<'a>) {
        let key = (ref_of(o.value), ref_of(n.value));
        if let (Some(or), Some(nr)) = &key {
            if !self.visiting.insert((or.clone(), nr.clone())) {
                return;
            }
        }
        let (o, o_nullable) = unwrap_schema(self.old, o);
        let (n, n_nullable) = unwrap_schema(self.new, n);
        if o_nullable != n_nullable {
            let kind = Kind::Nullable {
                old: o_nullable,
                new: n_nullable,
            };
            self.push_at(path, &o, &n, "nullable", kind);
        }
        for keyword in KEYWORDS {
            let (ov, nv) = (o.value.get(*keyword), n.value.get(*keyword));
            if ov != nv {
                let kind = Kind::Keyword {
                    keyword,
                    old: ov,
                    new: nv,
                };
                self.push_at(path, &o, &n, keyword, kind);
            }
        }
        let (oe, ne) = (as_set(o.value.get("enum")), as_set(n.value.get("enum")));
        if oe != ne {
            self.push_at(path, &o, &n, "enum", Kind::Enum { old: oe, new: ne });
        }

        let required = |s: &Node<'a>| names(as_set(s.value.get("required")).as_ref());
        let (oreq, nreq) = (required(&o), required(&n));
        for (side, names) in [
            (Side::Old, oreq.difference(&nreq)),
            (Side::New, nreq.difference(&oreq)),
        ] {
            for name in names {
                let kind = Kind::Required {
                    name: name.clone(),
                    side,
                    old_schema: o.value,
                    new_schema: n.value,
                };
                self.push_at(&join(path, name), &o, &n, "required", kind);
            }
        }

        let (op, np) = (o.get("properties"), n.get("properties"));
        let (opm, npm) = (
            object(op.as_ref().map(|p| p.value)),
            object(np.as_ref().map(|p| p.value)),
        );
        let beside = (o.at_or_self("properties"), n.at_or_self("properties"));
        for name in opm.keys().chain(npm.keys()).collect::<BTreeSet<_>>() {
            let at = join(path, name);
            let prop = |p: &Option<Node<'a>>| p.as_ref().and_then(|p| p.get(name));
            let kind = |side, _: &Node<'a>| Kind::Property {
                name: name.clone(),
                side,
                old_schema: o.value,
                new_schema: n.value,
            };
            let nodes = (prop(&op), prop(&np));
            if let Some((os, ns)) = self.pair(&at, nodes, (&beside.0, &beside.1), kind) {
                self.schema(&at, os, ns);
            }
        }

        match (o.get("items"), n.get("items")) {
            (Some(oi), Some(ni)) => self.schema(&join(path, "items"), oi, ni),
            (None, None) => {}
            (oi, ni) => {
                let kind = Kind::Items {
                    old: oi.is_some(),
                    new: ni.is_some(),
                };
                self.push_at(path, &o, &n, "items", kind);
            }
        }

        let (oa, na) = (
            Additional::of_schema(o.value),
            Additional::of_schema(n.value),
        );
        match (oa, na) {
            (Additional::Schema, Additional::Schema) => {
                let (Some(oa), Some(na)) =
                    (o.get("additionalProperties"), n.get("additionalProperties"))
                else {
                    unreachable!("Additional::Schema means the keyword is there");
                };
                self.schema(&join(path, "additionalProperties"), oa, na)
            }
            (oa, na) if oa == na => {}
            (oa, na) => {
                let kind = Kind::AdditionalProperties { old: oa, new: na };
                self.push_at(path, &o, &n, "additionalProperties", kind);
            }
        }

        for combinator in ["oneOf", "anyOf", "allOf"] {
            let count = |s: &Node<'a>| {
                s.value
                    .get(combinator)
                    .and_then(Value::as_array)
                    .map(Vec::len)
            };
            match (count(&o), count(&n)) {
                (None, None) => {}
                (Some(oc), Some(nc)) if oc == nc => {
                    let (ol, nl) = (o.get(combinator).unwrap(), n.get(combinator).unwrap());
                    for i in 0..oc {
                        let at = join(path, &format!("{combinator}[{i}]"));
                        self.schema(&at, ol.get_index(i), nl.get_index(i));
                    }
                }
                (oc, nc) => {
                    let kind = Kind::Combinator {
                        keyword: combinator,
                        old: oc.unwrap_or(0),
                        new: nc.unwrap_or(0),
                    };
                    self.push_at(path, &o, &n, combinator, kind);
                }
            }
        }

        if let (Some(or), Some(nr)) = key {
            self.visiting.remove(&(or, nr));
        }
    }
}

impl<'a> Node<'a> {
    /// The `i`-th element of an array node.
    fn get_index(&self, i: usize) -> Node<'a> {
        Node {
            value: &self.value[i],
            at: format!("{}/{i}", self.at),
        }
    }
}

/// An array as a set, sorted by each element's JSON text.
fn as_set(v: Option<&Value>) -> Option<Value> {
    v.and_then(Value::as_array).map(|a| {
        let set: BTreeMap<String, &Value> = a.iter().map(|x| (x.to_string(), x)).collect();
        Value::Array(set.into_values().cloned().collect())
    })
}

fn names(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
        .map(str::to_owned)
        .collect()
}

fn ref_of(v: &Value) -> Option<String> {
    v.get("$ref").and_then(Value::as_str).map(str::to_owned)
}

/// Follows `$ref`s (to any depth) within `doc`; the node's pointer follows them.
pub fn resolve<'a>(doc: &'a Value, mut node: Node<'a>) -> Node<'a> {
    for _ in 0..32 {
        let Some(r) = node.value.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        match r.strip_prefix('#') {
            Some(pointer) => match doc.pointer(pointer) {
                Some(value) => {
                    node = Node {
                        value,
                        at: pointer.to_owned(),
                    }
                }
                None => return node,
            },
            None => return node,
        }
    }
    node
}

/// Resolves a schema (through `$ref`s and single-schema `allOf` wrappers). Returns
/// the schema and whether it is nullable, as OpenAPI 3.0.3 reads `nullable`: only
/// beside `type`, in the same schema object (`{allOf: [X], nullable: true}` is not
/// nullable, however schemars meant it; the server's document inlines X instead).
fn unwrap_schema<'a>(doc: &'a Value, node: Node<'a>) -> (Node<'a>, bool) {
    let counts = |s: &Value| flag(s, "nullable") && s.get("type").is_some();
    let mut nullable = counts(node.value);
    let mut node = resolve(doc, node);
    loop {
        nullable |= counts(node.value);
        let wrapper = node.value.get("properties").is_none() && node.value.get("type").is_none();
        match node.value.get("allOf").and_then(Value::as_array) {
            Some(all) if all.len() == 1 && wrapper => {
                let inner = node.get("allOf").expect("checked").get_index(0);
                node = resolve(doc, inner);
            }
            _ => return (node, nullable),
        }
    }
}

/// Security requirements with each scheme's scopes as a sorted set, the
/// requirements sorted; absent is no requirement.
fn normalize_security(v: &Value) -> Value {
    let mut reqs: Vec<Value> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|req| {
            let m: BTreeMap<String, Value> = req
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, scopes)| {
                    let set = names(Some(scopes));
                    (k.clone(), Value::from(set.into_iter().collect::<Vec<_>>()))
                })
                .collect();
            Value::Object(m.into_iter().collect())
        })
        .collect();
    reqs.sort_by_key(|v| v.to_string());
    Value::Array(reqs)
}

fn strip_prose(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("description");
    }
    v
}

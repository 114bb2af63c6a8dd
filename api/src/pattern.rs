//! The `pattern`s wire types declare, each written once: the `#[schemars(regex =
//! ...)]` attribute puts it in the emitted document (so the contract check holds
//! the YAML to it), and the server enforces the same string with an ECMA-262
//! engine, JSON Schema's own (`crm_server::pipeline::limits`). Schemathesis and
//! generated clients read it from the document: what they call valid is what the
//! server takes.

/// Holds a character that is not white space: one outside Unicode's White_Space
/// property, exactly the characters `str::trim` removes, listed rather than
/// written `\S` (ECMA-262's `\s` adds U+FEFF and leaves out U+0085). A name that
/// is only white space is refused as empty.
pub const NON_BLANK: &str =
    r"[^\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// An `Idempotency-Key` as the server reads it: visible ASCII and spaces, with at
/// least one visible character (HTTP drops the spaces around a header's value, so
/// a key of spaces alone arrives empty).
pub const IDEMPOTENCY_KEY: &str = r"^[ -~]*[!-~][ -~]*$";

//! The canonical forms e-mails and company names are compared in: the one
//! definition behind both the validation of a request (the domain) and the keys the
//! store's unique indexes hold (`people.email_norm`, `organizations.name_norm`).
//!
//! It sits at the crate root, beside `time`, rather than in the domain or the
//! store: the store may not import the domain (ARCHITECTURE.md), yet it must compute
//! the keys itself, both for every write and to recompute stored keys when this
//! rule changes (migration 0005). It imports neither layer. A change to a key here
//! needs a migration that recomputes the stored keys, or the unique indexes would
//! compare old keys with new ones and let a duplicate in.
//!
//! - An e-mail is stored as given (trimmed) and compared by its key: trimmed, NFC,
//!   lower-cased, its domain in IDNA ASCII (`bücher.de` is `xn--bcher-kva.de`).
//!   Zero-width, bidirectional-control and line-break characters are refused, not
//!   removed: an address that carries one is a spoof or a header injection, never
//!   a typo to forgive. So are display names and angle brackets (`<a@b.co>`).
//! - A company name is compared by its key: zero-width and bidirectional-control
//!   characters removed, trimmed, NFC, lower-cased. Removed rather than refused,
//!   because names legitimately carry them: the zero-width non-joiner is spelling
//!   in Persian, the zero-width joiner in Indic scripts, and marks like U+200F
//!   order mixed-direction names. The name itself is stored as given.

use unicode_normalization::UnicodeNormalization;

/// Addresses longer than this (in characters) are refused (RFC 5321's path limit
/// less the angle brackets).
const MAX_EMAIL_LENGTH: usize = 254;

/// What an invisible character is, for the message that refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invisible {
    ZeroWidth(char),
    BidiControl(char),
    LineBreak(char),
}

impl std::fmt::Display for Invisible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (c, what) = match *self {
            Invisible::ZeroWidth(c) => (c, "a zero-width character"),
            Invisible::BidiControl(c) => (c, "a bidirectional-control character"),
            Invisible::LineBreak(c) => (c, "a line break"),
        };
        write!(f, "U+{:04X}, {what}", u32::from(c))
    }
}

/// The character's kind, if it is one that changes how text reads without being
/// seen: zero-width (U+200B–U+200D, U+2060, U+FEFF), bidirectional controls (the
/// Unicode `Bidi_Control` set: U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069) or a line break (CR, LF).
pub fn invisible(c: char) -> Option<Invisible> {
    match c {
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => Some(Invisible::ZeroWidth(c)),
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => Some(Invisible::BidiControl(c)),
        '\r' | '\n' => Some(Invisible::LineBreak(c)),
        _ => None,
    }
}

/// Why a text is not an e-mail address. The messages follow the field's name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnEmail {
    #[error("must not contain {0}")]
    Invisible(Invisible),
    #[error("'{0}' is not a valid e-mail address: give the address alone, without a display name or angle brackets")]
    DisplayName(String),
    #[error("'{0}' is not a valid e-mail address")]
    Malformed(String),
}

/// NFC, lower-cased. Lower-casing can leave a string that is not NFC, so it is
/// composed again: the key of a key is itself.
fn folded(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase().nfc().collect()
}

/// An e-mail as every family stores and echoes it: what the client sent, letter
/// case and all, without the whitespace around it, which is never part of an
/// address (a value pasted from a form or a spreadsheet often carries some).
pub fn email_as_given(raw: &str) -> &str {
    raw.trim()
}

/// The key of a valid e-mail address, or why `raw` is not one.
pub fn email(raw: &str) -> Result<String, NotAnEmail> {
    if let Some(found) = raw.chars().find_map(invisible) {
        return Err(NotAnEmail::Invisible(found));
    }
    let v = email_as_given(raw);
    if v.contains(['<', '>']) {
        return Err(NotAnEmail::DisplayName(raw.to_owned()));
    }
    let malformed = || NotAnEmail::Malformed(raw.to_owned());
    // RFC 5322's specials outside a quoted local part, which nobody sends: what is
    // left of a display name, a comment or a list.
    let special = |c: char| matches!(c, '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':' | '"');
    if v.is_empty()
        || v.chars().count() > MAX_EMAIL_LENGTH
        || v.chars()
            .any(|c| c.is_whitespace() || c.is_control() || special(c))
    {
        return Err(malformed());
    }
    let (local, domain) = v.rsplit_once('@').ok_or_else(malformed)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || local.contains('@') || !domain_ok {
        return Err(malformed());
    }
    // STD3 rules (letters, digits, hyphens) and DNS lengths: a mail domain is a
    // host name. The mapping lower-cases and normalizes it too.
    let domain = idna::domain_to_ascii_strict(domain).map_err(|_| malformed())?;
    Ok(format!("{}@{domain}", folded(local)))
}

/// The key the store keeps for an e-mail column. Requests are validated by
/// [`email`] first; a stored value that is not an address (written before the
/// rule existed) is keyed like a name, so it still meets its own duplicates.
pub fn email_key(raw: &str) -> String {
    email(raw).unwrap_or_else(|_| name_key(raw))
}

/// What a person's `email_norm` column holds for `email`: its [`email_key`], or
/// NULL without an e-mail (or one whose key is empty), which no unique index
/// compares. Every store computes it before its write, off its critical path
/// (Unicode normalization and IDNA cost about a microsecond).
pub fn stored_email_key(email: Option<&str>) -> Option<String> {
    email.map(email_key).filter(|e| !e.is_empty())
}

/// The key of a company name.
pub fn name_key(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .filter(|&c| {
            !matches!(
                invisible(c),
                Some(Invisible::ZeroWidth(_) | Invisible::BidiControl(_))
            )
        })
        .collect();
    folded(visible.trim())
}

/// The key of a row that met an older row's key when the rule changed (see
/// migration 0005): kept, with a key no request can produce (keys never hold
/// U+200B: [`email`] refuses it, [`name_key`] drops it) and no other row has.
pub fn set_aside(key: &str, id: i64) -> String {
    format!("{key}\u{200B}{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_address_have_one_key() {
        let key = email("norm@example.com").unwrap();
        for spelling in [
            " Norm@Example.COM\t",
            "NORM@EXAMPLE.COM",
            "norm@EXAMPLE.com",
        ] {
            assert_eq!(email(spelling).unwrap(), key, "{spelling:?}");
        }
        assert_eq!(
            email("cafe\u{301}@example.com").unwrap(),
            email("café@example.com").unwrap()
        );
        assert_eq!(
            email("CAFE\u{301}@example.com").unwrap(),
            "caf\u{e9}@example.com"
        );
        assert_eq!(
            email("a@bücher.de").unwrap(),
            email("a@xn--bcher-kva.de").unwrap()
        );
        assert_eq!(email("a@BÜCHER.de").unwrap(), "a@xn--bcher-kva.de");
    }

    #[test]
    fn invisible_characters_and_display_names_are_refused() {
        for (raw, code) in [
            ("\u{200b}norm@example.com", 0x200B),
            ("norm@example.com\u{202e}", 0x202E),
            ("no\u{200d}rm@example.com", 0x200D),
            ("norm@exa\u{2060}mple.com", 0x2060),
            ("\u{feff}norm@example.com", 0xFEFF),
            ("norm@example.com\u{200e}", 0x200E),
            ("norm@example.com\u{2067}", 0x2067),
            ("norm@example.com\u{61c}", 0x061C),
            ("a@b.co\nBcc: x@y.com", 0x0A),
            ("a@b.co\r", 0x0D),
        ] {
            let Err(NotAnEmail::Invisible(found)) = email(raw) else {
                panic!("{raw:?} was not refused for an invisible character")
            };
            let c = match found {
                Invisible::ZeroWidth(c) | Invisible::BidiControl(c) | Invisible::LineBreak(c) => c,
            };
            assert_eq!(u32::from(c), code, "{raw:?}");
        }
        assert_eq!(
            email("norm@example.com\u{202e}").unwrap_err().to_string(),
            "must not contain U+202E, a bidirectional-control character"
        );
        for raw in ["<a@b.co>", "John <a@b.co>", "a@b.co>"] {
            assert_eq!(email(raw), Err(NotAnEmail::DisplayName(raw.to_owned())));
        }
        for raw in [
            "",
            "not an email at all",
            "john",
            "john@",
            "@acme.com",
            "john@acme",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
            "a@b.com.",
            "\"a b\"@c.com",
            "a@b.co (John)",
            "a,b@c.com",
            "a@b_c.com",
            "a@-b.com",
        ] {
            assert_eq!(
                email(raw),
                Err(NotAnEmail::Malformed(raw.to_owned())),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn names_drop_invisible_characters_and_fold() {
        let key = name_key("OrgA");
        for spelling in ["OrgA\u{200b}", " orga ", "ORGA", "\u{200f}OrgA\u{202c}"] {
            assert_eq!(name_key(spelling), key, "{spelling:?}");
        }
        assert_eq!(name_key("Cafe\u{301} Inc"), name_key("café inc"));
        // Persian with and without its zero-width non-joiner: one company.
        assert_eq!(name_key("می\u{200c}خواهم"), name_key("میخواهم"));
    }

    #[test]
    fn keys_are_fixed_points() {
        for raw in ["Café@Bücher.DE", "İstanbul@example.com", "ǅemal@x.io"] {
            let key = email(raw).unwrap();
            assert_eq!(email(&key).unwrap(), key, "{raw:?}");
        }
        for raw in ["İSTANBUL Ltd", "ǅ Co", "Ångström\u{200b}"] {
            let key = name_key(raw);
            assert_eq!(name_key(&key), key, "{raw:?}");
        }
    }

    #[test]
    fn an_email_is_kept_as_given_without_surrounding_whitespace() {
        assert_eq!(email_as_given("  C2@x.com \t\u{a0}"), "C2@x.com");
        assert_eq!(email_as_given("C2@x.com"), "C2@x.com");
    }

    #[test]
    fn stored_values_that_are_not_addresses_still_get_a_key() {
        assert_eq!(email_key(" Not An Email "), "not an email");
        assert_eq!(email_key("Norm@Example.com"), "norm@example.com");
        assert!(set_aside("norm@example.com", 7).contains('\u{200b}'));
    }
}

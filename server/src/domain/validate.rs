//! Input checks every family uses on its own wire fields. Dropshot emits lengths and
//! formats into the spec but enforces none of them: these do. Errors name the field
//! as the request spells it.

use super::DomainError;

/// Present and not blank.
pub fn non_empty(field: &str, value: &str) -> Result<(), DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// JSON Schema's `minLength`/`maxLength`: counted in characters, not bytes.
pub fn length(field: &str, value: &str, min: usize, max: usize) -> Result<(), DomainError> {
    let n = value.chars().count();
    if n < min {
        return Err(DomainError::invalid(
            field,
            format!("must be at least {min} {} long (got {n})", characters(min)),
        ));
    }
    if n > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} {} long (got {n})", characters(max)),
        ));
    }
    Ok(())
}

fn characters(n: usize) -> &'static str {
    if n == 1 {
        "character"
    } else {
        "characters"
    }
}

/// `length` for an optional field.
pub fn optional_length(field: &str, value: Option<&str>, max: usize) -> Result<(), DomainError> {
    value.map_or(Ok(()), |v| length(field, v, 0, max))
}

/// An e-mail address as `format: email` means it in practice: one `@`, a non-empty
/// local part, a domain with a dot, no spaces, at most 254 characters.
pub fn email(field: &str, value: &str) -> Result<(), DomainError> {
    let v = value.trim();
    let invalid =
        || DomainError::invalid(field, format!("'{value}' is not a valid e-mail address"));
    if v.is_empty()
        || v.chars().count() > 254
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (local, domain) = v.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty() || local.contains('@') || !domain_ok {
        return Err(invalid());
    }
    Ok(())
}

/// A uuid as `format: uuid` means it.
pub fn uuid(field: &str, value: &str) -> Result<(), DomainError> {
    uuid::Uuid::try_parse(value)
        .map(|_| ())
        .map_err(|_| DomainError::invalid(field, format!("'{value}' is not a valid uuid")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["john@acme.com", "a.b+c@x.co.kr", " gildong@example.com "] {
            assert!(email("email", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "john",
            "john@",
            "@acme.com",
            "john@acme",
            "jo hn@acme.com",
            "a@b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters() {
        assert!(length("firstName", "홍길동", 1, 3).is_ok());
        assert_eq!(
            length("firstName", "홍길동!", 1, 3)
                .unwrap_err()
                .to_string(),
            "firstName: must be at most 3 characters long (got 4)"
        );
        assert!(length("firstName", "", 1, 3).is_err());
    }
}

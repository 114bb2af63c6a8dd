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

/// An e-mail address as `format: email` means it in practice, by the one rule of
/// [`crate::canonical::email`]: one `@`, a non-empty local part, a domain name with
/// a dot, no spaces, no invisible characters, no display name, at most 254
/// characters.
pub fn email(field: &str, value: &str) -> Result<(), DomainError> {
    crate::canonical::email(value)
        .map(|_| ())
        .map_err(|e| DomainError::invalid(field, e.to_string()))
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
    fn emails_name_the_field() {
        assert!(email("email", " gildong@example.com ").is_ok());
        assert_eq!(
            email("email", "john@acme").unwrap_err().to_string(),
            "email: 'john@acme' is not a valid e-mail address"
        );
        assert_eq!(
            email("fieldList[0] (이메일)", "\u{200b}a@b.co")
                .unwrap_err()
                .to_string(),
            "fieldList[0] (이메일): must not contain U+200B, a zero-width character"
        );
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

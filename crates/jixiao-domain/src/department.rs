//! Departments (部门) and units (单位, departments with a parent).

/// Longest code accepted for departments, metrics, indicators, projects and sources.
pub const MAX_CODE_LEN: usize = 64;
/// Longest display name accepted.
pub const MAX_NAME_CHARS: usize = 200;

/// A department code.
pub type DepartmentCode = String;

/// Checks a code: 1 to 64 ASCII letters, digits, `.`, `-` or `_`.
pub fn validate_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("is required".to_owned());
    }
    if code.len() > MAX_CODE_LEN {
        return Err(format!("is longer than {MAX_CODE_LEN} characters"));
    }
    if let Some(bad) = code
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(format!(
            "has the character {bad:?}; codes use ASCII letters, digits, '.', '-' and '_'"
        ));
    }
    Ok(())
}

/// Checks a display name or free text: not blank when required, at most `max_chars`
/// characters, no control characters.
pub fn validate_text(text: &str, required: bool, max_chars: usize) -> Result<(), String> {
    if required && text.trim().is_empty() {
        return Err("is required".to_owned());
    }
    if text.chars().count() > max_chars {
        return Err(format!("is longer than {max_chars} characters"));
    }
    if let Some(bad) = text.chars().find(|c| c.is_control()) {
        return Err(format!("has the control character {bad:?}"));
    }
    Ok(())
}

/// Checks a department name.
pub fn validate_name(name: &str) -> Result<(), String> {
    validate_text(name, true, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_ascii_identifiers() {
        assert!(validate_code("GZ-BY.land_center").is_ok());
        assert!(validate_code("").is_err());
        assert!(validate_code("白云").is_err());
        assert!(validate_code("a b").is_err());
        assert!(validate_code(&"x".repeat(65)).is_err());
    }

    #[test]
    fn names_take_chinese_but_no_control_characters() {
        assert!(validate_name("广州市白云区土地资源利用和保护中心").is_ok());
        assert!(validate_name("  ").is_err());
        assert!(validate_name("a\u{0}b").is_err());
        assert!(validate_name(&"名".repeat(201)).is_err());
    }
}

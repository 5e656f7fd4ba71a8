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
    check_readable(text)
}

/// Checks that a text people read displays as what it holds: no bidirectional control (which
/// makes `审核通过\u{202e}过通不核审` display as 审核通过审核不通过), and not only invisible
/// characters (zero-width spaces) when it is not empty.
///
/// # Errors
///
/// The character refused, or that the text shows nothing.
pub fn check_readable(text: &str) -> Result<(), String> {
    if let Some(bad) = text.chars().find(|c| is_bidi_control(*c)) {
        return Err(format!(
            "has the bidirectional control {bad:?}, which makes the text display as something else"
        ));
    }
    if !text.is_empty() && text.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err("shows nothing: it holds only invisible characters".to_owned());
    }
    Ok(())
}

/// The bidirectional formatting characters (Unicode: embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that display as nothing: zero-width spaces and joiners, the word joiner, the
/// byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Checks a department name.
pub fn validate_name(name: &str) -> Result<(), String> {
    validate_text(name, true, MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_that_display_as_something_else_are_refused() {
        assert!(validate_text("审核通过", true, 100).is_ok());
        let error = validate_text("审核通过\u{202e}过通不核审\u{202c}", true, 100).unwrap_err();
        assert!(error.contains("bidirectional"), "{error}");
        assert!(validate_text("\u{200b}\u{200b}", false, 100).is_err());
        assert!(validate_text("", false, 100).is_ok());
        assert!(validate_text("a\u{200d}b", false, 100).is_ok());
    }

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

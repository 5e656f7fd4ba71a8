//! Departments (部门) and units (单位, departments with a parent).

use std::collections::HashMap;

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

/// Whether making `parent` the parent of `code` would make a cycle, given the current
/// parent of every department. Returns the cycle's path when it would.
pub fn would_make_cycle(
    code: &str,
    parent: &str,
    parents: &HashMap<String, Option<String>>,
) -> Option<Vec<String>> {
    let mut path = vec![code.to_owned()];
    let mut current = Some(parent.to_owned());
    while let Some(ancestor) = current {
        path.push(ancestor.clone());
        if ancestor == code {
            return Some(path);
        }
        if path.len() > parents.len() + 2 {
            // The stored tree already has a cycle; refuse rather than loop.
            return Some(path);
        }
        current = parents.get(&ancestor).cloned().flatten();
    }
    None
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

    #[test]
    fn finds_a_cycle_through_ancestors() {
        let parents: HashMap<String, Option<String>> = [
            ("a".to_owned(), None),
            ("b".to_owned(), Some("a".to_owned())),
            ("c".to_owned(), Some("b".to_owned())),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            would_make_cycle("a", "c", &parents),
            Some(vec!["a".into(), "c".into(), "b".into(), "a".into()])
        );
        assert_eq!(would_make_cycle("c", "a", &parents), None);
        assert!(would_make_cycle("a", "a", &parents).is_some());
    }
}

use std::fmt;

/// One reason a request was refused: the field it concerns (a path such as `points[3].value`)
/// and a description a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the offending field, for example `points[3].value`.
    pub field: String,
    /// Why the field was refused.
    pub description: String,
}

impl Violation {
    /// Most violations listed in one refusal; the rest are counted in a last violation. A
    /// refusal travels in the response's trailers, which HTTP/2 peers limit in size.
    pub const MAX_LISTED: usize = 20;

    /// A violation of `field` for `description`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }

    /// Joins violations into one line, for the message text of an error.
    pub fn join(violations: &[Violation]) -> String {
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

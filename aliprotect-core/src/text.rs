//! Caller-supplied free text with a size limit.
//!
//! Explanations, platform reasons and notes come from people and from scraped pages. They are
//! kept verbatim (a platform's poorly worded rejection is evidence), but an empty or oversize
//! value is refused at the boundary so it never reaches a store.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Free text: not blank, at most [`Text::MAX_CHARS`] characters, stored exactly as given.
///
/// ```
/// use aliprotect_core::text::Text;
/// let t = Text::new("Logo used without licence").unwrap();
/// assert_eq!(t.as_str(), "Logo used without licence");
/// assert!(Text::new("   ").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

/// Why a string is not acceptable as [`Text`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty or whitespace only.
    #[error("text is blank")]
    Blank,
    /// Longer than the limit.
    #[error("text has {chars} characters, more than the limit of {max}")]
    TooLong {
        /// Characters in the input.
        chars: usize,
        /// The limit.
        max: usize,
    },
}

impl Text {
    /// The largest accepted text, in characters (Unicode scalar values).
    pub const MAX_CHARS: usize = 10_000;

    /// Checks and wraps `value`; it is kept verbatim, not trimmed.
    pub fn new(value: impl Into<String>) -> Result<Self, TextError> {
        let value = value.into();
        if value.trim().is_empty() {
            return Err(TextError::Blank);
        }
        let chars = value.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(TextError::TooLong {
                chars,
                max: Self::MAX_CHARS,
            });
        }
        Ok(Self(value))
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = TextError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<&str> for Text {
    type Error = TextError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_text_is_refused_with_its_size() {
        let err = Text::new("x".repeat(Text::MAX_CHARS + 1)).unwrap_err();
        assert_eq!(
            err,
            TextError::TooLong {
                chars: Text::MAX_CHARS + 1,
                max: Text::MAX_CHARS
            }
        );
        assert!(Text::new("é".repeat(Text::MAX_CHARS)).is_ok());
    }

    #[test]
    fn hostile_text_is_kept_verbatim_and_checked_on_deserialise() {
        let raw = "  '; DROP TABLE x; -- \0 😀  ";
        let t = Text::new(raw).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Text>(&json).unwrap().as_str(), raw);
        assert!(serde_json::from_str::<Text>("\"\"").is_err());
    }
}

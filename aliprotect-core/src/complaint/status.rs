//! Status at the two levels a platform shows: each listing's outcome code, and each filing's
//! own status.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that is not a known status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{input}`")]
pub struct UnknownStatus {
    /// Which status type was parsed.
    pub what: &'static str,
    /// The input, truncated to 64 characters.
    pub input: String,
}

macro_rules! exact_string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact string the platform shows.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownStatus { what: $what, input: s.chars().take(64).collect() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownStatus;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> Self {
                value.as_str()
            }
        }
    };
}

exact_string_enum!(
    /// A listing's outcome as the IPP dashboard shows it.
    PlatformStatus, "platform status" {
        /// The platform is handling the complaint.
        InProgress => "In Progress",
        /// The platform will not act (emailed, with a reason).
        UnableToProcess => "Unable to Process",
        /// The listing was taken down (no notice is sent).
        ListingRemoved => "Listing Removed",
    }
);

exact_string_enum!(
    /// A filing's (request's) own status, beside its listings' outcomes.
    FilingStatus, "filing status" {
        /// No listing of the filing has been taken up by the platform yet.
        Received => "Received",
        /// Some listing is still open.
        InProcess => "In Process",
        /// Every listing has an outcome.
        Processed => "Processed",
    }
);

// The policy's display names are defined by the statuses they name; written here so that
// the policy module does not depend on the complaint module.
impl crate::policy::StatusNames {
    /// The display name of `status` on this platform.
    pub fn name(&self, status: PlatformStatus) -> &str {
        match status {
            PlatformStatus::InProgress => &self.in_progress,
            PlatformStatus::UnableToProcess => &self.unable_to_process,
            PlatformStatus::ListingRemoved => &self.listing_removed,
        }
    }
}

impl Default for crate::policy::StatusNames {
    fn default() -> Self {
        Self {
            in_progress: PlatformStatus::InProgress.as_str().to_owned(),
            unable_to_process: PlatformStatus::UnableToProcess.as_str().to_owned(),
            listing_removed: PlatformStatus::ListingRemoved.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_strings_in_display_fromstr_and_serde() {
        for (status, text) in [
            (PlatformStatus::InProgress, "In Progress"),
            (PlatformStatus::UnableToProcess, "Unable to Process"),
            (PlatformStatus::ListingRemoved, "Listing Removed"),
        ] {
            assert_eq!(status.to_string(), text);
            assert_eq!(text.parse::<PlatformStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{text}\"")
            );
            assert_eq!(
                serde_json::from_str::<PlatformStatus>(&format!("\"{text}\"")).unwrap(),
                status
            );
        }
        for status in FilingStatus::ALL {
            assert_eq!(status.as_str().parse::<FilingStatus>(), Ok(*status));
        }
    }

    #[test]
    fn unknown_strings_are_typed_errors() {
        assert_eq!(
            "in progress".parse::<PlatformStatus>(),
            Err(UnknownStatus {
                what: "platform status",
                input: "in progress".into()
            })
        );
        let err = serde_json::from_str::<PlatformStatus>("\"Removed\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown platform status `Removed`"),
            "{err}"
        );
    }
}

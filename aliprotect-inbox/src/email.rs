//! An email received, as a stream with a history: what it was, where its bytes are kept,
//! and what became of it (applied to a right or complaint, already on the record, or left
//! for a person). One stream per tenant and Message-ID, so that an email is applied once
//! however often it is read.

use std::fmt;

use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::evidence::ContentHash;
use aliprotect_core::ids::{StreamId, TenantId};
use aliprotect_core::store::decided::{DecidedStream, Stamp};
use aliprotect_core::store::{ExtensionKind, ExtensionStream, IndexKey};
use aliprotect_core::text::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules::NoticeKind;

/// The namespace of emails' ids (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x2d0c_9f4e_51a3_4a6e_8b0e_3c77_a1f2_6d90);

/// An email's id: the same for the same tenant and Message-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailId(Uuid);

impl EmailId {
    /// The id of the email `message_id` in `tenant`.
    pub fn of(tenant: TenantId, message_id: &str) -> Self {
        Self(Uuid::new_v5(
            &NAMESPACE,
            format!("{tenant}/{message_id}").as_bytes(),
        ))
    }

    /// The id `uuid`.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The id as a UUID.
    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl fmt::Display for EmailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for EmailId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// What an email was when it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// The tenant it is for.
    pub tenant: TenantId,
    /// Its Message-ID.
    pub message_id: String,
    /// Its sender.
    pub from: Option<String>,
    /// Its subject.
    pub subject: Option<String>,
    /// When it says it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Where it was found.
    pub source: String,
    /// Its bytes, kept in the evidence store.
    pub evidence: ContentHash,
    /// What it reads as, when it reads as one thing.
    pub notice: Option<NoticeKind>,
}

/// Where an email stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailStatus {
    /// Received; its effect is being recorded.
    Received,
    /// Its effect was recorded on `to`.
    Applied {
        /// The right or complaint.
        to: StreamId,
    },
    /// What it says was on the record of `to` already (a reminder, a second copy).
    AlreadyRecorded {
        /// The right or complaint.
        to: StreamId,
    },
    /// For a person: it matches nothing, or more than one thing, or says something the
    /// rules do not know, or the record refused what it says. Never guessed.
    ForAPerson {
        /// Why.
        why: String,
    },
    /// A person looked and set it aside.
    Dismissed {
        /// Why, verbatim.
        reason: Text,
    },
}

impl EmailStatus {
    /// Every status's name, by code.
    pub const NAMES: [&'static str; 5] = [
        "received",
        "applied",
        "already-recorded",
        "for-a-person",
        "dismissed",
    ];

    /// The status's code, as the read model counts and finds it.
    pub fn code(&self) -> u8 {
        match self {
            EmailStatus::Received => 0,
            EmailStatus::Applied { .. } => 1,
            EmailStatus::AlreadyRecorded { .. } => 2,
            EmailStatus::ForAPerson { .. } => 3,
            EmailStatus::Dismissed { .. } => 4,
        }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        match self {
            EmailStatus::Received => "received",
            EmailStatus::Applied { .. } => "applied",
            EmailStatus::AlreadyRecorded { .. } => "already-recorded",
            EmailStatus::ForAPerson { .. } => "for-a-person",
            EmailStatus::Dismissed { .. } => "dismissed",
        }
    }

    /// The code of the status named `name`.
    pub fn code_of(name: &str) -> Option<u8> {
        Self::NAMES
            .iter()
            .position(|known| *known == name)
            .and_then(|i| u8::try_from(i).ok())
    }
}

/// An email received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// Its id.
    pub id: EmailId,
    /// What it was.
    pub received: Received,
    /// When it was read.
    pub read_at: DateTime<Utc>,
    /// Where it stands.
    pub status: EmailStatus,
    /// When that last changed.
    pub updated_at: DateTime<Utc>,
}

/// What can be asked of an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailCommand {
    /// Records it as read.
    Receive(Box<Received>),
    /// Records that its effect is on `to`'s record.
    Apply {
        /// The right or complaint.
        to: StreamId,
    },
    /// Records that `to`'s record said so already.
    FindRecorded {
        /// The right or complaint.
        to: StreamId,
    },
    /// Leaves it for a person.
    Hold {
        /// Why.
        why: String,
    },
    /// A person sets it aside.
    Dismiss {
        /// Why.
        reason: Text,
    },
}

impl EmailCommand {
    fn name(&self) -> &'static str {
        match self {
            EmailCommand::Receive(_) => "receive",
            EmailCommand::Apply { .. } => "apply",
            EmailCommand::FindRecorded { .. } => "find-recorded",
            EmailCommand::Hold { .. } => "hold",
            EmailCommand::Dismiss { .. } => "dismiss",
        }
    }
}

/// What changed in an email's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailChange {
    /// Read.
    Received(Box<Received>),
    /// Applied.
    Applied {
        /// The right or complaint.
        to: StreamId,
    },
    /// On the record already.
    FoundRecorded {
        /// The right or complaint.
        to: StreamId,
    },
    /// Left for a person.
    Held {
        /// Why.
        why: String,
    },
    /// Set aside by a person.
    Dismissed {
        /// Why.
        reason: Text,
    },
}

/// The rules an email command can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum EmailRule {
    /// Read already.
    #[error("the email was read already")]
    AlreadyReceived,
    /// No such email.
    #[error("no such email")]
    Unknown,
    /// Its effect was settled already.
    #[error("the email's effect is settled already")]
    Settled,
    /// Only an email left for a person can be dismissed.
    #[error("only an email left for a person can be dismissed")]
    NotForAPerson,
}

/// Why an email command was refused.
pub type EmailRefusal = Refusal<&'static str, EmailRule>;

/// The email state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailDecider;

impl Decider for EmailDecider {
    type State = Option<Email>;
    type Command = EmailCommand;
    type Event = Recorded<EmailChange>;
    type Context<'a> = Stamp;
    type Refusal = EmailRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &EmailCommand,
        stamp: &Stamp,
    ) -> Result<Vec<Self::Event>, EmailRefusal> {
        let refuse = |rule| {
            Refusal::new(
                state.as_ref().map(|e| e.status.name()),
                command.name(),
                rule,
            )
        };
        let change = match (state, command) {
            (None, EmailCommand::Receive(received)) => EmailChange::Received(received.clone()),
            (Some(_), EmailCommand::Receive(_)) => return Err(refuse(EmailRule::AlreadyReceived)),
            (None, _) => return Err(refuse(EmailRule::Unknown)),
            (Some(email), EmailCommand::Dismiss { reason }) => match email.status {
                EmailStatus::ForAPerson { .. } => EmailChange::Dismissed {
                    reason: reason.clone(),
                },
                _ => return Err(refuse(EmailRule::NotForAPerson)),
            },
            (Some(email), _) if email.status != EmailStatus::Received => {
                return Err(refuse(EmailRule::Settled));
            }
            (Some(_), EmailCommand::Apply { to }) => EmailChange::Applied { to: *to },
            (Some(_), EmailCommand::FindRecorded { to }) => EmailChange::FoundRecorded { to: *to },
            (Some(_), EmailCommand::Hold { why }) => EmailChange::Held { why: why.clone() },
        };
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
        let status = match (&state, &event.change) {
            (None, EmailChange::Received(received)) => {
                return Some(Email {
                    id: EmailId::of(received.tenant, &received.message_id),
                    received: (**received).clone(),
                    read_at: event.at,
                    status: EmailStatus::Received,
                    updated_at: event.at,
                });
            }
            (Some(email), EmailChange::Applied { to }) if email.status == EmailStatus::Received => {
                EmailStatus::Applied { to: *to }
            }
            (Some(email), EmailChange::FoundRecorded { to })
                if email.status == EmailStatus::Received =>
            {
                EmailStatus::AlreadyRecorded { to: *to }
            }
            (Some(email), EmailChange::Held { why }) if email.status == EmailStatus::Received => {
                EmailStatus::ForAPerson { why: why.clone() }
            }
            (Some(email), EmailChange::Dismissed { reason })
                if matches!(email.status, EmailStatus::ForAPerson { .. }) =>
            {
                EmailStatus::Dismissed {
                    reason: reason.clone(),
                }
            }
            _ => {
                tracing::warn!("an email event that does not fit its state ignored");
                return state;
            }
        };
        state.map(|mut email| {
            email.status = status;
            email.updated_at = event.at;
            email
        })
    }
}

/// The email as a stream of a kind the core does not know: kind code 143.
#[derive(Debug, Clone, Copy)]
pub struct EmailStream;

impl ExtensionStream for EmailStream {
    const KIND: ExtensionKind = ExtensionKind::new(143);
    type State = Email;

    fn status(state: &Email) -> u8 {
        state.status.code()
    }

    fn index_keys(_: &Email) -> Vec<IndexKey> {
        Vec::new()
    }
}

impl DecidedStream for EmailStream {
    type Change = EmailChange;
    type Decider = EmailDecider;
}

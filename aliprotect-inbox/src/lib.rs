//! # aliprotect-inbox
//!
//! The platform's emails, read for you: rejections of rights, "Unable to Process"
//! decisions and counter-notices, from a maildir, an mbox, a directory of `.eml` files or
//! an IMAP mailbox ([`Inbox`]). Each email is kept as evidence and recorded once, by its
//! Message-ID, as a stream of a kind no store crate knows (code 143); [`EmailRules`] say
//! what it reads as and [`Inboxes`] match it to the one right or complaint it names (ids,
//! listing URLs, registration numbers, mark names) and record its effect as the
//! platform's. One that matches nothing, or more than one thing, waits for a person.
#![deny(missing_docs)]

mod email;
mod error;
mod imap;
mod inboxes;
mod read;
mod rules;
mod source;
pub mod test_server;

pub use email::{
    Email, EmailChange, EmailCommand, EmailDecider, EmailId, EmailRefusal, EmailRule, EmailStatus,
    EmailStream, Received,
};
pub use error::ReadError;
pub use imap::ImapInbox;
pub use inboxes::{InboxReport, Inboxes};
pub use read::{EmailError, ReadEmail};
pub use rules::{EmailRules, NoticeKind, References, references};
pub use source::{Inbox, InboxError, MAX_EMAIL_BYTES, MailFiles, RawEmail};

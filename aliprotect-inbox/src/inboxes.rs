//! [`Inboxes`]: reading an inbox into the record through an engine.

use std::collections::BTreeSet;

use aliprotect_core::clock::Clock;
use aliprotect_core::complaint::{ComplaintCommand, ComplaintStatus};
use aliprotect_core::engine::{Command, Engine, EngineError, Page, Request};
use aliprotect_core::evidence::{ContentHash, Evidence, EvidenceKind, EvidenceStore};
use aliprotect_core::ids::{ComplaintId, RightId, StreamId, TenantId};
use aliprotect_core::notify::Notifier;
use aliprotect_core::party::Actor;
use aliprotect_core::right::{RightCommand, RightStatus};
use aliprotect_core::store::decided::{self, Stamp};
use aliprotect_core::store::{
    ExtensionStream, Find, IdempotencyKey, Store, StoreError, StreamKind, StreamStatus,
};
use aliprotect_core::text::Text;
use sha2::{Digest, Sha256};

use crate::ReadError;
use crate::email::{Email, EmailCommand, EmailId, EmailStatus, EmailStream, Received};
use crate::read::ReadEmail;
use crate::rules::{EmailRules, NoticeKind, references};
use crate::source::{Inbox, RawEmail};

/// What reading an inbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxReport {
    /// Emails in the inbox.
    pub read: usize,
    /// Emails read before (by Message-ID): nothing done.
    pub seen_before: usize,
    /// Emails whose effect was recorded on a right or complaint.
    pub applied: usize,
    /// Emails whose effect was on the record already.
    pub already_recorded: usize,
    /// Emails left for a person, with why.
    pub for_a_person: Vec<(EmailId, String)>,
    /// Emails too large to read (where they are, and their size): not recorded, reported
    /// on every read until a person deals with them.
    pub too_large: Vec<(String, u64)>,
}

/// Reads inboxes into an engine's record: each email kept as evidence, recorded once by its
/// Message-ID, matched by [`EmailRules`] to the right or complaint it is about, and its
/// effect recorded as the platform's (a rejection with the reason verbatim and the fixes
/// found in it; an "Unable to Process" with its reason; a counter-notice with its statement
/// and the email as its evidence). An email that matches nothing, or more than one thing,
/// is left for a person with why, never guessed. Cheap: it borrows the engine.
pub struct Inboxes<'e, S, N, C> {
    engine: &'e Engine<S, N, C>,
    rules: EmailRules,
}

impl<S, N, C> std::fmt::Debug for Inboxes<'_, S, N, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inboxes")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// Emails taken up at a time: their records looked up together, their bytes kept at once.
const AT_ONCE: usize = 64;

/// An email opened: read (or not, when it is no email), and known by its Message-ID (or its
/// bytes' digest).
struct Opened {
    raw: RawEmail,
    read: Result<ReadEmail, crate::read::EmailError>,
    message_id: String,
    id: EmailId,
}

fn open(tenant: TenantId, raw: RawEmail) -> Opened {
    let read = ReadEmail::parse(&raw.bytes);
    let message_id = match &read {
        Ok(email) => email.message_id.clone(),
        Err(_) => format!("sha256:{}", hex::encode(Sha256::digest(&raw.bytes))),
    };
    Opened {
        id: EmailId::of(tenant, &message_id),
        raw,
        read,
        message_id,
    }
}

/// What an email turned out to be about.
enum Placed {
    Right(RightId),
    Complaint(ComplaintId),
    Nowhere(String),
}

impl<'e, S: Store, N: Notifier, C: Clock> Inboxes<'e, S, N, C> {
    /// Inboxes read into `engine`'s record, by the rules of its policy.
    pub fn new(engine: &'e Engine<S, N, C>) -> Self {
        let rules = EmailRules::for_policy(engine.read().policy());
        Self { engine, rules }
    }

    /// The same, by `rules`.
    pub fn with_rules(mut self, rules: EmailRules) -> Self {
        self.rules = rules;
        self
    }

    fn stamp(&self, tenant: TenantId, actor: Actor) -> Result<Stamp, ReadError> {
        if actor != Actor::System && actor.tenant() != Some(tenant) {
            return Err(ReadError::Forbidden(tenant));
        }
        Ok(Stamp {
            at: self.engine.read().clock().now(),
            actor,
        })
    }

    /// Reads every email of `inbox` for `tenant`, keeping each in `evidence` first, and
    /// calls `progress` with the report so far every few dozen emails. Reading again applies nothing
    /// twice; an email whose reading was cut short (its effect not yet recorded) is taken
    /// up again.
    pub async fn read(
        &self,
        tenant: TenantId,
        actor: Actor,
        inbox: &dyn Inbox,
        evidence: &dyn EvidenceStore,
        mut progress: impl FnMut(&InboxReport) + Send,
    ) -> Result<InboxReport, ReadError> {
        let stamp = self.stamp(tenant, actor)?;
        let emails = inbox.emails().await?;
        let mut report = InboxReport {
            read: emails.len(),
            ..InboxReport::default()
        };
        let store = self.engine.store();
        let (too_large, emails): (Vec<RawEmail>, Vec<RawEmail>) =
            emails.into_iter().partition(|raw| raw.too_large.is_some());
        report.too_large = too_large
            .into_iter()
            .map(|raw| (raw.source, raw.too_large.unwrap_or_default()))
            .collect();
        let mut emails = emails.into_iter().peekable();
        while emails.peek().is_some() {
            let chunk: Vec<Opened> = emails
                .by_ref()
                .take(AT_ONCE)
                .map(|raw| open(tenant, raw))
                .collect();
            // Settled before: nothing to do. (Only a hint that saves work: the record's
            // version check is what keeps a second reader from applying one again.)
            let keys: Vec<_> = chunk
                .iter()
                .map(|opened| (tenant, EmailStream::stream(opened.id.as_uuid())))
                .collect();
            let known = store.load_many(&keys).await?;
            let mut new = Vec::with_capacity(chunk.len());
            for (opened, known) in chunk.into_iter().zip(known) {
                let settled = match known {
                    Some(loaded) => {
                        EmailStream::state(&loaded.snapshot)?.status != EmailStatus::Received
                    }
                    None => false,
                };
                if settled {
                    report.seen_before += 1;
                } else {
                    new.push(opened);
                }
            }
            // Each email is kept before anything records it; many are kept at once, as
            // keeping one waits on the disk.
            let kept = futures_util::future::join_all(
                new.iter()
                    .map(|opened| evidence.put(opened.raw.bytes.clone())),
            )
            .await;
            for (opened, hash) in new.into_iter().zip(kept) {
                self.take(tenant, stamp, opened, hash?, &mut report).await?;
            }
            progress(&report);
        }
        Ok(report)
    }

    /// Records one email, kept as `hash`, and applies it.
    async fn take(
        &self,
        tenant: TenantId,
        stamp: Stamp,
        opened: Opened,
        hash: ContentHash,
        report: &mut InboxReport,
    ) -> Result<(), ReadError> {
        let Opened {
            raw,
            read,
            message_id,
            id,
        } = opened;
        let store = self.engine.store();
        let (notice, placed) = match &read {
            Ok(email) => self.place(tenant, email).await?,
            Err(error) => (None, Placed::Nowhere(format!("{error}"))),
        };
        let received = Received {
            tenant,
            message_id: message_id.clone(),
            from: read.as_ref().ok().and_then(|e| e.from.clone()),
            subject: read.as_ref().ok().and_then(|e| e.subject.clone()),
            sent_at: read.as_ref().ok().and_then(|e| e.sent_at),
            source: raw.source,
            evidence: hash,
            notice,
        };
        // The record of the email comes first, and a crash after it is finished by the next
        // read. A second reader of the same email (another process) is refused here and
        // goes on only if the first has not settled it: both then send the same command
        // under the same idempotency key, which the engine applies once.
        match decided::execute::<EmailStream, S>(
            store,
            tenant,
            id.as_uuid(),
            &EmailCommand::Receive(Box::new(received.clone())),
            stamp,
        )
        .await
        {
            Ok(_) => {}
            Err(decided::DecidedError::Refused(_)) => {
                // Read already: finished by whoever read it, or taken up again below.
                let known = decided::load::<EmailStream, S>(store, tenant, id.as_uuid()).await?;
                if known.is_some_and(|(_, email)| email.status != EmailStatus::Received) {
                    report.seen_before += 1;
                    return Ok(());
                }
            }
            Err(error) => return Err(error.into()),
        }
        let outcome = match (&read, notice, placed) {
            (Ok(email), Some(NoticeKind::RightRejected), Placed::Right(right)) => {
                self.apply_to_right(tenant, email, right).await?
            }
            (Ok(email), Some(kind), Placed::Complaint(complaint)) => {
                self.apply_to_complaint(tenant, email, kind, complaint, &received)
                    .await?
            }
            (_, _, Placed::Nowhere(why)) => EmailCommand::Hold { why },
            // `place` finds a right only for a rejection, a complaint only for the others.
            (_, None, _) | (Err(_), _, _) | (_, Some(_), Placed::Right(_)) => EmailCommand::Hold {
                why: "it says nothing the rules know".to_owned(),
            },
        };
        match decided::execute::<EmailStream, S>(store, tenant, id.as_uuid(), &outcome, stamp).await
        {
            Ok(_) => {}
            // Another reader of the same email settled it first; the engine's idempotency
            // key made both readers' effect one.
            Err(decided::DecidedError::Refused(_)) => {
                report.seen_before += 1;
                return Ok(());
            }
            Err(error) => return Err(error.into()),
        }
        match outcome {
            EmailCommand::Apply { .. } => report.applied += 1,
            EmailCommand::FindRecorded { .. } => report.already_recorded += 1,
            EmailCommand::Hold { why } => report.for_a_person.push((id, why)),
            _ => {}
        }
        Ok(())
    }

    /// What `email` says, and what it is about.
    async fn place(
        &self,
        tenant: TenantId,
        email: &ReadEmail,
    ) -> Result<(Option<NoticeKind>, Placed), ReadError> {
        if let Some(why) = self.rules.distrust(email) {
            return Ok((None, Placed::Nowhere(why)));
        }
        let text = email.subject_and_text();
        let kinds = self.rules.kinds(&text);
        let kind = match kinds.as_slice() {
            [] => {
                return Ok((
                    None,
                    Placed::Nowhere("it says nothing the rules know".to_owned()),
                ));
            }
            [kind] => *kind,
            several => {
                let names: Vec<&str> = several.iter().map(|k| k.as_str()).collect();
                let why = format!("it reads as several things: {}", names.join(", "));
                return Ok((None, Placed::Nowhere(why)));
            }
        };
        let placed = match kind {
            NoticeKind::RightRejected => self.right_named(tenant, &text).await?,
            NoticeKind::UnableToProcess | NoticeKind::CounterNotice => {
                self.complaint_named(tenant, &text).await?
            }
        };
        Ok((Some(kind), placed))
    }

    /// The one right `text` names: by id, registration number or mark name.
    async fn right_named(&self, tenant: TenantId, text: &str) -> Result<Placed, ReadError> {
        let lower = text.to_lowercase();
        let ids = references(text).ids;
        let mut named = BTreeSet::new();
        let mut after = None;
        loop {
            let mut page = Page::first(1_000);
            if let Some(last) = after {
                page = page.after(last);
            }
            let rights = self.engine.read().rights(tenant, page).await?;
            for right in &rights {
                let registration = &right.package.registration;
                let number = registration.number().trim().to_lowercase();
                let mark = match registration {
                    aliprotect_core::right::Registration::Trademark(mark) => {
                        Some(mark.mark_name.trim().to_lowercase())
                    }
                    _ => None,
                };
                if ids.contains(&right.id.as_uuid())
                    || (number.chars().count() >= 4 && contains_word(&lower, &number))
                    || mark.is_some_and(|mark| {
                        mark.chars().count() >= 3 && contains_word(&lower, &mark)
                    })
                {
                    named.insert(right.id);
                }
            }
            match rights.last() {
                Some(last) if rights.len() == 1_000 => after = Some(last.id),
                _ => break,
            }
        }
        Ok(match named.len() {
            0 => Placed::Nowhere("it names no right of this client".to_owned()),
            1 => named.into_iter().next().map_or(
                Placed::Nowhere("it names no right of this client".to_owned()),
                Placed::Right,
            ),
            n => Placed::Nowhere(format!("it names {n} rights: {}", join(&named))),
        })
    }

    /// The one complaint `text` is about: by id, or by its listing's URL (the open
    /// complaint on it, else its latest).
    async fn complaint_named(&self, tenant: TenantId, text: &str) -> Result<Placed, ReadError> {
        let found = references(text);
        let mut named = BTreeSet::new();
        for id in found.ids {
            let id = ComplaintId::from_uuid(id);
            if self.engine.read().complaint(tenant, id).await?.is_some() {
                named.insert(id);
            }
        }
        for listing in &found.listings {
            let rows = self
                .engine
                .read()
                .complaints_on_listing(tenant, &listing.key)
                .await?;
            let open: Vec<_> = rows.iter().filter(|row| row.status.is_open()).collect();
            let chosen = if open.is_empty() {
                rows.iter()
                    .max_by_key(|row| row.filed_at)
                    .into_iter()
                    .collect()
            } else {
                open
            };
            named.extend(chosen.into_iter().map(|row| row.id));
        }
        Ok(match named.len() {
            0 => Placed::Nowhere("it names no complaint of this client".to_owned()),
            1 => named.into_iter().next().map_or(
                Placed::Nowhere("it names no complaint of this client".to_owned()),
                Placed::Complaint,
            ),
            n => Placed::Nowhere(format!("it names {n} complaints: {}", join(&named))),
        })
    }

    /// Records a rejection of `right`.
    async fn apply_to_right(
        &self,
        tenant: TenantId,
        email: &ReadEmail,
        right: RightId,
    ) -> Result<EmailCommand, ReadError> {
        let to = StreamId::Right(right);
        let Some(reason) = self.rules.reason(&email.text) else {
            return Ok(EmailCommand::Hold {
                why: "a rejection without a reason".to_owned(),
            });
        };
        let fixes = self.rules.fixes(reason.as_str());
        let current = self.engine.read().right(tenant, right).await?;
        if let Some(current) = &current {
            if current.status == RightStatus::Rejected
                && current
                    .rejections
                    .last()
                    .is_some_and(|last| last.reason == reason)
            {
                return Ok(EmailCommand::FindRecorded { to });
            }
            if current.status == RightStatus::Submitted {
                let begin = Command::right(right, RightCommand::BeginReview);
                let request = Request::new(tenant, Actor::Platform, begin)
                    .idempotent(key(&email.message_id, "review")?);
                if let Err(error) = self.engine.execute(request).await {
                    return held_or_failed(error);
                }
            }
        }
        let reject = Command::right(right, RightCommand::Reject { reason, fixes });
        let request = Request::new(tenant, Actor::Platform, reject)
            .idempotent(key(&email.message_id, "effect")?);
        match self.engine.execute(request).await {
            Ok(_) => Ok(EmailCommand::Apply { to }),
            Err(error) => held_or_failed(error),
        }
    }

    /// Records an "Unable to Process" or a counter-notice on `complaint`.
    async fn apply_to_complaint(
        &self,
        tenant: TenantId,
        email: &ReadEmail,
        kind: NoticeKind,
        complaint: ComplaintId,
        received: &Received,
    ) -> Result<EmailCommand, ReadError> {
        let to = StreamId::Complaint(complaint);
        let current = self.engine.read().complaint(tenant, complaint).await?;
        let command = match kind {
            NoticeKind::UnableToProcess => {
                if current
                    .as_ref()
                    .is_some_and(|c| c.status() == ComplaintStatus::UnableToProcess)
                {
                    return Ok(EmailCommand::FindRecorded { to });
                }
                let Some(reason) = self.rules.reason(&email.text) else {
                    return Ok(EmailCommand::Hold {
                        why: "an \"Unable to Process\" without a reason".to_owned(),
                    });
                };
                ComplaintCommand::ReportUnableToProcess { reason }
            }
            NoticeKind::CounterNotice => {
                let Some(statement) = self.rules.statement(&email.text) else {
                    return Ok(EmailCommand::Hold {
                        why: "a counter-notice without a statement".to_owned(),
                    });
                };
                let evidence = Evidence {
                    kind: EvidenceKind::Email,
                    sha256: received.evidence,
                    media_type: "message/rfc822".to_owned(),
                    // When it was read: its Date header is the sender's word.
                    captured_at: self.engine.read().clock().now(),
                };
                if current.as_ref().is_some_and(|c| {
                    c.counter_notices
                        .iter()
                        .any(|notice| notice.statement == statement)
                }) {
                    return Ok(EmailCommand::FindRecorded { to });
                }
                ComplaintCommand::ReceiveCounterNotice {
                    statement,
                    evidence: vec![evidence],
                }
            }
            NoticeKind::RightRejected => {
                return Ok(EmailCommand::Hold {
                    why: "a right's rejection that names a complaint".to_owned(),
                });
            }
        };
        let request = Request::new(
            tenant,
            Actor::Platform,
            Command::complaint(complaint, command),
        )
        .idempotent(key(&email.message_id, "effect")?);
        match self.engine.execute(request).await {
            Ok(_) => Ok(EmailCommand::Apply { to }),
            Err(error) => held_or_failed(error),
        }
    }

    /// The tenant's emails in the status with code `status` (all when `None`), in id order.
    pub async fn emails(
        &self,
        tenant: TenantId,
        status: Option<u8>,
    ) -> Result<Vec<Email>, ReadError> {
        let mut find = Find::all(StreamKind::Extension(EmailStream::KIND));
        if let Some(code) = status {
            find = find.in_status(StreamStatus::Extension {
                kind: EmailStream::KIND,
                code,
            });
        }
        self.engine
            .store()
            .find(tenant, &find)
            .await?
            .iter()
            .map(|(_, snapshot)| Ok(EmailStream::state(snapshot)?))
            .collect()
    }

    /// A person sets aside the email `id`, left for them, for `reason`.
    pub async fn dismiss(
        &self,
        tenant: TenantId,
        actor: Actor,
        id: EmailId,
        reason: Text,
    ) -> Result<Email, ReadError> {
        let stamp = self.stamp(tenant, actor)?;
        let store = self.engine.store();
        if decided::load::<EmailStream, S>(store, tenant, id.as_uuid())
            .await?
            .is_none()
        {
            return Err(ReadError::UnknownEmail(id));
        }
        Ok(decided::execute::<EmailStream, S>(
            store,
            tenant,
            id.as_uuid(),
            &EmailCommand::Dismiss { reason },
            stamp,
        )
        .await?)
    }
}

/// The idempotency key of an email's `step`: the same on every read of the email.
fn key(message_id: &str, step: &str) -> Result<IdempotencyKey, ReadError> {
    let digest = hex::encode(Sha256::digest(message_id.as_bytes()));
    IdempotencyKey::new(format!("email/{digest}/{step}")).map_err(|e| {
        ReadError::Store(StoreError::Corrupt {
            location: "email idempotency key".to_owned(),
            detail: e.to_string(),
        })
    })
}

/// A refusal leaves the email for a person, with the engine's words; a failure of the
/// store is the read's failure (the email stays received, and the next read takes it up).
fn held_or_failed(error: EngineError) -> Result<EmailCommand, ReadError> {
    match error {
        EngineError::Store(error) => Err(ReadError::Store(error)),
        refused => Ok(EmailCommand::Hold {
            why: format!("the record refused it: {refused}"),
        }),
    }
}

/// Whether `needle` occurs in `haystack` as a whole word: not inside a longer word or
/// number ("SOL" is not in "solution", a registration number not in a phone number).
fn contains_word(haystack: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric();
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn join<T: std::fmt::Display>(items: &BTreeSet<T>) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

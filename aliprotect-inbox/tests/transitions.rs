//! One example per transition and per refusal of the email machine, in given/when/then form.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::decider::{Decider, Recorded, StateName};
use aliprotect_core::evidence::ContentHash;
use aliprotect_core::ids::{ComplaintId, RightId, StreamId};
use aliprotect_core::store::ExtensionStream;
use aliprotect_core::store::decided::Stamp;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_core::testkit::given::Given;
use aliprotect_core::text::Text;
use aliprotect_inbox::*;
use chrono::{DateTime, Duration, Utc};

fn stamp_at(at: DateTime<Utc>) -> Stamp {
    Stamp {
        at,
        actor: fixtures::holder_user(),
    }
}

fn stamp() -> Stamp {
    stamp_at(now())
}

const MESSAGE_ID: &str = "<20260302.0815.rejection@service.alibaba.com>";

fn received() -> Received {
    Received {
        tenant: fixtures::tenant(),
        message_id: MESSAGE_ID.to_owned(),
        from: Some("ipp-noreply@service.alibaba.com".to_owned()),
        subject: Some("Your IPR registration has been rejected".to_owned()),
        sent_at: Some(now() - Duration::minutes(45)),
        source: "maildir:/var/mail/acme/INBOX".to_owned(),
        evidence: ContentHash::of_bytes(b"From: ipp-noreply@service.alibaba.com\r\n\r\nRejected."),
        notice: Some(NoticeKind::RightRejected),
    }
}

fn receive() -> EmailCommand {
    EmailCommand::Receive(Box::new(received()))
}

fn right() -> StreamId {
    StreamId::Right(RightId::from_u128(1))
}

fn complaint() -> StreamId {
    StreamId::Complaint(ComplaintId::from_u128(7))
}

const WHY: &str = "the email names two rights: CN-41234567 and US-7654321";

fn reason() -> Text {
    text("A newsletter from the platform, nothing to record.")
}

/// When the email was read, and when each later command is decided.
fn read_at() -> DateTime<Utc> {
    now()
}

fn later() -> DateTime<Utc> {
    now() + Duration::hours(2)
}

fn much_later() -> DateTime<Utc> {
    now() + Duration::days(3)
}

/// An email read at `read_at()`, then taken by `commands` decided at `later()`.
fn email_after(commands: &[EmailCommand]) -> Option<Email> {
    let mut state = Given::<EmailDecider>::nothing()
        .when(&receive(), &stamp_at(read_at()))
        .then_state();
    for command in commands {
        state = Given::<EmailDecider>::state(state)
            .when(command, &stamp_at(later()))
            .then_state();
    }
    state
}

fn in_received() -> Option<Email> {
    email_after(&[])
}

fn in_applied() -> Option<Email> {
    email_after(&[EmailCommand::Apply { to: right() }])
}

fn in_already_recorded() -> Option<Email> {
    email_after(&[EmailCommand::FindRecorded { to: complaint() }])
}

fn in_for_a_person() -> Option<Email> {
    email_after(&[EmailCommand::Hold {
        why: WHY.to_owned(),
    }])
}

fn in_dismissed() -> Option<Email> {
    email_after(&[
        EmailCommand::Hold {
            why: WHY.to_owned(),
        },
        EmailCommand::Dismiss { reason: reason() },
    ])
}

/// Every status an email can be in, by name, with an email in it.
fn every_status() -> Vec<(&'static str, Option<Email>)> {
    vec![
        ("received", in_received()),
        ("applied", in_applied()),
        ("already-recorded", in_already_recorded()),
        ("for-a-person", in_for_a_person()),
        ("dismissed", in_dismissed()),
    ]
}

/// The commands that settle an email's effect, by name.
fn settling_commands() -> Vec<(EmailCommand, &'static str)> {
    vec![
        (EmailCommand::Apply { to: complaint() }, "apply"),
        (EmailCommand::FindRecorded { to: right() }, "find-recorded"),
        (
            EmailCommand::Hold {
                why: "matches nothing".to_owned(),
            },
            "hold",
        ),
    ]
}

fn dismiss() -> EmailCommand {
    EmailCommand::Dismiss {
        reason: text("Not about us."),
    }
}

// ---------------------------------------------------------------- transitions

#[test]
fn receiving_an_email_records_it_as_received_under_its_tenant_and_message_id() {
    let then = Given::<EmailDecider>::nothing().when(&receive(), &stamp());
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: now(),
            actor: fixtures::holder_user(),
            change: EmailChange::Received(Box::new(received())),
        }]
    );
    let email = then.then_state().unwrap();
    assert_eq!(email.id, EmailId::of(fixtures::tenant(), MESSAGE_ID));
    assert_eq!(email.received, received());
    assert_eq!(email.status, EmailStatus::Received);
    assert_eq!((email.read_at, email.updated_at), (now(), now()));
    assert_eq!(email.status.name(), "received");
    assert_eq!(EmailStream::status(&email), 0);
}

#[test]
fn applying_a_received_email_records_the_stream_it_was_applied_to() {
    let then = Given::<EmailDecider>::state(in_received())
        .when(&EmailCommand::Apply { to: right() }, &stamp_at(later()));
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: later(),
            actor: fixtures::holder_user(),
            change: EmailChange::Applied { to: right() },
        }]
    );
    let email = then.then_state().unwrap();
    assert_eq!(email.status, EmailStatus::Applied { to: right() });
    assert_eq!((email.read_at, email.updated_at), (read_at(), later()));
    assert_eq!(email.received, received());
    assert_eq!(EmailStream::status(&email), 1);
}

#[test]
fn finding_a_received_email_on_the_record_already_says_where() {
    let then = Given::<EmailDecider>::state(in_received()).when(
        &EmailCommand::FindRecorded { to: complaint() },
        &stamp_at(later()),
    );
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: later(),
            actor: fixtures::holder_user(),
            change: EmailChange::FoundRecorded { to: complaint() },
        }]
    );
    let email = then.then_state().unwrap();
    assert_eq!(
        email.status,
        EmailStatus::AlreadyRecorded { to: complaint() }
    );
    assert_eq!((email.read_at, email.updated_at), (read_at(), later()));
    assert_eq!(EmailStream::status(&email), 2);
}

#[test]
fn holding_a_received_email_leaves_it_for_a_person_with_the_reason_why() {
    let then = Given::<EmailDecider>::state(in_received()).when(
        &EmailCommand::Hold {
            why: WHY.to_owned(),
        },
        &stamp_at(later()),
    );
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: later(),
            actor: fixtures::holder_user(),
            change: EmailChange::Held {
                why: WHY.to_owned()
            },
        }]
    );
    let email = then.then_state().unwrap();
    assert_eq!(
        email.status,
        EmailStatus::ForAPerson {
            why: WHY.to_owned()
        }
    );
    assert_eq!((email.read_at, email.updated_at), (read_at(), later()));
    assert_eq!(EmailStream::status(&email), 3);
}

#[test]
fn a_person_dismisses_an_email_left_for_them_with_their_reason_verbatim() {
    let reason = text("  Spam — not from the platform.  ");
    let then = Given::<EmailDecider>::state(in_for_a_person()).when(
        &EmailCommand::Dismiss {
            reason: reason.clone(),
        },
        &stamp_at(much_later()),
    );
    assert_eq!(
        then.then_events(),
        [Recorded {
            at: much_later(),
            actor: fixtures::holder_user(),
            change: EmailChange::Dismissed {
                reason: reason.clone()
            },
        }]
    );
    let email = then.then_state().unwrap();
    assert_eq!(email.status, EmailStatus::Dismissed { reason });
    assert_eq!((email.read_at, email.updated_at), (read_at(), much_later()));
    assert_eq!(email.received, received());
    assert_eq!(EmailStream::status(&email), 4);
}

#[test]
fn an_email_is_the_fold_of_its_events() {
    let events = [
        Recorded {
            at: read_at(),
            actor: fixtures::holder_user(),
            change: EmailChange::Received(Box::new(received())),
        },
        Recorded {
            at: later(),
            actor: fixtures::holder_user(),
            change: EmailChange::Held {
                why: WHY.to_owned(),
            },
        },
    ];
    let then = Given::<EmailDecider>::events(&events).when(&dismiss(), &stamp_at(much_later()));
    let email = then.then_state().unwrap();
    assert_eq!(email.id, EmailId::of(fixtures::tenant(), MESSAGE_ID));
    assert_eq!(
        email.status,
        EmailStatus::Dismissed {
            reason: text("Not about us.")
        }
    );
    assert_eq!((email.read_at, email.updated_at), (read_at(), much_later()));
}

#[test]
fn an_event_that_does_not_fit_the_state_is_ignored() {
    let event = |change| Recorded {
        at: much_later(),
        actor: fixtures::holder_user(),
        change,
    };
    let read_again = Received {
        message_id: "<another@example.com>".to_owned(),
        ..received()
    };
    // Each change, and the one status it fits (`None`: no email yet).
    let changes = [
        (EmailChange::Received(Box::new(read_again)), None),
        (EmailChange::Applied { to: right() }, Some("received")),
        (EmailChange::FoundRecorded { to: right() }, Some("received")),
        (
            EmailChange::Held {
                why: "again".to_owned(),
            },
            Some("received"),
        ),
        (
            EmailChange::Dismissed { reason: reason() },
            Some("for-a-person"),
        ),
    ];
    let mut states = vec![("(none)", None)];
    states.extend(every_status());
    for (change, fits) in changes {
        for (name, state) in &states {
            let after = EmailDecider::evolve(state.clone(), &event(change.clone()));
            let fitting = match fits {
                None => state.is_none(),
                Some(status) => status == *name,
            };
            if fitting {
                assert_ne!(&after, state, "{change:?} in {name}");
                assert_eq!(after.unwrap().updated_at, much_later());
            } else {
                assert_eq!(&after, state, "{change:?} in {name}");
            }
        }
    }
}

// ---------------------------------------------------------------- refusals

#[test]
fn an_email_is_received_once_whatever_became_of_it() {
    for (name, state) in every_status() {
        let then = Given::<EmailDecider>::state(state).when(&receive(), &stamp_at(much_later()));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, EmailRule::AlreadyReceived, "{name}");
        assert_eq!(refusal.state, StateName::In(name));
        assert_eq!(refusal.command, "receive");
    }
}

#[test]
fn applying_finding_holding_or_dismissing_no_email_is_unknown() {
    let mut commands = settling_commands();
    commands.push((dismiss(), "dismiss"));
    for (command, name) in commands {
        let then = Given::<EmailDecider>::nothing().when(&command, &stamp());
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, EmailRule::Unknown, "{name}");
        assert_eq!(refusal.state, StateName::Absent, "{name}");
        assert_eq!(refusal.command, name);
    }
}

#[test]
fn an_email_whose_effect_is_settled_is_not_applied_found_or_held_again() {
    for (status, state) in every_status() {
        if status == "received" {
            continue;
        }
        for (command, name) in settling_commands() {
            let then =
                Given::<EmailDecider>::state(state.clone()).when(&command, &stamp_at(much_later()));
            let refusal = then.then_refused();
            assert_eq!(refusal.rule, EmailRule::Settled, "{name} in {status}");
            assert_eq!(refusal.state, StateName::In(status), "{name}");
            assert_eq!(refusal.command, name);
        }
    }
}

#[test]
fn only_an_email_left_for_a_person_is_dismissed() {
    for (status, state) in every_status() {
        if status == "for-a-person" {
            continue;
        }
        let then = Given::<EmailDecider>::state(state).when(&dismiss(), &stamp_at(much_later()));
        let refusal = then.then_refused();
        assert_eq!(refusal.rule, EmailRule::NotForAPerson, "{status}");
        assert_eq!(refusal.state, StateName::In(status));
        assert_eq!(refusal.command, "dismiss");
    }
}

#[test]
fn a_refusal_says_what_was_refused_where_and_why() {
    let then = Given::<EmailDecider>::state(in_applied()).when(&dismiss(), &stamp());
    assert_eq!(
        then.then_refused().to_string(),
        "`dismiss` refused in state applied: only an email left for a person can be dismissed"
    );
    let then =
        Given::<EmailDecider>::nothing().when(&EmailCommand::Apply { to: right() }, &stamp());
    assert_eq!(
        then.then_refused().to_string(),
        "`apply` refused in state (none): no such email"
    );
}

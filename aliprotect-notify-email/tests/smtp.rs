//! Against a real SMTP server on 127.0.0.1 run by the test (a small in-process one): messages
//! arrive with the right subject, recipients and bodies, in each recipient's language, and
//! SMTP failures come back as temporary or permanent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aliprotect_core::clock::ManualClock;
use aliprotect_core::engine::Engine;
use aliprotect_core::ids::{ComplaintId, RightId};
use aliprotect_core::notify::{MessageId, Notification, NotificationBody, Notifier, NotifyError};
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::StreamId;
use aliprotect_core::testkit::engines::approve_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_notify_email::{EmailConfig, EmailNotifier, Language, Recipient, SmtpSecurity};
use aliprotect_store_memory::MemoryStore;
use mail_parser::MessageParser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Default)]
struct Received {
    to: Vec<String>,
    data: Vec<u8>,
}

/// How the server answers.
#[derive(Clone, Copy, PartialEq)]
enum Mood {
    Accept,
    /// 451 to DATA: try again later.
    Busy,
    /// 550 to RCPT: no such mailbox.
    NoSuchUser,
}

struct SmtpServer {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    mood: Arc<Mutex<Mood>>,
}

async fn smtp_server() -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let mood = Arc::new(Mutex::new(Mood::Accept));
    let (store, current) = (received.clone(), mood.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (store, current) = (store.clone(), current.clone());
            tokio::spawn(async move {
                let (reader, mut writer) = socket.into_split();
                let mut lines = BufReader::new(reader).lines();
                let mut message = Received::default();
                writer
                    .write_all(b"220 localhost test SMTP\r\n")
                    .await
                    .unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let mood = *current.lock().await;
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-localhost\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM")
                        || upper.starts_with("RSET")
                        || upper.starts_with("NOOP")
                    {
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        if mood == Mood::NoSuchUser {
                            b"550 5.1.1 No such user\r\n"
                        } else {
                            message.to.push(line[8..].trim().to_owned());
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        writer
                            .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                            .await
                            .unwrap();
                        while let Ok(Some(data)) = lines.next_line().await {
                            if data == "." {
                                break;
                            }
                            message.data.extend_from_slice(data.as_bytes());
                            message.data.extend_from_slice(b"\r\n");
                        }
                        if mood == Mood::Busy {
                            b"451 4.3.0 Try again later\r\n"
                        } else {
                            store.lock().await.push(std::mem::take(&mut message));
                            b"250 OK queued\r\n"
                        }
                    } else if upper == "QUIT" {
                        writer.write_all(b"221 Bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"502 Command not implemented\r\n"
                    };
                    writer.write_all(reply).await.unwrap();
                }
            });
        }
    });
    SmtpServer {
        port,
        received,
        mood,
    }
}

fn notifier(server: &SmtpServer) -> impl Notifier {
    let config = EmailConfig::new(
        "127.0.0.1",
        server.port,
        SmtpSecurity::None,
        "Alerts <alerts@brand.example>",
    )
    .unwrap();
    EmailNotifier::new(config, |_: &Notification| {
        vec![
            Recipient::new("Legal <legal@brand.example>", Language::En).unwrap(),
            Recipient::new("agent@firm.example.cn", Language::Zh).unwrap(),
        ]
    })
    .unwrap()
}

fn counter_notice() -> (MessageId, Notification) {
    let subject = StreamId::Complaint(ComplaintId::from_u128(42));
    let due = fixtures::now() + chrono::Duration::days(15);
    (
        MessageId {
            tenant: fixtures::tenant(),
            stream: subject,
            version: 4,
        },
        Notification {
            tenant: fixtures::tenant(),
            subject,
            at: fixtures::now(),
            body: NotificationBody::CounterNoticeReceived {
                response_due: Some(due),
            },
        },
    )
}

#[tokio::test]
async fn each_recipient_gets_the_message_in_their_language() {
    let server = smtp_server().await;
    let (id, notification) = counter_notice();
    notifier(&server).send(&id, &notification).await.unwrap();

    let received = server.received.lock().await.clone();
    assert_eq!(received.len(), 2, "one message per recipient");
    assert_eq!(received[0].to, vec!["<legal@brand.example>"]);
    assert_eq!(received[1].to, vec!["<agent@firm.example.cn>"]);

    let english = MessageParser::default().parse(&received[0].data).unwrap();
    assert_eq!(
        english.subject(),
        Some("[aliprotect] Counter-notice received: respond")
    );
    let text = english.body_text(0).unwrap();
    assert!(text.contains("The seller disputes complaint:"), "{text}");
    assert!(text.contains("or the listing will be restored"), "{text}");
    assert!(
        english
            .body_html(0)
            .unwrap()
            .contains("<p>The seller disputes")
    );
    assert_eq!(
        english.header("X-Aliprotect-Id").and_then(|h| h.as_text()),
        Some(id.to_string().as_str())
    );
    assert!(english.from().unwrap().first().unwrap().address().unwrap() == "alerts@brand.example");

    let chinese = MessageParser::default().parse(&received[1].data).unwrap();
    assert_eq!(chinese.subject(), Some("[aliprotect] 收到反通知：请回复"));
    assert!(chinese.body_text(0).unwrap().contains("卖家对投诉"));
}

#[tokio::test]
async fn smtp_failures_are_temporary_or_permanent_as_the_server_says() {
    let server = smtp_server().await;
    let notifier = notifier(&server);
    let (id, notification) = counter_notice();
    *server.mood.lock().await = Mood::Busy;
    match notifier.send(&id, &notification).await {
        Err(NotifyError::Temporary { .. }) => {}
        other => panic!("451 must be temporary, got {other:?}"),
    }
    *server.mood.lock().await = Mood::NoSuchUser;
    match notifier.send(&id, &notification).await {
        Err(NotifyError::Permanent { .. }) => {}
        other => panic!("550 must be permanent, got {other:?}"),
    }
    let closed = EmailNotifier::new(
        EmailConfig::new("127.0.0.1", 9, SmtpSecurity::None, "alerts@brand.example").unwrap(),
        |_: &Notification| vec![Recipient::new("legal@brand.example", Language::En).unwrap()],
    )
    .unwrap();
    assert!(matches!(
        closed.send(&id, &notification).await,
        Err(NotifyError::Temporary { .. })
    ));
}

#[tokio::test]
async fn the_engine_emails_an_approval_through_its_dispatcher() {
    let server = smtp_server().await;
    let engine = Engine::new(
        MemoryStore::new(),
        notifier(&server),
        ManualClock::at(fixtures::now()),
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = fixtures::tenant();
    let right = RightId::new();
    approve_right(&engine, tenant, right).await.unwrap();
    assert_eq!(engine.jobs().dispatch().await.unwrap().delivered, 1);
    let received = server.received.lock().await.clone();
    let message = MessageParser::default().parse(&received[0].data).unwrap();
    assert_eq!(message.subject(), Some("[aliprotect] IP right approved"));
}

#[test]
fn bad_addresses_are_typed_errors_and_passwords_stay_hidden() {
    assert!(Recipient::new("not an address", Language::En).is_err());
    let mut config = EmailConfig::new(
        "smtp.example.com",
        587,
        SmtpSecurity::StartTls,
        "a@b.example",
    )
    .unwrap();
    config.credentials = Some(("user".into(), "hunter2".into()));
    assert!(!format!("{config:?}").contains("hunter2"));
}

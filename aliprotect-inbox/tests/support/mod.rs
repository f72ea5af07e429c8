//! What the inbox tests share: a client with rights and complaints in every state an email
//! can be about, and thirty-odd platform-like emails about them, built byte by byte in the
//! encodings platforms use, each with where it should land.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aliprotect_core::clock::SystemClock;
use aliprotect_core::complaint::ComplaintCommand;
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{ComplaintId, RightId, StreamId, TenantId};
use aliprotect_core::listing::Listing;
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::Registration;
use aliprotect_core::store::Store;
use aliprotect_core::testkit::engines::RecordingNotifier;
use aliprotect_core::testkit::fixtures;
use base64::Engine as _;

pub(crate) type TestEngine<S> = Engine<S, RecordingNotifier, SystemClock>;

pub(crate) fn engine<S: Store>(store: S) -> TestEngine<S> {
    Engine::new(
        store,
        RecordingNotifier::default(),
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    )
}

pub(crate) fn listing_url(n: u64) -> String {
    format!(
        "https://www.alibaba.com/product-detail/Acme-Earbuds_{}.html",
        1_600_000_000 + n
    )
}

/// The client's record: rights R1 ("ACME SOUND", CN-41234567) and R3 ("BLUE HERON",
/// US-7654321) under review, R2 ("NORTHWIND") approved, complaints 1 to 18 on R2 in
/// progress (17 a draft).
pub(crate) struct Client {
    pub(crate) tenant: TenantId,
    pub(crate) under_review: RightId,
    pub(crate) approved: RightId,
    pub(crate) other: RightId,
    pub(crate) complaints: Vec<ComplaintId>,
}

async fn right<S: Store>(
    engine: &TestEngine<S>,
    tenant: TenantId,
    mark: &str,
    number: &str,
    approve: bool,
) -> RightId {
    let id = RightId::new();
    let mut package = fixtures::trademark_package();
    package.holder.tenant = tenant;
    if let Registration::Trademark(mark_registration) = &mut package.registration {
        mark_registration.mark_name = mark.to_owned();
        mark_registration.registration_number = number.to_owned();
    }
    let mut steps = fixtures::approval_of(id, tenant, package);
    if !approve {
        steps.pop();
    }
    for (actor, command) in steps {
        engine
            .execute(Request::new(tenant, actor, Command::right(id, command)))
            .await
            .unwrap();
    }
    id
}

impl Client {
    pub(crate) async fn on<S: Store>(engine: &TestEngine<S>) -> Self {
        let tenant = fixtures::tenant();
        let holder = fixtures::holder_user_of(tenant);
        let under_review = right(engine, tenant, "ACME SOUND", "CN-41234567", false).await;
        let other = right(engine, tenant, "BLUE HERON", "US-7654321", false).await;
        let approved = right(engine, tenant, "NORTHWIND", "EU-018000001", true).await;
        let mut complaints = Vec::new();
        for n in 1..=18u64 {
            let id = ComplaintId::new();
            let mut filing = fixtures::complaint_filing_on(tenant, approved, id, n);
            filing.listing = Listing::parse(&listing_url(n)).unwrap();
            let mut commands = vec![(holder, ComplaintCommand::File(Box::new(filing)))];
            if n != 17 {
                commands.push((holder, ComplaintCommand::Submit));
                commands.push((Actor::Platform, ComplaintCommand::Accept));
            }
            for (actor, command) in commands {
                engine
                    .execute(Request::new(tenant, actor, Command::complaint(id, command)))
                    .await
                    .unwrap();
            }
            complaints.push(id);
        }
        Self {
            tenant,
            under_review,
            approved,
            other,
            complaints,
        }
    }

    /// Complaint `n` (from 1).
    pub(crate) fn complaint(&self, n: usize) -> StreamId {
        StreamId::Complaint(self.complaints[n - 1])
    }
}

/// How a body is put into an email.
#[derive(Clone, Copy)]
pub(crate) enum Body<'a> {
    Plain(&'a str),
    QuotedPrintable(&'a str),
    Base64(&'a str),
    Html(&'a str),
    Gbk(&'a str),
    Gb2312QuotedPrintable(&'a str),
    Alternative(&'a str, &'a str),
    Latin1QuotedPrintable(&'a str),
}

fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut line = 0;
    for &b in bytes {
        let piece = if b == b'\n' {
            line = 0;
            out.push_str("\r\n");
            continue;
        } else if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if line + piece.len() > 73 {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The part headers and encoded body of `body`.
fn part(body: Body<'_>) -> String {
    match body {
        Body::Plain(text) => format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
            text.replace('\n', "\r\n")
        ),
        Body::QuotedPrintable(text) => format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(text.as_bytes())
        ),
        Body::Base64(text) => format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            base64_lines(text.as_bytes())
        ),
        Body::Html(html) => format!(
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(html.as_bytes())
        ),
        Body::Gbk(text) => {
            let (bytes, _, _) = encoding_rs::GBK.encode(text);
            format!(
                "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                base64_lines(&bytes)
            )
        }
        Body::Gb2312QuotedPrintable(text) => {
            let (bytes, _, _) = encoding_rs::GBK.encode(text);
            format!(
                "Content-Type: text/plain; charset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                quoted_printable(&bytes)
            )
        }
        Body::Latin1QuotedPrintable(text) => {
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
            format!(
                "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                quoted_printable(&bytes)
            )
        }
        Body::Alternative(text, html) => format!(
            "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\n{}\r\n--b1\r\n{}\r\n--b1--\r\n",
            part(Body::Plain(text)),
            part(Body::Html(html))
        ),
    }
}

/// An email from the platform with `message_id` (none when empty), `subject` and `body`.
pub(crate) fn email(message_id: &str, subject: &str, body: Body<'_>) -> Vec<u8> {
    let id = if message_id.is_empty() {
        String::new()
    } else {
        format!("Message-ID: <{message_id}>\r\n")
    };
    format!(
        "From: Alibaba IPP <ipp-noreply@service.alibaba.com>\r\nTo: ip@firm.example\r\n\
         Subject: {subject}\r\n{id}Date: Wed, 02 Dec 2026 09:00:00 +0800\r\nMIME-Version: 1.0\r\n{}",
        part(body)
    )
    .into_bytes()
}

/// Where an email should land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lands {
    Applied(StreamId),
    AlreadyRecorded(StreamId),
    WithAPerson,
}

/// The corpus: each email's file name, bytes and where it should land, in reading order.
pub(crate) fn corpus(client: &Client) -> Vec<(String, Vec<u8>, Lands)> {
    use Lands::*;
    let r1 = StreamId::Right(client.under_review);
    let r3 = StreamId::Right(client.other);
    let c = |n| client.complaint(n);
    let url = listing_url;
    let unable = |n: u64, reason: &str| {
        format!(
            "Dear IPP user,\n\nWe have reviewed your complaint against the listing below.\n{}\n\n\
             Result: Unable to Process\nReason: {reason}\n\nAlibaba IP Protection Team\n",
            url(n)
        )
    };
    let counter = |n: u64, statement: &str| {
        format!(
            "Dear rights holder,\n\nThe seller of {} has filed a counter notice against your complaint.\n\n\
             Statement: {statement}\n\nYou may respond within 3 working days.\n",
            url(n)
        )
    };
    let by_id = format!("Complaint {} Unable to Process", client.complaints[8]);
    let mut emails = vec![
        (
            "e01", "Your IPR registration has been rejected",
            Body::Plain("Dear user,\n\nYour IP right registration CN-41234567 has been rejected.\n\nReason: The trademark certificate is not legible.\n- Upload a colour scan of the trademark certificate\n- Provide the business license of the holder\n\nIPP Team\n").to_owned_body(),
            Applied(r1),
        ),
        (
            "e02", "Reminder: your IPR registration has been rejected",
            Body::Plain("Dear user,\n\nYour IP right registration CN-41234567 has been rejected.\n\nReason: The trademark certificate is not legible.\n- Upload a colour scan of the trademark certificate\n- Provide the business license of the holder\n\nIPP Team\n").to_owned_body(),
            AlreadyRecorded(r1),
        ),
        (
            "e03", "IPR registrations not approved",
            Body::Plain("Your rights ACME SOUND and BLUE HERON have not been approved.\nReason: documents missing.\n").to_owned_body(),
            WithAPerson,
        ),
        (
            "e04", "IPR registration rejected",
            Body::Plain("Your IP right registration JP-2020-999999 has been rejected.\nReason: expired.\n").to_owned_body(),
            WithAPerson,
        ),
        (
            "e05", "=?UTF-8?B?55+l6K+G5Lqn5p2D5a6h5qC45pyq6YCa6L+H?=",
            Body::Gbk("尊敬的用户：\n\n您的知识产权 US-7654321 审核未通过。\n\n驳回原因：商标注册证不清晰，请重新上传。\n1、上传彩色商标注册证\n").to_owned_body(),
            Applied(r3),
        ),
        ("e06", "Complaint result", Body::Plain(&unable(1, "The product link provided is invalid.")).to_owned_body(), Applied(c(1))),
        ("e07", "Complaint result", Body::QuotedPrintable(&unable(2, "The evidence doesn’t show the infringing mark = insufficient.")).to_owned_body(), Applied(c(2))),
        ("e08", "Complaint result", Body::Base64(&unable(3, "Listing belongs to an authorised distributor.")).to_owned_body(), Applied(c(3))),
        (
            "e09", "Complaint result",
            Body::Html(&format!("<html><body><p>Dear IPP user,</p><p>Your complaint against <a href=\"{0}\">{0}</a> is <b>Unable to Process</b>.</p><p>Reason: The goods are not identical to your registered mark &amp; class.</p></body></html>", url(4))).to_owned_body(),
            Applied(c(4)),
        ),
        (
            "e10", "投诉处理结果",
            Body::Gbk(&format!("尊敬的用户：\n\n您对以下商品的投诉无法处理。\n{}\n\n原因：商品链接无效。\n", url(5))).to_owned_body(),
            Applied(c(5)),
        ),
        (
            "e11", "投诉处理结果",
            Body::Gb2312QuotedPrintable(&format!("您好，\n\n您的投诉无法处理：{}\n原因：证据不足。\n", url(6))).to_owned_body(),
            Applied(c(6)),
        ),
        (
            "e12", "about you complain",
            Body::Plain(&format!("Hello,\nyou complain for link {} can not be processed because the link is not valid any more , please check and submit again.\nthanks\n", url(7))).to_owned_body(),
            Applied(c(7)),
        ),
        (
            "e13", "Fwd: Complaint result",
            Body::Plain(&format!("FYI, see below.\n\nPaul\n\n---------- Forwarded message ---------\nFrom: Alibaba IPP <ipp-noreply@service.alibaba.com>\nSubject: Complaint result\n\n{}", unable(8, "Duplicate complaint."))).to_owned_body(),
            Applied(c(8)),
        ),
        (
            "e14", by_id.as_str(),
            Body::Plain("Dear user,\n\nReason: The complaint lacks a valid power of attorney.\n").to_owned_body(),
            Applied(c(9)),
        ),
        ("e15", "Complaint result (copy)", Body::Plain(&unable(1, "The product link provided is invalid.")).to_owned_body(), AlreadyRecorded(c(1))),
        ("e16", "Counter notice received", Body::Plain(&counter(10, "We are an authorised distributor of this brand.")).to_owned_body(), Applied(c(10))),
        (
            "e17", "Re: Counter notice received",
            Body::Plain(&format!("Can you deal with this one? It looks like a reseller.\n\nOn Wed, IPP wrote:\n{}", counter(11, "The product is our own design, not a copy.").lines().map(|l| format!("> {l}\n")).collect::<String>())).to_owned_body(),
            Applied(c(11)),
        ),
        (
            "e18", "Counter notice received",
            EmailBody::Alternative(counter(12, "Genuine goods bought from the brand's factory."), format!("<p>The seller of <a href=\"{0}\">{0}</a> has filed a counter notice.</p><p>Statement: Genuine goods bought from the brand's factory.</p>", url(12))),
            Applied(c(12)),
        ),
        ("e19", "Fwd: Counter notice received", Body::Plain(&format!("---------- Forwarded message ---------\n{}", counter(10, "We are an authorised distributor of this brand."))).to_owned_body(), AlreadyRecorded(c(10))),
        ("e20", "Your monthly IPP summary", Body::Html("<p>This month you filed 120 complaints. Thank you for using IPP.</p>").to_owned_body(), WithAPerson),
        ("e21", "Complaint results", Body::Plain(&format!("The complaints below are unable to process:\n{}\n{}\nReason: duplicates.\n", url(13), url(14))).to_owned_body(), WithAPerson),
        ("e22", "Complaint result", Body::Plain(&unable(99, "Unknown.")).to_owned_body(), WithAPerson),
        ("e23", "Counter notice received", Body::Plain(&counter(98, "Not ours.")).to_owned_body(), WithAPerson),
        (
            "e24", "Complaint update",
            Body::Plain(&format!("The seller filed a counter notice for {} and the complaint is unable to process.\nReason: seller authorised.\n", url(15))).to_owned_body(),
            WithAPerson,
        ),
        ("e25", "Complaint result", Body::Plain(&unable(13, "Link invalid.")).to_owned_body(), Applied(c(13))),
        ("e26", "", EmailBody::Raw(vec![0, 159, 146, 150, 255, 0, 1, 2]), WithAPerson),
        ("e27", "=?UTF-8?Q?Complaint_r=C3=A9sult?=", Body::Plain(&unable(14, "Évidence insufficient.")).to_owned_body(), Applied(c(14))),
        ("e28", "Complaint result", Body::Latin1QuotedPrintable(&unable(15, "The seller’s licence was shown — complaint closed.")).to_owned_body(), Applied(c(15))),
        (
            "e29", "反通知",
            Body::Base64(&format!("您好，\n卖家对商品 {} 提交了反通知。\n\n申诉理由：该商品为正品，有授权书。\n", url(16))).to_owned_body(),
            Applied(c(16)),
        ),
        ("e30", "Complaint result", Body::Plain(&unable(17, "Not submitted.")).to_owned_body(), WithAPerson),
        (
            "e31", "Complaint result",
            Body::Html(&format!("<div>Dear user,<br>Complaint on {} &mdash; Unable to Process.<br><br>Reason: Brand name &quot;NORTHWIND&quot; not shown.</div>", url(18))).to_owned_body(),
            Applied(c(18)),
        ),
        (
            "e32", "Your IPR registration has been rejected",
            Body::Plain("Your IP right registration CN-41234567 has been rejected.\n\nReason: Another reason entirely.\n").to_owned_body(),
            WithAPerson,
        ),
        (
            "e33", "Complaint result",
            EmailBody::Raw(format!(
                "From: Alibaba IPP <ipp-noreply@alibaba-ipp-support.example>\r\nSubject: Complaint result\r\n\
                 Message-ID: <e33.{}@ipp.alibaba.example>\r\n\r\n{}",
                client.tenant,
                unable(12, "Withdrawn by the rights holder.").replace('\n', "\r\n")
            ).into_bytes()),
            WithAPerson,
        ),
    ];
    emails
        .drain(..)
        .map(|(name, subject, body, lands)| {
            let bytes = match body {
                EmailBody::Raw(bytes) => bytes,
                other => {
                    let message_id = if name == "e25" {
                        String::new()
                    } else {
                        format!("{name}.{}@ipp.alibaba.example", client.tenant)
                    };
                    other.render(&message_id, subject)
                }
            };
            (name.to_owned(), bytes, lands)
        })
        .collect()
}

/// A body as the corpus keeps it (owning its text).
pub(crate) enum EmailBody {
    Owned(OwnedBody),
    Alternative(String, String),
    Raw(Vec<u8>),
}

pub(crate) struct OwnedBody {
    kind: u8,
    text: String,
}

trait ToOwnedBody {
    fn to_owned_body(self) -> EmailBody;
}

impl ToOwnedBody for Body<'_> {
    fn to_owned_body(self) -> EmailBody {
        let (kind, text) = match self {
            Body::Plain(t) => (0, t),
            Body::QuotedPrintable(t) => (1, t),
            Body::Base64(t) => (2, t),
            Body::Html(t) => (3, t),
            Body::Gbk(t) => (4, t),
            Body::Gb2312QuotedPrintable(t) => (5, t),
            Body::Latin1QuotedPrintable(t) => (6, t),
            Body::Alternative(..) => panic!("use EmailBody::Alternative"),
        };
        EmailBody::Owned(OwnedBody {
            kind,
            text: text.to_owned(),
        })
    }
}

impl EmailBody {
    fn render(&self, message_id: &str, subject: &str) -> Vec<u8> {
        match self {
            EmailBody::Owned(OwnedBody { kind, text }) => {
                let body = match kind {
                    0 => Body::Plain(text),
                    1 => Body::QuotedPrintable(text),
                    2 => Body::Base64(text),
                    3 => Body::Html(text),
                    4 => Body::Gbk(text),
                    5 => Body::Gb2312QuotedPrintable(text),
                    _ => Body::Latin1QuotedPrintable(text),
                };
                email(message_id, subject, body)
            }
            EmailBody::Alternative(text, html) => {
                email(message_id, subject, Body::Alternative(text, html))
            }
            EmailBody::Raw(bytes) => bytes.clone(),
        }
    }
}

/// Writes `emails` into a maildir at `dir` (`new/`, one file each).
pub(crate) fn maildir(dir: &std::path::Path, emails: &[(String, Vec<u8>, Lands)]) {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for (name, bytes, _) in emails {
        std::fs::write(dir.join("new").join(name), bytes).unwrap();
    }
}

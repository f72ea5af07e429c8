//! The words of each email: subject, plain text and HTML per kind of notification, in
//! English and, where a translation exists, in the recipient's language.

use aliprotect_core::accuracy::Standing;
use aliprotect_core::complaint::{RemovalCause, RestorationCause};
use aliprotect_core::notify::{Notification, NotificationBody};

/// A language a recipient reads. English is always available; others fall back to English
/// for the kinds not yet translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

/// One rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Subject and paragraphs of a notification in English.
fn english(notification: &Notification) -> (String, Vec<String>) {
    let subject = notification.subject;
    match &notification.body {
        NotificationBody::RightApproved => (
            "IP right approved".to_owned(),
            vec![format!(
                "The platform approved {subject}. Complaints may now rest on it; listings staged against it have been filed."
            )],
        ),
        NotificationBody::RightRejected { reason, fixes } => {
            let mut lines = vec![
                format!("The platform rejected {subject}."),
                format!("Its reason, verbatim: \"{reason}\""),
            ];
            lines.extend(
                fixes
                    .iter()
                    .map(|fix| format!("To fix: {}", fix.instruction)),
            );
            ("IP right rejected: action needed".to_owned(), lines)
        }
        NotificationBody::RightExpiring { expires_on } => (
            format!("IP right expires on {expires_on}"),
            vec![format!(
                "{subject} expires on {expires_on}. Renew it to keep enforcing it."
            )],
        ),
        NotificationBody::ComplaintUnableToProcess { reason } => (
            "Complaint: Unable to Process".to_owned(),
            vec![
                format!("The platform will not act on {subject}."),
                format!("Its reason, verbatim: \"{reason}\""),
            ],
        ),
        NotificationBody::CounterNoticeReceived { response_due } => (
            "Counter-notice received: respond".to_owned(),
            vec![match response_due {
                Some(due) => format!(
                    "The seller disputes {subject}. Respond before {due}, or the listing will be restored."
                ),
                None => format!("The seller disputes {subject}. You may respond at any time."),
            }],
        ),
        NotificationBody::DeadlineApproaching { due } => (
            "Deadline approaching: respond to the counter-notice".to_owned(),
            vec![format!(
                "The window to answer the counter-notice on {subject} closes at {due}. Without an answer the listing will be restored."
            )],
        ),
        NotificationBody::ListingRemoved { cause } => {
            let how = match cause {
                RemovalCause::PlatformReported => "The platform reports",
                RemovalCause::FoundByCheckBack { .. } => {
                    "A check-back found (the platform sent no notice)"
                }
                // Recorded only by versions before 0.2 (an expectation, not an observation).
                RemovalCause::SellerSilent => {
                    "Recorded (before verification was required) on the seller's silence"
                }
            };
            (
                "Listing removed".to_owned(),
                vec![format!("{how} that the listing of {subject} was removed.")],
            )
        }
        NotificationBody::ListingRestored { cause } => {
            let why = match cause {
                RestorationCause::AcceptedByComplainant => "you accepted the counter-notice",
                RestorationCause::AcceptedByPlatform => "the platform accepted the counter-notice",
                RestorationCause::HolderSilent => "the response window closed without an answer",
            };
            (
                "Listing restored".to_owned(),
                vec![format!("The listing of {subject} stays up: {why}.")],
            )
        }
        NotificationBody::CheckBackDue { number } => (
            "Check the listing".to_owned(),
            vec![format!(
                "Check-back {number} for {subject}: the platform does not announce removals, please look at the listing."
            )],
        ),
        NotificationBody::StillListed { checks } => (
            "Listing still up: please look".to_owned(),
            vec![format!(
                "{checks} check-backs found the listing of {subject} still up. Please look at it and follow up with the platform."
            )],
        ),
        NotificationBody::ListingReappeared => (
            "Removed listing is back".to_owned(),
            vec![format!(
                "A check found the removed listing of {subject} up again. File against it again (as a relisting) if it still infringes."
            )],
        ),
        NotificationBody::RightExpired => (
            "IP right expired".to_owned(),
            vec![format!(
                "{subject} has expired: no new complaint can rest on it. Its open complaints are flagged separately."
            )],
        ),
        NotificationBody::RightLapsed { right } => (
            "Complaint rests on an expired right".to_owned(),
            vec![format!(
                "Right {right}, on which {subject} rests, has expired while the complaint is open. Renew the right, or decide whether to retract the complaint."
            )],
        ),
        NotificationBody::RelistingDetected { successor } => (
            "Relisting detected".to_owned(),
            vec![format!(
                "The listing of {subject} is back; complaint {successor} was started against it."
            )],
        ),
        NotificationBody::FilerAccuracyWarning {
            standing,
            takedown_per_mille,
            successful_counter_notice_per_mille,
            reasons,
        } => {
            let percent = |per_mille: &Option<u32>| match per_mille {
                Some(p) => format!("{}.{}%", p / 10, p % 10),
                None => "n/a".to_owned(),
            };
            let mut paragraphs = vec![format!(
                "Your complaints are {}: takedown rate {}, successful counter-notice rate {} \
                 over the platform's window. Check the evidence and reasons of new complaints before \
                 filing them.",
                match standing {
                    Standing::Below => "below the platform's trusted-filer standards",
                    _ => "close to the platform's trusted-filer standards",
                },
                percent(takedown_per_mille),
                percent(successful_counter_notice_per_mille),
            )];
            if !reasons.is_empty() {
                let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                paragraphs.push(format!("Reasons at risk: {}.", reasons.join(", ")));
            }
            ("Filer accuracy warning".to_owned(), paragraphs)
        }
        // A kind added to the core after this template was written: say what it is.
        other => (
            format!("Notification: {}", other.kind()),
            vec![format!("There is news about {subject} ({}).", other.kind())],
        ),
    }
}

/// Subject and paragraphs in Chinese, for the kinds translated so far.
fn chinese(notification: &Notification) -> Option<(String, Vec<String>)> {
    let subject = notification.subject;
    match &notification.body {
        NotificationBody::CounterNoticeReceived { response_due } => Some((
            "收到反通知：请回复".to_owned(),
            vec![match response_due {
                Some(due) => format!(
                    "卖家对投诉 {subject} 提出异议。请在 {due} 之前回复，否则商品将被恢复。"
                ),
                None => format!("卖家对投诉 {subject} 提出异议。您可以随时回复。"),
            }],
        )),
        NotificationBody::DeadlineApproaching { due } => Some((
            "截止日期临近：请回复反通知".to_owned(),
            vec![format!(
                "投诉 {subject} 的反通知回复期限为 {due}。逾期未回复，商品将被恢复。"
            )],
        )),
        _ => None,
    }
}

/// Renders `notification` in `language`, falling back to English where no translation exists.
pub fn render(notification: &Notification, language: Language) -> Rendered {
    let (subject, paragraphs) = match language {
        Language::Zh => chinese(notification).unwrap_or_else(|| english(notification)),
        Language::En => english(notification),
    };
    let key = notification.body.kind();
    let text = format!("{}\n\n-- \naliprotect ({key})\n", paragraphs.join("\n\n"));
    let html = format!(
        "<!DOCTYPE html><html><body>{}<p style=\"color:#777\">aliprotect ({key})</p></body></html>",
        paragraphs
            .iter()
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect::<String>()
    );
    Rendered {
        subject: format!("[aliprotect] {subject}"),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use aliprotect_core::ids::{RightId, TenantId};
    use aliprotect_core::store::StreamId;

    use super::*;

    fn notification(body: NotificationBody) -> Notification {
        Notification {
            tenant: TenantId::from_u128(1),
            subject: StreamId::Right(RightId::from_u128(2)),
            at: chrono::DateTime::UNIX_EPOCH,
            body,
        }
    }

    #[test]
    fn translations_are_used_where_they_exist_and_english_elsewhere() {
        let due = chrono::DateTime::UNIX_EPOCH;
        let reminder = notification(NotificationBody::DeadlineApproaching { due });
        assert!(render(&reminder, Language::Zh).subject.contains("截止日期"));
        assert!(
            render(&reminder, Language::En)
                .subject
                .contains("Deadline approaching")
        );
        let approved = notification(NotificationBody::RightApproved);
        assert_eq!(
            render(&approved, Language::Zh),
            render(&approved, Language::En)
        );
    }

    #[test]
    fn an_accuracy_warning_shows_rates_as_percentages() {
        let warning = notification(NotificationBody::FilerAccuracyWarning {
            standing: Standing::AtRisk,
            takedown_per_mille: Some(905),
            successful_counter_notice_per_mille: None,
            reasons: vec![aliprotect_core::complaint::ComplaintReason::TrademarkCounterfeit],
        });
        let rendered = render(&warning, Language::En);
        assert!(
            rendered.text.contains("takedown rate 90.5%"),
            "{}",
            rendered.text
        );
        assert!(rendered.text.contains("counter-notice rate n/a"));
        assert!(rendered.text.contains("close to"));
        assert!(rendered.text.contains("Reasons at risk:"));
    }

    #[test]
    fn platform_words_are_escaped_in_html() {
        let rejected = notification(NotificationBody::RightRejected {
            reason: aliprotect_core::text::Text::new("<script>alert(1)</script> & more").unwrap(),
            fixes: vec![],
        });
        let rendered = render(&rejected, Language::En);
        assert!(rendered.html.contains("&lt;script&gt;"));
        assert!(!rendered.html.contains("<script>"));
        assert!(
            rendered.text.contains("<script>alert(1)</script> & more"),
            "verbatim in text"
        );
    }
}

//! Emails rendered around hostile text (the platform's reasons and fixes are copied
//! verbatim): the subject never carries a line break (no header injection), and the HTML
//! holds no tag but the template's own. Input: a language byte, the reason, a newline, the
//! fix's instruction.
#![no_main]

use aliprotect::notify::{Notification, NotificationBody};
use aliprotect::notify_email::{Language, render};
use aliprotect::right::{Fix, FixTarget};
use aliprotect::store::StreamId;
use aliprotect::testkit::fixtures;
use aliprotect::text::Text;
use libfuzzer_sys::fuzz_target;

const TEMPLATE_TAGS: [&str; 8] = [
    "<!DOCTYPE html>",
    "<html>",
    "<body>",
    "</body>",
    "</html>",
    "<p style=\"color:#777\">",
    "<p>",
    "</p>",
];

fuzz_target!(|input: &[u8]| {
    let Some((&language, rest)) = input.split_first() else {
        return;
    };
    let chinese = language & 1 == 1;
    let text = String::from_utf8_lossy(rest);
    let (reason, instruction) = text
        .split_once('\n')
        .unwrap_or((&text, "Upload a colour scan"));
    let (Ok(reason), Ok(instruction)) = (Text::new(reason), Text::new(instruction)) else {
        return;
    };
    let bodies = [
        NotificationBody::RightRejected {
            reason: reason.clone(),
            fixes: vec![Fix {
                target: FixTarget::Other,
                instruction,
            }],
        },
        NotificationBody::ComplaintUnableToProcess { reason },
    ];
    let language = if chinese { Language::Zh } else { Language::En };
    for body in bodies {
        let notification = Notification {
            tenant: fixtures::tenant(),
            subject: StreamId::Right(aliprotect::ids::RightId::from_u128(7)),
            at: fixtures::now(),
            body,
        };
        let rendered = render(&notification, language);
        assert!(
            !rendered.subject.contains(['\r', '\n']),
            "header injection: {:?}",
            rendered.subject
        );
        let mut html = rendered.html.clone();
        for tag in TEMPLATE_TAGS {
            html = html.replace(tag, "");
        }
        assert!(
            !html.contains(['<', '>']),
            "unescaped markup in {:?}",
            rendered.html
        );
    }
});

//! What a platform's email says, read by rules a firm can see and change: which phrases
//! mean a right was rejected, a complaint could not be processed, or a seller sent a
//! counter-notice; where the reason or the statement starts; what a fix looks like. The
//! rules only read: matching an email to a right or complaint is [`crate::Inboxes`]' job,
//! and anything unclear goes to a person.

use aliprotect_core::evidence::EvidenceKind;
use aliprotect_core::listing::Listing;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::{Fix, FixTarget};
use aliprotect_core::text::Text;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an email says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NoticeKind {
    /// The platform rejected an IP right.
    RightRejected,
    /// The platform will not act on a complaint ("Unable to Process").
    UnableToProcess,
    /// A seller sent a counter-notice against a complaint.
    CounterNotice,
}

impl NoticeKind {
    /// How it is shown.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RightRejected => "right rejected",
            NoticeKind::UnableToProcess => "unable to process",
            NoticeKind::CounterNotice => "counter-notice",
        }
    }
}

/// The phrases the rules look for, compared without case, and whose emails they trust. An
/// email that reads as two kinds of notice goes to a person (see [`EmailRules::kinds`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRules {
    /// Phrases saying a right was rejected.
    pub rejected: Vec<String>,
    /// Phrases saying a complaint could not be processed (the policy's name for the status
    /// among them).
    pub unable_to_process: Vec<String>,
    /// Phrases saying a seller sent a counter-notice.
    pub counter_notice: Vec<String>,
    /// Labels after which a platform gives its reason (`Reason:`).
    pub reason_labels: Vec<String>,
    /// Labels after which a seller's statement follows (`Statement:`).
    pub statement_labels: Vec<String>,
    /// Domains whose emails may be applied as the platform's: the policy's marketplaces'
    /// domains, and any a firm adds (its own, for colleagues' forwards). An email from any
    /// other sender waits for a person: a seller can write "Unable to Process" too.
    pub trusted_senders: Vec<String>,
    /// The authserv-id of the firm's receiving mail server. When set, an email is applied
    /// only if an `Authentication-Results` header of that server says `dmarc=pass` or
    /// `dkim=pass` for a trusted domain: the From header alone is easy to forge. Without
    /// it the rules trust the From header, which only a server's checks make safe.
    pub authenticated_by: Option<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl EmailRules {
    /// The rules for a platform following `policy`: English as the platforms write it (and
    /// mistype it), and Chinese.
    pub fn for_policy(policy: &MarketplacePolicy) -> Self {
        let mut unable = strings(&[
            "unable to process",
            "unable to be processed",
            "cannot be processed",
            "can not be processed",
            "could not be processed",
            "not able to process",
            "无法处理",
        ]);
        let named = policy.status_names.unable_to_process.to_lowercase();
        if !unable.contains(&named) {
            unable.insert(0, named);
        }
        Self {
            rejected: strings(&[
                "has been rejected",
                "have been rejected",
                "was rejected",
                "is rejected",
                "been reject",
                "not been approved",
                "not approved",
                "failed the review",
                "did not pass",
                "not pass the review",
                "审核未通过",
                "审核不通过",
                "已被驳回",
                "被拒绝",
            ]),
            unable_to_process: unable,
            counter_notice: strings(&[
                "counter notice",
                "counter-notice",
                "counternotice",
                "counter notification",
                "counter-notification",
                "appeal from the seller",
                "seller has appealed",
                "seller appealed",
                "反通知",
                "申诉",
            ]),
            reason_labels: strings(&[
                "rejection reason",
                "reason for rejection",
                "reason of rejection",
                "reason",
                "驳回原因",
                "原因",
            ]),
            trusted_senders: policy
                .marketplaces
                .iter()
                .flat_map(|marketplace| marketplace.domains().iter())
                .map(|domain| (*domain).to_owned())
                .collect(),
            authenticated_by: None,
            statement_labels: strings(&[
                "seller's statement",
                "sellers statement",
                "statement of the seller",
                "statement",
                "appeal reason",
                "申诉理由",
                "申诉内容",
            ]),
        }
    }

    /// Why the rules do not trust `email` to speak for the platform, if they do not: a
    /// sender outside [`EmailRules::trusted_senders`], or no passing authentication by
    /// [`EmailRules::authenticated_by`] when that is set.
    pub fn distrust(&self, email: &crate::ReadEmail) -> Option<String> {
        let Some(from) = email.from.as_deref() else {
            return Some("it names no sender".to_owned());
        };
        let domain = from
            .rsplit_once('@')
            .map_or("", |(_, domain)| domain)
            .to_lowercase();
        if !self.trusts(&domain) {
            return Some(format!("it is from {from}, not a sender the rules trust"));
        }
        let Some(server) = &self.authenticated_by else {
            return None;
        };
        let passed = email
            .authentication
            .iter()
            .any(|results| self.authenticates(server, results));
        (!passed).then(|| format!("{server} did not authenticate {from} (no dkim or dmarc pass)"))
    }

    /// Whether `domain` is a trusted sender's, or under one.
    fn trusts(&self, domain: &str) -> bool {
        self.trusted_senders.iter().any(|trusted| {
            let trusted = trusted.to_lowercase();
            domain == trusted || domain.ends_with(&format!(".{trusted}"))
        })
    }

    /// Whether the `Authentication-Results` value `results` is `server`'s and says that a
    /// trusted domain passed DMARC or DKIM.
    fn authenticates(&self, server: &str, results: &str) -> bool {
        let mut parts = results.split(';');
        let authserv = parts.next().unwrap_or_default().split_whitespace().next();
        if !authserv.is_some_and(|id| id.eq_ignore_ascii_case(server)) {
            return false;
        }
        parts.any(|result| {
            let result = result.to_lowercase();
            let mut words = result.split_whitespace();
            let passed = words
                .next()
                .is_some_and(|method| method == "dmarc=pass" || method == "dkim=pass");
            passed
                && words.any(|property| {
                    ["header.from=", "header.d=", "header.i="]
                        .iter()
                        .filter_map(|prefix| property.strip_prefix(prefix))
                        .any(|value| {
                            let domain = value.rsplit_once('@').map_or(value, |(_, d)| d);
                            self.trusts(domain)
                        })
                })
        })
    }

    /// Every kind of notice `text` reads as (none, one, or several).
    pub fn kinds(&self, text: &str) -> Vec<NoticeKind> {
        let text = text.to_lowercase();
        let says = |phrases: &[String]| phrases.iter().any(|p| text.contains(p.as_str()));
        let mut kinds = Vec::new();
        if says(&self.rejected) {
            kinds.push(NoticeKind::RightRejected);
        }
        if says(&self.unable_to_process) {
            kinds.push(NoticeKind::UnableToProcess);
        }
        if says(&self.counter_notice) {
            kinds.push(NoticeKind::CounterNotice);
        }
        // A counter-notice is often refused or rejected in the same words ("the seller's
        // appeal was rejected"): one that speaks of a seller is the seller's.
        if kinds == [NoticeKind::RightRejected, NoticeKind::CounterNotice] {
            kinds.retain(|kind| *kind == NoticeKind::CounterNotice);
        }
        kinds
    }

    /// The platform's reason in `text`: what follows the first reason label up to a blank
    /// line, verbatim; without a label, the whole text. `None` if blank.
    pub fn reason(&self, text: &str) -> Option<Text> {
        after_label(text, &self.reason_labels).or_else(|| bounded(text))
    }

    /// The seller's statement in `text`, as [`EmailRules::reason`] finds a reason.
    pub fn statement(&self, text: &str) -> Option<Text> {
        after_label(text, &self.statement_labels).or_else(|| bounded(text))
    }

    /// What to fix, found in a rejection's `reason`: each bulleted or numbered line, aimed
    /// at the document it names when it names one.
    pub fn fixes(&self, reason: &str) -> Vec<Fix> {
        reason
            .lines()
            .filter_map(bullet)
            .filter_map(|line| {
                Some(Fix {
                    target: fix_target(line),
                    instruction: Text::new(line).ok()?,
                })
            })
            .collect()
    }
}

/// What a line's bullet (`-`, `*`, `•`, `1.`, `1)`, `(1)`) leads to, if it has one.
fn bullet(line: &str) -> Option<&str> {
    let line = line.trim();
    let rest = if let Some(rest) = line.strip_prefix(['-', '*', '•', '·']) {
        rest
    } else {
        let digits = line.trim_start_matches('(');
        let number_end = digits.find(|c: char| !c.is_ascii_digit())?;
        if number_end == 0 {
            return None;
        }
        digits[number_end..].strip_prefix(['.', ')', '、'])?
    };
    let rest = rest.trim();
    (!rest.is_empty()).then_some(rest)
}

/// The document a fix names, by words a platform uses for it.
fn fix_target(line: &str) -> FixTarget {
    let line = line.to_lowercase();
    let names = |words: &[&str]| words.iter().any(|w| line.contains(w));
    if names(&[
        "power of attorney",
        "authorization letter",
        "authorisation letter",
        "授权",
    ]) {
        FixTarget::Evidence(EvidenceKind::PowerOfAttorney)
    } else if names(&[
        "articles of incorporation",
        "business license",
        "business licence",
        "营业执照",
    ]) {
        FixTarget::Evidence(EvidenceKind::ArticlesOfIncorporation)
    } else if names(&["translation", "翻译"]) {
        FixTarget::Translation
    } else if names(&[
        "trademark certificate",
        "registration certificate",
        "商标注册证",
    ]) {
        FixTarget::Evidence(EvidenceKind::TrademarkCertificate)
    } else if names(&[
        "registration number",
        "class",
        "registrant",
        "expiry",
        "注册号",
    ]) {
        FixTarget::Registration
    } else {
        FixTarget::Other
    }
}

/// What follows the first of `labels` (then `:` or `：`) in `text`, up to a blank line.
fn after_label(text: &str, labels: &[String]) -> Option<Text> {
    let lower = text.to_lowercase();
    let lines: Vec<&str> = text.lines().collect();
    let lower_lines: Vec<&str> = lower.lines().collect();
    for label in labels {
        for (n, line) in lower_lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let Some(rest) = trimmed.strip_prefix(label.as_str()) else {
                continue;
            };
            let rest = rest.trim_start();
            if !(rest.starts_with(':') || rest.starts_with('：')) {
                continue;
            }
            // The same position in the original line: labels are matched without case,
            // and lower-casing can change byte lengths, so cut by characters.
            let original = lines.get(n)?.trim_start();
            let skip = trimmed.chars().count() - rest.chars().count() + 1;
            let first: String = original.chars().skip(skip).collect();
            let mut reason = vec![first.trim().to_owned()];
            for following in lines.iter().skip(n + 1) {
                if following.trim().is_empty() {
                    if reason.iter().all(|r| r.is_empty()) {
                        continue;
                    }
                    break;
                }
                reason.push(following.trim_end().to_owned());
            }
            if let Some(text) = bounded(&reason.join("\n")) {
                return Some(text);
            }
        }
    }
    None
}

/// `text` trimmed, cut to the longest [`Text`], or `None` if blank.
fn bounded(text: &str) -> Option<Text> {
    let text = text.trim();
    let cut: String = text.chars().take(Text::MAX_CHARS).collect();
    Text::new(cut).ok()
}

/// What an email names that the record knows things by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// Listings whose URL it holds.
    pub listings: Vec<Listing>,
    /// UUIDs it holds (complaint or right ids).
    pub ids: Vec<Uuid>,
}

/// The listing URLs and UUIDs in `text`, each once, in order. A URL runs from `http://` or
/// `https://` to the first space, bracket, quote or character outside ASCII (Chinese
/// punctuation often follows a link with no space); a UUID is any run of hex digits and
/// dashes that reads as one.
pub fn references(text: &str) -> References {
    let mut found = References::default();
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let candidate = &rest[at..];
        let end = candidate
            .find(|c: char| !c.is_ascii() || c.is_ascii_whitespace() || "<>\"'()[]{}|`".contains(c))
            .unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if (url.starts_with("http://") || url.starts_with("https://"))
            && let Ok(listing) = Listing::parse(url)
            && !found.listings.iter().any(|l| l.key == listing.key)
        {
            found.listings.push(listing);
        }
        rest = &candidate[end.max(4)..];
    }
    for token in text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-')) {
        if token.len() == 36
            && let Ok(id) = Uuid::parse_str(token)
            && !found.ids.contains(&id)
        {
            found.ids.push(id);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReadEmail;

    fn email(from: &str, authentication: &[&str]) -> ReadEmail {
        ReadEmail {
            message_id: "1@x".into(),
            from: Some(from.into()),
            subject: None,
            sent_at: None,
            text: String::new(),
            authentication: authentication.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn only_the_platforms_domains_speak_for_it() {
        let rules = EmailRules::for_policy(&MarketplacePolicy::alibaba_ipp());
        assert_eq!(rules.distrust(&email("ipp@service.alibaba.com", &[])), None);
        assert_eq!(rules.distrust(&email("IPP@Alibaba.com", &[])), None);
        assert!(rules.distrust(&email("seller@evil.example", &[])).is_some());
        assert!(
            rules
                .distrust(&email("ipp@alibaba.com.evil.example", &[]))
                .is_some()
        );
        assert!(rules.distrust(&email("ipp@notalibaba.com", &[])).is_some());
    }

    #[test]
    fn with_a_server_named_only_its_passing_results_count() {
        let mut rules = EmailRules::for_policy(&MarketplacePolicy::alibaba_ipp());
        rules.authenticated_by = Some("mx.firm.example".into());
        let from = "ipp@service.alibaba.com";
        let pass = "mx.firm.example; dkim=pass header.d=service.alibaba.com header.s=s1; dmarc=pass header.from=alibaba.com";
        assert_eq!(rules.distrust(&email(from, &[pass])), None);
        for refused in [
            "mx.firm.example; dkim=fail header.d=alibaba.com; dmarc=fail header.from=alibaba.com",
            "mx.evil.example; dmarc=pass header.from=alibaba.com",
            "mx.firm.example; dkim=pass header.d=evil.example",
        ] {
            assert!(
                rules.distrust(&email(from, &[refused])).is_some(),
                "{refused}"
            );
        }
        assert!(rules.distrust(&email(from, &[])).is_some());
    }
}

//! `aliprotect notify`: deliver the outbox's notifications through the configured backends
//! until Ctrl-C, then stop cleanly (a message being sent is finished or left for next time;
//! none is lost, and receivers drop repeats by message id).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aliprotect::notify::{CompositeNotifier, Notification, Notifier};
use aliprotect::notify_email::{EmailConfig, EmailNotifier, Language, Recipient, SmtpSecurity};
use aliprotect::notify_webhook::signature::Secret;
use aliprotect::notify_webhook::{WebhookConfig, WebhookNotifier};
use clap::Args;
use serde::Deserialize;

use crate::cli::Global;
use crate::error::CliError;
use crate::output::Output;
use crate::session::{Session, tenant_of};

/// `notify`.
#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    /// The notification backends (TOML, as in the example below): any number of
    /// `[[webhook]]` and `[[email]]` tables.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// Seconds to wait between polls when nothing is pending.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub(crate) idle: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyFile {
    #[serde(default)]
    webhook: Vec<WebhookFile>,
    #[serde(default)]
    email: Vec<EmailFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookFile {
    /// Only this client's notifications (else every client's).
    client: Option<String>,
    url: String,
    /// The shared secret; `secret_env` names an environment variable holding it instead.
    secret: Option<String>,
    secret_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailFile {
    /// Only this client's notifications (else every client's).
    client: Option<String>,
    host: String,
    port: Option<u16>,
    /// `starttls` (default), `tls`, or `none` (a local relay only).
    security: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    from: String,
    to: Vec<String>,
    /// `en` (default) or `zh`.
    language: Option<String>,
}

pub(crate) async fn run(global: &Global, out: &Output, args: NotifyArgs) -> Result<(), CliError> {
    let notifier = notifier(&args.config)?;
    let session = Session::open_with(global, notifier).await?;
    let worker = session
        .engine
        .jobs()
        .spawn_worker(Duration::from_secs(args.idle.max(1)), None);
    out.note("Delivering notifications; Ctrl-C stops.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::Environment(format!("cannot wait for Ctrl-C: {e}")))?;
    out.note("Stopping: finishing the delivery under way...");
    worker.shutdown().await;
    out.note("Stopped.");
    Ok(())
}

fn notifier(path: &Path) -> Result<Arc<dyn Notifier>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?;
    let file: NotifyFile = toml::from_str(&text).map_err(|e| CliError::file(path, e))?;
    let mut composite = CompositeNotifier::new();
    if file.webhook.is_empty() && file.email.is_empty() {
        return Err(CliError::file(
            path,
            "no backend configured: add a [[webhook]] or [[email]] table",
        ));
    }
    for webhook in file.webhook {
        let client = webhook.client.clone();
        composite = route(composite, client, webhook_notifier(path, webhook)?);
    }
    for email in file.email {
        let client = email.client.clone();
        composite = route(composite, client, email_notifier(path, email)?);
    }
    Ok(Arc::new(composite))
}

/// Routes a client's notifications, or everyone's, to `notifier`.
fn route(
    composite: CompositeNotifier,
    client: Option<String>,
    notifier: impl Notifier,
) -> CompositeNotifier {
    match client {
        Some(client) => composite.route_tenant(tenant_of(&client), notifier),
        None => composite.route_all(notifier),
    }
}

fn webhook_notifier(path: &Path, webhook: WebhookFile) -> Result<WebhookNotifier, CliError> {
    let url = webhook
        .url
        .parse()
        .map_err(|e| CliError::file(path, format!("webhook.url: {e}")))?;
    let secret = match (webhook.secret, webhook.secret_env) {
        (Some(secret), None) => secret,
        (None, Some(name)) => std::env::var(&name)
            .map_err(|_| CliError::file(path, format!("webhook.secret_env: ${name} is not set")))?,
        _ => {
            return Err(CliError::file(
                path,
                "webhook: give exactly one of secret or secret_env",
            ));
        }
    };
    let secret = Secret::from_config(&secret)
        .map_err(|e| CliError::file(path, format!("webhook secret: {e}")))?;
    WebhookNotifier::new(WebhookConfig::new(url, secret))
        .map_err(|e| CliError::file(path, format!("webhook: {e}")))
}

fn email_notifier(path: &Path, email: EmailFile) -> Result<impl Notifier, CliError> {
    let problem = |what: String| CliError::file(path, format!("email: {what}"));
    let language = match email.language.as_deref() {
        None | Some("en") => Language::En,
        Some("zh") => Language::Zh,
        Some(other) => return Err(problem(format!("language `{other}`: expected en or zh"))),
    };
    let security = match email.security.as_deref() {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            return Err(problem(format!(
                "security `{other}`: expected starttls, tls or none"
            )));
        }
    };
    let password = match email.password_env {
        Some(name) => Some(
            std::env::var(&name)
                .map_err(|_| problem(format!("password_env: ${name} is not set")))?,
        ),
        None => None,
    };
    let port = email.port.unwrap_or(match security {
        SmtpSecurity::Tls => 465,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::None => 25,
    });
    let mut config = EmailConfig::new(&email.host, port, security, &email.from)
        .map_err(|e| problem(e.to_string()))?;
    if let (Some(user), Some(password)) = (email.username, password) {
        config.credentials = Some((user, password));
    }
    let recipients = email
        .to
        .iter()
        .map(|address| Recipient::new(address, language))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| problem(e.to_string()))?;
    let recipients_for = move |_: &Notification| recipients.clone();
    EmailNotifier::new(config, recipients_for).map_err(|e| problem(e.to_string()))
}

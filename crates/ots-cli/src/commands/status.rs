//! `ots status`: does the server answer, and do the credentials work?

use serde::Serialize;

use crate::api::Client;
use crate::commands::{Context, failure, write_json, write_stdout};
use crate::error::Result;

#[derive(Serialize)]
struct StatusJson<'a> {
    server: &'a str,
    status: &'a str,
    locale: &'a str,
    account: Option<&'a str>,
}

/// `ots status`.
pub fn status(ctx: &Context) -> Result<()> {
    let target = ctx.settings.require_target()?;
    let credentials = ctx.settings.credentials_for(target.base());
    let client = Client::new(target.base(), credentials);
    let status = match credentials {
        // With an account, check it too: authcheck answers like status when it works.
        Some(_) => client.authcheck()?,
        None => client.status()?,
    }
    .map_err(|f| failure(f, client.base(), "unexpected answer"))?;
    let account = credentials.map(|c| c.user.as_str());
    if ctx.json {
        return write_json(&StatusJson {
            server: client.base(),
            status: &status.status,
            locale: &status.locale,
            account,
        });
    }
    let mut text = format!("{}: {}\n", client.base(), status.status);
    if let Some(user) = account {
        text.push_str(&format!("account: {user} (credentials accepted)\n"));
    }
    write_stdout(text.as_bytes())
}

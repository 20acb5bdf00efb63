//! The API hosts that verification and revocation may contact, and the only
//! way to change them: the operator's `--endpoint NAME=URL` flags or
//! `LEAKHOUND_ENDPOINT_<NAME>` variables, never a file in the scanned
//! repository. Every base URL is checked here: HTTPS, no credentials in the
//! URL, no private, loopback or link-local address unless
//! `--allow-internal-endpoints`, and plain HTTP only for a loopback override.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::{Result, bail};
use reqwest::Url;

use super::providers::Provider;

/// One API base URL a provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointSpec {
    /// Name used by `--endpoint NAME=URL` and `LEAKHOUND_ENDPOINT_<NAME>`.
    pub name: &'static str,
    pub provider: Provider,
    /// Default base URL; `{dc}` is the Mailchimp datacenter taken from the key.
    pub base: &'static str,
    /// What is requested there.
    pub used_for: &'static str,
}

/// Every endpoint, in `leakhound providers` order.
pub const ENDPOINTS: &[EndpointSpec] = &[
    EndpointSpec {
        name: "sendgrid",
        provider: Provider::SendGrid,
        base: "https://api.sendgrid.com",
        used_for: "verify GET /v3/scopes; revoke GET and DELETE /v3/api_keys/{id}",
    },
    EndpointSpec {
        name: "mailgun",
        provider: Provider::Mailgun,
        base: "https://api.mailgun.net",
        used_for: "verify GET /v3/domains (US region)",
    },
    EndpointSpec {
        name: "mailgun-eu",
        provider: Provider::Mailgun,
        base: "https://api.eu.mailgun.net",
        used_for: "verify GET /v3/domains (EU region)",
    },
    EndpointSpec {
        name: "mailchimp",
        provider: Provider::Mailchimp,
        base: "https://{dc}.api.mailchimp.com",
        used_for: "verify GET /3.0/ ({dc} is the key's datacenter, e.g. us21)",
    },
    EndpointSpec {
        name: "mandrill",
        provider: Provider::Mandrill,
        base: "https://mandrillapp.com",
        used_for: "verify POST /api/1.0/users/info (read-only)",
    },
    EndpointSpec {
        name: "postmark",
        provider: Provider::Postmark,
        base: "https://api.postmarkapp.com",
        used_for: "verify GET /server (server token), GET /servers (account token)",
    },
    EndpointSpec {
        name: "sparkpost",
        provider: Provider::SparkPost,
        base: "https://api.sparkpost.com",
        used_for: "verify GET /api/v1/account (US region)",
    },
    EndpointSpec {
        name: "sparkpost-eu",
        provider: Provider::SparkPost,
        base: "https://api.eu.sparkpost.com",
        used_for: "verify GET /api/v1/account (EU region)",
    },
    EndpointSpec {
        name: "brevo",
        provider: Provider::Brevo,
        base: "https://api.brevo.com",
        used_for: "verify GET /v3/account",
    },
    EndpointSpec {
        name: "mailjet",
        provider: Provider::Mailjet,
        base: "https://api.mailjet.com",
        used_for: "verify GET /v3/REST/user",
    },
    EndpointSpec {
        name: "resend",
        provider: Provider::Resend,
        base: "https://api.resend.com",
        used_for: "verify GET /domains",
    },
    EndpointSpec {
        name: "twilio",
        provider: Provider::Twilio,
        base: "https://api.twilio.com",
        used_for: "verify GET /2010-04-01/Accounts.json; revoke DELETE /2010-04-01/Accounts/{AC}/Keys/{SK}.json",
    },
    EndpointSpec {
        name: "github",
        provider: Provider::GitHub,
        base: "https://api.github.com",
        used_for: "verify GET /user; revoke POST /credentials/revoke",
    },
    EndpointSpec {
        name: "gitlab",
        provider: Provider::GitLab,
        base: "https://gitlab.com",
        used_for: "verify GET /api/v4/personal_access_tokens/self; revoke DELETE /api/v4/personal_access_tokens/self",
    },
    EndpointSpec {
        name: "slack",
        provider: Provider::Slack,
        base: "https://slack.com",
        used_for: "verify POST /api/auth.test; revoke POST /api/auth.revoke",
    },
    EndpointSpec {
        name: "npm",
        provider: Provider::Npm,
        base: "https://registry.npmjs.org",
        used_for: "verify GET /-/whoami; revoke DELETE /-/npm/v1/tokens/token/{token}",
    },
    EndpointSpec {
        name: "stripe",
        provider: Provider::Stripe,
        base: "https://api.stripe.com",
        used_for: "verify GET /v1/account",
    },
    EndpointSpec {
        name: "openai",
        provider: Provider::OpenAi,
        base: "https://api.openai.com",
        used_for: "verify GET /v1/models",
    },
    EndpointSpec {
        name: "discord",
        provider: Provider::Discord,
        base: "https://discord.com",
        used_for: "verify GET /api/webhooks/{id}/{token}, GET /api/v10/users/@me; revoke DELETE /api/webhooks/{id}/{token}",
    },
];

pub fn spec(name: &str) -> Option<&'static EndpointSpec> {
    ENDPOINTS.iter().find(|e| e.name == name)
}

/// The environment variable that overrides an endpoint: `LEAKHOUND_ENDPOINT_MAILGUN_EU`.
pub fn env_var(name: &str) -> String {
    format!("LEAKHOUND_ENDPOINT_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// The endpoints of one run, after the operator's overrides.
#[derive(Debug, Clone)]
pub struct Endpoints {
    bases: BTreeMap<&'static str, (String, bool)>,
    allow_internal: bool,
}

impl Endpoints {
    /// Applies `--endpoint NAME=URL` flags (which win) and `LEAKHOUND_ENDPOINT_*`
    /// variables read through `env`, checking every override.
    pub fn resolve(flags: &[String], env: impl Fn(&str) -> Option<String>, allow_internal: bool) -> Result<Endpoints> {
        let mut bases: BTreeMap<&'static str, (String, bool)> =
            ENDPOINTS.iter().map(|e| (e.name, (e.base.to_string(), false))).collect();
        for e in ENDPOINTS {
            if let Some(url) = env(&env_var(e.name)).filter(|v| !v.trim().is_empty()) {
                check_base(&url, allow_internal).map_err(|m| anyhow::anyhow!("{}: {m}", env_var(e.name)))?;
                bases.insert(e.name, (url.trim().to_string(), true));
            }
        }
        for flag in flags {
            let Some((name, url)) = flag.split_once('=') else {
                bail!("--endpoint {flag:?}: expected NAME=URL, e.g. sendgrid=https://api.sendgrid.com");
            };
            let Some(e) = spec(name.trim()) else {
                let names: Vec<&str> = ENDPOINTS.iter().map(|e| e.name).collect();
                bail!("--endpoint {flag:?}: unknown endpoint {name:?} (known: {})", names.join(", "));
            };
            check_base(url.trim(), allow_internal).map_err(|m| anyhow::anyhow!("--endpoint {name}: {m}"))?;
            bases.insert(e.name, (url.trim().to_string(), true));
        }
        Ok(Endpoints { bases, allow_internal })
    }

    /// The base URL in force for `name` and whether the operator overrode it.
    pub fn base(&self, name: &str) -> Option<(&str, bool)> {
        self.bases.get(name).map(|(b, o)| (b.as_str(), *o))
    }

    pub fn allow_internal(&self) -> bool {
        self.allow_internal
    }

    /// The full URL of `path` (which starts with `/`) on endpoint `name`;
    /// `{dc}` in a default base is filled from `dc`, which must look like `us21`.
    pub fn url(&self, name: &str, path: &str, dc: Option<&str>) -> Result<Url, String> {
        let (base, overridden) = self.base(name).ok_or_else(|| format!("unknown endpoint {name}"))?;
        let base = if !overridden && base.contains("{dc}") {
            let dc = dc.filter(|d| is_datacenter(d)).ok_or("no valid datacenter for this endpoint")?;
            base.replace("{dc}", dc)
        } else {
            base.to_string()
        };
        if !path.starts_with('/') {
            return Err(format!("bad request path {path:?}"));
        }
        let base_url = Url::parse(&base).map_err(|e| format!("bad base URL {base:?}: {e}"))?;
        let full = format!("{}{}", base.trim_end_matches('/'), path);
        let url = Url::parse(&full).map_err(|e| format!("bad URL: {e}"))?;
        // The path must not be able to move the request to another host.
        if url.host_str() != base_url.host_str() || url.port_or_known_default() != base_url.port_or_known_default() {
            return Err("request URL leaves the endpoint's host".into());
        }
        check_url(&url, self.allow_internal)?;
        Ok(url)
    }
}

/// A Mailchimp datacenter: `us` and one or two digits.
pub fn is_datacenter(dc: &str) -> bool {
    dc.len() >= 3 && dc.len() <= 4 && dc.starts_with("us") && dc[2..].bytes().all(|b| b.is_ascii_digit())
}

fn check_base(url: &str, allow_internal: bool) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{url:?}: a base URL takes no query or fragment"));
    }
    check_url(&parsed, allow_internal)
}

/// The safety rules every URL obeys before a secret is sent to it.
pub fn check_url(url: &Url, allow_internal: bool) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not allowed".into());
    }
    let host = url.host_str().ok_or("URL has no host")?;
    let literal: Option<IpAddr> = host.trim_start_matches('[').trim_end_matches(']').parse().ok();
    let loopback = host.eq_ignore_ascii_case("localhost") || literal.is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback && allow_internal => {}
        "http" => {
            return Err(format!(
                "plain http is refused for {host}: use https (http is accepted only for a loopback address with --allow-internal-endpoints)"
            ));
        }
        other => return Err(format!("scheme {other:?} is refused: use https")),
    }
    if !allow_internal && (loopback || literal.is_some_and(is_internal)) {
        return Err(format!("{host} is a private, loopback or link-local address (pass --allow-internal-endpoints)"));
    }
    Ok(())
}

/// Addresses that are not on the public internet: private, loopback,
/// link-local, carrier-grade NAT, unspecified, multicast, documentation.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn refuses_plain_http_and_internal_hosts() {
        assert!(Endpoints::resolve(&["sendgrid=http://api.example.org".into()], no_env, true).is_err());
        assert!(Endpoints::resolve(&["sendgrid=http://127.0.0.1:9".into()], no_env, false).is_err());
        assert!(Endpoints::resolve(&["sendgrid=https://10.0.0.1".into()], no_env, false).is_err());
        assert!(Endpoints::resolve(&["sendgrid=https://[fe80::1]".into()], no_env, false).is_err());
        assert!(Endpoints::resolve(&["sendgrid=https://u:p@api.example.org".into()], no_env, false).is_err());
        assert!(Endpoints::resolve(&["nosuch=https://api.example.org".into()], no_env, false).is_err());
        assert!(Endpoints::resolve(&["sendgrid=http://127.0.0.1:9".into()], no_env, true).is_ok());
        assert!(Endpoints::resolve(&["sendgrid=https://sendgrid.internal.example".into()], no_env, false).is_ok());
    }

    #[test]
    fn env_overrides_and_flags_win() {
        let env = |name: &str| (name == "LEAKHOUND_ENDPOINT_MAILGUN_EU").then(|| "https://eu.example.org".to_string());
        let e = Endpoints::resolve(&[], env, false).unwrap();
        assert_eq!(e.base("mailgun-eu"), Some(("https://eu.example.org", true)));
        let e = Endpoints::resolve(&["mailgun-eu=https://flag.example.org".into()], env, false).unwrap();
        assert_eq!(e.base("mailgun-eu"), Some(("https://flag.example.org", true)));
    }

    #[test]
    fn mailchimp_datacenter_is_validated() {
        let e = Endpoints::resolve(&[], no_env, false).unwrap();
        assert_eq!(e.url("mailchimp", "/3.0/", Some("us21")).unwrap().as_str(), "https://us21.api.mailchimp.com/3.0/");
        assert!(e.url("mailchimp", "/3.0/", Some("evil.com/")).is_err());
        assert!(e.url("mailchimp", "/3.0/", None).is_err());
    }

    #[test]
    fn path_cannot_change_host() {
        let e = Endpoints::resolve(&[], no_env, false).unwrap();
        assert!(e.url("sendgrid", "@evil.example/x", None).is_err());
        assert!(e.url("sendgrid", "/v3/scopes", None).is_ok());
    }

    #[test]
    fn internal_ranges() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "140.82.112.5", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}

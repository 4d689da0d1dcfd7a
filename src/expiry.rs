//! When a registry secret stops working, when it says so itself: a JWT's `exp`, or an ECR
//! token's `expiration` (`aws ecr get-login-password` prints base64 of a JSON document that
//! carries it; the raw authorization token is base64 of `AWS:` + that). Only the expiry is
//! read: nothing here keeps, prints or returns any part of the token.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The expiry `secret` carries, in seconds since the epoch, if it carries one.
pub fn of(secret: &str) -> Option<u64> {
    jwt_exp(secret).or_else(|| ecr_expiration(secret))
}

fn jwt_exp(secret: &str) -> Option<u64> {
    let mut parts = secret.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes =
        zeroize::Zeroizing::new(URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?);
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    seconds(&claims["exp"])
}

fn ecr_expiration(secret: &str) -> Option<u64> {
    // Tokens are short; anything long that is not base64 is not one (no work on big blobs).
    if secret.len() > 64 * 1024 {
        return None;
    }
    let decoded = zeroize::Zeroizing::new(STANDARD.decode(secret.trim()).ok()?);
    let json = decoded.strip_prefix(b"AWS:").unwrap_or(&decoded);
    let doc: serde_json::Value = serde_json::from_slice(json).ok()?;
    seconds(&doc["expiration"])
}

/// A number of seconds, or a numeric string (ECR has used both).
fn seconds(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2026-03-01T12:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    // jiff comes with k8s-openapi; past its range (year 9999) the seconds are printed as they are.
    i64::try_from(secs)
        .ok()
        .and_then(|s| k8s_openapi::jiff::Timestamp::from_second(s).ok())
        .map_or_else(|| format!("@{secs}"), |t| t.to_string())
}

/// `2d 3h`, `11h 59m`, `4m 10s`, `30s`: the two largest units.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if days > 0 {
        format!("{days}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// The line said about one registry's expiry at `now`: when, and how long from now (or that
/// it has passed).
pub fn describe(registry: &str, expires: u64, now: u64) -> String {
    if expires <= now {
        format!(
            "{registry}: the credential expired at {} ({} ago): log in again (docker login {registry})",
            rfc3339(expires),
            human(Duration::from_secs(now - expires))
        )
    } else {
        format!(
            "{registry}: the credential expires at {} (in {})",
            rfc3339(expires),
            human(Duration::from_secs(expires - now))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_and_ecr_expiries_are_read() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":1767225600}"#);
        assert_eq!(
            of(&format!("eyJhbGciOiJIUzI1NiJ9.{claims}.sig")),
            Some(1767225600)
        );
        let ecr = STANDARD.encode(br#"{"payload":"p","datakey":"k","version":"2","type":"DATA_KEY","expiration":1767225600}"#);
        assert_eq!(of(&ecr), Some(1767225600));
        let raw = STANDARD.encode(br#"AWS:{"expiration":"1767225600"}"#);
        assert_eq!(of(&raw), Some(1767225600));
        assert_eq!(of("hunter2"), None);
        assert_eq!(of("a.b.c"), None);
        assert_eq!(of(&STANDARD.encode(b"{}")), None);
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1767225600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_825_600), "2000-02-29T12:00:00Z");
        assert_eq!(human(Duration::from_secs(43_170)), "11h 59m");
        assert_eq!(human(Duration::from_secs(90)), "1m 30s");
    }
}

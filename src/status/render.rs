//! The report as aligned tables (as `kubectl get` prints them; `-o wide` adds columns), or as
//! JSON or YAML objects for scripts.

use super::Output;
use super::causes::Report;
use std::io::Write;

pub(super) fn write(report: &Report, output: Output, out: &mut dyn Write) -> std::io::Result<()> {
    match output {
        Output::Json => {
            let mut text = serde_json::to_string_pretty(report).expect("plain data serializes");
            text.push('\n');
            out.write_all(text.as_bytes())
        }
        Output::Yaml => {
            let text = serde_saphyr::to_string(report).expect("plain data serializes");
            out.write_all(text.as_bytes())
        }
        Output::Table | Output::Wide => table(report, output == Output::Wide, out),
    }
}

fn dash(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "-".to_owned(),
    }
}

fn table(report: &Report, wide: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let now = crate::expiry::now();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec![
        "CONTEXT",
        "NAMESPACE",
        "NAME",
        "REGISTRY",
        "STATE",
        "EXPIRES",
    ];
    if wide {
        head.extend(["SERVICE-ACCOUNTS", "SAVED-PUSH"]);
    }
    head.push("DETAIL");
    rows.push(head.iter().map(|s| (*s).to_owned()).collect());
    for s in &report.secrets {
        for r in &s.registries {
            let expires = r.expires_at.map(|at| {
                if at <= now {
                    "expired".to_owned()
                } else {
                    format!(
                        "in {}",
                        crate::expiry::human(std::time::Duration::from_secs(at - now))
                    )
                }
            });
            let mut row = vec![
                s.context.clone(),
                s.namespace.clone(),
                s.name.clone(),
                r.registry.clone(),
                r.state.word().to_owned(),
                dash(expires.as_deref()),
            ];
            if wide {
                row.push(dash(Some(&s.service_accounts.join(","))));
                row.push(dash(s.saved_push.map(|id| id.to_string()).as_deref()));
            }
            row.push(dash(r.detail.as_deref()));
            rows.push(row);
        }
    }
    if report.secrets.is_empty() {
        writeln!(
            out,
            "No pull Secrets of docker-credential-keyring in scope."
        )?;
    } else {
        aligned(&rows, out)?;
    }
    if report.pods.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut head = vec!["CONTEXT", "NAMESPACE", "POD", "REGISTRY", "CAUSE"];
    if wide {
        head.extend(["IMAGE", "DETAIL"]);
    }
    head.push("FIX");
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| (*s).to_owned()).collect()];
    for p in &report.pods {
        let mut row = vec![
            p.context.clone(),
            p.namespace.clone(),
            p.pod.clone(),
            dash(Some(&p.registry)),
            p.cause.word().to_owned(),
        ];
        if wide {
            row.push(p.image.clone());
            row.push(dash(Some(&p.detail)));
        }
        row.push(match &p.fix {
            Some(f) => f.clone(),
            None if !wide => dash(Some(&p.detail)),
            None => "-".to_owned(),
        });
        rows.push(row);
    }
    aligned(&rows, out)
}

/// Columns padded to their widest cell, three spaces apart (as kubectl's tables), the last
/// one unpadded.
fn aligned(rows: &[Vec<String>], out: &mut dyn Write) -> std::io::Result<()> {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in rows {
        let mut text = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == columns {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[c] - cell.chars().count() + 3));
            }
        }
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

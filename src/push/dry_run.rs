//! `push --dry-run` (client): what would be applied, said or as manifests, without contacting
//! any cluster.

use super::{Error, Options, Outcome, OutputFormat, Payload, kubeconfig};
use crate::secret::Secret;
use std::io::Write;

/// `--dry-run` (client): print the manifests (`-o`) or what would be done; no cluster contact.
/// The kubeconfig is read only when a context's default namespace or name is needed.
pub(super) fn dry_run_client(
    options: &Options,
    payload: Option<&Payload>,
    out: &mut dyn Write,
    resolved: Option<Vec<kubeconfig::Target>>,
) -> Result<Outcome, Error> {
    let need_kubeconfig = resolved.is_none()
        && (options.namespaces.is_empty()
            || (options.output.is_none() && options.contexts.is_empty()));
    let kubeconfig = if need_kubeconfig {
        kubeconfig::load(options.kubeconfig.as_deref())?
    } else {
        None
    };
    let targets = match resolved {
        Some(t) => t,
        None => kubeconfig::offline_targets(kubeconfig.as_ref(), options)?,
    };
    let mut write = |text: &str| out.write_all(text.as_bytes()).map_err(Error::Stdout);
    match (options.output, payload) {
        (Some(format), Some(payload)) => {
            let manifests: Vec<_> = targets
                .iter()
                .map(|t| payload.manifest(&options.name, Some(&t.namespace)))
                .collect();
            let value = if manifests.len() == 1 {
                serde_json::to_value(&manifests[0].0)
            } else {
                let items: Vec<_> = manifests.iter().map(|m| &m.0).collect();
                serde_json::to_value(serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "List",
                    "items": items,
                }))
            }
            .expect("manifests serialize");
            let value = Secret::new(value.to_string());
            let parsed: serde_json::Value =
                serde_json::from_str(value.expose()).expect("just serialized");
            let text = Secret::new(match format {
                OutputFormat::Json => {
                    let mut t = serde_json::to_string_pretty(&parsed).expect("serializes");
                    t.push('\n');
                    t
                }
                OutputFormat::Yaml => {
                    // Plain scalars, as kubectl writes them (no folded `>-` blocks).
                    let mut options = serde_saphyr::SerializerOptions::default();
                    options.prefer_block_scalars = false;
                    serde_saphyr::to_string_with_options(&parsed, options).expect("serializes")
                }
            });
            write(text.expose())?;
        }
        _ => {
            for t in &targets {
                let line = match payload {
                    Some(p) => format!(
                        "{}/{}/{}: would apply {} (client dry run: nothing sent)\n",
                        t.context,
                        t.namespace,
                        options.name,
                        p.keys
                            .iter()
                            .map(|k| crate::untrusted::line(k, 256))
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    None => format!(
                        "{}/{}/{}: would delete if made by {} (client dry run: nothing sent)\n",
                        t.context,
                        t.namespace,
                        options.name,
                        crate::BINARY_NAME
                    ),
                };
                write(&line)?;
            }
        }
    }
    Ok(Outcome::AllDone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_would_happen_on_the_writer_given() {
        let options = Options {
            registries: vec!["r.io".into()],
            namespaces: vec!["team".into(), "ops".into()],
            contexts: vec!["dev".into()],
            name: "regcred".into(),
            dry_run: Some(super::super::DryRun::Client),
            ..Options::default()
        };
        let payload = Payload::build(vec![crate::backend::Credential {
            server_url: "r.io".into(),
            username: "alice".into(),
            secret: Secret::new("pw".into()),
        }])
        .unwrap();
        let mut out = Vec::new();
        let outcome = dry_run_client(&options, Some(&payload), &mut out, None).unwrap();
        assert_eq!(outcome, Outcome::AllDone);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "dev/team/regcred: would apply r.io (client dry run: nothing sent)\n\
             dev/ops/regcred: would apply r.io (client dry run: nothing sent)\n"
        );
        let mut out = Vec::new();
        dry_run_client(&options, None, &mut out, None).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("dev/team/regcred: would delete if made by docker-credential-keyring")
        );
    }
}

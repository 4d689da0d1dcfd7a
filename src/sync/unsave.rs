//! `push --delete` of a saved push's target: the saved push stops writing there (the target
//! leaves its list, or joins its rule's exclusions), and says so, before the delete is sent
//! (so a `sync --watch` that sees the Secret go already finds it out of the saved push);
//! otherwise the next `sync` would quietly recreate the Secret the user just deleted.

use super::saved::{SavedPush, Store};
use crate::push;
use crate::settings::Settings;
use std::io::Write;

/// `push --delete`, its targets first taken out of the saved pushes that write them (unless
/// a dry run).
pub fn delete_and_unsave(
    options: &push::Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<push::Outcome, push::Error> {
    if options.dry_run.is_none() {
        unsave(options, settings, err)?;
    }
    push::run(options, settings, out, err)
}

fn unsave(
    options: &push::Options,
    settings: &Settings,
    err: &mut dyn Write,
) -> Result<(), push::Error> {
    // Where the delete went, resolved as a push would be saved (no cluster contact).
    let Ok(aimed) = push::aim(options) else {
        return Ok(());
    };
    let Ok(store) = Store::beside(settings.config_path()) else {
        return Ok(());
    };
    if store.read().map(|d| d.pushes.is_empty()).unwrap_or(true) {
        return Ok(());
    }
    let rule = options.rule()?;
    let said = |err: &mut dyn Write, text: String| {
        let _ = writeln!(err, "{}: push: {text}", crate::BINARY_NAME);
    };
    let mut locked = match store.lock() {
        Ok(l) => l,
        Err(e) => {
            said(
                err,
                format!(
                    "warning: the saved pushes were not updated ({e}): a sync may recreate what was deleted"
                ),
            );
            return Ok(());
        }
    };
    let mut forgotten = Vec::new();
    let mut notes = Vec::new();
    for p in &mut locked.data.pushes {
        if p.name != options.name {
            continue;
        }
        let is_rule = p.all_namespaces || p.namespace_selector.is_some();
        let whole_rule = rule.is_some() && same_rule(p, options);
        let Some(pinned) = p.pinned.as_mut() else {
            continue;
        };
        if pinned.kubeconfig != aimed.kubeconfig {
            continue;
        }
        let mut removed = false;
        for a in &aimed.contexts {
            let Some(pin) = pinned
                .contexts
                .iter_mut()
                .find(|c| c.context == a.context && c.server == a.server)
            else {
                continue;
            };
            if rule.is_some() {
                // The same rule deleted: the saved push has nothing left to do.
                if whole_rule && !forgotten.contains(&p.id) {
                    forgotten.push(p.id);
                }
                continue;
            }
            for ns in &a.namespaces {
                if is_rule {
                    if !p.excluded_namespaces.contains(ns) {
                        p.excluded_namespaces.push(ns.clone());
                        notes.push(format!(
                            "saved push {} no longer writes to {}/{ns}: excluded from its rule (run its push with --save again to include it)",
                            p.id, a.context
                        ));
                    }
                } else if pin.namespaces.contains(ns) {
                    pin.namespaces.retain(|n| n != ns);
                    p.namespaces.retain(|n| n != ns);
                    removed = true;
                    notes.push(format!(
                        "saved push {} no longer writes to {}/{ns}",
                        p.id, a.context
                    ));
                }
            }
        }
        let empty = !is_rule && pinned.contexts.iter().all(|c| c.namespaces.is_empty());
        if removed && empty && !forgotten.contains(&p.id) {
            forgotten.push(p.id);
        }
    }
    if notes.is_empty() && forgotten.is_empty() {
        return Ok(());
    }
    locked.data.pushes.retain(|p| !forgotten.contains(&p.id));
    if let Err(e) = locked.write() {
        said(
            err,
            format!(
                "warning: the saved pushes were not updated ({e}): a sync may recreate what was deleted"
            ),
        );
        return Ok(());
    }
    for n in notes {
        said(err, crate::untrusted::line(&n, 1000));
    }
    for id in forgotten {
        said(
            err,
            format!("forgot saved push {id}: every Secret it wrote is being deleted"),
        );
    }
    Ok(())
}

/// Whether the delete's rule is the saved push's.
fn same_rule(saved: &SavedPush, options: &push::Options) -> bool {
    let selector = options
        .rule()
        .ok()
        .flatten()
        .and_then(|r| r.label_selector());
    saved.namespace_selector == selector && saved.all_namespaces == options.all_namespaces
}

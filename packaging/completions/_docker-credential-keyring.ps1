
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'docker-credential-keyring' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'docker-credential-keyring'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'docker-credential-keyring' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the credential for the server URL read from stdin, as JSON')
            [CompletionResult]::new('erase', 'erase', [CompletionResultType]::ParameterValue, 'Erase the credential for the server URL read from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every stored server with its username, as JSON (never reads a secret)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Make docker use this helper: set "credsStore": "keyring" (or credHelpers with --registry) in Docker''s config.json, bringing along every login docker had for those registries (the previous helper''s, copied and verified, or plaintext ones, imported)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Move the plaintext credentials in Docker''s config.json into the keychain (verified), then remove them from the file; or copy podman''s auth.json (--from) or another credential helper''s entries (--from-helper)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the backend, the keychain, the binary on PATH and Docker''s config; print the fix for each problem (exit 0 only when healthy)')
            [CompletionResult]::new('backends', 'backends', [CompletionResultType]::ParameterValue, 'Show each keychain backend: available here or not and why, which one `auto` picks, and what each keeps and for how long')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Turn stored credentials (or docker''s, or another helper''s: --from) into Kubernetes pull secrets (or remove them with --delete)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Run every push saved with `push … --save` again, so cluster secrets follow rotated credentials (once, every --every interval, or --watch to heal within seconds); --list and --forget manage them')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what push put in each cluster: every pull Secret''s registries and whether each is current, stale, expired, missing or unknown, and why a pod cannot pull (with the fix)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'docker-credential-keyring;store' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;get' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;erase' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;list' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;version' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;setup' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'Use this helper only for REGISTRY (a credHelpers entry); repeatable, bringing REGISTRY''s login along from the helper that served it. Without it, "credsStore": "keyring" makes it the helper for every registry that credHelpers does not send elsewhere')
            [CompletionResult]::new('--no-import', '--no-import', [CompletionResultType]::ParameterName, 'Bring nothing along: neither read the previous helper nor move plaintext credentials (docker ignores both for the switched registries afterwards)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the whole plan (what would be copied, moved, left, and the change to config.json); change nothing')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace a different credential the keychain already holds for a registry with the one docker uses now (without it, setup stops and changes nothing)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Import without asking, even on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Import without asking, even on a terminal')
            [CompletionResult]::new('--allow-volatile', '--allow-volatile', [CompletionResultType]::ParameterName, 'Import even when the backend forgets at reboot (keyutils): the credentials'' only copy is then lost at the next reboot. Without it, setup refuses and changes nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;import' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Copy from podman/skopeo''s auth.json instead (left unchanged). Without PATH: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json')
            [CompletionResult]::new('--from-helper', '--from-helper', [CompletionResultType]::ParameterName, 'Copy the credentials the credential helper docker-credential-NAME (on PATH) lists, or only the REGISTRY arguments (asked for directly: helpers like ecr-login list nothing); the helper is only read, never changed')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only show what would move; change nothing')
            [CompletionResult]::new('--overwrite', '--overwrite', [CompletionResultType]::ParameterName, 'Replace a different credential the keychain already holds for the same registry (without it, such entries are kept in the file and reported)')
            [CompletionResult]::new('--allow-volatile', '--allow-volatile', [CompletionResultType]::ParameterName, 'Strip config.json even when the backend forgets at reboot (keyutils): the credentials'' only copy is then lost at the next reboot. Without it, import refuses and changes nothing. Not needed with --from, whose file is never modified (a warning only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;doctor' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the diagnosis as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;backends' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON for scripts (stable field names)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;push' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Where to read the credentials: keychain (this helper''s), docker (each registry resolved as the docker CLI does from its config.json: credHelpers, then credsStore, then plaintext auths), or helper:NAME (the credential helper docker-credential-NAME on PATH, e.g. helper:ecr-login; a registry named is asked for directly). Sources are only read')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Target namespace (repeatable; default: the context''s namespace)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Target namespace (repeatable; default: the context''s namespace)')
            [CompletionResult]::new('--namespace-selector', '--namespace-selector', [CompletionResultType]::ParameterName, 'The namespaces whose labels match, in kubectl''s -l syntax (team=a, env!=prod, tier in (dev,qa), !legacy), system and ignored ones excepted, listed at every run')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubeconfig context (repeatable; default: the current context)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the Secret')
            [CompletionResult]::new('--service-account', '--service-account', [CompletionResultType]::ParameterName, 'Add the secret to this service account''s imagePullSecrets (repeatable)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: contact no cluster, print what would be applied; server: validate on the server without persisting')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'With --dry-run: print the manifests for `kubectl apply -f -`')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'With --dry-run: print the manifests for `kubectl apply -f -`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each API request: 30s, 2m (a bare number is seconds; 0 waits as long as the server takes)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Push every credential the source holds (with helper:NAME, what it lists); one whose key is no registry address, or that the kubelet cannot use, is skipped with a line on stderr')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Every namespace of each context but kube-system, kube-public, kube-node-lease and those annotated docker-credential-keyring/ignore="true", listed at every run (saved: the rule)')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Every namespace of each context but kube-system, kube-public, kube-node-lease and those annotated docker-credential-keyring/ignore="true", listed at every run (saved: the rule)')
            [CompletionResult]::new('--create-namespace', '--create-namespace', [CompletionResultType]::ParameterName, 'Create a missing namespace')
            [CompletionResult]::new('--replace', '--replace', [CompletionResultType]::ParameterName, 'Delete and recreate a secret push made that cannot be updated (another type, or immutable); a secret push did not make also needs --adopt')
            [CompletionResult]::new('--adopt', '--adopt', [CompletionResultType]::ParameterName, 'Take over a secret of this name that push did not make (without the app.kubernetes.io/managed-by label): merge into its .dockerconfigjson, keeping the registries this push does not write, then label it as push''s. Registries push did not write stay on every later push; on a secret push made, --adopt also keeps those push wrote before and no longer writes')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Send the credentials even to a cluster reached over plain http:// (other than to a loopback port only your uid listens on, checked on Linux) or with insecure-skip-tls-verify, where others can read them (a warning per target)')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Delete the secret (only if push made it) and remove it from the --service-account lists; a secret also holding registries push did not write keeps them, loses push''s registries and label, and stays in the lists')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Also save this push (everything on this command line but --adopt, --replace, --dry-run and -o) so `sync` runs it again, pinned to the kubeconfig files, each context''s server and CA, and the namespaces used now (with -A or --namespace-selector: the rule, listed again at every run); a saved push writing the same Secrets is updated (which re-aims it). With --dry-run: say what would be saved, and save nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;sync' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Run a round now and then every DURATION (90s, 30m, 1h30m, 2d; at least 1s) until interrupted, printing only changes and failures')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only the saved push with this id (repeatable)')
            [CompletionResult]::new('--forget', '--forget', [CompletionResultType]::ParameterName, 'Forget the saved push with this id (its Secrets stay in the clusters)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Stay in the foreground watching each context''s namespaces and our Secrets: a namespace entering a saved push''s scope gets its Secret, a Secret of ours deleted or edited by someone else is put back; a whole round re-reads the credentials every --every (default 5m) and before a known expiry')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'Show each saved push: its id, what it pushes where, where it is pinned (servers, CA fingerprints, namespaces, kubeconfig files), when it last ran and each target''s last result')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;status' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace to look at (repeatable; default: the context''s namespace)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace to look at (repeatable; default: the context''s namespace)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Kubeconfig context (repeatable; default: the current context)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'wide (adds service accounts, saved-push ids, images and details), json or yaml')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'wide (adds service accounts, saved-push ids, images and details), json or yaml')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each API request: 30s, 2m (0 waits as long as the server takes)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'Look at every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'Look at every namespace')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Read Secrets even from a cluster reached over plain http:// (other than a loopback port only your uid listens on) or with insecure-skip-tls-verify')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'docker-credential-keyring;help' {
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the credential for the server URL read from stdin, as JSON')
            [CompletionResult]::new('erase', 'erase', [CompletionResultType]::ParameterValue, 'Erase the credential for the server URL read from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every stored server with its username, as JSON (never reads a secret)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Make docker use this helper: set "credsStore": "keyring" (or credHelpers with --registry) in Docker''s config.json, bringing along every login docker had for those registries (the previous helper''s, copied and verified, or plaintext ones, imported)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Move the plaintext credentials in Docker''s config.json into the keychain (verified), then remove them from the file; or copy podman''s auth.json (--from) or another credential helper''s entries (--from-helper)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the backend, the keychain, the binary on PATH and Docker''s config; print the fix for each problem (exit 0 only when healthy)')
            [CompletionResult]::new('backends', 'backends', [CompletionResultType]::ParameterValue, 'Show each keychain backend: available here or not and why, which one `auto` picks, and what each keeps and for how long')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Turn stored credentials (or docker''s, or another helper''s: --from) into Kubernetes pull secrets (or remove them with --delete)')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Run every push saved with `push … --save` again, so cluster secrets follow rotated credentials (once, every --every interval, or --watch to heal within seconds); --list and --forget manage them')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show what push put in each cluster: every pull Secret''s registries and whether each is current, stale, expired, missing or unknown, and why a pod cannot pull (with the fix)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'docker-credential-keyring;help;store' {
            break
        }
        'docker-credential-keyring;help;get' {
            break
        }
        'docker-credential-keyring;help;erase' {
            break
        }
        'docker-credential-keyring;help;list' {
            break
        }
        'docker-credential-keyring;help;version' {
            break
        }
        'docker-credential-keyring;help;setup' {
            break
        }
        'docker-credential-keyring;help;import' {
            break
        }
        'docker-credential-keyring;help;doctor' {
            break
        }
        'docker-credential-keyring;help;backends' {
            break
        }
        'docker-credential-keyring;help;completions' {
            break
        }
        'docker-credential-keyring;help;push' {
            break
        }
        'docker-credential-keyring;help;sync' {
            break
        }
        'docker-credential-keyring;help;status' {
            break
        }
        'docker-credential-keyring;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

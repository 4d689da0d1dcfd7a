# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_docker_credential_keyring_global_optspecs
    string join \n backend= h/help
end

function __fish_docker_credential_keyring_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_docker_credential_keyring_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_docker_credential_keyring_using_subcommand
    set -l cmd (__fish_docker_credential_keyring_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "store" -d 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "get" -d 'Print the credential for the server URL read from stdin, as JSON'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "erase" -d 'Erase the credential for the server URL read from stdin'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "list" -d 'Print every stored server with its username, as JSON (never reads a secret)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "version" -d 'Print the version'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "setup" -d 'Make docker use this helper: set "credsStore": "keyring" (or credHelpers with --registry) in Docker\'s config.json, bringing along every login docker had for those registries (the previous helper\'s, copied and verified, or plaintext ones, imported)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "import" -d 'Move the plaintext credentials in Docker\'s config.json into the keychain (verified), then remove them from the file; or copy podman\'s auth.json (--from) or another credential helper\'s entries (--from-helper)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "doctor" -d 'Check the backend, the keychain, the binary on PATH and Docker\'s config; print the fix for each problem (exit 0 only when healthy)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "backends" -d 'Show each keychain backend: available here or not and why, which one `auto` picks, and what each keeps and for how long'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "push" -d 'Turn stored credentials (or docker\'s, or another helper\'s: --from) into Kubernetes pull secrets (or remove them with --delete)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "sync" -d 'Run every push saved with `push … --save` again, so cluster secrets follow rotated credentials (once, every --every interval, or --watch to heal within seconds); --list and --forget manage them'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "status" -d 'Show what push put in each cluster: every pull Secret\'s registries and whether each is current, stale, expired, missing or unknown, and why a pod cannot pull (with the fix)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand store" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand store" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand get" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand erase" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand erase" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand list" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l registry -d 'Use this helper only for REGISTRY (a credHelpers entry); repeatable, bringing REGISTRY\'s login along from the helper that served it. Without it, "credsStore": "keyring" makes it the helper for every registry that credHelpers does not send elsewhere' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l no-import -d 'Bring nothing along: neither read the previous helper nor move plaintext credentials (docker ignores both for the switched registries afterwards)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l dry-run -d 'Show the whole plan (what would be copied, moved, left, and the change to config.json); change nothing'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l overwrite -d 'Replace a different credential the keychain already holds for a registry with the one docker uses now (without it, setup stops and changes nothing)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -s y -l yes -d 'Import without asking, even on a terminal'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -l allow-volatile -d 'Import even when the backend forgets at reboot (keyutils): the credentials\' only copy is then lost at the next reboot. Without it, setup refuses and changes nothing'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l from -d 'Copy from podman/skopeo\'s auth.json instead (left unchanged). Without PATH: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json' -r -F
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l from-helper -d 'Copy the credentials the credential helper docker-credential-NAME (on PATH) lists, or only the REGISTRY arguments (asked for directly: helpers like ecr-login list nothing); the helper is only read, never changed' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l dry-run -d 'Only show what would move; change nothing'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l overwrite -d 'Replace a different credential the keychain already holds for the same registry (without it, such entries are kept in the file and reported)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -l allow-volatile -d 'Strip config.json even when the backend forgets at reboot (keyutils): the credentials\' only copy is then lost at the next reboot. Without it, import refuses and changes nothing. Not needed with --from, whose file is never modified (a warning only)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand doctor" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand doctor" -l json -d 'Print the diagnosis as JSON'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand backends" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand backends" -l json -d 'Print JSON for scripts (stable field names)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand backends" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l from -d 'Where to read the credentials: keychain (this helper\'s), docker (each registry resolved as the docker CLI does from its config.json: credHelpers, then credsStore, then plaintext auths), or helper:NAME (the credential helper docker-credential-NAME on PATH, e.g. helper:ecr-login; a registry named is asked for directly). Sources are only read' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -s n -l namespace -d 'Target namespace (repeatable; default: the context\'s namespace)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l namespace-selector -d 'The namespaces whose labels match, in kubectl\'s -l syntax (team=a, env!=prod, tier in (dev,qa), !legacy), system and ignored ones excepted, listed at every run' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l context -d 'Kubeconfig context (repeatable; default: the current context)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l kubeconfig -d 'Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l name -d 'Name of the Secret' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l service-account -d 'Add the secret to this service account\'s imagePullSecrets (repeatable)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l dry-run -d 'client: contact no cluster, print what would be applied; server: validate on the server without persisting' -r -f -a "client\t'No cluster contact at all'
server\t'The API server validates and answers without persisting'"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -s o -l output -d 'With --dry-run: print the manifests for `kubectl apply -f -`' -r -f -a "json\t''
yaml\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l request-timeout -d 'How long to wait for each API request: 30s, 2m (a bare number is seconds; 0 waits as long as the server takes)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l all -d 'Push every credential the source holds (with helper:NAME, what it lists); one whose key is no registry address, or that the kubelet cannot use, is skipped with a line on stderr'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -s A -l all-namespaces -d 'Every namespace of each context but kube-system, kube-public, kube-node-lease and those annotated docker-credential-keyring/ignore="true", listed at every run (saved: the rule)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l create-namespace -d 'Create a missing namespace'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l replace -d 'Delete and recreate a secret push made that cannot be updated (another type, or immutable); a secret push did not make also needs --adopt'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l adopt -d 'Take over a secret of this name that push did not make (without the app.kubernetes.io/managed-by label): merge into its .dockerconfigjson, keeping the registries this push does not write, then label it as push\'s. Registries push did not write stay on every later push; on a secret push made, --adopt also keeps those push wrote before and no longer writes'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l insecure -d 'Send the credentials even to a cluster reached over plain http:// (other than to a loopback port only your uid listens on, checked on Linux) or with insecure-skip-tls-verify, where others can read them (a warning per target)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l delete -d 'Delete the secret (only if push made it) and remove it from the --service-account lists; a secret also holding registries push did not write keeps them, loses push\'s registries and label, and stays in the lists'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -l save -d 'Also save this push (everything on this command line but --adopt, --replace, --dry-run and -o) so `sync` runs it again, pinned to the kubeconfig files, each context\'s server and CA, and the namespaces used now (with -A or --namespace-selector: the rule, listed again at every run); a saved push writing the same Secrets is updated (which re-aims it). With --dry-run: say what would be saved, and save nothing'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l every -d 'Run a round now and then every DURATION (90s, 30m, 1h30m, 2d; at least 1s) until interrupted, printing only changes and failures' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l only -d 'Run only the saved push with this id (repeatable)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l forget -d 'Forget the saved push with this id (its Secrets stay in the clusters)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l watch -d 'Stay in the foreground watching each context\'s namespaces and our Secrets: a namespace entering a saved push\'s scope gets its Secret, a Secret of ours deleted or edited by someone else is put back; a whole round re-reads the credentials every --every (default 5m) and before a known expiry'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -l list -d 'Show each saved push: its id, what it pushes where, where it is pinned (servers, CA fingerprints, namespaces, kubeconfig files), when it last ran and each target\'s last result'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -l backend -d 'The keychain backend: secret-service, keychain, wincred, pass, keyutils, file or auto (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r -f -a "secret-service\t''
keychain\t''
wincred\t''
pass\t''
keyutils\t''
file\t''
auto\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -s n -l namespace -d 'Namespace to look at (repeatable; default: the context\'s namespace)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -l context -d 'Kubeconfig context (repeatable; default: the current context)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -l kubeconfig -d 'Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)' -r -F
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -s o -l output -d 'wide (adds service accounts, saved-push ids, images and details), json or yaml' -r -f -a "wide\t''
json\t''
yaml\t''"
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -l request-timeout -d 'How long to wait for each API request: 30s, 2m (0 waits as long as the server takes)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -s A -l all-namespaces -d 'Look at every namespace'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -l insecure -d 'Read Secrets even from a cluster reached over plain http:// (other than a loopback port only your uid listens on) or with insecure-skip-tls-verify'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "store" -d 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "get" -d 'Print the credential for the server URL read from stdin, as JSON'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "erase" -d 'Erase the credential for the server URL read from stdin'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "list" -d 'Print every stored server with its username, as JSON (never reads a secret)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "version" -d 'Print the version'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "setup" -d 'Make docker use this helper: set "credsStore": "keyring" (or credHelpers with --registry) in Docker\'s config.json, bringing along every login docker had for those registries (the previous helper\'s, copied and verified, or plaintext ones, imported)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "import" -d 'Move the plaintext credentials in Docker\'s config.json into the keychain (verified), then remove them from the file; or copy podman\'s auth.json (--from) or another credential helper\'s entries (--from-helper)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "doctor" -d 'Check the backend, the keychain, the binary on PATH and Docker\'s config; print the fix for each problem (exit 0 only when healthy)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "backends" -d 'Show each keychain backend: available here or not and why, which one `auto` picks, and what each keeps and for how long'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "push" -d 'Turn stored credentials (or docker\'s, or another helper\'s: --from) into Kubernetes pull secrets (or remove them with --delete)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "sync" -d 'Run every push saved with `push … --save` again, so cluster secrets follow rotated credentials (once, every --every interval, or --watch to heal within seconds); --list and --forget manage them'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "status" -d 'Show what push put in each cluster: every pull Secret\'s registries and whether each is current, stale, expired, missing or unknown, and why a pod cannot pull (with the fix)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version setup import doctor backends completions push sync status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

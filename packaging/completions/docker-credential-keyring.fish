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

complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "store" -d 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "get" -d 'Print the credential for the server URL read from stdin, as JSON'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "erase" -d 'Erase the credential for the server URL read from stdin'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "list" -d 'Print every stored server with its username, as JSON (never reads a secret)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "version" -d 'Print the version'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "man" -d 'Write the man pages into DIR (used to refresh man/)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand store" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand store" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand get" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand get" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand erase" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand erase" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand list" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand list" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand version" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand version" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand completions" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand completions" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand man" -l backend -d 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)' -r
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand man" -s h -l help -d 'Print help'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "store" -d 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "get" -d 'Print the credential for the server URL read from stdin, as JSON'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "erase" -d 'Erase the credential for the server URL read from stdin'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "list" -d 'Print every stored server with its username, as JSON (never reads a secret)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "version" -d 'Print the version'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "man" -d 'Write the man pages into DIR (used to refresh man/)'
complete -c docker-credential-keyring -n "__fish_docker_credential_keyring_using_subcommand help; and not __fish_seen_subcommand_from store get erase list version completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'


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
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the credential for the server URL read from stdin, as JSON')
            [CompletionResult]::new('erase', 'erase', [CompletionResultType]::ParameterValue, 'Erase the credential for the server URL read from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every stored server with its username, as JSON (never reads a secret)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages into DIR (used to refresh man/)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'docker-credential-keyring;store' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;get' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;erase' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;list' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;version' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;completions' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;man' {
            [CompletionResult]::new('--backend', '--backend', [CompletionResultType]::ParameterName, 'The keychain backend (overrides DOCKER_CREDENTIAL_KEYRING_BACKEND and the config file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'docker-credential-keyring;help' {
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Store the credential read as JSON from stdin: {"ServerURL":…,"Username":…,"Secret":…}')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print the credential for the server URL read from stdin, as JSON')
            [CompletionResult]::new('erase', 'erase', [CompletionResultType]::ParameterValue, 'Erase the credential for the server URL read from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Print every stored server with its username, as JSON (never reads a secret)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages into DIR (used to refresh man/)')
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
        'docker-credential-keyring;help;completions' {
            break
        }
        'docker-credential-keyring;help;man' {
            break
        }
        'docker-credential-keyring;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

# Homebrew formula: a TEMPLATE. packaging/manifests.py fills in the version, each release
# archive's URL and its SHA-256 from the release's SHA256SUMS; the filled formula is attached to
# every GitHub release (brew install ./docker-credential-keyring.rb, or copy it into a tap).
# Do not edit the filled copies by hand: change this file.
class DockerCredentialKeyring < Formula
  desc "Docker credential helper on the system keychain, with push to Kubernetes pull secrets"
  homepage "https://github.com/docker-credential-keyring/docker-credential-keyring"
  version "@VERSION@"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    on_arm do
      url "@URL:aarch64-apple-darwin@"
      sha256 "@SHA256:aarch64-apple-darwin@"
    end
    on_intel do
      url "@URL:x86_64-apple-darwin@"
      sha256 "@SHA256:x86_64-apple-darwin@"
    end
  end

  on_linux do
    on_arm do
      url "@URL:aarch64-unknown-linux-gnu@"
      sha256 "@SHA256:aarch64-unknown-linux-gnu@"
    end
    on_intel do
      url "@URL:x86_64-unknown-linux-gnu@"
      sha256 "@SHA256:x86_64-unknown-linux-gnu@"
    end
  end

  def install
    # Homebrew's bin is on PATH, where docker looks for docker-credential-* and kubectl for
    # kubectl-* plugins.
    bin.install "docker-credential-keyring"
    bin.install_symlink "docker-credential-keyring" => "kubectl-keyring"
    man1.install Dir["man/*.1"]
    bash_completion.install "completions/docker-credential-keyring.bash" => "docker-credential-keyring"
    zsh_completion.install "completions/_docker-credential-keyring"
    fish_completion.install "completions/docker-credential-keyring.fish"
  end

  # `brew services start docker-credential-keyring`: run the saved pushes every 30 minutes.
  service do
    run [opt_bin/"docker-credential-keyring", "sync"]
    run_type :interval
    interval 1800
  end

  def caveats
    <<~EOS
      Make docker use the keychain:
        docker-credential-keyring setup
      kubectl finds the same program as `kubectl keyring`.
    EOS
  end

  test do
    assert_match "v#{version}", shell_output("#{bin}/docker-credential-keyring version")
    assert_equal "Usage: docker-credential-keyring <store|get|erase|list|version>\n",
                 shell_output("#{bin}/docker-credential-keyring get extra", 1)
    assert_match "kubectl keyring push", shell_output("#{bin}/kubectl-keyring push --help")
  end
end

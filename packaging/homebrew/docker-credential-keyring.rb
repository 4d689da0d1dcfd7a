# Homebrew formula. Until tagged releases exist it installs the development head:
#   brew install --HEAD ./packaging/homebrew/docker-credential-keyring.rb
# The binary lands in Homebrew's bin (on PATH), where docker looks for docker-credential-*.
class DockerCredentialKeyring < Formula
  desc "Docker credential helper on the macOS Keychain, with push to Kubernetes pull secrets"
  homepage "https://github.com/docker-credential-keyring/docker-credential-keyring"
  head "https://github.com/docker-credential-keyring/docker-credential-keyring.git", branch: "main"
  license any_of: ["MIT", "Apache-2.0"]

  depends_on "rust" => :build

  def install
    system "cargo", "install", *std_cargo_args
    man1.install Dir["man/*.1"]
    bash_completion.install "packaging/completions/docker-credential-keyring.bash" => "docker-credential-keyring"
    zsh_completion.install "packaging/completions/_docker-credential-keyring"
    fish_completion.install "packaging/completions/docker-credential-keyring.fish"
  end

  def caveats
    <<~EOS
      Make docker use the keychain:
        docker-credential-keyring setup
    EOS
  end

  test do
    assert_match "docker-credential-keyring", shell_output("#{bin}/docker-credential-keyring version")
    assert_equal "Usage: docker-credential-keyring <store|get|erase|list|version>\n",
                 shell_output("#{bin}/docker-credential-keyring", 1)
  end
end

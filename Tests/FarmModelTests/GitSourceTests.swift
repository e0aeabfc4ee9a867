import FarmModel
import Foundation
import Testing

/// What a configuration may name as its git source, and which of those a
/// farm fetches.
@Suite struct GitSourceTests {
    @Test(arguments: [
        "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git",
        "git://127.0.0.1:9418/linux.git",
        "ssh://git@example.org/team/linux.git",
        "file:///srv/git/linux.git",
    ])
    func repositoryURLsAreAccepted(_ url: String) {
        #expect(GitSource.urlRule.problem(with: url) == nil)
    }

    @Test(arguments: [
        ("ext::sh -c touch% /tmp/pwned", "must be a URL"),
        ("--upload-pack=touch /tmp/pwned", "must be a URL"),
        ("/srv/git/linux.git", "must be a URL"),
        ("https://example.org/a b", "may contain only"),
        ("https://example.org/linux.git;reboot", "may contain only"),
        ("https:///linux.git", "must name a host"),
        ("file://srv/git/linux.git", "absolute path"),
        ("file:///srv/git/../../etc", "'..' segments"),
        ("https://example.org/%2e%2e/secret", "percent escapes"),
    ])
    func hostileURLsAreRefused(_ url: String, _ problem: String) {
        #expect(GitSource.urlRule.problem(with: url)?.contains(problem) == true, "\(url)")
    }

    @Test func refsAreTagsBranchesOrCommitsNeverOptions() {
        for ref in ["v6.1", "main", "stable/linux-6.1.y", "v6.1-kfarm", "0123456789abcdef0123456789abcdef01234567"] {
            #expect(GitSource.refRule.problem(with: ref) == nil, "\(ref)")
        }
        for ref in ["", "--upload-pack=x", "-x", "a..b", "main.lock", "a//b", "/main", "main/", "a b", "v1;reboot", "refs/.hidden"] {
            #expect(GitSource.refRule.problem(with: ref) != nil, "\(ref)")
        }
        #expect(GitSource(git: "file:///r", ref: "0123456789abcdef0123456789abcdef01234567").isCommit)
        #expect(!GitSource(git: "file:///r", ref: "v6.1").isCommit)
    }

    @Test func aPrefixEndsAtAPathBoundary() {
        let allowed = GitAllowList(["https://git.example.org/linux", "https://mirror.example.org", "file:///srv/git/"])
        #expect(allowed.allows("https://git.example.org/linux"))
        #expect(allowed.allows("https://git.example.org/linux.git"))
        #expect(allowed.allows("https://git.example.org/linux/stable.git"))
        #expect(allowed.allows("https://mirror.example.org/linux.git"))
        #expect(allowed.allows("file:///srv/git/linux.git"))
        #expect(!allowed.allows("https://git.example.org/linux-evil.git"))
        #expect(!allowed.allows("https://git.example.org/linux.gitx"))
        #expect(!allowed.allows("https://mirror.example.org.evil.net/linux.git"))
        #expect(!allowed.allows("https://mirror.example.org@evil.net/linux.git"))
        #expect(!allowed.allows("file:///srv/gitx/linux.git"))
        #expect(!allowed.allows("http://git.example.org/linux.git"))
    }

    @Test func aFarmThatAllowsNothingSaysSo() throws {
        let source = GitSource(git: "https://git.example.org/linux.git", ref: "v6.1")
        let error = #expect(throws: ValidationError.self) { try GitAllowList([]).require(source) }
        #expect(error?.fields["source.git"]?.contains("allows none: --git-allow") == true)
        let elsewhere = #expect(throws: ValidationError.self) { try GitAllowList(["file:///srv/git/"]).require(source) }
        #expect(elsewhere?.fields["source.git"] == "is not allowed: this farm fetches git sources only under: file:///srv/git/")
        try GitAllowList(["https://git.example.org/"]).require(source)
        try GitAllowList([]).require(nil)
    }

    @Test func aSourceReportMustNameTheConfigurationsSource() throws {
        let configured = GitSource(git: "file:///srv/git/linux.git", ref: "main")
        let commit = String(repeating: "ab", count: 20)
        let report = { (git: String, ref: String, commit: String) in
            SourceReport(claim: BuildClaim(workerId: UUID(), attempt: 1), source: BuildSource(git: git, ref: ref, commit: commit))
        }
        try report(configured.git, configured.ref, commit).validate(configured: configured)
        #expect(throws: ValidationError.self) { try report(configured.git, "other", commit).validate(configured: configured) }
        #expect(throws: ValidationError.self) { try report(configured.git, configured.ref, commit).validate(configured: nil) }
        #expect(throws: ValidationError.self) { try report(configured.git, configured.ref, "HEAD").validate(configured: configured) }
    }

    @Test func externalModulesAreNamedOnceAndFromAllowedRepositories() throws {
        let hello = ExternalModule(name: "hello", git: "git://127.0.0.1/hello.git", ref: "v1")
        let request = { (modules: [ExternalModule]) in
            NewConfiguration(name: "c", baseVersion: "6.1", architecture: "x86_64", projectId: UUID(), externalModules: modules)
        }
        try request([hello]).validate()
        let twice = #expect(throws: ValidationError.self) { try request([hello, hello]).validate() }
        #expect(twice?.fields["externalModules[1].name"]?.contains("duplicates") == true)
        let hostile = ExternalModule(name: "../evil", git: "ext::sh -c id", ref: "--upload-pack")
        let refused = #expect(throws: ValidationError.self) { try request([hostile]).validate() }
        #expect(Set(refused?.fields.keys.map { $0 } ?? []) == ["externalModules[0].name", "externalModules[0].git", "externalModules[0].ref"])
        let many = (0...ExternalModule.maxCount).map { ExternalModule(name: "m\($0)", git: hello.git, ref: "v1") }
        #expect(throws: ValidationError.self) { try request(many).validate() }
        let elsewhere = #expect(throws: ValidationError.self) {
            try GitAllowList(["https://git.example.org/"]).require(externalModules: [hello])
        }
        #expect(elsewhere?.fields["externalModules[0].git"]?.hasPrefix("is not allowed") == true)
        try GitAllowList(["git://127.0.0.1/"]).require(externalModules: [hello])
    }
}

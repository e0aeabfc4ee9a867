import FarmModel
import Foundation

/// A kernel tree ready for builds: where it is, what names its exact
/// content for the build cache's key, and the git commit it came from; and
/// the external modules' trees.
public struct CheckedOutSource: Sendable, Equatable {
    /// Read-only to builds, which write only to their own `O=` directory.
    public var tree: URL
    /// e.g. `linux-source-6.1.tar.xz sha256:<hex>`, `git <url> <commit>`.
    public var identity: String
    /// The git source and commit; nil for a source package.
    public var git: BuildSource?
    public var externalModules: [Module] = []

    /// An external module's tree (read-only; builds copy it) and the commit it came from.
    public struct Module: Sendable, Equatable {
        public var name: String
        public var tree: URL
        public var source: BuildSource

        public var used: ExternalModuleSource { ExternalModuleSource(name: name, source: source) }
    }

    public init(tree: URL, identity: String, git: BuildSource? = nil) {
        self.tree = tree
        self.identity = identity
        self.git = git
    }

    /// What the build's key names: the kernel's source, then each module's repository and commit.
    public var fullIdentity: String {
        ([identity] + externalModules.map { "module \($0.name) git \($0.source.git) \($0.source.commit)" }).joined(separator: "\n")
    }
}

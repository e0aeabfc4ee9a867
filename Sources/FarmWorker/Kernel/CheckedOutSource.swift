import FarmModel
import Foundation

/// A kernel tree ready for builds: where it is, what names its exact
/// content for the build cache's key, and the git commit it came from.
public struct CheckedOutSource: Sendable, Equatable {
    /// Read-only to builds, which write only to their own `O=` directory.
    public var tree: URL
    /// e.g. `linux-source-6.1.tar.xz sha256:<hex>`, `git <url> <commit>`.
    public var identity: String
    /// The git source and commit; nil for a source package.
    public var git: BuildSource?

    public init(tree: URL, identity: String, git: BuildSource? = nil) {
        self.tree = tree
        self.identity = identity
        self.git = git
    }
}

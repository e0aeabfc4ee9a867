import FarmModel
import Foundation

/// Where kernel source trees come from. The Debian provider is the first;
/// a tarball or git provider implements the same two questions.
public protocol KernelSourceProvider: Sendable {
    /// The kernel series this provider can build, e.g. `6.1`.
    var series: [String] { get }
    /// The read-only tree for `baseVersion`, nil when this provider has none.
    func tree(for baseVersion: String) -> URL?
    /// The step that makes `tree(for:)` exist (unpacks it once; a no-op after).
    func prepare(for baseVersion: String) -> BuildStep?
}

/// Debian's `linux-source-6.1` package: the tarball in /usr/src is unpacked
/// once into the cache (into a temporary directory, then renamed: builds
/// racing to unpack it agree on one tree) and reused read-only by every
/// build, which writes only to its own `O=` directory.
public struct DebianKernelSource: KernelSourceProvider {
    public let tarballs: URL
    public let cache: URL

    public init(tarballs: URL = URL(fileURLWithPath: "/usr/src"), cache: URL) {
        self.tarballs = tarballs
        self.cache = cache
    }

    public var series: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tarballs.path)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasPrefix("linux-source-"), name.hasSuffix(".tar.xz") else { return nil }
            return String(name.dropFirst("linux-source-".count).dropLast(".tar.xz".count))
        }.sorted()
    }

    public func tree(for baseVersion: String) -> URL? {
        let series = KernelSeries.of(baseVersion)
        guard self.series.contains(series) else { return nil }
        return cache.appendingPathComponent("linux-\(series)").appendingPathComponent("linux-source-\(series)")
    }

    public func prepare(for baseVersion: String) -> BuildStep? {
        guard let tree = tree(for: baseVersion) else { return nil }
        let series = KernelSeries.of(baseVersion)
        let tarball = tarballs.appendingPathComponent("linux-source-\(series).tar.xz")
        let target = tree.deletingLastPathComponent()
        // Arguments, not interpolation: paths never become shell code.
        let script = """
            set -e
            [ -d "$2" ] && exit 0
            mkdir -p "$(dirname "$2")"
            staging=$(mktemp -d "$2.unpacking.XXXXXX")
            tar -xJf "$1" -C "$staging"
            mv -T "$staging" "$2" 2>/dev/null || { [ -d "$2" ] && rm -rf "$staging"; }
            """
        return .run(Command("sh", ["-c", script, "kfarm-unpack", tarball.path, target.path]))
    }
}

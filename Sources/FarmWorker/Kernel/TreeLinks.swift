import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Symbolic links of a tree from elsewhere (a git commit) that lead out of
/// it, or nowhere: the worker reads trees outside the sandbox (Kconfig,
/// Kbuild Makefiles), and a link to a host file would make it read that.
enum TreeLinks {
    /// Paths (relative to `tree`) of links whose real target is outside `tree` or missing.
    static func leadingOut(of tree: URL) -> [String] {
        guard let root = realPath(tree.path),
              let walker = FileManager.default.enumerator(at: tree, includingPropertiesForKeys: [.isSymbolicLinkKey]) else {
            return [tree.path]
        }
        var out: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isSymbolicLinkKey]))?.isSymbolicLink == true {
            if realPath(url.path)?.hasPrefix(root + "/") != true {
                out.append(String(url.path.dropFirst(tree.path.count + 1)))
            }
        }
        return out.sorted()
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

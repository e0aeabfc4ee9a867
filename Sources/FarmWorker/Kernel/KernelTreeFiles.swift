import Foundation

/// The files of a kernel tree a reader wants (its Kconfig files, its Kbuild
/// Makefiles), without descending into the directories it skips, sorted by
/// path so that what is read first never depends on the directory order.
enum KernelTreeFiles {
    /// `skipped` gets a path's components relative to the tree (`["arch", "arm"]`).
    static func files(in tree: URL, skipping skipped: ([Substring]) -> Bool, where wanted: (URL) -> Bool) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: tree, includingPropertiesForKeys: [.isDirectoryKey]) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            if skipped(url.path.dropFirst(tree.path.count + 1).split(separator: "/")) {
                walker.skipDescendants()
            } else if wanted(url) {
                files.append(url)
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}

import Foundation

/// Why Kconfig dropped a symbol: the `depends on` lines of its `config`
/// entry and the `if` blocks it sits in, read from the tree's Kconfig files
/// (the architecture's own and the common ones).
public struct KconfigDependencies: Sendable {
    public let tree: URL
    /// The kernel `ARCH` whose arch/ directory is read; the other architectures' are skipped.
    public let kernelArch: String

    public init(tree: URL, kernelArch: String) {
        self.tree = tree
        self.kernelArch = kernelArch
    }

    /// Each found symbol's conditions: its `depends on` lines and the `if`
    /// blocks around it, in its own Kconfig file and in the files that
    /// source that one (e.g. `["if NETDEVICES", "if NET_CORE"]`). Symbols
    /// not found are absent.
    public func explain(_ symbols: [String]) -> [String: [String]] {
        let wanted = Set(symbols)
        var entries: [String: (file: String, conditions: [String])] = [:]
        var sourcedUnder: [String: (by: String, conditions: [String])] = [:]
        for file in kconfigFiles() {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            let path = String(file.path.dropFirst(tree.path.count + 1))
            var blocks: [String] = []
            var current: String?
            for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                switch words.first {
                case "if"?:
                    blocks.append("if " + (words.count > 1 ? words[1] : ""))
                    current = nil
                case "endif"?:
                    _ = blocks.popLast()
                    current = nil
                case "source"? where words.count > 1:
                    let sourced = words[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        .replacingOccurrences(of: "$(SRCARCH)", with: kernelArch)
                    sourcedUnder[sourced] = (path, blocks)
                    current = nil
                case "config"?, "menuconfig"?:
                    current = words.count > 1 ? words[1] : nil
                    if let symbol = current, wanted.contains(symbol), entries[symbol] == nil { entries[symbol] = (path, blocks) }
                case "depends"? where line.hasPrefix("depends on "):
                    if let symbol = current, wanted.contains(symbol), entries[symbol]?.file == path {
                        entries[symbol]?.conditions.append(line)
                    }
                case "menu"?, "endmenu"?, "choice"?, "endchoice"?, "comment"?:
                    current = nil
                default:
                    break
                }
            }
        }
        return entries.mapValues { entry in
            var conditions = entry.conditions
            var file = entry.file
            var seen: Set<String> = [file]
            while let parent = sourcedUnder[file], seen.insert(parent.by).inserted {
                conditions = parent.conditions + conditions
                file = parent.by
            }
            return conditions
        }
    }

    private func kconfigFiles() -> [URL] {
        let skipped = Set(["Documentation", "tools", "samples", "scripts", "LICENSES"])
        guard let walker = FileManager.default.enumerator(at: tree, includingPropertiesForKeys: [.isDirectoryKey]) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            let relative = url.path.dropFirst(tree.path.count + 1)
            let parts = relative.split(separator: "/")
            if (parts.count == 1 && skipped.contains(String(parts[0])))
                || (parts.count == 2 && parts[0] == "arch" && parts[1] != kernelArch) {
                walker.skipDescendants()
                continue
            }
            if url.lastPathComponent.hasPrefix("Kconfig") { files.append(url) }
        }
        return files
    }
}

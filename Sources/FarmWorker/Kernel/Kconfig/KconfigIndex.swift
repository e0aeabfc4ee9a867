import Foundation

/// The `config` entries of a kernel tree's Kconfig files: each symbol's
/// type, prompt and the conditions it needs — its `depends on` lines, the
/// `depends on` of the menus and choices it sits in, the `if` blocks around
/// it, in its own file and in the files that `source` that one. Help texts
/// are skipped (they are prose, and prose says "if").
struct KconfigIndex: Sendable {
    struct Condition: Sendable, Equatable, CustomStringConvertible {
        enum Kind: String, Sendable { case dependsOn = "depends on", ifBlock = "if" }
        var kind: Kind
        var expression: String

        var description: String { "\(kind.rawValue) \(expression)" }
    }

    struct Entry: Sendable, Equatable {
        var symbol: String
        /// `bool`, `tristate`, `int`, `hex`, `string`; nil when the entry gives none.
        var type: String?
        var prompt: String?
        /// The prompt's own `if` (`bool "Enable the block layer" if EXPERT`).
        var promptCondition: String?
        var conditions: [Condition]
        /// The Kconfig file, relative to the tree.
        var file: String

        /// Whether a person (or a fragment) can choose its value: it has a
        /// prompt. Symbols without one (ARM_AMBA, HAVE_*) only follow from others.
        var isChoosable: Bool { prompt != nil }
    }

    private(set) var entries: [String: Entry] = [:]

    subscript(symbol: String) -> Entry? { entries[symbol] }

    /// Reads the tree's Kconfig files: the common ones and, with `kernelArch`,
    /// only that architecture's (the others define symbols of their own
    /// names); without it every architecture's, first definition kept.
    init(tree: URL, kernelArch: String?) {
        var sourcedUnder: [String: (by: String, conditions: [Condition])] = [:]
        for file in Self.kconfigFiles(tree, kernelArch: kernelArch) {
            guard let text = try? String(contentsOf: file, encoding: .isoLatin1) else { continue }
            let path = String(file.path.dropFirst(tree.path.count + 1))
            var reader = FileReader(path: path, kernelArch: kernelArch ?? "$(SRCARCH)")
            reader.read(text)
            for (symbol, entry) in reader.entries where entries[symbol] == nil { entries[symbol] = entry }
            for (sourced, parent) in reader.sources { sourcedUnder[sourced] = (path, parent) }
        }
        // The conditions of the files that source an entry's file, outermost first.
        for (symbol, entry) in entries {
            var file = entry.file
            var seen: Set<String> = [file]
            var outer: [Condition] = []
            while let parent = sourcedUnder[file], seen.insert(parent.by).inserted {
                outer = parent.conditions + outer
                file = parent.by
            }
            entries[symbol]?.conditions = outer + entry.conditions
        }
    }

    /// One file's entries and `source` lines, with the blocks open at each.
    private struct FileReader {
        let path: String
        let kernelArch: String
        var entries: [String: Entry] = [:]
        var sources: [String: [Condition]] = [:]
        /// Open `if`/`menu`/`choice` blocks and the conditions each adds.
        private var blocks: [[Condition]] = []
        private var current: String?
        /// A menu or choice header whose `depends on` lines belong to its block.
        private var inBlockHeader = false
        private var helpIndent: Int?

        init(path: String, kernelArch: String) {
            self.path = path
            self.kernelArch = kernelArch
        }

        mutating func read(_ text: String) {
            for raw in KbuildSymbols.logicalLines(text) {
                let indent = Self.indentation(raw)
                let line = raw.trimmingCharacters(in: .whitespaces)
                if let helpIndent {
                    if line.isEmpty || indent > helpIndent { continue }
                    self.helpIndent = nil
                }
                if line.isEmpty || line.hasPrefix("#") { continue }
                let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                let rest = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
                switch words[0] {
                case "help", "---help---":
                    helpIndent = indent
                case "if":
                    blocks.append([Condition(kind: .ifBlock, expression: rest)])
                    end()
                case "menu", "choice":
                    blocks.append([])
                    end()
                    inBlockHeader = true
                case "endif", "endmenu", "endchoice":
                    _ = blocks.popLast()
                    end()
                case "source", "rsource", "osource":
                    var sourced = rest.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        .replacingOccurrences(of: "$(SRCARCH)", with: kernelArch)
                    if words[0] == "rsource" { sourced = (path as NSString).deletingLastPathComponent + "/" + sourced }
                    sources[sourced] = blocks.flatMap { $0 }
                    end()
                case "config", "menuconfig":
                    end()
                    current = rest
                    if entries[rest] == nil {
                        entries[rest] = Entry(symbol: rest, type: nil, prompt: nil, promptCondition: nil,
                                              conditions: blocks.flatMap { $0 }, file: path)
                    } else {
                        current = nil  // a second definition in the same file: the first one stands
                    }
                case "comment", "mainmenu":
                    end()
                case "depends" where rest.hasPrefix("on "):
                    let condition = Condition(kind: .dependsOn, expression: String(rest.dropFirst(3)).trimmingCharacters(in: .whitespaces))
                    if let current {
                        entries[current]?.conditions.append(condition)
                    } else if inBlockHeader, !blocks.isEmpty {
                        blocks[blocks.count - 1].append(condition)
                    }
                case "bool", "tristate", "string", "int", "hex", "def_bool", "def_tristate", "boolean":
                    guard let current else { continue }
                    let type = words[0].hasPrefix("def_") ? String(words[0].dropFirst(4)) : words[0] == "boolean" ? "bool" : words[0]
                    if entries[current]?.type == nil { entries[current]?.type = type }
                    if !words[0].hasPrefix("def_") { prompt(rest, for: current) }
                case "prompt":
                    if let current { prompt(rest, for: current) }
                default:
                    break
                }
            }
        }

        private mutating func end() {
            current = nil
            inBlockHeader = false
        }

        /// `"text" [if expr]` after a type or `prompt`.
        private mutating func prompt(_ text: String, for symbol: String) {
            guard text.hasPrefix("\""), let close = text.dropFirst().firstIndex(of: "\"") else { return }
            entries[symbol]?.prompt = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
            if after.hasPrefix("if ") { entries[symbol]?.promptCondition = String(after.dropFirst(3)) }
        }

        /// Columns of leading whitespace, a tab to the next multiple of 8.
        private static func indentation(_ line: String) -> Int {
            var column = 0
            for character in line {
                if character == " " { column += 1 } else if character == "\t" { column = (column / 8 + 1) * 8 } else { break }
            }
            return column
        }
    }

    private static func kconfigFiles(_ tree: URL, kernelArch: String?) -> [URL] {
        let skipped = Set(["Documentation", "tools", "samples", "scripts", "LICENSES"])
        return KernelTreeFiles.files(in: tree, skipping: { parts in
            (parts.count == 1 && skipped.contains(String(parts[0])))
                || (parts.count == 2 && parts[0] == "arch" && kernelArch.map { parts[1] != $0 } == true)
        }, where: { $0.lastPathComponent.hasPrefix("Kconfig") })
    }
}

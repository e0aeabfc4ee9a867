import Foundation

/// Splits a migration file into single statements. PostgreSQL's extended
/// protocol (what PostgresNIO speaks) takes one statement per query, so a
/// file is cut at each `;` outside quotes, dollar-quoted bodies and comments.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var chars = Array(script)[...]

        func take(while keepGoing: (Character) -> Bool) {
            while let c = chars.first, keepGoing(c) {
                current.append(c)
                chars.removeFirst()
            }
        }

        while let c = chars.first {
            if c == "-" && chars.dropFirst().first == "-" {
                // A line comment: dropped.
                while let next = chars.first, next != "\n" { chars.removeFirst() }
            } else if c == "'" || c == "\"" {
                current.append(c)
                chars.removeFirst()
                take(while: { $0 != c })
                if let closing = chars.popFirst() { current.append(closing) }
            } else if c == "$", let tag = dollarTag(at: chars) {
                current.append(contentsOf: tag)
                chars.removeFirst(tag.count)
                while !chars.isEmpty && !chars.starts(with: tag) {
                    current.append(chars.removeFirst())
                }
                if chars.starts(with: tag) {
                    current.append(contentsOf: tag)
                    chars.removeFirst(tag.count)
                }
            } else if c == ";" {
                chars.removeFirst()
                appendTrimmed(current, to: &statements)
                current = ""
            } else {
                current.append(chars.removeFirst())
            }
        }
        appendTrimmed(current, to: &statements)
        return statements
    }

    /// `$$` or `$tag$` starting at the front of `chars`.
    private static func dollarTag(at chars: ArraySlice<Character>) -> [Character]? {
        var tag: [Character] = ["$"]
        for c in chars.dropFirst() {
            if c == "$" { return tag + ["$"] }
            guard c.isLetter || c.isNumber || c == "_" else { return nil }
            tag.append(c)
        }
        return nil
    }

    private static func appendTrimmed(_ statement: String, to statements: inout [String]) {
        let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { statements.append(trimmed) }
    }
}

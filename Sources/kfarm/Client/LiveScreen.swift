import Foundation

/// A block of lines redrawn in place on a terminal: each draw moves up over
/// the lines drawn last time, clears them and writes the new ones, each
/// cut to the terminal's width so the count of lines stays true.
struct LiveScreen {
    private var drawn = 0

    mutating func draw(_ lines: [String]) {
        var text = drawn > 0 ? "\u{1B}[\(drawn)F\u{1B}[J" : ""
        let width = Self.terminalWidth()
        for line in lines { text += Self.fitted(line, to: width) + "\n" }
        FileHandle.standardOutput.write(Data(text.utf8))
        drawn = lines.count
    }

    private static func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    /// A line no wider than the terminal (escape codes take no columns), so a redraw knows how many lines it drew.
    private static func fitted(_ line: String, to width: Int) -> String {
        var visible = 0
        var inEscape = false
        var result = ""
        for character in line {
            if character == "\u{1B}" { inEscape = true }
            if !inEscape {
                if visible == width - 1 { return result + "\u{1B}[0m" }
                visible += 1
            }
            result.append(character)
            if inEscape && character.isLetter { inEscape = false }
        }
        return result
    }
}

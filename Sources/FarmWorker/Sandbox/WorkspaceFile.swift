import FarmMachine
import Foundation

extension Command {
    /// Writes `lines` into `file`, making its directory: how the worker puts
    /// a file into directories the build owns. Run as a build step, in the
    /// sandbox, where a link the build left there leads nowhere on the host.
    public static func writeLines(_ lines: [String], to file: URL) -> Command {
        Command("sh", ["-c", #"file=$1; shift; mkdir -p "${file%/*}" && printf '%s\n' "$@" > "$file""#, "kfarm-write", file.path]
            + lines)
    }
}

/// What one `CONFIG_SYMBOL=value` assignment may say, wherever it comes
/// from (a stored .config, a module parameter naming a Kconfig option, the
/// worker's fragment). Kconfig copies string values unquoted into
/// `include/config/auto.conf`, which make and shell scripts then expand, so
/// a string is data only if it holds nothing make or a shell interprets.
/// And some options make the build read files of its own choosing: those
/// may only name files inside the build's own trees.
public enum KconfigAssignment {
    /// Options whose string names files the build reads (and may pack into
    /// the image). Empty or relative paths without `..` only: relative paths
    /// resolve inside the source tree or the build's output directory.
    public static let hostFileSymbols: Set<String> = [
        "INITRAMFS_SOURCE",            // packed into the image's built-in initramfs
        "EXTRA_FIRMWARE",              // firmware blobs built into the image
        "EXTRA_FIRMWARE_DIR",          // where EXTRA_FIRMWARE is read from
        "SYSTEM_TRUSTED_KEYS",         // certificates built into the kernel's keyring
        "SYSTEM_REVOCATION_KEYS",
        "SYSTEM_BLACKLIST_HASH_LIST",
        "MODULE_SIG_KEY",              // the module signing key (a PKCS#11 URI or a file)
        "UNUSED_KSYMS_WHITELIST",      // a symbol list read at link time
        "EFI_SBAT_FILE",               // read into the EFI stub (newer kernels)
        "BOOT_CONFIG_EMBED_FILE",      // copied into the image (lib/Makefile)
        "CFG80211_EXTRA_REGDB_KEYDIR", // every *.x509 in it built into the kernel
        "ACPI_CUSTOM_DSDT_FILE",       // #included into the ACPI tables (x86)
        "BUILTIN_DTB_SOURCE",          // device trees built into the image (some architectures)
        "SOC_CANAAN_K210_DTB_SOURCE", "NIOS2_DTB_SOURCE", "OPENRISC_BUILTIN_DTB", "ARC_BUILTIN_DTB_NAME",
    ]

    /// Characters a string value may not hold: what starts an expansion in
    /// make or a shell, quotes and escapes, make's comment sign, and what
    /// ends a shell command.
    public static let forbiddenInStrings: Set<Unicode.Scalar> = ["$", "`", "\\", "\"", "'", "#", ";", "&", "|", "<", ">"]

    /// The same, as a message names them.
    public static let forbiddenList = forbiddenInStrings.map(String.init).sorted().joined(separator: " ")

    /// Why `CONFIG_<symbol>=<value>` cannot be built, or nil.
    public static func problem(symbol: some StringProtocol, value: some StringProtocol) -> String? {
        let (symbol, value) = (String(symbol), String(value))
        guard isSymbol(symbol) else { return "\(symbol.prefix(40)) is not a Kconfig symbol name" }
        if ["y", "m", "n"].contains(value) || Int(value) != nil { return nil }
        if value.hasPrefix("0x"), value.count > 2, UInt64(value.dropFirst(2), radix: 16) != nil { return nil }
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
            return "CONFIG_\(symbol) has a value Kconfig does not write: \(value.prefix(40))"
        }
        let text = value.dropFirst().dropLast()
        if let bad = text.unicodeScalars.first(where: { forbiddenInStrings.contains($0) || !(0x20...0x7E).contains($0.value) }) {
            let shown = (0x21...0x7E).contains(bad.value) ? "'\(bad)'" : "U+\(String(bad.value, radix: 16, uppercase: true))"
            return "CONFIG_\(symbol)'s string holds \(shown): strings may not hold control characters or \(forbiddenList)"
        }
        if hostFileSymbols.contains(symbol), let problem = hostFileProblem(String(text)) {
            return "CONFIG_\(symbol) names files the build reads: \(problem)"
        }
        return nil
    }

    /// Letters, digits and `_`, at most 100 characters: Kconfig's own
    /// symbols are mostly upper case, but not all (`FONT_8x16`, `40x`).
    public static func isSymbol(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.count <= 100 && text.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "_" }
    }

    /// Space-separated relative paths without `..` segments (or nothing).
    private static func hostFileProblem(_ text: String) -> String? {
        for path in text.split(separator: " ") {
            if path.hasPrefix("/") || path.hasPrefix("~") {
                return "\(path.prefix(60)) is outside the build (only paths relative to its own trees)"
            }
            if path.split(separator: "/").contains("..") { return "\(path.prefix(60)) climbs out with '..'" }
        }
        return nil
    }
}

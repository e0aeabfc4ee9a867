import Foundation

/// A distribution's package format a build can add beside its tarball
/// (`options.packages`): `deb` is the kernel's own `make bindeb-pkg`.
public enum PackageFormat: String, CaseIterable, Codable, Sendable {
    case deb

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let format = PackageFormat(rawValue: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be one of: \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = format
    }

    /// `linux-image-6.1.158_6.1.158-1_amd64.deb`: Debian's package file names, as bindeb-pkg writes them.
    public static let fileNameRule = FieldRule { value in
        let valid = (5...200).contains(value.count) && value.hasSuffix(".deb") && !value.hasPrefix(".")
            && value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "+-.~_".unicodeScalars.contains($0) }
        return valid ? nil : "must be a Debian package file name: letters, digits and + - . ~ _, ending in .deb"
    }
}

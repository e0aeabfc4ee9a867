import Foundation

/// What `PUT /kernels/{series}/catalog` answers: the series' catalog as
/// stored now. Publishing the same body again changes nothing (`changed`
/// false, `publishedAt` as before).
public struct CatalogPublication: Codable, Sendable, Equatable {
    public var series: String
    /// How many modules the catalog has.
    public var modules: Int
    /// Of the published body's bytes, hex.
    public var sha256: String
    public var publishedAt: Date
    public var changed: Bool

    public init(series: String, modules: Int, sha256: String, publishedAt: Date, changed: Bool) {
        self.series = series
        self.modules = modules
        self.sha256 = sha256
        self.publishedAt = publishedAt
        self.changed = changed
    }
}

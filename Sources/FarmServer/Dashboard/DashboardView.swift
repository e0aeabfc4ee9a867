import FarmModel
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the dashboard's pages: Mustache templates (one layout, a
/// template per page) over the API's data, plus its stylesheet and script.
/// Every page is complete HTML; the script only makes the live parts live.
struct DashboardView: Sendable {
    let library: MustacheLibrary
    /// The static files by name, with their content types.
    let assets: [String: (type: String, bytes: ByteBuffer)]

    static func bundled() throws -> DashboardView {
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil),
              let statics = Bundle.module.url(forResource: "Static", withExtension: nil) else {
            throw DashboardError.missingResources
        }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]
        var assets: [String: (String, ByteBuffer)] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: statics.path) {
            guard let type = types[(file as NSString).pathExtension] else { continue }
            assets[file] = (type, ByteBuffer(data: try Data(contentsOf: statics.appendingPathComponent(file))))
        }
        return DashboardView(library: library, assets: assets)
    }

    enum DashboardError: Error { case missingResources }

    /// `template` rendered in the layout, for `user`, with `values`.
    func page(_ template: String, title: String, user: User?, _ values: [String: Any] = [:],
              status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var object = values
        object["title"] = title
        object["section_\(template.split(separator: "-").first ?? "")"] = true
        if let user { object["user"] = ["username": user.username, "role": user.role.rawValue] }
        var fields = Self.securityHeaders
        fields[.contentType] = "text/html; charset=utf-8"
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: ByteBuffer(string: library.render(object, withTemplate: template) ?? "")))
    }

    /// An error as a page, with the API's status and message (a hidden build is "not found" here too).
    func error(_ error: APIError, user: User?) -> Response {
        page("error", title: "\(error.status.code) \(error.status.reasonPhrase)", user: user,
             ["status": error.status.code, "reason": error.status.reasonPhrase, "message": error.message], status: error.status)
    }

    /// A static file, or nil.
    func asset(_ name: String) -> Response? {
        guard let (type, bytes) = assets[name] else { return nil }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: bytes))
    }

    /// Pages load only this server's script and style, cannot be framed, and say nothing of themselves to other sites.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]
}

import FarmStore
import Foundation
import HTTPTypes

/// The dashboard's session cookie: HttpOnly (scripts cannot read it),
/// SameSite=Strict (other sites' pages cannot send it), scoped to `/ui`.
enum DashboardCookie {
    static let name = "kfarm_session"

    /// The session secret the request's Cookie header carries, if any.
    static func secret(in headers: HTTPFields) -> TokenSecret? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return TokenSecret(value: parts[1].trimmingCharacters(in: .whitespaces))
                }
            }
        }
        return nil
    }

    /// Sets the session for `lifetime`; `secure` when the browser reached the farm over HTTPS.
    static func set(_ secret: TokenSecret, lifetime: TimeInterval, secure: Bool) -> String {
        "\(name)=\(secret.value); Path=/ui; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Tells the browser to forget the session.
    static let cleared = "\(name)=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict"
}

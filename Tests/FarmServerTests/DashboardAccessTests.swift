import FarmModel
@testable import FarmServer
import FarmStore
import FarmTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Testing

/// Issue 17's dashboard, server side: signing in and out with a session
/// cookie, and every page's access rules, which are the API's (another
/// project's build page is a 404, a page without a session asks to sign in).
@Suite struct DashboardAccessTests {
    typealias Caller = AuthorizationMatrixTests.Caller

    /// Signs `token` in through the form; the reply and the session cookie it set.
    static func signIn(_ api: API, token: String, next: String = "/ui") async throws -> (Reply, String?) {
        let reply = try await api.send(.post, "/ui/login", headers: [.contentType: "application/x-www-form-urlencoded"],
                                       body: "token=\(token)&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        let cookie = reply.headers[.setCookie]?.split(separator: ";").first.map(String.init)
        return (reply, cookie)
    }

    static func page(_ api: API, _ path: String, cookie: String?) async throws -> (Reply, String) {
        var headers: HTTPFields = [:]
        if let cookie { headers[.cookie] = cookie }
        let reply = try await api.send(.get, path, headers: headers)
        return (reply, String(decoding: reply.body, as: UTF8.self))
    }

    @Test func signingInSetsAStrictHttpOnlyCookieAndSigningOutEndsTheSession() async throws {
        try await withAPI { api, fixtures in
            let person = try await fixtures.account()
            let (reply, cookie) = try await Self.signIn(api, token: person.token, next: "/ui/builds?status=queued")
            #expect(reply.status == .seeOther && reply.headers[.location] == "/ui/builds?status=queued")
            let setCookie = try #require(reply.headers[.setCookie])
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=43200"] {
                #expect(setCookie.contains(attribute), "\(setCookie) lacks \(attribute)")
            }
            #expect(!setCookie.contains(person.token), "the token itself never becomes the cookie")
            let (home, html) = try await Self.page(api, "/ui", cookie: cookie)
            #expect(home.status == .ok && home.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(html.contains(person.user.username) && html.contains("Sign out"))
            #expect(home.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("frame-ancestors 'none'") == true)

            let out = try await api.send(.post, "/ui/logout", headers: [.cookie: cookie!])
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            let (after, _) = try await Self.page(api, "/ui", cookie: cookie)
            #expect(after.status == .seeOther && after.headers[.location] == "/ui/login?next=/ui", "a closed session is gone")
        }
    }

    @Test func onlyAValidPersonsTokenSignsInAndASessionEndsWithItsToken() async throws {
        try await withAPI { api, fixtures in
            let person = try await fixtures.account()
            let (worker, _) = try await fixtures.workerToken()
            for refused in [worker, "kfarm_" + String(repeating: "x", count: 43), "", "not a token"] {
                let (reply, cookie) = try await Self.signIn(api, token: refused)
                #expect(reply.status == .unauthorized && cookie == nil, "\(refused) signed in")
                #expect(String(decoding: reply.body, as: UTF8.self).contains("not a valid personal token"))
            }
            let (_, cookie) = try await Self.signIn(api, token: person.token)
            #expect(try await Self.page(api, "/ui/builds", cookie: cookie).0.status == .ok)
            let tokens = try await fixtures.store.users.tokens(of: person.user.id)
            _ = try await fixtures.store.users.revokeToken(try #require(tokens.first).id, of: person.user.id, by: nil)
            #expect(try await Self.page(api, "/ui/builds", cookie: cookie).0.status == .seeOther, "revoking the token ends its sessions")
            // Cookies never stand for a token on the API, nor tokens for a session on the dashboard.
            let (_, other) = try await Self.signIn(api, token: try await fixtures.account().token)
            #expect(try await api.send(.get, "/builds", headers: [.cookie: other!]).status == .unauthorized)
            let bearer = try await api.send(.get, "/ui/builds", headers: [.authorization: person.authorization])
            #expect(bearer.status == .seeOther)
        }
    }

    @Test func formsFromOtherSitesAndRedirectsToOtherSitesAreRefused() async throws {
        try await withAPI { api, fixtures in
            let person = try await fixtures.account()
            let forged = try await api.send(.post, "/ui/login", headers: [
                .contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example",
            ], body: "token=\(person.token)")
            #expect(forged.status == .forbidden && forged.headers[.setCookie] == nil)
            for next in ["https://evil.example/", "//evil.example/ui", "/ui\\@evil.example", "/elsewhere"] {
                let (reply, _) = try await Self.signIn(api, token: person.token, next: next)
                #expect(reply.headers[.location] == "/ui", "\(next) was followed")
            }
        }
    }

    @Test func signOutFromAnotherSiteIsRefusedAndHTTPSBehindAProxyMakesTheCookieSecure() async throws {
        try await withAPI { api, fixtures in
            let person = try await fixtures.account()
            let (_, cookie) = try await Self.signIn(api, token: person.token)
            let forged = try await api.send(.post, "/ui/logout", headers: [.cookie: cookie!, .origin: "https://evil.example"])
            #expect(forged.status == .forbidden)
            #expect(try await Self.page(api, "/ui", cookie: cookie).0.status == .ok, "the session survived")
            let proxied = try await api.send(.post, "/ui/login", headers: [
                .contentType: "application/x-www-form-urlencoded", .origin: "https://Farm.Example",
                HTTPField.Name("X-Forwarded-Host")!: "farm.example", HTTPField.Name("X-Forwarded-Proto")!: "https",
                .cookie: cookie!,
            ], body: "token=\(person.token)")
            #expect(proxied.status == .seeOther && proxied.headers[.setCookie]?.hasSuffix("; Secure") == true)
            #expect(try await Self.page(api, "/ui", cookie: cookie).0.status == .seeOther, "signing in again ended the old session")
        }
    }

    @Test func whatPagesShowIsEscaped() async throws {
        let view = try DashboardView.bundled()
        let response = view.error(APIError(status: .badRequest, code: .validationError, message: "<script>alert(1)</script>\"'"),
                                  user: nil)
        let page = BodyCollector()
        try await response.body.write(page.writer)
        let html = String(buffer: page.buffer)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"))
        try await withAPI { api, fixtures in
            let (_, cookie) = try await Self.signIn(api, token: try await fixtures.account().token)
            let (reply, body) = try await Self.page(api, "/ui/builds/%3Cscript%3Ealert(1)%3C%2Fscript%3E", cookie: cookie)
            #expect(reply.status == .badRequest || reply.status == .notFound)
            #expect(!body.contains("<script>alert"))
        }
    }

    @Test func everyPageFollowsTheAPIsAccessRules() async throws {
        let shelf = try ArtifactShelf.forTests()
        try await withAPI(shelf: shelf) { api, fixtures in
            let scenario = try await AuthorizationMatrixTests.Scenario.make(fixtures, shelf: shelf)
            let build = try await scenario.queuedBuild()
            let (artifact, other) = (try await scenario.artifact(), try await scenario.artifact())
            let deployment = try await scenario.deployment()
            let system = try await scenario.system()
            // Each page, with what a member of the project must find on it.
            let projectPages: [(String, String)] = [
                ("/ui/builds/\(build.id.lowercased)", build.buildNumber),
                ("/ui/artifacts/\(artifact.id.lowercased)",
                 "<dt>Debian package</dt><dd><code>\(AuthorizationMatrixTests.Scenario.packageName)</code>"),
                ("/ui/artifacts/\(artifact.id.lowercased)/diff?against=\(other.id.lowercased)", other.name),
                ("/ui/deployments/\(deployment.id.lowercased)", deployment.targetSystems[0].name),
                ("/ui/deployments/\(deployment.id.lowercased)/status", deployment.id.lowercased),
                ("/ui/systems/\(system.id.lowercased)", system.name),
            ]
            let listings: [(String, String)] = [
                ("/ui", "Queue"), ("/ui/workers", "Workers"), ("/ui/builds", build.buildNumber),
                ("/ui/artifacts", artifact.name), ("/ui/deployments", deployment.id.lowercased), ("/ui/systems", system.name),
            ]
            var mismatches: [String] = []
            for caller in [Caller.viewer, .developer, .releaseManager, .projectAdmin, .farmAdmin, .otherProjectMember] {
                let (_, cookie) = try await Self.signIn(api, token: scenario.accounts[caller]!.token)
                for (path, content) in projectPages + listings {
                    let (reply, body) = try await Self.page(api, path, cookie: cookie)
                    let member = caller != .otherProjectMember
                    let isListing = listings.contains { $0.0 == path }
                    if member || isListing {
                        if reply.status != .ok { mismatches.append("\(caller) \(path): \(reply.status)") }
                        // (A farm admin's listings hold the whole shared test farm, past their first page.)
                        if member && !(isListing && caller == .farmAdmin) && !body.contains(content) {
                            mismatches.append("\(caller) \(path) lacks \(content)")
                        }
                    } else {
                        if reply.status != .notFound { mismatches.append("\(caller) \(path): \(reply.status), want 404") }
                        if body.contains(content) && !path.contains(content) { mismatches.append("\(caller) \(path) shows \(content)") }
                    }
                }
            }
            for (path, _) in projectPages + listings {
                let (reply, _) = try await Self.page(api, path, cookie: nil)
                // What scripts fetch (a deployment's status) answers as the API does: 401.
                if path.hasSuffix("/status") {
                    if reply.status != .unauthorized { mismatches.append("no session \(path): \(reply.status), want 401") }
                } else if reply.status != .seeOther || reply.headers[.location]?.hasPrefix("/ui/login?next=") != true {
                    mismatches.append("no session \(path): \(reply.status) \(reply.headers[.location] ?? "")")
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }

    @Test func aBuildsLiveLogStreamsWithTheSessionOnlyToItsProject() async throws {
        let shelf = try ArtifactShelf.forTests()
        try await withAPI(shelf: shelf) { api, fixtures in
            let scenario = try await AuthorizationMatrixTests.Scenario.make(fixtures, shelf: shelf)
            let build = try await scenario.queuedBuild()
            _ = try await fixtures.store.builds.cancel(build.id, by: scenario.accounts[.developer]!.user.id)
            let path = "/ui/builds/\(build.id.lowercased)/events"
            let (_, viewer) = try await Self.signIn(api, token: scenario.accounts[.viewer]!.token)
            let (stream, text) = try await Self.page(api, path, cookie: viewer)
            #expect(stream.status == .ok && stream.headers[.contentType] == "text/event-stream")
            #expect(text.contains("event: status") && text.contains("\"cancelled\"") && text.contains("event: end"))
            let (_, outsider) = try await Self.signIn(api, token: scenario.accounts[.otherProjectMember]!.token)
            #expect(try await Self.page(api, path, cookie: outsider).0.status == .notFound)
        }
    }
}

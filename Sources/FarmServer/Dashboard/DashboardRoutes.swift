import FarmModel
import FarmStore
import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard under `/ui`: sign-in with a token (exchanged for a session
/// cookie), and pages for the queue, workers, builds (with the live log),
/// artifacts (provenance, lineage, `.config` diff), deployments (live
/// targets) and systems. Pages read through the API's endpoints as the
/// signed-in person, so the role matrix applies unchanged.
struct DashboardRoutes {
    let store: Store
    /// The queue's figures: the farm-wide count `/metrics` serves too.
    let census: FarmCensus
    let api: APIView
    let view: DashboardView
    /// How long a session lasts (its token's revocation or expiry ends it sooner).
    var sessionLifetime: TimeInterval = 12 * 3600

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/ui/login", .session) { request, context in
                view.page("login", title: "Sign in", user: nil, ["next": Self.next(request.uri.queryParameters["next"].map(String.init))])
            },
            Endpoint(.post, "/ui/login", .session) { request, context in try await signIn(request, context) },
            Endpoint(.post, "/ui/logout", .session) { request, context in
                try Self.sameOrigin(request)
                if let secret = DashboardCookie.secret(in: request.headers) { try await store.sessions.close(secret) }
                return Self.redirect("/ui/login", setCookie: DashboardCookie.cleared)
            },
            Endpoint(.get, "/ui/static/:file", .session) { _, context in
                guard let file = context.parameters.get("file"), let asset = view.asset(file) else {
                    throw APIError.notFound("file", context.parameters.get("file") ?? "")
                }
                return asset
            },
            page(.get, "/ui", "overview", title: "Queue") { request, context in
                let census = try await census.current()
                let queue = Architecture.allCases.map { architecture in
                    var row: [String: Any] = ["architecture": architecture.rawValue]
                    for priority in BuildPriority.allCases {
                        row[priority.rawValue] = Int(census[.queued][[architecture.rawValue, priority.rawValue]] ?? 0)
                    }
                    return row
                }
                let builds = BuildStatus.allCases.map { ["status": $0.rawValue, "count": Int(census[.builds][[$0.rawValue]] ?? 0)] }
                return ["queue": queue, "builds": builds,
                        "workers": try await api.data("GET /workers", request, context)["workers"] ?? []]
            },
            page(.get, "/ui/workers", "workers", title: "Workers") { request, context in
                try await api.data("GET /workers", request, context)
            },
            page(.get, "/ui/builds", "builds", title: "Builds") { request, context in
                var data = try await api.data("GET /builds", request, context)
                data["filter"] = Self.filter(request, choices: ["status": BuildStatus.allCases.map(\.rawValue), "arch": architectures],
                                             texts: ["config"])
                return data
            },
            page(.get, "/ui/builds/:id", "build", title: "Build") { request, context in
                var data = try await api.data("GET /builds/:id", request, context)
                data["log"] = try await api.data("GET /builds/:id/logs", request, context)
                return data
            },
            Endpoint(.get, "/ui/builds/:id/events", .session) { request, context in
                try await api.response("GET /builds/:id/events", request, context)
            },
            page(.get, "/ui/artifacts", "artifacts", title: "Artifacts") { request, context in
                var data = try await api.data("GET /artifacts", request, context)
                data["filter"] = Self.filter(request, choices: ["arch": architectures], texts: ["config", "kernelRelease"])
                return data
            },
            page(.get, "/ui/artifacts/:id", "artifact", title: "Artifact") { request, context in
                var data = try await api.data("GET /artifacts/:id", request, context)
                // The signed statement, decoded and indented for reading (the bytes signed are the API's `statement`).
                if var signature = data["signature"] as? [String: Any], let statement = signature["statement"] as? String,
                   let decoded = Data(base64Encoded: statement), let object = try? JSONSerialization.jsonObject(with: decoded),
                   let readable = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
                    signature["statementText"] = String(decoding: readable, as: UTF8.self)
                    data["signature"] = signature
                }
                data["lineage"] = try await api.data("GET /artifacts/:id/lineage", request, context)
                return data
            },
            page(.get, "/ui/artifacts/:id/diff", "artifact-diff", title: ".config diff") { request, context in
                try await api.data("GET /artifacts/:id/diff", request, context)
            },
            page(.get, "/ui/deployments", "deployments", title: "Deployments") { request, context in
                var data = try await api.data("GET /deployments", request, context)
                data["filter"] = Self.filter(request, choices: ["status": DeploymentStatus.allCases.map(\.rawValue)],
                                             texts: ["system"])
                return data
            },
            page(.get, "/ui/deployments/:id", "deployment", title: "Deployment") { request, context in
                try await api.data("GET /deployments/:id", request, context)
            },
            Endpoint(.get, "/ui/deployments/:id/status", .session) { request, context in
                try await api.response("GET /deployments/:id", request, context)
            },
            page(.get, "/ui/systems", "systems", title: "Systems") { request, context in
                var data = try await api.data("GET /systems", request, context)
                data["filter"] = Self.filter(request, choices: ["status": TargetSystem.Status.allCases.map(\.rawValue), "arch": architectures],
                                             texts: ["label"])
                return data
            },
            page(.get, "/ui/systems/:id", "system", title: "System") { request, context in
                var data = try await api.data("GET /systems/:id", request, context)
                data["history"] = try await api.data("GET /systems/:id/history", request, context)["history"] ?? []
                return data
            },
        ]
    }

    /// A page for a signed-in person: without a session the browser is sent
    /// to sign in (and back); a refusal or a failure is a page with the API's status and message.
    private func page(_ method: HTTPRequest.Method, _ path: String, _ template: String, title: String,
                      _ load: @escaping @Sendable (Request, FarmRequestContext) async throws -> [String: Any]) -> Endpoint {
        Endpoint(method, path, .session) { [view] request, context in
            guard let user = context.user, context.tokenKind == .user else {
                return Self.redirect("/ui/login?next=" + Self.escaped(request.uri.description))
            }
            do {
                var data = try await load(request, context)
                data["pager"] = Self.pager(data["pagination"], request)
                return view.page(template, title: title, user: user, data)
            } catch {
                return view.error(ErrorMiddleware<FarmRequestContext>.translate(error), user: user)
            }
        }
    }

    /// Exchanges a person's token for a session cookie.
    private func signIn(_ request: Request, _ context: FarmRequestContext) async throws -> Response {
        try Self.sameOrigin(request)
        let form = try await FormFields(request, context: context)
        let next = Self.next(form["next"])
        guard let opened = try await store.sessions.open(with: TokenSecret(value: form["token"]?.trimmingCharacters(in: .whitespaces) ?? ""),
                                                         users: store.users, lifetime: sessionLifetime) else {
            return view.page("login", title: "Sign in", user: nil,
                             ["next": next, "problem": "That is not a valid personal token (kfarm admin create-token NAME prints one)."],
                             status: .unauthorized)
        }
        // A browser signing in again leaves no session behind.
        if let earlier = DashboardCookie.secret(in: request.headers) { try await store.sessions.close(earlier) }
        let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
        return Self.redirect(next, setCookie: DashboardCookie.set(opened.secret, lifetime: sessionLifetime, secure: secure))
    }

    /// Where to go after signing in: a dashboard path only (never another site).
    static func next(_ requested: String?) -> String {
        guard let requested, requested.hasPrefix("/ui"), !requested.hasPrefix("//"), !requested.contains("\\"),
              requested.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return "/ui" }
        return requested
    }

    /// A form posted from another site's page is refused (SameSite=Strict
    /// already keeps the cookie from it): the Origin must name the host the
    /// browser asked, as it reached this server or as a proxy says it did
    /// (a page of another site cannot set X-Forwarded-Host on its form).
    static func sameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        let hosts = [request.head.authority, request.headers[HTTPField.Name("X-Forwarded-Host")!]]
            .compactMap { $0?.lowercased() }
        guard let url = URL(string: origin), let host = url.host?.lowercased() else {
            throw APIError.forbidden("this form must be sent from the dashboard's own pages")
        }
        let named = host.contains(":") ? "[\(host)]" : host
        let candidates = url.port.map { ["\(named):\($0)"] } ?? [named, "\(named):\(url.scheme == "https" ? 443 : 80)"]
        guard candidates.contains(where: hosts.contains) else {
            throw APIError.forbidden("this form must be sent from the dashboard's own pages")
        }
    }

    private static func redirect(_ location: String, setCookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let setCookie { headers[.setCookie] = setCookie }
        return Response(status: .seeOther, headers: headers)
    }

    private static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-._~"))) ?? "/ui"
    }

    private var architectures: [String] { Architecture.allCases.map(\.rawValue) }

    /// The listing's filter form as the request left it: each choice's
    /// options (`<name>Options`, the chosen one selected) and each text field's value.
    private static func filter(_ request: Request, choices: [String: [String]], texts: [String]) -> [String: Any] {
        var filter: [String: Any] = [:]
        for (name, values) in choices {
            let chosen = request.uri.queryParameters[Substring(name)].map(String.init)
            filter[name + "Options"] = values.map { ["value": $0, "selected": $0 == chosen] }
            filter[name] = chosen
        }
        for name in texts { filter[name] = request.uri.queryParameters[Substring(name)].map(String.init) }
        return filter
    }

    /// Previous and next links for a listing's `pagination`, keeping the request's filters.
    static func pager(_ pagination: Any?, _ request: Request) -> [String: Any]? {
        guard let pagination = pagination as? [String: Any], let page = pagination["page"] as? Int,
              let pages = pagination["pages"] as? Int, pages > 1 else { return nil }
        let link = { (target: Int) -> String in
            var parameters = request.uri.queryParameters.filter { $0.key != "page" }.map { "\($0.key)=\(Self.escaped(String($0.value)))" }
            parameters.append("page=\(target)")
            return request.uri.path + "?" + parameters.sorted().joined(separator: "&")
        }
        var pager: [String: Any] = ["page": page, "pages": pages, "total": pagination["total"] ?? 0]
        if page > 1 { pager["previous"] = link(page - 1) }
        if page < pages { pager["next"] = link(page + 1) }
        return pager
    }
}

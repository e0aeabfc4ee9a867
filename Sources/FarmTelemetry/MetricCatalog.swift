/// Every metric a kfarm process exposes, with its help text: `/metrics`
/// prints the text as `# HELP` (swift-metrics has no place for it), and
/// Hummingbird's request metrics get Prometheus's names (base units, `_total`).
public enum MetricCatalog {
    /// Hummingbird's swift-metrics labels → the names Prometheus's conventions give them.
    static let renamed: [String: String] = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
    ]

    public static let help: [String: String] = [
        // HTTP (the API, by route, method and status)
        "http_server_requests_total": "HTTP requests answered, by route, method and status code.",
        "http_server_request_errors_total": "HTTP requests that ended in an error thrown past the handlers.",
        "http_server_request_duration_seconds": "Time to answer an HTTP request (to its headers, for streams), by route, method and status code.",
        "http_server_active_requests": "HTTP requests being answered now, by method.",
        // The farm, counted from PostgreSQL when /metrics is read
        "kfarm_builds": "Builds by status.",
        "kfarm_queue_depth": "Queued builds by architecture and priority.",
        "kfarm_outbox_backlog": "Outbox messages not yet published to the broker.",
        "kfarm_outbox_oldest_age_seconds": "Age of the oldest unpublished outbox message (0 when none).",
        "kfarm_workers": "Registered workers by architecture served and state (idle, busy, offline).",
        "kfarm_artifact_stored_bytes": "Bytes of artifact tarballs in the store.",
        "kfarm_deployments": "Deployments by status.",
        "kfarm_deployment_targets": "Deployment targets by status.",
        // What the API process saw
        "kfarm_build_submit_to_claim_seconds": "From a build's submission to a worker's claim of its first attempt (the database's clock), by architecture.",
        "kfarm_build_stage_duration_seconds": "Duration of completed build stages as the recorder saw them (stages reported started and completed in one batch are left out), by architecture and stage.",
        "kfarm_recorder_lag_seconds": "From a worker sending an event batch to the recorder committing it.",
        "kfarm_recorder_refused_batches_total": "Event batches the recorder refused (malformed, or for another worker's build).",
        "kfarm_build_event_followers": "Open build-event streams (GET /builds/{id}/events).",
        "kfarm_artifact_served_bytes_total": "Artifact bytes answered to downloads (whole or ranges).",
        // A build worker's own (--metrics-port)
        "kfarm_worker_builds_total": "Build attempts this worker ended, by architecture and ending.",
        "kfarm_worker_stage_duration_seconds": "Duration of the stages this worker completed, by architecture and stage.",
        "kfarm_worker_uploaded_bytes_total": "Artifact bytes this worker uploaded.",
        "kfarm_worker_spool_backlog_attempts": "Build attempts whose events the broker has not yet all confirmed.",
        // A deployment agent's own (--metrics-port)
        "kfarm_agent_orders_total": "Deployment orders this agent carried out, by action and phase.",
        "kfarm_agent_health_checks_total": "Health checks after a switch, by result.",
    ]

    /// The exposition with a `# HELP` line before each family's `# TYPE` line.
    static func annotated(_ exposition: [UInt8]) -> [UInt8] {
        var result = ""
        for line in String(decoding: exposition, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.split(separator: " ").dropFirst(2).first {
                result += "# HELP \(name) \(help[String(name)] ?? String(name).replacingOccurrences(of: "_", with: " "))\n"
            }
            result += line
            result += "\n"
        }
        return Array(result.dropLast().utf8)
    }
}

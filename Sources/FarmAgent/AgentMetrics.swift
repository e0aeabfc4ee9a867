import FarmModel
import Metrics

/// What a deployment agent did, on its `--metrics-port`: orders carried out
/// by action and phase, and health checks after a switch by result.
enum AgentMetrics {
    static func carriedOut(_ action: DeploymentOrder.Action, _ phase: AgentReport.Phase) {
        Counter(label: "kfarm_agent_orders_total", dimensions: [("action", action.rawValue), ("phase", phase.rawValue)])
            .increment()
    }

    static func healthCheck(passed: Bool) {
        Counter(label: "kfarm_agent_health_checks_total", dimensions: [("result", passed ? "passed" : "failed")]).increment()
    }
}

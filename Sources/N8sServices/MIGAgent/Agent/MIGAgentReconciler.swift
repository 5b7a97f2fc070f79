import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import N8sCore
import ServiceLifecycle
import Synchronization

/// Runs ``MIGAgent`` passes for its own Node: at start, on node changes that matter (spec
/// annotations, the MIG-strategy and plugin labels, MIG allocatable), and every
/// ``MIGAgentConfig/reportInterval`` (or sooner, when a retry is due).
///
/// Node updates that change nothing the agent reads (e.g. `nvidia.com/gfd.timestamp`, heartbeats)
/// do not start a pass before the period is over.
public struct MIGAgentReconciler: Reconciler {
    public typealias Object = Node
    public let agent: MIGAgent
    let memory = LastPass()

    final class LastPass: Sendable {
        let value = Mutex<(fingerprint: String, at: Date)?>(nil)
    }

    public init(agent: MIGAgent) { self.agent = agent }

    public func reconcile(_ node: Node, context: ReconcileContext) async throws -> Action {
        guard node.name == agent.config.nodeName else { return .awaitChange }
        let fingerprint = Self.fingerprint(node, pauseLabel: agent.config.pause.labelKey)
        let now = agent.clock.now
        if let previous = memory.value.withLock({ $0 }), previous.fingerprint == fingerprint {
            let elapsed = Duration.seconds(now.timeIntervalSince(previous.at))
            if elapsed < agent.config.reportInterval { return .requeue(after: agent.config.reportInterval - elapsed) }
        }
        let action = try await agent.reconcile(node)
        memory.value.withLock { $0 = (fingerprint, agent.clock.now) }
        return action
    }

    /// What the agent reads from the node: n8s spec/status annotations, the strategy and plugin labels,
    /// and MIG allocatable.
    static func fingerprint(_ node: Node, pauseLabel: String) -> String {
        let annotations = (node.metadata.annotations ?? [:]).filter { $0.key.hasPrefix(MIGAnnotations.prefix) }
        let labels = (node.metadata.labels ?? [:]).filter { [MIGAnnotations.migStrategyLabel, pauseLabel].contains($0.key) }
        let allocatable = DevicePluginController.migAllocatable(node)
        return [annotations, labels, allocatable.mapValues(String.init)].map { d in
            d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }.joined(separator: "|")
    }
}

extension MIGAgent {
    /// The controller for this agent's node (field selector `metadata.name=<node>`).
    /// - Throws: ``MIGAgentError/configuration(_:)`` for a config the agent refuses to run with
    ///   (``MIGAgentConfig/validate()``).
    public func controller(metrics: any MetricsFactory = MetricsSystem.factory) throws -> Controller<MIGAgentReconciler> {
        try config.validate()
        var c = Controller(
            name: "mig-agent", reconciler: MIGAgentReconciler(agent: self), api: client.resource(Node.self),
            options: ListOptions(fieldSelector: try FieldSelector(parsing: "metadata.name=\(config.nodeName)")),
            clock: clock, logger: logger, metrics: metrics)
        c.resyncPeriod = config.reportInterval
        return c
    }
}

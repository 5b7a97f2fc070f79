import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import ServiceLifecycle

/// Runs the quota controllers: watches ElasticQuotas, CompositeElasticQuotas and pods into the
/// caches and, while this replica leads, calls ``QuotaOperator/reconcile()`` after every change
/// that can move `used`, a label or a condition (pods entering or leaving Running, their labels,
/// quotas' spec and status). Level-triggered: changes during a step cause one more step.
///
/// Nothing is written before the three caches have synced. Without a ``Leadership`` the replica
/// always acts (single-replica use and tests).
public struct QuotaOperatorService: Service {
    public let quotaOperator: QuotaOperator
    public let leadership: Leadership?
    let wakeup = Wakeup()
    let logger: Logger

    public init(quotaOperator: QuotaOperator, leadership: Leadership? = nil, logger: Logger = Logger(label: "n8s.operator")) {
        self.quotaOperator = quotaOperator
        self.leadership = leadership
        self.logger = logger
    }

    public var hasSynced: Bool { quotaOperator.hasSynced }

    public func run() async throws {
        let op = quotaOperator
        let wakeup = self.wakeup
        let eqWatcher = Watcher(api: op.client.resource(ElasticQuota.self), store: op.elasticQuotas, clock: op.clock, logger: logger) { _ in
            wakeup.signal()
        }
        let ceqWatcher = Watcher(api: op.client.resource(CompositeElasticQuota.self), store: op.compositeQuotas, clock: op.clock, logger: logger) { _ in
            wakeup.signal()
        }
        let podWatcher = Watcher(api: op.client.resource(Pod.self), store: op.pods, clock: op.clock, logger: logger) { changes in
            if changes.contains(where: Self.matters) { wakeup.signal() }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { try? await eqWatcher.run() }
            group.addTask { try? await ceqWatcher.run() }
            group.addTask { try? await podWatcher.run() }
            group.addTask {
                try? await cancelWhenGracefulShutdown {
                    try await op.elasticQuotas.waitUntilSynced()
                    try await op.compositeQuotas.waitUntilSynced()
                    try await op.pods.waitUntilSynced()
                    logger.info("caches synced")
                    try await Leading.run(leadership, activity: "quota controllers", logger: logger, onTerm: { op.startTerm() }) { try await loop() }
                }
            }
        }
    }

    /// A pod change that can move a quota's usage or a label: created or deleted, phase, deletion,
    /// requests (resize), priority, creation time or the capacity label itself.
    static func matters(_ change: StoreChange<Pod>) -> Bool {
        switch change {
        case .deleted: return true
        case .applied(let new, let old):
            guard let old else { return true }
            return old.status?.phase != new.status?.phase
                || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
                || old.metadata.labels?[QuotaNames.capacityLabel] != new.metadata.labels?[QuotaNames.capacityLabel]
                || old.spec != new.spec
        }
    }

    private func loop() async throws {
        wakeup.signal()  // a fresh leader looks at everything once
        while !Task.isCancelled {
            await quotaOperator.reconcile()
            try await wakeup.wait(upTo: nil, clock: quotaOperator.clock)
        }
    }
}

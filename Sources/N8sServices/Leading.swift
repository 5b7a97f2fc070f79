import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics

/// The leader-only part of a controller: runs `loop` while this replica holds the lease, stops it
/// when the lease is lost and starts it again when it is regained. Without a ``Leadership`` the
/// loop always runs (single-replica use and tests).
enum Leading {
    /// - Parameters:
    ///   - activity: what the loop does, for the log (`planning`, `quota controllers`).
    ///   - onTerm: called each time the lease is gained, before the loop starts.
    /// - Throws: `CancellationError`, or what `loop` throws when there is no ``Leadership``.
    static func run(
        _ leadership: Leadership?, activity: String, logger: Logger, onTerm: @Sendable () -> Void = {},
        _ loop: @escaping @Sendable () async throws -> Void
    ) async throws {
        guard let leadership else { return try await loop() }
        while !Task.isCancelled {
            try await leadership.waitUntilLeading()
            onTerm()
            logger.info("leading: \(activity)")
            await leadership.whileLeading { try? await loop() }
            logger.info("not leading: \(activity) stopped")
        }
    }
}

/// What every leader-elected n8s process wires up first: the election over a Lease and the
/// Event recorder of this replica.
struct ReplicaWiring {
    let leadership = Leadership()
    let election: LeaderElection
    let recorder: EventRecorder

    /// - Parameters:
    ///   - leaseNamespace: `nil`: the client's namespace (in-cluster: the pod's).
    ///   - component: the Events' `reportingController` / source component, e.g. `n8s-operator`.
    init(client: KubeClient, leaseName: String, leaseNamespace: String?, identity: String, component: String, metrics: any MetricsFactory, logger: Logger) {
        election = LeaderElection(
            leases: client.resource(Lease.self, in: leaseNamespace ?? client.defaultNamespace), leaseName: leaseName,
            identity: identity, leadership: leadership, logger: logger, metrics: metrics)
        recorder = EventRecorder(client: client, component: component, instance: identity, logger: logger)
    }
}

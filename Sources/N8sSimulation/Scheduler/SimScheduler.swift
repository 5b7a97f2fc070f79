import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import N8sCore
import Logging
import ServiceLifecycle
import Synchronization

/// The simulation's kube-scheduler: binds pending pods to nodes through the real API
/// (`pods/binding`), with N8sCore's fit predicates, over a ``KubeClient`` (HTTP to KubeSim, or any
/// API server).
///
/// - Pods handled: `spec.nodeName` empty, not being deleted, not terminal, `spec.schedulerName`
///   (absent = `default-scheduler`) in ``Configuration/schedulerNames``.
/// - Queue: priority (`spec.priority`, absent = 0) high to low, then `creationTimestamp` old to
///   new, then namespace/name.
/// - Filter: ``SchedulingPredicates`` on every node, counting the requests of pods bound to it and
///   not terminal (pending and terminating included) and of pods this scheduler bound whose binding
///   it has not seen yet; then each extender's `filter`, in order.
/// - Score: kube-scheduler's LeastAllocated on CPU and memory; ties go to the first node by name.
/// - Bind: through the first interested extender with a `bindVerb`, else `POST pods/{name}/binding`.
/// - A pod that fits nowhere gets `PodScheduled=False`, reason `Unschedulable`, with
///   kube-scheduler's message (``FitDiagnosis``); an extender or binding failure gives reason
///   `SchedulerError` and the error text. The condition is written only when it changes.
/// - Retries: a pass over the whole queue runs when nodes change (added, deleted, allocatable,
///   labels, taints, cordon), when pods arrive, leave or finish, and every
///   ``Configuration/flushInterval`` of the injected clock.
///
/// RBAC: `list`/`watch` pods and nodes, `create pods/binding`, `update pods/status`.
/// In a simulation give it a client without client-side rate limit (`qps: nil`): a burst of
/// arrivals means one binding or status write per pod.
public struct SimScheduler: Service {
    public struct Configuration: Sendable, Hashable {
        /// `spec.schedulerName` values this scheduler serves.
        public var schedulerNames: Set<String>
        /// Period of the unconditional retry of pending pods, in the injected clock's time.
        public var flushInterval: Duration
        /// Extenders, called in order.
        public var extenders: [ExtenderConfig]

        public init(schedulerNames: Set<String> = ["default-scheduler"], flushInterval: Duration = .seconds(30), extenders: [ExtenderConfig] = []) {
            self.schedulerNames = schedulerNames
            self.flushInterval = flushInterval
            self.extenders = extenders
        }
    }

    public let client: KubeClient
    public let configuration: Configuration
    public let clock: any KubeClock
    public let httpClient: HTTPClient
    public let logger: Logger
    let observer: SchedulerObserver

    /// - Parameters:
    ///   - clock: times of conditions and the flush period; defaults to the client's clock.
    ///   - httpClient: for extender calls (one per process: `HTTPClient.shared` by default).
    public init(
        client: KubeClient,
        configuration: Configuration = Configuration(),
        clock: (any KubeClock)? = nil,
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "n8s.sim-scheduler")
    ) {
        self.client = client
        self.configuration = configuration
        self.clock = clock ?? client.clock
        self.httpClient = httpClient
        self.logger = logger
        self.observer = SchedulerObserver()
    }

    /// Scheduling passes completed so far (for tests and progress lines).
    public var passes: Int { observer.passes }

    public func run() async throws {
        do { try await cancelWhenGracefulShutdown { try await loop() } } catch is CancellationError { return }
    }

    private func loop() async throws {
        let pods = Store<Pod>(indexes: [.byNodeName])
        let nodes = Store<Node>()
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let assumed = AssumedPods()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Watcher(api: client.resource(Pod.self), store: pods, clock: clock, logger: logger) { changes in
                    if changes.contains(where: Self.isRelevant) { wake.yield() }
                }.run()
            }
            group.addTask {
                try await Watcher(api: client.resource(Node.self), store: nodes, clock: clock, logger: logger) { changes in
                    if changes.contains(where: Self.isRelevant) { wake.yield() }
                }.run()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await clock.sleep(for: configuration.flushInterval)
                    wake.yield()
                }
            }
            group.addTask {
                try await pods.waitUntilSynced()
                try await nodes.waitUntilSynced()
                wake.yield()
                for await _ in wakes {
                    await pass(pods: pods, nodes: nodes, assumed: assumed)
                    observer.passCompleted()
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Pod changes that can make a pending pod fit, or add one to the queue.
    static func isRelevant(_ change: StoreChange<Pod>) -> Bool {
        switch change {
        case .deleted: return true
        case .applied(let pod, let old):
            guard let old else { return true }
            return old.status?.isTerminal != pod.status?.isTerminal || old.spec.nodeName != pod.spec.nodeName
                || old.metadata.generation != pod.metadata.generation
        }
    }

    /// Node changes that can change where pods fit (not heartbeats or annotations).
    static func isRelevant(_ change: StoreChange<Node>) -> Bool {
        switch change {
        case .deleted: return true
        case .applied(let node, let old):
            guard let old else { return true }
            return old.status?.allocatable != node.status?.allocatable || old.metadata.labels != node.metadata.labels
                || old.spec != node.spec
        }
    }
}

/// Pods bound by this scheduler whose binding the pod store has not shown yet: their requests
/// still count against the node.
final class AssumedPods: Sendable {
    private let entries = Mutex<[ObjectKey: (node: String, requests: PodRequests)]>([:])

    func assume(_ key: ObjectKey, on node: String, requests: PodRequests) { entries.withLock { $0[key] = (node, requests) } }

    /// Drops entries `pods` shows bound (or gone); returns the rest.
    ///
    /// `pods` must be the very list the pass counts usage from: judged against the store read
    /// again, a binding the store learned in between would be in neither the usage nor the
    /// assumed pods, and its device would look free to the next pod (bound onto it, then refused
    /// by the kubelet: an admission failure no agent caused).
    func pending(in pods: [Pod]) -> [ObjectKey: (node: String, requests: PodRequests)] {
        let byKey = Dictionary(pods.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        return entries.withLock { e in
            e = e.filter { key, _ in byKey[key].map { ($0.spec.nodeName ?? "").isEmpty } ?? false }
            return e
        }
    }
}

/// Counters a test or a progress line can read.
final class SchedulerObserver: Sendable {
    private let count = Mutex(0)
    func passCompleted() { count.withLock { $0 += 1 } }
    var passes: Int { count.withLock { $0 } }
}

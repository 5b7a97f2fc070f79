import TestSupport
import KubeClient
import KubeCore
import KubeSim
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

@testable import KubeRuntime

/// Passes requests through until cut, then fails them as a lost network would.
final class CuttableTransport: Transport {
    let inner: any Transport
    private let cut = Atomic<Bool>(false)
    init(_ inner: any Transport) { self.inner = inner }
    func sever() { cut.store(true, ordering: .relaxed) }
    struct Unreachable: Error {}
    func send(_ request: APIRequest) async throws -> APIResponse {
        if cut.load(ordering: .relaxed) { throw Unreachable() }
        return try await inner.send(request)
    }
    func stream(_ request: APIRequest) async throws -> APIStreamingResponse {
        if cut.load(ordering: .relaxed) { throw Unreachable() }
        return try await inner.stream(request)
    }
}

/// Records which replica reconciles which object, and any overlap between replicas.
final class Activity: Sendable {
    private let state = Mutex<(active: [String: String], both: Int, byReplica: [String: Int])>(([:], 0, [:]))
    func begin(_ replica: String, _ key: String) {
        state.withLock { s in
            if let other = s.active[key], other != replica { s.both += 1 }
            s.active[key] = replica
            s.byReplica[replica, default: 0] += 1
        }
    }
    func end(_ key: String) { _ = state.withLock { $0.active.removeValue(forKey: key) } }
    var overlaps: Int { state.withLock { $0.both } }
    func count(_ replica: String) -> Int { state.withLock { $0.byReplica[replica] ?? 0 } }
}

struct ReplicaReconciler: Reconciler {
    let replica: String
    let activity: Activity
    func reconcile(_ object: ConfigMap, context: ReconcileContext) async throws -> Action {
        activity.begin(replica, object.name)
        defer { activity.end(object.name) }
        await Task.yield()
        return .awaitChange
    }
}

@Suite("Leader election with two replicas")
struct LeaderElectionTests {
    let clock = ManualClock()
    let server: KubeSim

    init() throws {
        server = KubeSim.inProcess(clock: clock)
        for i in 0..<10 {
            try server.seed(ConfigMap(metadata: ObjectMeta(name: "c\(i)", namespace: "ns")))
        }
    }

    struct Replica {
        let name: String
        let transport: CuttableTransport
        let leadership: Leadership
        let group: ServiceGroup
    }

    func replica(_ name: String, activity: Activity) -> Replica {
        let transport = CuttableTransport(KubeSimTransport(sim: server))
        var client = KubeClient(transport: transport, qps: nil, retry: .none, clock: clock)
        client.logger.logLevel = .critical
        let leadership = Leadership()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let election = LeaderElection(leases: client.resource(Lease.self, in: "ns"), leaseName: "test", identity: name, leadership: leadership, clock: clock, logger: quiet, metrics: TestMetrics())
        let controller = Controller(
            name: "cms", reconciler: ReplicaReconciler(replica: name, activity: activity), api: client.resource(ConfigMap.self, in: "ns"),
            workers: 2, leadership: leadership, logger: quiet, metrics: TestMetrics()
        )
        let group = ServiceGroup(configuration: .init(services: [.init(service: election), .init(service: controller)], logger: quiet))
        return Replica(name: name, transport: transport, leadership: leadership, group: group)
    }

    /// Advances the clock in small steps until `condition`, checking at every step that at most one leads.
    func advance(until condition: () -> Bool, replicas: [Replica], limit: Duration) async -> Duration? {
        var elapsed = Duration.zero
        while elapsed <= limit {
            _ = await eventually(timeout: .milliseconds(20)) { false }
            #expect(replicas.filter(\.leadership.isLeading).count <= 1, "two leaders at \(elapsed)")
            if condition() { return elapsed }
            clock.advance(by: .milliseconds(500))
            elapsed += .milliseconds(500)
        }
        return nil
    }

    @Test("only the leader reconciles; the other takes over after a graceful stop and after a cut-off, never both")
    func takeover() async throws {
        let activity = Activity()
        let a = replica("a", activity: activity)
        let b = replica("b", activity: activity)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.group.run() }
            #expect(await advance(until: { a.leadership.isLeading }, replicas: [a], limit: .seconds(5)) != nil)
            group.addTask { try await b.group.run() }
            #expect(await eventually { activity.count("a") >= 10 })
            _ = await advance(until: { false }, replicas: [a, b], limit: .seconds(6))
            #expect(!b.leadership.isLeading)
            #expect(activity.count("b") == 0)

            // Graceful stop: a releases the lease, b takes over on its next try.
            await a.group.triggerGracefulShutdown()
            let graceful = await advance(until: { b.leadership.isLeading }, replicas: [a, b], limit: .seconds(15))
            #expect(graceful != nil && graceful! <= .seconds(15))
            #expect(await eventually { activity.count("b") >= 10 })

            // Cut-off: a third replica waits; b loses the network and must step down before c leads.
            let c = replica("c", activity: activity)
            group.addTask { try await c.group.run() }
            _ = await advance(until: { false }, replicas: [b, c], limit: .seconds(4))
            b.transport.sever()
            var bSteppedDownAt: Duration?
            let takeover = await advance(
                until: {
                    if bSteppedDownAt == nil, !b.leadership.isLeading { bSteppedDownAt = .zero }
                    return c.leadership.isLeading
                },
                replicas: [b, c], limit: .seconds(30)
            )
            #expect(takeover != nil && takeover! <= .seconds(15) + .seconds(2) + .seconds(1))
            #expect(bSteppedDownAt != nil)
            #expect(await eventually { activity.count("c") >= 10 })
            await b.group.triggerGracefulShutdown()
            await c.group.triggerGracefulShutdown()
            _ = await advance(until: { false }, replicas: [b, c], limit: .seconds(1))
            try await group.waitForAll()
        }
        #expect(activity.overlaps == 0)
    }
}

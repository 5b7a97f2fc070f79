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

/// Two (then three) replicas over real HTTP against one KubeSim, with client-go's default lease
/// timings (15 s lease, 10 s renew deadline, 2 s retry) on a clock running 5× real time.
@Suite("Leader election over HTTP against KubeSim")
struct LeaderElectionHTTPTests {
    static let clock = ScaledClock(speed: 5)

    struct Replica {
        let name: String
        let leadership: Leadership
        let group: ServiceGroup
        var caller: CallerMatch { .bearerToken(name) }
    }

    static func replica(_ name: String, client: KubeClient, activity: Activity) -> Replica {
        let leadership = Leadership()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let election = LeaderElection(leases: client.resource(Lease.self, in: "ns"), leaseName: "test", identity: name, leadership: leadership, clock: clock, logger: quiet, metrics: TestMetrics())
        let controller = Controller(
            name: "cms", reconciler: ReplicaReconciler(replica: name, activity: activity), api: client.resource(ConfigMap.self, in: "ns"),
            workers: 2, leadership: leadership, clock: clock, logger: quiet, metrics: TestMetrics()
        )
        let group = ServiceGroup(configuration: .init(services: [.init(service: election), .init(service: controller)], logger: quiet))
        return Replica(name: name, leadership: leadership, group: group)
    }

    /// Largest number of replicas seen leading at once, sampled until cancelled.
    final class LeaderMonitor: Sendable {
        let most = Atomic<Int>(0)
        func watch(_ replicas: @Sendable () -> [Replica]) async {
            while !Task.isCancelled {
                let leading = replicas().filter(\.leadership.isLeading).count
                most.max(leading, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    /// Waits until `sim` has served `count` lease reads to `replica` from now on: proof that it is running and trying.
    static func attempts(_ count: Int, by replica: Replica, on sim: KubeSim) async -> Bool {
        let start = sim.requestCount(verb: "get", resource: "leases", caller: replica.caller)
        return await eventually(timeout: .seconds(30)) { sim.requestCount(verb: "get", resource: "leases", caller: replica.caller) >= start + count }
    }

    @Test("only the leader reconciles; takeover within the lease on graceful stop and on cut-off; never two leaders")
    func takeover() async throws {
        let sim = try seededSim(configMaps: 10)
        let activity = Activity()
        try await withKubeSim(sim) { client in
            let a = Self.replica("a", client: client("a"), activity: activity)
            let b = Self.replica("b", client: client("b"), activity: activity)
            let c = Self.replica("c", client: client("c"), activity: activity)
            let monitor = LeaderMonitor()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await monitor.watch { [a, b, c] } }
                group.addTask { try await a.group.run() }
                #expect(await eventually(timeout: .seconds(30)) { a.leadership.isLeading })
                group.addTask { try await b.group.run() }
                #expect(await eventually(timeout: .seconds(30)) { activity.count("a") >= 10 })
                #expect(await Self.attempts(3, by: b, on: sim))
                #expect(!b.leadership.isLeading)
                #expect(activity.count("b") == 0, "a replica that does not lead never reconciles")

                // Graceful stop: a releases the lease; b takes over on its next try.
                var started = Self.clock.now
                await a.group.triggerGracefulShutdown()
                #expect(await eventually(timeout: .seconds(30)) { b.leadership.isLeading })
                let graceful = Self.clock.elapsed(since: started)
                // Within the lease duration, plus slack for a loaded machine (5× real time).
                #expect(graceful <= .seconds(15) + .seconds(10), "graceful takeover after \(graceful)")
                #expect(await eventually(timeout: .seconds(30)) { activity.count("b") >= 10 })

                // Cut-off: every request of b fails; b steps down at its renew deadline, c takes over
                // once the lease it saw renewed last has run out.
                group.addTask { try await c.group.run() }
                #expect(await Self.attempts(2, by: c, on: sim))
                started = Self.clock.now
                sim.cutOff(b.caller)
                #expect(await eventually(timeout: .seconds(30)) { c.leadership.isLeading })
                let cutOff = Self.clock.elapsed(since: started)
                #expect(!b.leadership.isLeading)
                // Lease 15 s + one retry period 2 s, plus slack: at 5× real time, a second of
                // scheduling delay on a loaded 2-core machine is 5 simulated seconds.
                #expect(cutOff >= .seconds(10) && cutOff <= .seconds(15) + .seconds(2) + .seconds(10), "takeover after a cut-off after \(cutOff)")
                #expect(await eventually(timeout: .seconds(30)) { activity.count("c") >= 10 })

                await b.group.triggerGracefulShutdown()
                await c.group.triggerGracefulShutdown()
                group.cancelAll()
            }
            #expect(monitor.most.load(ordering: .relaxed) == 1, "never two leaders at once")
            #expect(activity.overlaps == 0)
        }
    }
}

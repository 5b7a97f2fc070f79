import TestSupport
import AsyncHTTPClient
import KubeClient
import KubeCore
import KubeSim
import Logging
import MetricsTestKit
import NIOCore
import Prometheus
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@testable import KubeRuntime

/// The health server live on a loopback port, next to a controller and a leader election that
/// talk to KubeSim over HTTP; then the whole process shuts down gracefully.
@Suite("Health server live")
struct HealthServerHTTPTests {
    static func get(_ url: String) async throws -> (code: UInt, text: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, String(buffer: body))
    }

    @Test("/readyz follows cache sync, not leadership; /metrics has n8s_ names; graceful shutdown releases the lease")
    func live() async throws {
        let sim = try seededSim(configMaps: 3)
        // 5× real time: the 10 s renew deadline is 2 s of real time, enough on a loaded machine.
        let clock = ScaledClock(speed: 5)
        _ = try sim.create(Lease.self, Lease(metadata: ObjectMeta(name: "test", namespace: "ns"),
                                             spec: Lease.Spec(holderIdentity: "other", leaseDurationSeconds: 3600, renewTime: MicroTime(clock.now))))
        let me = CallerMatch.bearerToken("h")
        sim.cutOff(me)
        try await withKubeSim(sim) { client in
            let registry = PrometheusCollectorRegistry()
            let metrics = PrometheusMetricsFactory(registry: registry)
            var quiet = Logger(label: "test")
            quiet.logLevel = .critical
            let leadership = Leadership()
            let activity = Activity()
            let election = LeaderElection(leases: client("h").resource(Lease.self, in: "ns"), leaseName: "test", identity: "h", leadership: leadership, clock: clock, logger: quiet, metrics: metrics)
            let controller = Controller(name: "cms", reconciler: ReplicaReconciler(replica: "h", activity: activity), api: client("h").resource(ConfigMap.self, in: "ns"),
                                        leadership: leadership, clock: clock, logger: quiet, metrics: metrics)
            let checks = HealthChecks()
            checks.addReadiness("cache cms") { controller.hasSynced }
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            var health = HealthServer(host: "127.0.0.1", port: 0, checks: checks, registry: registry, logger: quiet)
            health.onListening = { portSink.yield($0) }
            let services = ServiceGroup(configuration: .init(services: [health, election, controller], logger: quiet))

            try await testGracefulShutdown { trigger in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await services.run() }
                    var iterator = ports.makeAsyncIterator()
                    let base = "http://127.0.0.1:\(await iterator.next() ?? 0)"
                    #expect(try await Self.get("\(base)/healthz").code == 200)
                    let unready = try await Self.get("\(base)/readyz")
                    #expect(unready.code == 503 && unready.text.contains("not ready: cache cms"))

                    // Synced but not leader (another holder keeps the lease): ready all the same.
                    sim.reconnect(me)
                    #expect(await eventually { (try? await Self.get("\(base)/readyz").code) == 200 })
                    #expect(!leadership.isLeading)
                    #expect(try await Self.get("\(base)/metrics").text.contains(#"n8s_leader_election_master_status{name="test"} 0"#))

                    // The holder lets go: this replica leads and reconciles.
                    var lease = try sim.get(Lease.self, namespace: "ns", name: "test")
                    lease.spec?.holderIdentity = nil
                    _ = try sim.update(lease)
                    #expect(await eventually { activity.count("h") == 3 })
                    // The counters are updated just after each reconcile returns: poll for them.
                    #expect(await eventually {
                        let text = (try? await Self.get("\(base)/metrics").text) ?? ""
                        return text.contains(#"n8s_leader_election_master_status{name="test"} 1"#)
                            && text.contains(#"n8s_controller_runtime_reconcile_total{controller="cms",result="success"} 3"#)
                    })
                    let text = try await Self.get("\(base)/metrics").text
                    #expect(text.contains("n8s_workqueue_depth"))
                    #expect(text.contains("n8s_controller_runtime_reconcile_time_seconds"))

                    trigger.triggerGracefulShutdown()
                    try await group.waitForAll()
                    #expect(try sim.get(Lease.self, namespace: "ns", name: "test").spec?.holderIdentity == nil, "released on shutdown")
                    await #expect(throws: (any Error).self) { try await Self.get("\(base)/healthz") }
                }
            }
        }
    }
}

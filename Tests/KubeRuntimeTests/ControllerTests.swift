import TestSupport
import KubeClient
import KubeCore
import KubeSim
import Logging
import MetricsTestKit
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import KubeRuntime

/// Counts reconciles per key, fails keys on request, and flags overlapping calls.
struct CountingReconciler: Reconciler {
    let calls = Tally()
    let overlap = Overlap()
    let failing: Set<String>
    let onReconcile: @Sendable (ObjectKey) async -> Void

    init(failing: Set<String> = [], onReconcile: @escaping @Sendable (ObjectKey) async -> Void = { _ in }) {
        self.failing = failing
        self.onReconcile = onReconcile
    }

    func reconcile(_ object: ConfigMap, context: ReconcileContext) async throws -> Action {
        overlap.enter(object.key.description)
        defer { overlap.leave(object.key.description) }
        calls.add(object.name)
        await onReconcile(object.key)
        if failing.contains(object.name) { throw KubeClientError.configuration("fails on purpose") }
        return .awaitChange
    }

    func reconcileDeleted(_ key: ObjectKey, lastKnown: ConfigMap?, context: ReconcileContext) async throws -> Action {
        calls.add("deleted:\(key.name):\(lastKnown?.data?["v"] ?? "nil")")
        return .awaitChange
    }
}

final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func add(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
    func count(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

@Suite("Controller")
struct ControllerTests {
    let clock = ManualClock()
    let server: KubeSim
    let client: KubeClient

    init() {
        server = KubeSim.inProcess(clock: clock)
        client = server.inProcessClient(clock: clock)
    }

    func cm(_ name: String, _ value: String = "0") -> ConfigMap {
        var cm = ConfigMap(metadata: ObjectMeta(name: name, namespace: "ns"))
        cm.data = ["v": value]
        return cm
    }

    @Test("reconciles every object after sync, again on change, deletions with the last version, secondaries by mapping")
    func reconcileFlow() async throws {
        for i in 0..<20 { try server.seed(cm("c\(i)")) }
        let reconciler = CountingReconciler()
        let metrics = TestMetrics()
        let controller = Controller(name: "cms", reconciler: reconciler, api: client.resource(ConfigMap.self, in: "ns"), workers: 4, metrics: metrics)
            .watching(client.resource(Pod.self, in: "ns")) { pod in [ObjectKey(namespace: "ns", name: pod.metadata.labels?["cm"] ?? "")] }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                #expect(await eventually { (0..<20).allSatisfy { reconciler.calls.count("c\($0)") == 1 } })
                try server.seed(cm("c3", "1"))
                #expect(await eventually { reconciler.calls.count("c3") == 2 })
                try await client.resource(ConfigMap.self, in: "ns").delete("c4")
                #expect(await eventually { reconciler.calls.count("deleted:c4:0") == 1 })
                try server.seed(Pod(metadata: ObjectMeta(name: "p", namespace: "ns", labels: ["cm": "c5"]), spec: PodSpec(containers: [Container(name: "main")])))
                #expect(await eventually { reconciler.calls.count("c5") == 2 })
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        #expect(reconciler.overlap.violations == 0)
        let success = try metrics.expectCounter("n8s_controller_runtime_reconcile_total", [("controller", "cms"), ("result", "success")])
        #expect(success.totalValue >= 22)
    }

    @Test("a failing reconcile is retried with growing per-key backoff")
    func errorBackoff() async throws {
        try server.seed(cm("bad"))
        let reconciler = CountingReconciler(failing: ["bad"])
        let metrics = TestMetrics()
        let controller = Controller(name: "cms", reconciler: reconciler, api: client.resource(ConfigMap.self, in: "ns"), metrics: metrics)
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                #expect(await eventually { reconciler.calls.count("bad") == 1 })
                for (attempt, delay) in [(2, 5), (3, 10), (4, 20)] {
                    #expect(await eventually { clock.sleeperCount >= 1 })
                    clock.advance(by: .milliseconds(delay - 1))
                    #expect(reconciler.calls.count("bad") == attempt - 1)
                    clock.advance(by: .milliseconds(1))
                    #expect(await eventually { reconciler.calls.count("bad") == attempt })
                }
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let errors = try metrics.expectCounter("n8s_controller_runtime_reconcile_errors_total", [("controller", "cms")])
        #expect(errors.totalValue == 4)
    }

    @Test("no reconcile before the caches have synced")
    func waitsForSync() async throws {
        try server.seed(cm("a"))
        server.failNext(1, verb: "list", resource: "configmaps", with: .internalError("not yet"))
        var noRetry = client
        noRetry.retry = .none
        let reconciler = CountingReconciler()
        let controller = Controller(name: "cms", reconciler: reconciler, api: noRetry.resource(ConfigMap.self, in: "ns"), metrics: TestMetrics())
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                #expect(await eventually { clock.sleeperCount == 1 })
                #expect(reconciler.calls.total == 0)
                clock.advance(by: .seconds(1))
                #expect(await eventually { reconciler.calls.count("a") == 1 })
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }
}

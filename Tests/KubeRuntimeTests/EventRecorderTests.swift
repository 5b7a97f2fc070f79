import TestSupport
import KubeClient
import KubeCore
import KubeSim
import Testing

@testable import KubeRuntime

@Suite("EventRecorder")
struct EventRecorderTests {
    @Test("repeats increment count on one Event; the per-object rate limit drops the excess until refilled")
    func aggregateAndLimit() async throws {
        let clock = ManualClock()
        let server = KubeSim.inProcess(clock: clock)
        let client = server.inProcessClient(clock: clock)
        let recorder = EventRecorder(client: client, component: "n8s-test", instance: "host-1", burst: 3, refillInterval: .seconds(60))
        var meta = ObjectMeta(name: "web", namespace: "ns")
        meta.uid = "u1"
        let pod = Pod(metadata: meta)
        for _ in 0..<5 { await recorder.record(pod, reason: "Planned", message: "planned on node-1") }
        var events = server.objects(Event.self)
        #expect(events.count == 1)
        #expect(events.first?.count == 3)
        #expect(events.first?.involvedObject.uid == "u1")
        #expect(events.first?.source?.component == "n8s-test")
        clock.advance(by: .seconds(60))
        await recorder.record(pod, type: .warning, reason: "PlanFailed", message: "no layout")
        events = server.objects(Event.self)
        #expect(events.count == 2)
        #expect(events.contains { $0.type == "Warning" && $0.reason == "PlanFailed" && $0.count == 1 })
        let node = Node(metadata: ObjectMeta(name: "node-1"))
        await recorder.record(node, reason: "Applied", message: "ok")
        #expect(server.objects(Event.self).contains { $0.metadata.namespace == "default" && $0.involvedObject.kind == "Node" })
    }
}

@Suite("HealthChecks")
struct HealthCheckTests {
    @Test("readiness reports failing checks by name and passes once the cache syncs")
    func readiness() {
        let checks = HealthChecks()
        let store = Store<Pod>()
        checks.addReadiness("pods cache synced") { store.hasSynced }
        #expect(checks.failingReadiness() == ["pods cache synced"])
        store.replaceAll(with: [])
        #expect(checks.failingReadiness().isEmpty)
    }
}

import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import MetricsTestKit
import N8sCore
import Testing

@testable import N8sServices

/// `n8s operator`'s quota controllers against KubeSim over HTTP (docs/design.md section 6).
@Suite("quota operator over HTTP")
struct OperatorHTTPTests {
    static let gpuMemory = QuotaNames.gpuMemory

    @Test("a CompositeElasticQuota counts each Running pod of its namespaces once; used lists only the quota's resources (C32, C33); labels follow creation time, then priority")
    func compositeUsedAndLabels() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["a", "b", "ops"])
            _ = try sim.create(CompositeElasticQuota.self, CompositeElasticQuota(
                metadata: ObjectMeta(name: "research", namespace: "ops"),
                spec: .init(namespaces: ["a", "b"], min: OFixtures.gb(30), max: OFixtures.gb(40))))
            try sim.start(OFixtures.pod("p1", in: "a", gb: 10))
            clock.advance(by: .seconds(1))
            try sim.start(OFixtures.pod("p2", in: "b", gb: 10))
            clock.advance(by: .seconds(1))
            // Same creation time: the higher priority comes first.
            try sim.start(OFixtures.pod("p3", in: "a", gb: 10, priority: 0))
            try sim.start(OFixtures.pod("p4", in: "b", gb: 10, priority: 10))
            try sim.start(OFixtures.pod("pending", in: "a", gb: 10), phase: "Pending")
            let replica = try OperatorReplica(client: client, clock: clock)
            try await replica.running {
                let counted = await eventually { sim.used(ofComposite: "research", in: "ops") == OFixtures.gb(40) }
                #expect(counted, "\(String(describing: sim.used(ofComposite: "research", in: "ops")))")
                #expect(sim.used(ofComposite: "research", in: "ops")?.keys.sorted() == [Self.gpuMemory], "no cpu, no memory (C32)")
                let labelled = await eventually { ["p3", "p4"].allSatisfy { sim.capacity($0, in: $0 == "p3" ? "a" : "b") != nil } && sim.capacity("p2", in: "b") != nil }
                #expect(labelled)
                #expect(sim.capacity("p1", in: "a") == "in-quota")
                #expect(sim.capacity("p2", in: "b") == "in-quota")
                #expect(sim.capacity("p4", in: "b") == "in-quota")
                #expect(sim.capacity("p3", in: "a") == "over-quota")
                #expect(sim.capacity("pending", in: "a") == nil, "not Running: not labelled")
                let dims = [("kind", "CompositeElasticQuota"), ("namespace", "ops"), ("name", "research"), ("resource", Self.gpuMemory)]
                #expect(try replica.metrics.expectGauge("n8s_quota_used", dims).lastValue == 40)
                #expect(try replica.metrics.expectGauge("n8s_quota_borrowed", dims).lastValue == 10)
                #expect(try replica.metrics.expectGauge("n8s_quota_max", dims).lastValue == 40)
                #expect(try replica.metrics.expectGauge("n8s_quota_min", dims).lastValue == 30)
                #expect(try replica.metrics.expectGauge("n8s_quota_over_quota_pods", [("namespace", "a")]).lastValue == 1)
                #expect(try replica.metrics.expectGauge("n8s_quota_over_quota_pods", [("namespace", "b")]).lastValue == 0)
                let event = await eventually { sim.events(for: "p3", namespace: "a").contains { $0.reason == "OverQuota" } }
                #expect(event)

                // p1 ends: used drops and p3 moves into the quota's min.
                try sim.setPhase("p1", in: "a", "Succeeded")
                let dropped = await eventually { sim.used(ofComposite: "research", in: "ops") == OFixtures.gb(30) }
                #expect(dropped)
                let relabelled = await eventually { sim.capacity("p3", in: "a") == "in-quota" }
                #expect(relabelled)
                #expect(sim.capacity("p1", in: "a") == "in-quota", "a finished pod's label is left alone")
            }
        }
    }

    @Test("used drops when a pod ends or is deleted (C28); no max is +Inf in the metrics (C24)")
    func usedDrops() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            _ = try sim.create(ElasticQuota.self, ElasticQuota(metadata: ObjectMeta(name: "q", namespace: "team"), spec: .init(min: OFixtures.gb(20))))
            try sim.start(OFixtures.pod("big", in: "team", gb: 80))
            try sim.start(OFixtures.pod("small", in: "team", gb: 10))
            let replica = try OperatorReplica(client: client, clock: clock)
            try await replica.running {
                #expect(await eventually { sim.used(ofElastic: "q", in: "team") == OFixtures.gb(90) })
                let dims = [("kind", "ElasticQuota"), ("namespace", "team"), ("name", "q"), ("resource", Self.gpuMemory)]
                #expect(try replica.metrics.expectGauge("n8s_quota_max", dims).lastValue == .infinity)
                try sim.setPhase("big", in: "team", "Failed")
                #expect(await eventually { sim.used(ofElastic: "q", in: "team") == OFixtures.gb(10) })
                #expect(await eventually { (try? replica.metrics.expectGauge("n8s_quota_used", dims).lastValue) == 10 })
                _ = try sim.delete(Pod.self, namespace: "team", name: "small")
                #expect(await eventually { sim.used(ofElastic: "q", in: "team") == OFixtures.gb(0) })
            }
        }
    }

    @Test("a quota claiming a namespace an older quota holds gets a Conflict condition and an Event; it clears when the older one goes")
    func conflict() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["a", "b", "ops"])
            _ = try sim.create(ElasticQuota.self, ElasticQuota(metadata: ObjectMeta(name: "qa", namespace: "a"), spec: .init(min: OFixtures.gb(10))))
            clock.advance(by: .seconds(5))
            _ = try sim.create(CompositeElasticQuota.self, CompositeElasticQuota(
                metadata: ObjectMeta(name: "both", namespace: "ops"), spec: .init(namespaces: ["a", "b"], min: OFixtures.gb(10))))
            try sim.start(OFixtures.pod("pa", in: "a", gb: 10))
            try sim.start(OFixtures.pod("pb", in: "b", gb: 20))
            let replica = try OperatorReplica(client: client, clock: clock)
            @Sendable func conflict() -> QuotaCondition? {
                (try? sim.get(CompositeElasticQuota.self, namespace: "ops", name: "both"))?.status?.conditions?.first { $0.type == "Conflict" }
            }
            try await replica.running {
                #expect(await eventually { conflict()?.status == "True" })
                #expect(conflict()?.message?.contains("namespace a is held by ElasticQuota a/qa") == true, "\(conflict()?.message ?? "")")
                #expect(await eventually { sim.used(ofComposite: "both", in: "ops") == OFixtures.gb(20) }, "pa counts in qa only")
                #expect(sim.used(ofElastic: "qa", in: "a") == OFixtures.gb(10))
                #expect(await eventually { sim.events(for: "both", namespace: "ops").contains { $0.reason == "NamespaceConflict" && $0.type == "Warning" } })
                #expect((try? sim.get(ElasticQuota.self, namespace: "a", name: "qa"))?.status?.conditions == nil)
                _ = try sim.delete(ElasticQuota.self, namespace: "a", name: "qa")
                #expect(await eventually { conflict()?.status == "False" })
                #expect(await eventually { sim.used(ofComposite: "both", in: "ops") == OFixtures.gb(30) })
            }
        }
    }

    @Test("nothing is written when nothing changed: repeated steps and irrelevant pod changes cause no patch")
    func noWriteWithoutChange() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            _ = try sim.create(ElasticQuota.self, ElasticQuota(
                metadata: ObjectMeta(name: "q", namespace: "team"), spec: .init(min: OFixtures.gb(10), max: OFixtures.gb(100))))
            try sim.start(OFixtures.pod("one", in: "team", gb: 10))
            try sim.start(OFixtures.pod("two", in: "team", gb: 10))
            let replica = try OperatorReplica(client: client, clock: clock)
            try await replica.running {
                #expect(await eventually { sim.capacity("two", in: "team") == "over-quota" && sim.used(ofElastic: "q", in: "team") == OFixtures.gb(20) })
                await settle(.milliseconds(200))
                let patchesBefore = sim.requestCount(verb: "patch")
                #expect(sim.requestCount(verb: "patch", resource: "elasticquotas/status") == 1, "one status write")
                #expect(sim.requestCount(verb: "patch", resource: "pods") == 2, "one label per pod")
                let steps = replica.quotaOperator.steps
                for _ in 0..<3 { await replica.quotaOperator.reconcile() }
                var pod = try sim.get(Pod.self, namespace: "team", name: "one")
                pod.metadata.annotations = ["note": "irrelevant"]
                _ = try sim.update(pod)
                await settle(.milliseconds(200))
                #expect(replica.quotaOperator.steps >= steps + 3)
                #expect(sim.requestCount(verb: "patch") == patchesBefore, "no write when nothing changed")
            }
        }
    }

    @Test("a pod whose requests cannot be charged leaves its quota's used as it was (never a wrong total); other quotas go on")
    func uncountablePod() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team", "other"])
            _ = try sim.create(ElasticQuota.self, ElasticQuota(metadata: ObjectMeta(name: "q", namespace: "team"), spec: .init(min: OFixtures.gb(10))))
            _ = try sim.create(ElasticQuota.self, ElasticQuota(metadata: ObjectMeta(name: "o", namespace: "other"), spec: .init(min: OFixtures.gb(10))))
            try sim.start(OFixtures.pod("ok", in: "team", gb: 10))
            try sim.start(OFixtures.pod("fine", in: "other", gb: 20))
            let replica = try OperatorReplica(client: client, clock: clock)
            let op = replica.quotaOperator
            @Sendable func refresh(extra: [Pod] = []) throws {
                _ = op.elasticQuotas.replaceAll(with: try sim.list(ElasticQuota.self))
                _ = op.compositeQuotas.replaceAll(with: [])
                _ = op.pods.replaceAll(with: try sim.list(Pod.self) + extra)
            }
            try refresh()
            await op.reconcile()
            #expect(sim.used(ofElastic: "q", in: "team") == OFixtures.gb(10))
            // Half a GPU cannot be charged (the API server would refuse it; the cache is fed directly).
            var bad = OFixtures.pod("half", in: "team", gb: 0)
            bad.spec.containers[0].resources = ResourceRequirements(limits: ["nvidia.com/gpu": "500m"])
            bad.status = PodStatus(phase: "Running")
            try sim.setPhase("fine", in: "other", "Succeeded")
            try refresh(extra: [bad])
            await op.reconcile()
            #expect(sim.used(ofElastic: "q", in: "team") == OFixtures.gb(10), "left as it was")
            #expect(sim.used(ofElastic: "o", in: "other") == OFixtures.gb(0), "other quotas are still written")
        }
    }

    @Test("only the leader writes: a replica that does not hold the lease writes nothing until it does")
    func onlyTheLeaderWrites() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            try OFixtures.install(into: sim, namespaces: ["team"])
            _ = try sim.create(ElasticQuota.self, ElasticQuota(metadata: ObjectMeta(name: "q", namespace: "team"), spec: .init(min: OFixtures.gb(10))))
            try sim.start(OFixtures.pod("one", in: "team", gb: 10))
            let leadership = Leadership()
            let replica = try OperatorReplica(client: client, clock: clock, leadership: leadership)
            try await replica.running {
                #expect(await eventually { replica.service.hasSynced })
                await settle(.milliseconds(200))
                #expect(sim.requestCount(verb: "patch") == 0 && replica.quotaOperator.steps == 0)
                leadership.set(leading: true)
                #expect(await eventually { sim.used(ofElastic: "q", in: "team") == OFixtures.gb(10) && sim.capacity("one", in: "team") == "in-quota" })
            }
        }
    }
}


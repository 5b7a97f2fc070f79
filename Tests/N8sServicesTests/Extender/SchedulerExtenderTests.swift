import Foundation
import KubeCore
import KubeRuntime
import N8sCore
import Testing

@testable import N8sServices

/// `n8s scheduler-extender`'s decisions (filter, preempt, assumed requests) over filled caches.
@Suite("scheduler extender: filter, preempt and assumed requests")
struct SchedulerExtenderTests {
    typealias X = XF

    @Test("C18 over filter and preempt: the owner's pods pass and reclaim borrowed CPUs; the borrower is then refused for good")
    func c18() throws {
        let q1 = X.quota("q1", max: X.cpu(4))
        let q2 = X.quota("q2", min: X.cpu(2))
        let borrowers = (0..<4).map { X.pod("b\($0)", in: "q1", minute: $0) }
        let ext = X.extender(quotas: [q1, q2], pods: borrowers, nodes: [X.node("n1", cpu: 4)])
        let owner = X.pod("o1", in: "q2", node: nil)
        let pass = ext.filter(body: try X.filterBody(owner, nodes: ["n1"]))
        #expect(pass.nodeNames == ["n1"])
        #expect(pass.error == nil)
        let preempted = ext.preempt(body: try X.preemptBody(owner, victims: ["n1": [borrowers[3]]]))
        #expect(X.victims(preempted) == ["n1": ["uid-q1-b3"]])

        // Two borrowers gone, both owners bound: q1's next pod is refused, and preemption cannot help it.
        ext.observe(ext.pods.replaceAll(with: Array(borrowers.prefix(2)) + [X.pod("o1", in: "q2", minute: 10), X.pod("o2", in: "q2", minute: 11)]))
        let back = ext.filter(body: try X.filterBody(X.pod("b9", in: "q1", node: nil), nodes: ["n1", "n2"]))
        #expect(back.nodeNames == [])
        #expect(back.failedNodes == nil)
        #expect(back.failedAndUnresolvableNodes?.keys.sorted() == ["n1", "n2"])
        #expect(back.failedAndUnresolvableNodes?["n1"]?.contains("ElasticQuota q1/q1: cpu would borrow") == true, "\(String(describing: back.failedAndUnresolvableNodes))")
        let none = ext.preempt(body: try X.preemptBody(X.pod("b9", in: "q1", node: nil, priority: 100), victims: ["n1": [X.pod("o2", in: "q2", minute: 11)]]))
        #expect(none.nodeNameToMetaVictims.isEmpty)
        #expect(none.error == nil)
    }

    @Test("C22 and C26 over preempt: in-quota pods of others are dropped; a node stays when the allowed victims still make room")
    func narrowing() throws {
        let r = X.quota("r", min: X.gb(40))
        let s = X.quota("s", min: X.gb(20))
        let q = X.quota("q", min: X.gb(60))  // q1, q2 and q3 (50) all within it
        let s1 = X.pod("s1", in: "s", gb: 20, node: "n1", minute: 0)
        let s2 = X.pod("s2", in: "s", gb: 20, node: "n1", minute: 1)
        let q1 = X.pod("q1", in: "q", gb: 20, node: "n1", minute: 0, priority: -10)
        let q2 = X.pod("q2", in: "q", gb: 20, node: "n2", minute: 0, priority: -10)
        let s3 = X.pod("s3", in: "s", gb: 10, node: "n3", minute: 2)
        let q3 = X.pod("q3", in: "q", gb: 10, node: "n3", minute: 0, priority: -10)
        // n1: 6 devices, 6 used (s1, s2, q1); n2: 2 devices (q2); n3: 2 devices (s3, q3).
        let nodes = [X.node("n1", cpu: 16, mig10: 6), X.node("n2", cpu: 16, mig10: 2), X.node("n3", cpu: 16, mig10: 2)]
        let ext = X.extender(quotas: [r, s, q], pods: [s1, s2, q1, q2, s3, q3], nodes: nodes)
        let pending = X.pod("r1", in: "r", gb: 20, node: nil)
        let result = ext.preempt(body: try X.preemptBody(pending, victims: ["n1": [q1, s2], "n2": [q2], "n3": [s3, q3]]))
        // n1: q1 dropped, s2 alone frees 2 devices. n2: nothing allowed. n3: s3 alone frees 1 device, not 2.
        #expect(X.victims(result) == ["n1": ["uid-s-s2"]])
        // s1 is in quota (C22): never a victim, even offered alone.
        let c22 = ext.preempt(body: try X.preemptBody(pending, victims: ["n1": [s1]]))
        #expect(c22.nodeNameToMetaVictims.isEmpty)
    }

    @Test("C25 and C27 over preempt: only the needed resource decides; a quota with only max preempts no one")
    func neededResourceAndMaxOnly() throws {
        let a = X.quota("a", min: ["cpu": Quantity(2), X.gpuMemory: Quantity(40)])
        let b = X.quota("b", min: ["cpu": Quantity(8), X.gpuMemory: Quantity(20)])
        let x = X.quota("x", max: X.gb(100))
        let pods = [X.pod("a1", in: "a", cpu: 4, node: "n1"), X.pod("b0", in: "b", gb: 20, node: "n1"), X.pod("b1", in: "b", gb: 10, node: "n1", minute: 1)]
        let ext = X.extender(quotas: [a, b, x], pods: pods, nodes: [X.node("n1", cpu: 16, mig10: 3)])
        let c25 = ext.preempt(body: try X.preemptBody(X.pod("a2", in: "a", gb: 10, node: nil), victims: ["n1": [pods[2]]]))
        #expect(X.victims(c25) == ["n1": ["uid-b-b1"]])
        let c27 = ext.preempt(body: try X.preemptBody(X.pod("x1", in: "x", gb: 10, node: nil, priority: 1000), victims: ["n1": [pods[2]]]))
        #expect(c27.nodeNameToMetaVictims.isEmpty)
    }

    @Test("two pods never both take the last unit: the first is assumed until its binding, deletion or the timeout")
    func assumed() throws {
        let clock = ManualClock()
        let a = X.quota("a", min: X.cpu(2), max: X.cpu(2))
        let ext = X.extender(quotas: [a], pods: [X.pod("a0", in: "a")], clock: clock)
        let first = X.pod("a1", in: "a", node: nil)
        let second = X.pod("a2", in: "a", node: nil)
        #expect(ext.filter(body: try X.filterBody(first, nodes: ["n1"])).nodeNames == ["n1"])
        #expect(ext.assumedUIDs == ["uid-a-a1"])
        let refused = ext.filter(body: try X.filterBody(second, nodes: ["n1"]))
        #expect(refused.nodeNames == [])
        #expect(refused.failedAndUnresolvableNodes?["n1"]?.contains("over its max 2") == true)
        // The first pod's next attempt replaces its own assumption rather than counting twice.
        #expect(ext.filter(body: try X.filterBody(first, nodes: ["n1"])).nodeNames == ["n1"])

        // Timeout: held just under it, released past it.
        clock.advance(by: ExtenderConfig.defaultAssumeTimeout - .seconds(1))
        #expect(ext.filter(body: try X.filterBody(second, nodes: ["n1"])).nodeNames == [])
        clock.advance(by: .seconds(2))
        #expect(ext.assumedUIDs == [])
        #expect(ext.filter(body: try X.filterBody(second, nodes: ["n1"])).nodeNames == ["n1"], "a1's hold expired; a2 is now held")

        // Bound: released, and counted as a bound pod instead.
        let bound = X.pod("a2", in: "a", node: "n1")
        ext.observe([.applied(bound, old: second)])
        #expect(ext.assumedUIDs == [])
        #expect(ext.pods.list().count == 1, "the cache has not seen the binding yet")
        ext.observe(ext.pods.replaceAll(with: [X.pod("a0", in: "a"), bound]))
        #expect(ext.filter(body: try X.filterBody(first, nodes: ["n1"])).nodeNames == [])

        // Deleted: released.
        let third = X.pod("a3", in: "a", node: nil)
        ext.observe(ext.pods.replaceAll(with: [X.pod("a0", in: "a")]))
        #expect(ext.filter(body: try X.filterBody(third, nodes: ["n1"])).nodeNames == ["n1"])
        #expect(ext.filter(body: try X.filterBody(first, nodes: ["n1"])).nodeNames == [])
        ext.observe([.deleted(third)])
        #expect(ext.filter(body: try X.filterBody(first, nodes: ["n1"])).nodeNames == ["n1"])
    }

    @Test("a pod over its quota's max is unresolvable when the victims the rules allow would not bring it within max")
    func unresolvableOverMax() {
        let a = X.quota("a", min: X.cpu(2), max: X.gb(20))
        let b = X.quota("b", min: ["cpu": Quantity(1), X.gpuMemory: Quantity(40)])  // idle GPU memory a may borrow
        // b borrows a CPU; a's pod is within a's CPU min, so b0 is an allowed victim, but a would still exceed its max.
        let ext = X.extender(quotas: [a, b], pods: [X.pod("a0", in: "a", cpu: 1, gb: 20), X.pod("b0", in: "b", cpu: 2)])
        let result = ext.filter(body: try! X.filterBody(X.pod("a1", in: "a", cpu: 1, gb: 10, node: nil), nodes: ["n1"]))
        #expect(result.nodeNames == [])
        #expect(result.failedNodes == nil)
        #expect(result.failedAndUnresolvableNodes?["n1"]?.contains("over its max 20") == true)
        // A lower-priority pod of a's own would free room within max: then preemption can help.
        let own = X.extender(quotas: [a, b], pods: [X.pod("a0", in: "a", cpu: 1, gb: 20, priority: -1), X.pod("b0", in: "b", cpu: 2)])
        let helped = own.filter(body: try! X.filterBody(X.pod("a1", in: "a", cpu: 1, gb: 10, node: nil), nodes: ["n1"]))
        #expect(helped.failedNodes?.keys.sorted() == ["n1"])
    }

    @Test("the usage is cached until a pod or quota change can move it")
    func cachedUsage() {
        let a = X.quota("a", min: X.cpu(2), max: X.cpu(2))
        let a0 = X.pod("a0", in: "a")
        let ext = X.extender(quotas: [a], pods: [a0])
        let pending = X.pod("a1", in: "a", node: nil)
        #expect(ext.filter(body: try! X.filterBody(pending, nodes: ["n1"])).nodeNames == ["n1"])
        #expect(ext.base.withLock { $0.usage != nil })

        // A status change of a counted pod does not move the usage: the cache stays.
        var heartbeat = a0
        heartbeat.status?.conditions = [PodCondition(type: "Ready", status: "True")]
        ext.observe(ext.pods.replaceAll(with: [heartbeat]))
        #expect(ext.base.withLock { $0.usage != nil })

        // Another pod bound: counted at once (a1 is still held as assumed, a2 is refused).
        ext.observe(ext.pods.replaceAll(with: [heartbeat, X.pod("b0", in: "a", minute: 1)]))
        #expect(ext.base.withLock { $0.usage == nil })
        #expect(ext.filter(body: try! X.filterBody(pending, nodes: ["n1"])).nodeNames == [], "a0 and b0 fill max 2")

        // A quota change: the watcher drops the cache.
        ext.elasticQuotas.replaceAll(with: [X.quota("a", min: X.cpu(3), max: X.cpu(3))])
        #expect(ext.filter(body: try! X.filterBody(pending, nodes: ["n1"])).nodeNames == [], "not yet told")
        ext.invalidateUsage()
        #expect(ext.filter(body: try! X.filterBody(pending, nodes: ["n1"])).nodeNames == ["n1"])
    }

    @Test("which pod changes move the usage", arguments: [
        ("a new bound pod", nil, XF.pod("p", in: "a"), true),
        ("a new pending pod", nil, XF.pod("p", in: "a", node: nil), false),
        ("bound", XF.pod("p", in: "a", node: nil), XF.pod("p", in: "a"), true),
        ("a condition", XF.pod("p", in: "a"), { var p = XF.pod("p", in: "a"); p.status?.conditions = [PodCondition(type: "Ready", status: "True")]; return p }(), false),
        ("finished", XF.pod("p", in: "a"), { var p = XF.pod("p", in: "a"); p.status?.phase = "Succeeded"; return p }(), true),
        ("resized", XF.pod("p", in: "a"), XF.pod("p", in: "a", cpu: 2), true),
    ] as [(String, Pod?, Pod, Bool)])
    func movesUsage(_ label: String, _ old: Pod?, _ new: Pod, _ moves: Bool) {
        #expect(SchedulerExtender.movesUsage(.applied(new, old: old)) == moves, "\(label)")
    }
}

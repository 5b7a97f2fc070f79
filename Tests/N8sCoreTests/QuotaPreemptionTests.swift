import Foundation
import KubeCore
import Testing
@testable import N8sCore

/// The quota side of preemption (``QuotaPreemption``): which pods a pending pod may preempt.
@Suite("Quota preemption: which victims the quota rules allow")
struct QuotaPreemptionTests {
    typealias F = QuotaFixtures

    static func cpu(_ n: Int) -> [String: Quantity] { ["cpu": Quantity(n)] }

    static func uid(_ pod: Pod) -> Pod {
        var pod = pod
        pod.metadata.uid = "uid-\(pod.metadata.namespace ?? "")-\(pod.name)"
        return pod
    }

    static func preemption(_ quotas: [Quota], _ pods: [Pod], for preemptor: Pod) throws -> QuotaPreemption {
        try QuotaPreemption(quotas: QuotaSet(quotas), pods: pods, rates: F.rates, preemptor: preemptor)
    }

    @Test("C18: an owner under its min reclaims from a borrower with min 0, pod by pod; the borrower cannot take it back")
    func c18() throws {
        let q1 = F.elastic("q1", in: "q1", max: Self.cpu(4))
        let q2 = F.elastic("q2", in: "q2", min: Self.cpu(2))
        let borrowers = (0..<4).map { F.pod("b\($0)", in: "q1", Self.cpu(1), createdAt: $0) }
        let first = F.pod("o1", in: "q2", Self.cpu(1), node: nil)
        let reclaim = try Self.preemption([q1, q2], borrowers, for: first)
        #expect(reclaim.isInQuota)
        for b in borrowers { #expect(reclaim.verdict(on: b) == nil, "\(b.key) borrows all it uses") }
        #expect(try reclaim.admitsPreemptor(evicting: [borrowers[3].key]))

        // One borrower gone, o1 running: the second owner pod reclaims another.
        let afterOne = Array(borrowers.prefix(3)) + [F.pod("o1", in: "q2", Self.cpu(1), createdAt: 10)]
        let second = try Self.preemption([q1, q2], afterOne, for: F.pod("o2", in: "q2", Self.cpu(1), node: nil))
        #expect(second.isInQuota)
        #expect(second.verdict(on: afterOne[2]) == nil)

        // q2 at its min (2 running), q1 at 2: q1's next pod may not take anything back.
        let settled = Array(borrowers.prefix(2)) + [F.pod("o1", in: "q2", Self.cpu(1), createdAt: 10), F.pod("o2", in: "q2", Self.cpu(1), createdAt: 11)]
        let again = F.pod("b9", in: "q1", Self.cpu(1), createdAt: 12, node: nil)
        let usage = try F.usage([q1, q2], settled)
        #expect(!(try usage.admit(try F.rates.charge(of: again), namespace: "q1").isAdmissible), "borrowing beyond Σmin")
        let back = try Self.preemption([q1, q2], settled, for: again)
        #expect(!back.isInQuota)
        for owner in settled.suffix(2) { #expect(back.verdict(on: owner) != nil, "\(owner.key) is in quota") }
        #expect(!back.hasAnyVictim)
    }

    @Test("C22: only the other quota's over-quota pod is a victim, never its in-quota pods")
    func c22() throws {
        let a = F.elastic("a", in: "a", min: Self.cpu(2))
        let b = F.elastic("b", in: "b", min: Self.cpu(2))
        let bPods = [F.pod("b1", in: "b", Self.cpu(1), createdAt: 0), F.pod("b2", in: "b", Self.cpu(1), createdAt: 1),
                     F.pod("b3", in: "b", Self.cpu(1), createdAt: 2)]
        let p = try Self.preemption([a, b], bPods, for: F.pod("a1", in: "a", Self.cpu(1), node: nil))
        #expect(p.verdict(on: bPods[2]) == nil)
        #expect(p.verdict(on: bPods[0]) != nil)
        #expect(p.verdict(on: bPods[1]) != nil)
    }

    @Test("C25: a quota over its CPU min but under its GPU min reclaims GPU memory from a borrower")
    func c25() throws {
        let a = F.elastic("a", in: "a", min: ["cpu": Quantity(2), F.gpuMemory: Quantity(40)])
        let b = F.elastic("b", in: "b", min: ["cpu": Quantity(8), F.gpuMemory: Quantity(20)])
        // a borrows 2 CPUs; b borrows 10 GB, within its fair share (20/60 × 40), so only a's GPU min can reclaim it.
        let running = [F.pod("a1", in: "a", Self.cpu(4)), F.pod("b0", in: "b", F.mig10(20)), F.pod("b1", in: "b", F.mig10(10), createdAt: 1)]
        let p = try Self.preemption([a, b], running, for: F.pod("a2", in: "a", F.mig10(20), node: nil))
        #expect(!p.isInQuota, "a2 takes a further 2 CPUs over a's min")
        #expect(try p.usage.resourcesOverFairShare(b.id).isEmpty)
        #expect(p.verdict(on: running[2]) == nil)
        #expect(p.verdict(on: running[1]) != nil, "b0 is within b's min")
        #expect(try p.admitsPreemptor(evicting: [running[2].key]))
        // A pod of a asking CPU only frees nothing b borrows that a is owed.
        let cpuOnly = try Self.preemption([a, b], running, for: F.pod("a3", in: "a", Self.cpu(1), node: nil))
        #expect(cpuOnly.verdict(on: running[2]) != nil)
    }

    @Test("C26: a child under its min reclaims from its over-min sibling; a low-priority quota under its min is untouched and blocks nothing")
    func c26() throws {
        let r = F.elastic("r", in: "r", min: F.gb(40))
        let s = F.elastic("s", in: "s", min: F.gb(20))
        let q = F.elastic("q", in: "q", min: F.gb(40))
        let s1 = F.pod("s1", in: "s", F.mig10(20), createdAt: 0)
        let s2 = F.pod("s2", in: "s", F.mig10(20), createdAt: 1)
        let q1 = F.pod("q1", in: "q", F.mig10(20), createdAt: 0, priority: -10)
        let p = try Self.preemption([r, s, q], [s1, s2, q1], for: F.pod("r1", in: "r", F.mig10(20), node: nil))
        #expect(p.verdict(on: s2) == nil)
        #expect(p.verdict(on: s1) != nil)
        #expect(p.verdict(on: q1) != nil, "q runs within its min, however low its priority")
        #expect(try p.admitsPreemptor(evicting: [s2.key]))
    }

    @Test("C27: a quota with only max uses idle capacity but preempts no other quota's pods")
    func c27() throws {
        let x = F.elastic("x", in: "x", max: F.gb(100))
        let o = F.elastic("o", in: "o", min: F.gb(20))
        let k = F.elastic("k", in: "k", min: F.gb(40))
        let borrowing = [F.pod("o1", in: "o", F.mig10(20)), F.pod("o2", in: "o", F.mig10(10), createdAt: 1), F.pod("x1", in: "x", F.mig10(10), priority: -5)]
        let pending = F.pod("x2", in: "x", F.mig10(10), priority: 5, node: nil)
        let usage = try F.usage([x, o, k], borrowing)
        #expect(try usage.admit(try F.rates.charge(of: pending), namespace: "x").isAdmissible, "k's min is idle")
        let p = try Self.preemption([x, o, k], borrowing, for: pending)
        #expect(p.verdict(on: borrowing[1]) != nil, "o2 is over quota, but x has no min and no fair share")
        #expect(p.verdict(on: borrowing[0]) != nil)
        #expect(p.verdict(on: borrowing[2]) == nil, "its own lower-priority pod, as kube-scheduler would")
    }

    @Test("no victims in namespaces without a quota, and none for a pod outside every quota")
    func noQuota() throws {
        let a = F.elastic("a", in: "a", min: Self.cpu(2))
        let free = F.pod("f1", in: "free", Self.cpu(1), priority: -100)
        let p = try Self.preemption([a], [free], for: F.pod("a1", in: "a", Self.cpu(1), node: nil))
        #expect(p.verdict(on: free) != nil)
        let outsider = try Self.preemption([a], [free, F.pod("a0", in: "a", Self.cpu(1), priority: -100)], for: F.pod("g1", in: "free", Self.cpu(1), priority: 100, node: nil))
        #expect(outsider.verdict(on: free) != nil)
        #expect(!outsider.hasAnyVictim)
    }

    @Test("fair sharing: a borrower within its share preempts over-quota pods of a quota over its share")
    func fairShare() throws {
        // b uses 40: b1 (20) in quota, b2 and b3 (10 each) over.
        let (a, b, c, pods) = F.workedExample()
        let p = try Self.preemption([a, b, c], pods, for: F.pod("a2", in: "a", F.mig10(20), node: nil))
        #expect(!p.isInQuota)
        #expect(p.verdict(on: pods[3]) == nil)
        #expect(p.verdict(on: pods[1]) != nil)
        #expect(!(try p.admitsPreemptor(evicting: [])))
        #expect(try p.admitsPreemptor(evicting: [pods[3].key]))
    }

    @Test("the usage once victims leave equals the usage computed without them")
    func removing() throws {
        let a = F.elastic("a", in: "a", min: F.gb(20))
        let b = F.composite("b", in: "ops", over: ["b1", "b2"], min: Self.cpu(4), max: F.gb(60))
        let pods = [F.pod("a1", in: "a", F.mig10(20)), F.pod("a2", in: "a", F.mig10(10), createdAt: 1), F.pod("x", in: "b1", F.mig10(30)),
                    F.pod("y", in: "b2", F.mig10(20), createdAt: 2), F.pod("free", in: "none", F.mig10(10))]
        let gone: Set<ObjectKey> = [pods[1].key, pods[3].key, pods[4].key, ObjectKey(namespace: "a", name: "unknown")]
        let removed = try F.usage([a, b], pods).removing(gone)
        let fresh = try F.usage([a, b], pods.filter { !gone.contains($0.key) })
        #expect(removed.used == fresh.used)
        #expect(removed.members.mapValues { Set($0) } == fresh.members.mapValues { Set($0) })
        #expect(removed.used[b.id] == ["cpu": Quantity(2), F.gpuMemory: Quantity(30)])
        #expect(try removed.capacities() == fresh.capacities())
    }

    @Test("the usage with pods added equals the usage computed with them; a pod already counted is not counted twice")
    func adding() throws {
        let a = F.elastic("a", in: "a", min: F.gb(20))
        let b = F.composite("b", in: "ops", over: ["b1", "b2"], min: Self.cpu(4), max: F.gb(60))
        let bound = [F.pod("a1", in: "a", F.mig10(20)), F.pod("x", in: "b1", F.mig10(30))]
        let more = [F.pod("a2", in: "a", F.mig10(10), createdAt: 1), F.pod("y", in: "b2", F.mig10(20), createdAt: 2), bound[0],
                    F.pod("y", in: "b2", F.mig10(20), createdAt: 2), F.pod("pending", in: "a", F.mig10(10), node: nil), F.pod("free", in: "none", F.mig10(10))]
        let added = try F.usage([a, b], bound).adding(more, rates: F.rates, rule: .admission)
        let fresh = try F.usage([a, b], bound + more)
        #expect(added.used == fresh.used)
        #expect(added.members.mapValues { Set($0) } == fresh.members.mapValues { Set($0) })
        #expect(added.used[a.id] == F.gb(30))
        #expect(try added.capacities() == fresh.capacities())
    }
}

import Foundation
import KubeCore
import Testing
@testable import N8sCore

@Suite("Quota admission and fair sharing")
struct QuotaAdmissionTests {
    typealias F = QuotaFixtures

    @Test("in-quota pods are always admissible, even while others borrow the capacity")
    func inQuota() throws {
        let a = F.elastic("a", in: "a", min: F.gb(40))
        let b = F.elastic("b", in: "b", min: F.gb(40))
        let usage = try F.usage([a, b], [F.pod("b1", in: "b", F.mig10(70))])  // b borrows 30 of a's min
        let pod = try F.rates.charge(of: F.pod("a1", in: "a", F.mig10(40), node: nil))
        #expect(try usage.admit(pod, namespace: "a") == .inQuota(a.id))
        #expect(try usage.admit(pod, namespace: "nobody") == .noQuota)
    }

    @Test("borrowing is allowed only within the other quotas' unused min")
    func borrowing() throws {
        let a = F.elastic("a", in: "a", min: F.gb(40))
        let b = F.elastic("b", in: "b", min: F.gb(40))
        let c = F.elastic("c", in: "c", min: F.gb(20))  // counts only gpu-memory: irrelevant to cpu
        let usage = try F.usage([a, b, c], [F.pod("b1", in: "b", F.mig10(50)), F.pod("c1", in: "c", F.mig10(20))])
        // Unused min: a 40, b 0 (borrowing 10), c 0. b may borrow 30 more, not 40.
        let thirty = try F.rates.charge(of: F.pod("b2", in: "b", F.mig10(30), node: nil))
        #expect(try usage.admit(thirty, namespace: "b") == .borrowing(b.id, borrowed: F.gb(40)))
        let forty = try F.rates.charge(of: F.pod("b3", in: "b", F.mig10(40), node: nil))
        guard case .rejected(_, let reason) = try usage.admit(forty, namespace: "b") else { Issue.record("admitted"); return }
        #expect(reason == "ElasticQuota b/b: n8s.nebuly.ai/gpu-memory would borrow 40 beyond its min 40, but only 30 of the other quotas' unused min is free to borrow")
    }

    @Test("C27 (quota side): a quota with only max borrows idle min, within max, and has no fair share")
    func c27() throws {
        let x = F.elastic("x", in: "x", max: F.gb(100))
        let owner = F.elastic("o", in: "o", min: F.gb(80))
        let usage = try F.usage([x, owner], [F.pod("x1", in: "x", F.mig10(50))])
        let more = try F.rates.charge(of: F.pod("x2", in: "x", F.mig10(30), node: nil))
        #expect(try usage.admit(more, namespace: "x") == .borrowing(x.id, borrowed: F.gb(80)))
        let overMax = try F.rates.charge(of: F.pod("x3", in: "x", F.mig10(60), node: nil))
        #expect(!(try usage.admit(overMax, namespace: "x").isAdmissible))
        #expect(try usage.fairShares()[x.id] == F.gb(0))
        #expect(try !usage.staysWithinFairShare(x.id, adding: more))
        #expect(try usage.capacities()[ObjectKey(namespace: "x", name: "x1")] == .overQuota)
    }

    @Test("fair share: the worked example of docs/quotas.md")
    func workedExample() throws {
        let (a, b, c, pods) = F.workedExample()
        let usage = try F.usage([a, b, c], pods)
        // Σmin = 80; unused min: a 10, b 0, c 20 → 30. Shares: a 40/80×30 = 15, b and c 20/80×30 = 7.5.
        let shares = try usage.fairShares()
        #expect(shares[a.id] == F.gb(15))
        #expect(shares[b.id] == [F.gpuMemory: "7.5"])
        #expect(shares[c.id] == [F.gpuMemory: "7.5"])
        #expect(try usage.borrowed(by: b.id) == F.gb(20))
        #expect(try usage.resourcesOverFairShare(b.id) == [F.gpuMemory])
        #expect(try usage.resourcesOverFairShare(a.id) == [])
        // a asks 20 more: 10 over its min, within its share 15, but total borrowing is full.
        let a2 = try F.rates.charge(of: F.pod("a2", in: "a", F.mig10(20), node: nil))
        #expect(try usage.staysWithinFairShare(a.id, adding: a2))
        #expect(!(try usage.admit(a2, namespace: "a").isAdmissible))
        // So a's pod may preempt b's over-quota pods; once b3 (the newest, over quota) is gone, it fits.
        #expect(try usage.capacities()[ObjectKey(namespace: "b", name: "b3")] == .overQuota)
        let after = try F.usage([a, b, c], pods.filter { $0.name != "b3" })
        #expect(try after.admit(a2, namespace: "a") == .borrowing(a.id, borrowed: F.gb(10)))
    }

    @Test("shares stay exact for large byte quantities")
    func exactShares() {
        let share = QuotaUsage.share(min: "3Ti", totalMin: "7Ti", unused: "5Ti")
        #expect(share.nanos == (Int128(3) * 5 * (1 << 40) * 1_000_000_000) / 7)
    }
}

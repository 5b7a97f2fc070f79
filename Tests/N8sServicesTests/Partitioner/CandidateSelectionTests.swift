import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sServices

@Suite("Candidate selection")
struct CandidateSelectionTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let config = PartitionerConfig()

    func decide(_ pod: Pod, ledger: PlanLedger = PlanLedger(), at time: Date? = nil, nodesVersion: Int = 0) -> CandidateDecision {
        ledger.decide(pod, now: time ?? now, nodesVersion: nodesVersion, config: config)
    }

    /// Real kube-scheduler wordings (several versions) that report a missing MIG profile.
    static let ours = [
        "0/3 nodes are available: 3 Insufficient nvidia.com/mig-1g.10gb.",
        "0/3 nodes are available: 3 Insufficient nvidia.com/mig-1g.10gb. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
        "0/49 nodes are available: 1 Insufficient cpu, 1 Insufficient nvidia.com/mig-2g.20gb, 1 node(s) had untolerated taint {role: training-cpu}, 3 node(s) had untolerated taint {CriticalAddonsOnly: true}, 4 node(s) had untolerated taint {role: training-gpu}, 40 node(s) didn't match Pod's node affinity/selector. preemption: 0/49 nodes are available: 49 Preemption is not helpful for scheduling.",
        "0/2 nodes are available: 1 node(s) had taint {nvidia.com/gpu: present}, that the pod didn't tolerate, 1 Insufficient nvidia.com/mig-3g.40gb.",
    ]

    /// Pending for other reasons, or other schedulers' wording: not the partitioner's.
    static let notOurs = [
        "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        "0/1 nodes are available: 1 Insufficient cpu.",
        // KAI scheduler and HAMi word it their own way.
        "NonPreemptibleOverQuota: Non-preemptible job requested 1 GPUs; the queue's quota is 0",
        "0/1 nodes are available: 1 node unregistered, 1 CardInsufficientMemory.",
    ]

    @Test("kube-scheduler messages reporting Insufficient nvidia.com/mig- make a candidate", arguments: ours)
    func realMessages(_ message: String) {
        #expect(decide(PFixtures.pendingPod("p", ["1g.10gb": 1], message: message)) == .candidate)
    }

    @Test("pods pending for other reasons, or in other schedulers' words, are not candidates", arguments: notOurs)
    func otherMessages(_ message: String) {
        guard case .notCandidate = decide(PFixtures.pendingPod("p", ["1g.10gb": 1], message: message)) else {
            Issue.record("\(message) made a candidate")
            return
        }
    }

    @Test("bound, not Pending, nominated, DaemonSet- or Node-owned, deleted and non-MIG pods are not candidates")
    func predicates() {
        var bound = PFixtures.pendingPod("p", ["1g.10gb": 1])
        bound.spec.nodeName = "n1"
        var running = PFixtures.pendingPod("p", ["1g.10gb": 1])
        running.status?.phase = "Running"
        var nominated = PFixtures.pendingPod("p", ["1g.10gb": 1])
        nominated.status?.nominatedNodeName = "n2"
        var daemon = PFixtures.pendingPod("p", ["1g.10gb": 1])
        daemon.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "DaemonSet", name: "ds", uid: "u")]
        var mirror = PFixtures.pendingPod("p", ["1g.10gb": 1])
        mirror.metadata.ownerReferences = [OwnerReference(apiVersion: "v1", kind: "Node", name: "n1", uid: "u")]
        let noMIG = PFixtures.pendingPod("p", [:], message: PFixtures.insufficient("1g.10gb"))
        var scheduledTrue = PFixtures.pendingPod("p", ["1g.10gb": 1])
        scheduledTrue.status?.conditions = [PodCondition(type: "PodScheduled", status: "True")]
        var deleting = PFixtures.pendingPod("p", ["1g.10gb": 1])
        deleting.metadata.deletionTimestamp = now
        for pod in [bound, running, nominated, daemon, mirror, noMIG, scheduledTrue, deleting] {
            guard case .notCandidate = decide(pod) else {
                Issue.record("candidate: \(pod.spec.nodeName ?? "-") \(pod.status?.phase ?? "-")")
                continue
            }
        }
        var owned = PFixtures.pendingPod("p", ["1g.10gb": 1])
        owned.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u")]
        #expect(decide(owned) == .candidate)
    }

    @Test("a planned pod is reserved until the TTL passes, then a candidate again")
    func reservationTTL() {
        let pod = PFixtures.pendingPod("p", ["1g.10gb": 1])
        var ledger = PlanLedger()
        ledger.reserve(pod, node: "n1", planID: "plan-1", at: now)
        #expect(decide(pod, ledger: ledger, at: now.addingTimeInterval(599)) == .reserved(Reservation(node: "n1", planID: "plan-1", at: now)))
        #expect(decide(pod, ledger: ledger, at: now.addingTimeInterval(600)) == .candidate)
    }

    @Test("a failed plan releases its pods; a bound or deleted pod is forgotten")
    func release() {
        let a = PFixtures.pendingPod("a", ["1g.10gb": 1])
        let b = PFixtures.pendingPod("b", ["1g.10gb": 1])
        var ledger = PlanLedger()
        ledger.reserve(a, node: "n1", planID: "plan-1", at: now)
        ledger.reserve(b, node: "n2", planID: "plan-2", at: now)
        #expect(ledger.release { _, r in r.planID == "plan-1" } == [a.key])
        #expect(decide(a, ledger: ledger) == .candidate)
        guard case .reserved = decide(b, ledger: ledger) else { return #expect(Bool(false)) }
        var bound = b
        bound.spec.nodeName = "n2"
        ledger.prune(pods: [b.key: bound], now: now, ttl: config.plannedPodTTL)
        #expect(ledger.plans(of: b.key) == 0)
        #expect(ledger.plans(of: a.key) == 0, "a is not in the cache any more")
    }

    @Test("after maxPlansPerPod rounds a pod is left alone, and the Event is sent once")
    func maxPlans() {
        let pod = PFixtures.pendingPod("p", ["1g.10gb": 1])
        var ledger = PlanLedger()
        var t = now
        for _ in 0..<config.maxPlansPerPod {
            #expect(decide(pod, ledger: ledger, at: t) == .candidate)
            ledger.reserve(pod, node: "n1", planID: "x", at: t)
            t = t.addingTimeInterval(config.plannedPodTTL.seconds)
        }
        #expect(decide(pod, ledger: ledger, at: t) == .exhausted(plans: 5))
        let first = ledger.markExhaustedNotified(pod.key)
        let second = ledger.markExhaustedNotified(pod.key)
        #expect(first && !second)
    }

    @Test("a pod recreated under the same name (new UID) starts afresh")
    func recreated() {
        let old = PFixtures.pendingPod("p", ["1g.10gb": 1], uid: "u1")
        var ledger = PlanLedger()
        ledger.reserve(old, node: "n1", planID: "x", at: now)
        #expect(decide(PFixtures.pendingPod("p", ["1g.10gb": 1], uid: "u2"), ledger: ledger) == .candidate)
    }

    @Test("an unplaceable pod waits for a node change or the TTL, not for the next window")
    func waitsForNodeChange() {
        let pod = PFixtures.pendingPod("p", ["7g.40gb": 1])
        var ledger = PlanLedger()
        ledger.recordUnplaceable(pod, at: now, nodesVersion: 3)
        #expect(decide(pod, ledger: ledger, at: now.addingTimeInterval(60), nodesVersion: 3) == .waitingForNodeChange)
        #expect(decide(pod, ledger: ledger, at: now.addingTimeInterval(60), nodesVersion: 4) == .candidate)
        #expect(decide(pod, ledger: ledger, at: now.addingTimeInterval(600), nodesVersion: 3) == .candidate)
    }

    struct DenyAll: QuotaGate {
        func rejection(of pod: Pod) -> String? { "over quota" }
    }

    @Test("the quota hook is off by default and filters candidates when on")
    func quotaHook() {
        let pod = PFixtures.pendingPod("p", ["1g.10gb": 1])
        #expect(PlanLedger().decide(pod, now: now, nodesVersion: 0, config: config, quota: DenyAll()) == .candidate)
        var on = config
        on.quotaChecks = true
        #expect(PlanLedger().decide(pod, now: now, nodesVersion: 0, config: on, quota: DenyAll()) == .quotaRejected("over quota"))
    }
}

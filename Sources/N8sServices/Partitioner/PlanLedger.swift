import Foundation
import KubeCore
import N8sCore

/// A pod held for a plan written to a node: not planned again until it binds, the plan fails,
/// the node stalls, or `plannedPodTTLSeconds` passes.
public struct Reservation: Sendable, Hashable {
    public var node: String
    public var planID: String
    /// When the plan was written (injected clock).
    public var at: Date
}

/// Why a pod is or is not in the partitioner's batch.
public enum CandidateDecision: Sendable, Hashable {
    case candidate
    /// Fails design.md section 5's predicates (not unschedulable for lack of MIG devices, bound, ...).
    case notCandidate(String)
    /// Refused by the quota hook (``QuotaGate``).
    case quotaRejected(String)
    /// Held by an in-flight plan.
    case reserved(Reservation)
    /// Planned for `maxPlansPerPod` times already; left alone.
    case exhausted(plans: Int)
    /// No layout helped it in the last round; waits until a node changes (or the TTL passes).
    case waitingForNodeChange
}

/// The quota check of candidate pods (design.md sections 5 and 6). Off by default: the elastic
/// quota work plugs an implementation in; until then every pod passes.
public protocol QuotaGate: Sendable {
    /// `nil` when `pod` may be planned for; else why its quota refuses it.
    func rejection(of pod: Pod) -> String?
}

/// The default ``QuotaGate``: quotas off, every pod passes.
public struct QuotasOff: QuotaGate {
    public init() {}
    public func rejection(of pod: Pod) -> String? { nil }
}

/// The partitioner's memory of pods it planned for: reservations, how many plans held each pod,
/// and pods waiting for a node change. Pure value; time and the node-change counter are
/// passed in. Pods are tracked by key and UID, so a pod recreated under the same name starts afresh.
///
/// Kept in memory only: after a restart every pending pod is a candidate again, and pods planned
/// onto nodes still awaiting their agent's echo fit the spec's new instances without a change.
public struct PlanLedger: Sendable, Hashable {
    struct Hold: Sendable, Hashable {
        var version: Int
        var at: Date
    }

    struct Record: Sendable, Hashable {
        var uid: String?
        var plans = 0
        var reservation: Reservation?
        /// Set when the pod was unplaceable: the node-change counter and time at that round.
        var heldAt: Hold?
        var notifiedExhausted = false
    }

    private(set) var records: [ObjectKey: Record] = [:]

    public init() {}

    /// Decides whether `pod` is a candidate at `now` (design.md section 5, in its order).
    /// - Parameters:
    ///   - nodesVersion: bumps on every node change that matters; ends a wait after an unplaceable round.
    public func decide(
        _ pod: Pod, now: Date, nodesVersion: Int, config: PartitionerConfig, quota: any QuotaGate = QuotasOff()
    ) -> CandidateDecision {
        if let reason = PendingPod.notCandidateReason(pod) { return .notCandidate(reason) }
        if pod.metadata.isBeingDeleted { return .notCandidate("being deleted") }
        if config.quotaChecks, let reason = quota.rejection(of: pod) { return .quotaRejected(reason) }
        guard let record = record(for: pod) else { return .candidate }
        if let r = record.reservation, now.timeIntervalSince(r.at) < config.plannedPodTTL.seconds { return .reserved(r) }
        if record.plans >= config.maxPlansPerPod { return .exhausted(plans: record.plans) }
        if let held = record.heldAt, held.version == nodesVersion, now.timeIntervalSince(held.at) < config.plannedPodTTL.seconds {
            return .waitingForNodeChange
        }
        return .candidate
    }

    /// Reservations in force, by pod.
    public func reservations(now: Date, ttl: Duration) -> [ObjectKey: Reservation] {
        var out: [ObjectKey: Reservation] = [:]
        for (key, r) in records {
            if let res = r.reservation, now.timeIntervalSince(res.at) < ttl.seconds { out[key] = res }
        }
        return out
    }

    /// Plans that held `pod` so far.
    public func plans(of key: ObjectKey) -> Int { records[key]?.plans ?? 0 }

    /// Records that a plan written to `node` holds `pod`.
    public mutating func reserve(_ pod: Pod, node: String, planID: String, at now: Date) {
        var r = freshRecord(for: pod)
        r.plans += 1
        r.reservation = Reservation(node: node, planID: planID, at: now)
        r.heldAt = nil
        records[pod.key] = r
    }

    /// Records a round in which no layout helped `pod`. Not a plan: it does not count toward
    /// `maxPlansPerPod` (nodes still starting up or awaiting an echo must not use up a pod's plans);
    /// the pod waits for a node change instead.
    public mutating func recordUnplaceable(_ pod: Pod, at now: Date, nodesVersion: Int) {
        var r = freshRecord(for: pod)
        r.reservation = nil
        r.heldAt = Hold(version: nodesVersion, at: now)
        records[pod.key] = r
    }

    /// Marks that the "left alone" Event was sent. - Returns: `false` if it had been already.
    public mutating func markExhaustedNotified(_ key: ObjectKey) -> Bool {
        guard var r = records[key], !r.notifiedExhausted else { return false }
        r.notifiedExhausted = true
        records[key] = r
        return true
    }

    /// Releases the reservations matching `predicate`.
    ///
    /// - Parameter refund: the plan that held each pod no longer counts toward `maxPlansPerPod`:
    ///   the node could not apply it (agent `Failed`, `Stalled`, agent not ready), so the round did
    ///   not help the pod because of its node, not because of the pod.
    /// - Returns: the pods released.
    @discardableResult
    public mutating func release(refund: Bool = false, where predicate: (ObjectKey, Reservation) -> Bool) -> [ObjectKey] {
        var released: [ObjectKey] = []
        for (key, r) in records {
            guard let res = r.reservation, predicate(key, res) else { continue }
            records[key]?.reservation = nil
            if refund { records[key]?.plans = max(0, r.plans - 1) }
            released.append(key)
        }
        return released.sorted()
    }

    /// Forgets pods that are gone or bound (their story ends), and expired reservations.
    /// - Parameter pods: every pod in the cache, by key.
    public mutating func prune(pods: [ObjectKey: Pod], now: Date, ttl: Duration) {
        for (key, r) in records {
            guard let pod = pods[key], pod.metadata.uid == r.uid || r.uid == nil else {
                records[key] = nil
                continue
            }
            if let node = pod.spec.nodeName, !node.isEmpty {
                records[key] = nil
                continue
            }
            if let res = r.reservation, now.timeIntervalSince(res.at) >= ttl.seconds { records[key]?.reservation = nil }
        }
    }

    private func record(for pod: Pod) -> Record? {
        guard let r = records[pod.key] else { return nil }
        if let uid = pod.metadata.uid, let known = r.uid, uid != known { return nil }
        return r
    }

    private func freshRecord(for pod: Pod) -> Record {
        record(for: pod) ?? Record(uid: pod.metadata.uid)
    }
}

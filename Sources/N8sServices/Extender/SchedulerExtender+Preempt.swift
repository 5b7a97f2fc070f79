import Foundation
import KubeCore
import N8sCore

extension SchedulerExtender {
    /// Answers one `preempt` body (``ExtenderPreemptionArgs``), in any key case; `nil` result
    /// with an error message for bad input (the server answers it with 400).
    ///
    /// Per node kube-scheduler proposes, keeps only the victims ``QuotaPreemption/verdict(on:)``
    /// allows (a victim the caches do not know is not allowed). A node keeps its place when every
    /// victim is allowed, or when the allowed ones still make room for the pod
    /// (``NodeFit/failure(of:on:podsOnNode:evicting:)`` on the cached node); and only when the
    /// pod's quota admits it once they are gone. Nodes and victims are never added.
    public func preempt(body: Data) -> ExtenderPreemptionResult {
        let args: ExtenderPreemptionArgs
        do { args = try KubeJSON.decode(ExtenderPreemptionArgs.self, from: body) } catch {
            return ExtenderPreemptionResult(error: "the preempt request is not extender/v1 ExtenderPreemptionArgs: \(Self.describe(error))")
        }
        return preempt(args)
    }

    public func preempt(_ args: ExtenderPreemptionArgs) -> ExtenderPreemptionResult {
        let proposed: [String: ExtenderMetaVictims]
        if let meta = args.nodeNameToMetaVictims {
            proposed = meta
        } else if let full = args.nodeNameToVictims {
            proposed = full.mapValues { v in
                ExtenderMetaVictims(pods: v.pods.map { ExtenderMetaPod(uid: $0.metadata.uid ?? "") }, numPDBViolations: v.numPDBViolations)
            }
        } else {
            return ExtenderPreemptionResult(error: "the preempt request has neither NodeNameToMetaVictims nor NodeNameToVictims")
        }
        if let problem = Self.problem(with: args.pod) { return ExtenderPreemptionResult(error: problem) }
        guard hasSynced else { return ExtenderPreemptionResult(error: "the extender's caches have not synced yet") }
        let pod = args.pod
        let uid = pod.metadata.uid ?? ""
        let (quotas, counted) = assumed.withLock { snapshot(excluding: uid, assumedNow: $0) }
        let preemption: QuotaPreemption
        do { preemption = try QuotaPreemption(quotas: quotas, pods: counted, rates: rates, preemptor: pod) } catch {
            return ExtenderPreemptionResult(error: "the quota of pod \(pod.key) cannot be computed: \(error)")
        }
        var byUID: [String: Pod] = [:]
        for p in counted { if let u = p.metadata.uid { byUID[u] = p } }
        var answer: [String: ExtenderMetaVictims] = [:]
        for (node, victims) in proposed {
            let kept = victims.pods.filter { meta in byUID[meta.uid].map { preemption.verdict(on: $0) == nil } ?? false }
            let keys = Set(kept.compactMap { byUID[$0.uid]?.key })
            if kept.count < victims.pods.count {
                guard !kept.isEmpty, let cached = nodes.get(ObjectKey(namespace: nil, name: node)),
                      NodeFit.failure(of: pod, on: cached, podsOnNode: pods.list(index: "spec.nodeName", value: node), evicting: keys) == nil
                else { continue }
            }
            guard (try? preemption.admitsPreemptor(evicting: keys)) == true else { continue }
            answer[node] = ExtenderMetaVictims(pods: kept, numPDBViolations: min(victims.numPDBViolations, Int64(kept.count)))
        }
        return ExtenderPreemptionResult(nodeNameToMetaVictims: answer)
    }
}

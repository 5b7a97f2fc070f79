import Foundation
import KubeCore
import N8sCore

extension SchedulerExtender {
    /// Answers one `filter` body (``ExtenderArgs``), in any key case.
    ///
    /// Every node asked about passes or fails together (quotas do not depend on the node):
    /// - the quota admits the pod (``QuotaUsage/admit(_:namespace:)``): every node passes, and the
    ///   pod's request is held as assumed until its binding is seen;
    /// - it rejects it: every node fails with the rejection's words, in `FailedNodes` when the
    ///   quota rules would let preemption make it admissible
    ///   (``QuotaPreemption/canBeAdmittedByPreemption``), else in
    ///   `FailedAndUnresolvableNodes`.
    ///
    /// `NodeNames` is never null and holds only names that were sent (once each). A body that is
    /// not valid, names no nodes, or carries a pod without namespace or UID, gets `Error`.
    public func filter(body: Data) -> ExtenderFilterResult {
        let args: ExtenderArgs
        do { args = try KubeJSON.decode(ExtenderArgs.self, from: body) } catch {
            return ExtenderFilterResult(nodeNames: [], error: "the filter request is not extender/v1 ExtenderArgs: \(Self.describe(error))")
        }
        return filter(args)
    }

    public func filter(_ args: ExtenderArgs) -> ExtenderFilterResult {
        guard let names = args.nodeNames ?? args.nodes.map({ $0.items.map(\.name) }) else {
            return ExtenderFilterResult(nodeNames: [], error: "the filter request has neither NodeNames nor Nodes")
        }
        var seen = Set<String>()
        let candidates = names.filter { !$0.isEmpty && seen.insert($0).inserted }
        if let problem = Self.problem(with: args.pod) { return ExtenderFilterResult(nodeNames: [], error: problem) }
        guard hasSynced else { return ExtenderFilterResult(nodeNames: [], error: "the extender's caches have not synced yet") }
        let pod = args.pod
        let uid = pod.metadata.uid ?? ""
        let now = clock.now
        let timeout = assumeTimeout
        let outcome: Result<(AdmissionDecision, resolvable: Bool), QuotaError> = assumed.withLock { a in
            a.release(uid: uid)  // back in filter: its last attempt failed
            a.expire(now: now, timeout: timeout)
            let base = baseUsage()
            do throws(QuotaError) {
                let usage = try base.usage.get().adding(a.podsCounted(except: uid), rates: rates, rule: .admission)
                let decision = try usage.admit(try rates.charge(of: pod), namespace: pod.metadata.namespace ?? "")
                if case .rejected = decision {
                    let (quotas, counted) = snapshot(excluding: uid, assumedNow: a)
                    let preemption = try QuotaPreemption(quotas: quotas, pods: counted, rates: rates, preemptor: pod)
                    return .success((decision, preemption.canBeAdmittedByPreemption))
                }
                if decision != .noQuota, !candidates.isEmpty { a.assume(pod, at: now) }
                return .success((decision, false))
            } catch {
                return .failure(error)
            }
        }
        var result: ExtenderFilterResult
        switch outcome {
        case .failure(let error):
            return ExtenderFilterResult(nodeNames: [], error: "the quota of pod \(pod.key) cannot be computed: \(error)")
        case .success((.rejected(_, let reason), let resolvable)):
            let failed = Dictionary(uniqueKeysWithValues: candidates.map { ($0, reason) })
            result = resolvable ? ExtenderFilterResult(nodeNames: [], failedNodes: failed) : ExtenderFilterResult(nodeNames: [], failedAndUnresolvableNodes: failed)
        case .success:
            result = ExtenderFilterResult(nodeNames: candidates)
        }
        if let nodes = args.nodes {
            let passing = Set(result.nodeNames ?? [])
            var seenNodes = Set<String>()
            result.nodes = ObjectList(metadata: nodes.metadata, items: nodes.items.filter { passing.contains($0.name) && seenNodes.insert($0.name).inserted })
        }
        return result
    }

    /// A decoding error in a line: what was wrong and where.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(key.stringValue) is missing\(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription)\(path(context))"
        case DecodingError.dataCorrupted(let context):
            return "the body is not valid JSON (\(context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "" : " at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    }
}

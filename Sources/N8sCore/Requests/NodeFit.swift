import KubeCore

/// Why a pod does not fit a node (what kube-scheduler's filter plugins would say).
public enum FitFailure: Sendable, Hashable, CustomStringConvertible {
    /// `spec.unschedulable` (cordoned) and the pod does not tolerate `node.kubernetes.io/unschedulable`.
    case unschedulable
    /// A `nodeSelector` label is missing or differs.
    case nodeSelectorMismatch(key: String)
    /// No term of required node affinity matches.
    case nodeAffinityMismatch
    /// A `NoSchedule` / `NoExecute` taint the pod does not tolerate.
    case untoleratedTaint(key: String, value: String?, effect: String)
    /// Requested more than allocatable minus what bound pods request.
    case insufficient(resource: String)
    /// The node's `pods` allocatable is used up.
    case tooManyPods

    public var description: String {
        switch self {
        case .unschedulable: "node is unschedulable"
        case .nodeSelectorMismatch(let k): "node does not match nodeSelector '\(k)'"
        case .nodeAffinityMismatch: "node does not match the pod's required node affinity"
        case .untoleratedTaint(let k, let v, let e): "node has untolerated taint {\(k): \(v ?? "")} (\(e))"
        case .insufficient(let r): "Insufficient \(r)"
        case .tooManyPods: "Too many pods"
        }
    }

    /// kube-scheduler's reason string for this failure, as its filter plugins write it
    /// (`node(s) didn't match Pod's node affinity/selector`, `Insufficient cpu`, ...).
    public var schedulerReason: String {
        switch self {
        case .unschedulable: "node(s) were unschedulable"
        case .nodeSelectorMismatch, .nodeAffinityMismatch: "node(s) didn't match Pod's node affinity/selector"
        case .untoleratedTaint(let key, let value, _): "node(s) had untolerated taint {\(key): \(value ?? "")}"
        case .insufficient(let resource): "Insufficient \(resource)"
        case .tooManyPods: "Too many pods"
        }
    }

    /// kube-scheduler's histogram of reasons (`framework.FitError`): `"<count> <reason>"` entries
    /// sorted byte-wise (as Go's `sort.Strings`, so `"10 x"` sorts before `"3 y"`), joined with `", "`.
    public static func histogram(_ counts: [String: Int]) -> String {
        counts.map { "\($0.value) \($0.key)" }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .joined(separator: ", ")
    }
}

/// The node-level predicates a scheduler applies (kube-scheduler plugins NodeUnschedulable,
/// NodeAffinity (nodeSelector + required affinity), TaintToleration, NodeResourcesFit). Pure; one
/// implementation shared by the planner and the simulator.
public enum NodeFit {
    /// The first static predicate (everything but resources) the node fails, or `nil`.
    public static func staticFailure(of pod: PodSpec, on node: Node) -> FitFailure? {
        if node.isUnschedulable {
            let tolerated = (pod.tolerations ?? []).contains {
                tolerates($0, Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule"))
            }
            if !tolerated { return .unschedulable }
        }
        let labels = node.metadata.labels ?? [:]
        for (key, value) in (pod.nodeSelector ?? [:]).sorted(by: { $0.key < $1.key }) where labels[key] != value {
            return .nodeSelectorMismatch(key: key)
        }
        if let required = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
            !matches(required, labels: labels, name: node.metadata.name ?? "")
        {
            return .nodeAffinityMismatch
        }
        for taint in node.spec?.taints ?? [] where taint.effect == "NoSchedule" || taint.effect == "NoExecute" {
            if !(pod.tolerations ?? []).contains(where: { tolerates($0, taint) }) {
                return .untoleratedTaint(key: taint.key, value: taint.value, effect: taint.effect)
            }
        }
        return nil
    }

    /// `true` when some term matches (terms are ORed; a term's requirements ANDed; an empty term
    /// matches nothing, as in Kubernetes).
    public static func matches(_ selector: NodeSelector, labels: [String: String], name: String) -> Bool {
        selector.nodeSelectorTerms.contains { term in
            let expressions = term.matchExpressions ?? []
            let fields = term.matchFields ?? []
            if expressions.isEmpty && fields.isEmpty { return false }
            return expressions.allSatisfy { matches($0, value: labels[$0.key]) }
                && fields.allSatisfy { $0.key == "metadata.name" && matches($0, value: name) }
        }
    }

    /// One requirement against a label (or field) value; `nil` when absent.
    public static func matches(_ r: NodeSelectorRequirement, value: String?) -> Bool {
        let values = r.values ?? []
        switch r.operator {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case "Gt", "Lt":
            guard let v = value.flatMap({ Int64($0) }), values.count == 1, let bound = Int64(values[0]) else { return false }
            return r.operator == "Gt" ? v > bound : v < bound
        default: return false
        }
    }

    /// Kubernetes' `Toleration.ToleratesTaint`.
    public static func tolerates(_ t: Toleration, _ taint: Taint) -> Bool {
        if let effect = t.effect, !effect.isEmpty, effect != taint.effect { return false }
        let key = t.key ?? ""
        if !key.isEmpty && key != taint.key { return false }
        switch t.operator ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return key.isEmpty ? false : (t.value ?? "") == (taint.value ?? "")
        default: return false
        }
    }

    /// The first resource the node lacks, or `nil`.
    /// - Parameters:
    ///   - requests: the pod's effective requests.
    ///   - free: allocatable minus the requests of pods already on the node (absent = 0).
    ///   - skip: resources checked elsewhere (the planner checks `nvidia.com/mig-*` against layouts).
    public static func resourceFailure(
        _ requests: PodRequests, free: [String: Quantity], freePods: Int, skip: (String) -> Bool = { _ in false }
    ) -> FitFailure? {
        if freePods < 1 { return .tooManyPods }
        var failed: String?
        for (name, q) in requests.resources where q > .zero && q > (free[name] ?? .zero) && !skip(name) {
            if failed == nil || name < failed! { failed = name }  // the first by name, deterministic
        }
        return failed.map { .insufficient(resource: $0) }
    }
}

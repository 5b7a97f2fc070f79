import Foundation
import KubeCore

extension KubeSim {
    /// `POST pods/{name}/binding`: assigns a pending pod to a node and sets `PodScheduled=True`.
    ///
    /// - Throws: 404 for a missing pod; 409 `Conflict` when it is already bound or being deleted;
    ///   400 when the target is not a node name.
    public func bind(namespace: String, name: String, _ body: JSONValue) throws(APIStatus) {
        let type = try resourceType(of: Pod.self)
        try checkFault(verb: "create", type: type, subresource: "binding")
        guard let node = body.value(at: ["target", "name"])?.stringValue, !node.isEmpty else {
            throw .invalid(kind: "Binding", name: name, causes: [APIStatus.Cause(reason: "FieldValueRequired", message: "Required value", field: "target.name")])
        }
        if let kind = body.value(at: ["target", "kind"])?.stringValue, !kind.isEmpty, kind != "Node" {
            throw .invalid(kind: "Binding", name: name, causes: [APIStatus.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(kind)\": must be empty or 'Node'", field: "target.kind")])
        }
        let now = clock.now
        try state.withLock { s throws(APIStatus) in
            let key = ObjectKey(namespace: namespace, name: name)
            guard var pod = s.objects[type.id]?[key] else { throw .notFound("pods", name) }
            if let uid = body.value(at: ["metadata", "uid"])?.stringValue, !uid.isEmpty, uid != pod.value(at: ["metadata", "uid"])?.stringValue {
                throw .conflict("pods", name, reason: "Precondition failed: UID in precondition: \(uid)")
            }
            if let current = pod.value(at: ["spec", "nodeName"])?.stringValue, !current.isEmpty {
                throw .conflict("pods", name, reason: "pod \(name) is already assigned to node \"\(current)\"")
            }
            if pod.value(at: ["metadata", "deletionTimestamp"]) != nil {
                throw .conflict("pods", name, reason: "pod \(name) is being deleted, cannot be assigned to a host")
            }
            let old = pod
            pod[path: ["spec", "nodeName"]] = .string(node)
            var conditions = (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastTransitionTime": .string(RFC3339.format(now)), "lastProbeTime": .null])
            pod[path: ["status", "conditions"]] = .array(conditions)
            _ = store(&s, type: type, key: key, object: pod, old: old)
        }
    }

    /// `POST pods/{name}/eviction`: deletes the pod gracefully unless a PodDisruptionBudget of
    /// its namespace that selects it allows no disruption (429 `TooManyRequests`), as the
    /// Eviction API does. `deleteOptions.dryRun: ["All"]` checks without deleting.
    ///
    /// Disruptions allowed per budget = healthy selected pods (Running, not being deleted) less
    /// `minAvailable`, or `maxUnavailable` less the unhealthy ones (integers or percentages).
    public func evict(namespace: String, name: String, _ body: JSONValue) throws(APIStatus) -> JSONValue {
        let type = try resourceType(of: Pod.self)
        try checkFault(verb: "create", type: type, subresource: "eviction")
        let options = (body["deleteOptions"]).flatMap { try? KubeJSON.typed(DeleteOptions.self, from: $0) } ?? DeleteOptions()
        let now = clock.now
        return try state.withLock { s throws(APIStatus) -> JSONValue in
            let key = ObjectKey(namespace: namespace, name: name)
            guard let pod = s.objects[type.id]?[key] else { throw .notFound("pods", name) }
            let podLabels = pod.value(at: ["metadata", "labels"])?.objectValue?.compactMapValues(\.stringValue)
            let pdbs = (s.objects[ResourceID(group: "policy", plural: "poddisruptionbudgets")] ?? [:]).filter { $0.key.namespace == namespace }.values
            let pods = (s.objects[type.id] ?? [:]).filter { $0.key.namespace == namespace }.values
            let isHealthy = { (p: JSONValue) in p.value(at: ["status", "phase"])?.stringValue == "Running" && p.value(at: ["metadata", "deletionTimestamp"]) == nil }
            for pdb in pdbs {
                guard let spec = pdb["spec"], let selector = try? KubeJSON.typed(LabelSelectorSpec.self, from: spec["selector"] ?? [:]).selector(),
                    !selector.isEmpty, selector.matches(podLabels)
                else { continue }
                // A pod that is not healthy may always be evicted: it does not count against the budget.
                guard isHealthy(pod) else { continue }
                let selected = pods.filter { selector.matches($0.value(at: ["metadata", "labels"])?.objectValue?.compactMapValues(\.stringValue)) }
                let healthy = selected.filter(isHealthy).count
                var allowed = Int.max
                if let min = spec["minAvailable"] { allowed = healthy - Self.scaled(min, of: selected.count, roundUp: true) }
                if let max = spec["maxUnavailable"] { allowed = Self.scaled(max, of: selected.count, roundUp: true) - (selected.count - healthy) }
                if allowed < 1 {
                    throw APIStatus(code: 429, reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget.",
                                    details: APIStatus.Details(causes: [APIStatus.Cause(reason: "DisruptionBudget", message: "The disruption budget \(pdb.value(at: ["metadata", "name"])?.stringValue ?? "") needs \(healthy - allowed + 1) healthy pods and has \(healthy) currently")]))
                }
            }
            if options.dryRun?.contains("All") == true { return pod }
            _ = try commitDelete(&s, type: type, key: key, options: options, now: now)
            return ["kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": [:], "code": 201]
        }
    }

    /// An int-or-string of a PDB: `2` or `"50%"` of `total`.
    static func scaled(_ value: JSONValue, of total: Int, roundUp: Bool) -> Int {
        if let i = value.intValue { return Int(i) }
        guard let text = value.stringValue, text.hasSuffix("%"), let percent = Double(text.dropLast()) else { return 0 }
        let exact = percent / 100 * Double(total)
        return Int(roundUp ? exact.rounded(.up) : exact.rounded(.down))
    }
}

import KubeCore

extension PartitionPlanner {
    /// Why `pod` fits no node of the plan, in kube-scheduler's words where kube-scheduler would
    /// reject the node (design.md section 5: a pod that fails a non-MIG predicate is never given a
    /// MIG reason).
    ///
    /// Every planned node is judged as kube-scheduler's filter plugins would judge it against the
    /// plan's final state: the first failing static predicate (cordon, node selector / affinity,
    /// taints), else every resource NodeResourcesFit finds short (`Insufficient cpu`, `Too many
    /// pods`, other extended resources; MIG devices are the planner's to make). When no node passes
    /// those, the reason is kube-scheduler's message: `0/<N> nodes are available: <count> <reason>,
    /// ...` (entries sorted as Go's `sort.Strings` sorts them). Otherwise MIG is what is missing on
    /// the nodes that pass: the MIG reason names them, adds any disagreement between their MIG
    /// agent and what they advertise, and the other nodes' histogram follows.
    static func reason(for pod: PendingPod, on nodes: [PlanningNode], disagreements: [String: [Plan.Disagreement]]) -> String {
        guard !nodes.isEmpty else { return "no plannable node" }
        var histogram: [String: Int] = [:]
        var passing: [Int] = []
        for (n, node) in nodes.enumerated() {
            if let failure = NodeFit.staticFailure(of: pod.spec, on: node.node) {
                histogram[failure.schedulerReason, default: 0] += 1
                continue
            }
            let short = resourceShortages(pod.requests, node)
            if short.isEmpty { passing.append(n) } else { for r in short { histogram[r, default: 0] += 1 } }
        }
        let others = FitFailure.histogram(histogram)
        guard !passing.isEmpty else { return "0/\(nodes.count) nodes are available: \(others)." }
        var text: String
        if let missing = profilesOfferedNowhere(pod.devices.keys, passing.map { nodes[$0] }) {
            text = missing
        } else {
            let wanted = pod.devices.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
            text = "no layout that keeps used instances gives \(wanted) on the \(passing.count) node(s) that pass the scheduler's predicates"
        }
        let asked = Set(pod.devices.keys.map { MIGAnnotations.nvidiaName(fromResourceForm: $0) })
        for n in passing {
            for d in disagreements[nodes[n].name] ?? [] where asked.contains(d.profile) { text += "; node \(d.node): \(d)" }
        }
        if !others.isEmpty { text += "; other nodes: \(others)" }
        return text
    }

    /// kube-scheduler's NodeResourcesFit reasons for `requests` on `node`, MIG devices excluded.
    private static func resourceShortages(_ requests: PodRequests, _ node: PlanningNode) -> [String] {
        var out: [String] = []
        if node.freePods < 1 { out.append(FitFailure.tooManyPods.schedulerReason) }
        for (name, q) in requests.resources.sorted(by: { $0.key < $1.key }) where !name.hasPrefix(MIGProfile.resourcePrefix) {
            if q > .zero && q > (node.free[name] ?? .zero) { out.append(FitFailure.insufficient(resource: name).schedulerReason) }
        }
        return out
    }

    /// Why a pod cannot be helped when it asks for a profile that no GPU of the given nodes has
    /// (the catalog is the source: `7g.79gb` is not an A100-80GB profile); `nil` otherwise.
    private static func profilesOfferedNowhere(_ profiles: Dictionary<String, Int>.Keys, _ nodes: [PlanningNode]) -> String? {
        var models = Set<String>()
        var offered = Set<String>()
        for node in nodes {
            for gpu in node.gpus {
                models.insert(gpu.space.model.id)
                for p in profiles where gpu.space.profileIndex(p) != nil { offered.insert(p) }
            }
        }
        let missing = profiles.filter { !offered.contains($0) }.sorted()
        guard !missing.isEmpty, !models.isEmpty else { return nil }
        let list = missing.joined(separator: ", ")
        return "\(list) is not a MIG profile of the GPU model(s) of the \(nodes.count) eligible node(s) (\(models.sorted().joined(separator: ", ")))"
    }
}

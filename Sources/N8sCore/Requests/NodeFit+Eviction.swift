import KubeCore

extension NodeFit {
    /// The first predicate `pod` fails on `node` once the pods `evicting` are gone, or `nil` when it
    /// fits: the static predicates, then resources against allocatable minus the requests of the
    /// other live pods bound to the node (`pods` allocatable defaults to 110).
    ///
    /// For the extender's `preempt`: whether a narrowed set of victims still makes room.
    /// - Parameter podsOnNode: pods whose `spec.nodeName` is the node; terminal ones and the pod
    ///   itself are skipped.
    public static func failure(of pod: Pod, on node: Node, podsOnNode: [Pod], evicting: Set<ObjectKey>) -> FitFailure? {
        if let failure = staticFailure(of: pod.spec, on: node) { return failure }
        var free = node.status?.allocatable ?? [:]
        var freePods = Int(clamping: (free["pods"] ?? Quantity(110)).value)
        for other in podsOnNode where other.key != pod.key && !evicting.contains(other.key) && other.status?.isTerminal != true {
            freePods -= 1
            for (name, amount) in PodRequests(other.spec).resources {
                let (rest, overflow) = (free[name] ?? .zero).nanos.subtractingReportingOverflow(amount.nanos)
                free[name] = Quantity(nanos: overflow ? .min : rest)
            }
        }
        return resourceFailure(PodRequests(pod.spec), free: free, freePods: freePods)
    }
}

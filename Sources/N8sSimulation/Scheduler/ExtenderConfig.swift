import KubeCore

/// One scheduler extender, configured as in kube-scheduler's `KubeSchedulerConfiguration.extenders`
/// (kubescheduler.config.k8s.io/v1 `Extender`). Only the verbs the simulator calls are modelled:
/// `filter` and `bind` (`prioritize` and `preempt` are not called).
public struct ExtenderConfig: Sendable, Hashable {
    /// Base URL, e.g. `http://127.0.0.1:8888/scheduler`; the verb is appended after a `/`.
    public var urlPrefix: String
    /// Verb of the filter call (`POST <urlPrefix>/<filterVerb>`), `nil` when the extender does not filter.
    public var filterVerb: String?
    /// Verb of the bind call; when set, this extender binds pods instead of the scheduler.
    public var bindVerb: String?
    /// `true`: send only node names (the extender caches nodes); `false`: send full Node objects.
    public var nodeCacheCapable: Bool
    /// `true`: a failing or unreachable extender is skipped; `false`: the pod stays pending with
    /// `PodScheduled=False`, reason `SchedulerError`.
    public var ignorable: Bool
    /// Deadline of each call (kube-scheduler's default is 30 s). Real time, not the simulation clock.
    public var httpTimeout: Duration
    /// Extended resources the extender manages; empty means every pod is its business. A pod
    /// requesting none of them skips this extender (kube-scheduler's `IsInterested`).
    public var managedResources: [String]

    public init(
        urlPrefix: String,
        filterVerb: String? = nil,
        bindVerb: String? = nil,
        nodeCacheCapable: Bool = false,
        ignorable: Bool = false,
        httpTimeout: Duration = .seconds(30),
        managedResources: [String] = []
    ) {
        self.urlPrefix = urlPrefix
        self.filterVerb = filterVerb
        self.bindVerb = bindVerb
        self.nodeCacheCapable = nodeCacheCapable
        self.ignorable = ignorable
        self.httpTimeout = httpTimeout
        self.managedResources = managedResources
    }

    /// The URL of one verb: `urlPrefix` without trailing `/`, then `/verb` (as kube-scheduler builds it).
    public func url(_ verb: String) -> String {
        var prefix = Substring(urlPrefix)
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        return "\(prefix)/\(verb)"
    }

    /// kube-scheduler's `IsInterested`: no managed resources, or the pod requests one of them.
    public func isInterested(requesting resources: [String: Quantity]) -> Bool {
        managedResources.isEmpty || managedResources.contains { (resources[$0] ?? .zero) > .zero }
    }
}

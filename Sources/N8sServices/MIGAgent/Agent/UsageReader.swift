import KubeClient
import KubeCore
import Logging
import N8sCore

/// Reads what is used on the node (design.md section 3) apart from NVML's processes: devices the
/// kubelet allocated to pods the API reports non-terminal, and the MIG requests of pods bound to
/// the node that the kubelet has not allocated yet (reserved).
///
/// RBAC: `list` pods in all namespaces (field selector `spec.nodeName`).
public struct UsageReader: Sendable {
    public let client: KubeClient
    public let nodeName: String
    public let podResources: any PodResourcesSource
    public let socketPath: String
    public let logger: Logger

    public init(client: KubeClient, nodeName: String, podResources: any PodResourcesSource, socketPath: String, logger: Logger) {
        self.client = client
        self.nodeName = nodeName
        self.podResources = podResources
        self.socketPath = socketPath
        self.logger = logger
    }

    /// The usage, and the kubelet's allocatable MIG device ids (`nil` when it answers `Unimplemented`).
    /// - Throws: ``MIGAgentError/podResourcesUnavailable(socket:underlying:)``; ``KubeClientError``.
    public func read() async throws -> (usage: UsageSnapshot, allocatable: Set<String>?) {
        let pods = try await client.resource(Pod.self).list(ListOptions(fieldSelector: try FieldSelector(parsing: "spec.nodeName=\(nodeName)"))).items
        let allocations: [PodDeviceAllocation]
        let allocatable: [String: [String]]?
        do {
            allocations = try await podResources.list()
            allocatable = try await podResources.allocatable()
        } catch {
            throw MIGAgentError.podResourcesUnavailable(socket: socketPath, underlying: "\(error)")
        }
        return (Self.usage(pods: pods, allocations: allocations), allocatable.map { Self.migDeviceIDs($0) })
    }

    /// Pure: the usage from the node's pods and the kubelet's allocations.
    ///
    /// A pod counts when the API has it bound to the node and not terminal (an allocation of a pod
    /// the API no longer knows, or reports Succeeded/Failed, is free). Reserved per profile, by
    /// N8sCore's ``Reservations`` rule: the pods' MIG requests less the devices the kubelet gave
    /// them (each pod's at most its request). A pod whose request is not a whole number of
    /// devices is skipped (the API server would have rejected it).
    public static func usage(pods: [Pod], allocations: [PodDeviceAllocation]) -> UsageSnapshot {
        let byKey = Dictionary(allocations.map { ("\($0.namespace)/\($0.name)", $0) }, uniquingKeysWith: { a, _ in a })
        var allocated = Set<String>()
        var requested: [String: Int] = [:]
        var covered: [String: Int] = [:]
        for pod in pods where !(pod.status?.isTerminal ?? false) {
            let given = byKey["\(pod.metadata.namespace ?? "")/\(pod.name)"]?.devices ?? [:]
            for (resource, ids) in given where resource.hasPrefix(MIGProfile.resourcePrefix) { allocated.formUnion(ids) }
            for (profile, count) in Reservations.migRequest(pod) {
                requested[profile, default: 0] += count
                covered[profile, default: 0] += min(count, given[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: profile)]?.count ?? 0)
            }
        }
        return UsageSnapshot(allocatedDeviceIDs: allocated, reserved: Reservations.outstanding(requested: requested, covered: covered))
    }

    static func migDeviceIDs(_ devices: [String: [String]]) -> Set<String> {
        Set(devices.filter { $0.key.hasPrefix(MIGProfile.resourcePrefix) }.flatMap(\.value))
    }
}

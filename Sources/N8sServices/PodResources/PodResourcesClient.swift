import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import KubeCore

/// Devices the kubelet allocated to one pod (PodResources `List`).
public struct PodDeviceAllocation: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// Resource name (`nvidia.com/mig-1g.10gb`) to device ids (MIG UUIDs), over all containers.
    public var devices: [String: [String]]

    public init(namespace: String, name: String, devices: [String: [String]]) {
        self.namespace = namespace
        self.name = name
        self.devices = devices
    }
}

/// What the kubelet tells about devices; the agent's view of the PodResources API.
public protocol PodResourcesSource: Sendable {
    /// `List`: every pod the kubelet admitted, with its devices (terminal pods may be listed too).
    func list() async throws -> [PodDeviceAllocation]
    /// `GetAllocatableResources`: resource name to device ids; `nil` when the kubelet answers
    /// `Unimplemented` (older kubelets, C36).
    func allocatable() async throws -> [String: [String]]?
}

/// The kubelet PodResources v1 API over gRPC on a unix socket (one connection per call).
///
/// Path: `/var/lib/kubelet/pod-resources/kubelet.sock` by default (mount it into the agent).
/// Errors: `RPCError` from gRPC (e.g. `.unavailable` when the socket is absent), or
/// `DeadlineExceeded` after ``timeout``.
public struct PodResourcesClient: PodResourcesSource {
    public static let defaultSocketPath = "/var/lib/kubelet/pod-resources/kubelet.sock"
    public var socketPath: String
    /// Deadline of one call.
    public var timeout: Duration

    /// Clock of the hard limit (``bounded(_:)``).
    public var clock: any KubeClock

    public init(socketPath: String = PodResourcesClient.defaultSocketPath, timeout: Duration = .seconds(10), clock: any KubeClock = SystemClock()) {
        self.socketPath = socketPath
        self.timeout = timeout
        self.clock = clock
    }

    /// The kubelet's reply did not come within ``timeout`` plus 5 s, gRPC's own deadline included.
    public struct Stuck: Error, CustomStringConvertible {
        public var limit: Duration
        public var description: String { "the PodResources exchange did not end within \(limit); left behind" }
    }

    /// Runs one whole exchange (connect, call, shut the client down) with a hard limit of
    /// ``timeout`` plus 5 s, enforced outside gRPC: an exchange still running then is cancelled
    /// and left behind, and ``Stuck`` is thrown, so the agent treats the kubelet as unreadable
    /// (it changes nothing) instead of waiting forever.
    func bounded<T: Sendable>(_ exchange: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = timeout + .seconds(5)
        let work = Task<Result<T, any Error>, Never> {
            do { return .success(try await exchange()) } catch { return .failure(error) }
        }
        guard let outcome = await firstResult(of: work, within: limit, clock: clock) else {
            try Task.checkCancellation()
            work.cancel()
            throw Stuck(limit: limit)
        }
        return try outcome.get()
    }

    public func list() async throws -> [PodDeviceAllocation] {
        let response = try await bounded { [self] in
            try await withClient { client in
                try await client.list(V1_ListPodResourcesRequest(), options: options)
            }
        }
        return Self.allocations(from: response)
    }

    /// Pure: the kubelet's `List` reply as allocations per pod, devices of all containers merged.
    public static func allocations(from response: V1_ListPodResourcesResponse) -> [PodDeviceAllocation] {
        response.podResources.map { pod in
            var devices: [String: [String]] = [:]
            for container in pod.containers {
                for d in container.devices { devices[d.resourceName, default: []].append(contentsOf: d.deviceIds) }
            }
            return PodDeviceAllocation(namespace: pod.namespace, name: pod.name, devices: devices)
        }
    }

    /// Pure: the kubelet's `GetAllocatableResources` reply as resource name to device ids.
    public static func devices(from response: V1_AllocatableResourcesResponse) -> [String: [String]] {
        var devices: [String: [String]] = [:]
        for d in response.devices { devices[d.resourceName, default: []].append(contentsOf: d.deviceIds) }
        return devices
    }

    public func allocatable() async throws -> [String: [String]]? {
        do {
            let response = try await bounded { [self] in
                try await withClient { client in
                    try await client.getAllocatableResources(V1_AllocatableResourcesRequest(), options: options)
                }
            }
            return Self.devices(from: response)
        } catch let error as RPCError where error.code == .unimplemented {
            return nil
        }
    }

    var options: CallOptions {
        var o = CallOptions.defaults
        o.timeout = timeout
        return o
    }

    func withClient<T: Sendable>(_ body: (V1_PodResourcesLister.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            try await body(V1_PodResourcesLister.Client(wrapping: client))
        }
    }
}

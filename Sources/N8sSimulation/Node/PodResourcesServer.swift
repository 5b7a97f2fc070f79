import GRPCCore
import GRPCNIOTransportHTTP2
import N8sServices
import ServiceLifecycle

/// Serves a ``SimulatedNode``'s kubelet PodResources v1 API over gRPC on a unix socket, so the
/// agent's real client (``PodResourcesClient``) reads it. A `Service`; the socket file is removed
/// before binding and when the server stops.
public struct PodResourcesServer: Service {
    public let node: SimulatedNode
    public let socketPath: String
    let onListening: @Sendable () async -> Void

    public init(node: SimulatedNode, socketPath: String, onListening: @escaping @Sendable () async -> Void = {}) {
        self.node = node
        self.socketPath = socketPath
        self.onListening = onListening
    }

    public func run() async throws {
        unlink(socketPath)
        defer { unlink(socketPath) }
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        try await withGRPCServer(transport: transport, services: [Lister(node: node)]) { server in
            _ = try await transport.listeningAddress
            await onListening()
            try await gracefulShutdown()
        }
    }

    /// Runs the server for the duration of `body`.
    public func withRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        unlink(socketPath)
        defer { unlink(socketPath) }
        let transport = HTTP2ServerTransport.Posix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        return try await withGRPCServer(transport: transport, services: [Lister(node: node)]) { server in
            _ = try await transport.listeningAddress
            return try await body()
        }
    }

    struct Lister: V1_PodResourcesLister.SimpleServiceProtocol {
        let node: SimulatedNode

        func list(request: V1_ListPodResourcesRequest, context: ServerContext) async throws -> V1_ListPodResourcesResponse {
            var response = V1_ListPodResourcesResponse()
            response.podResources = node.podResourcesList().map { pod in
                var p = V1_PodResources()
                p.name = pod.name
                p.namespace = pod.namespace
                var c = V1_ContainerResources()
                c.name = "main"
                c.devices = pod.devices.sorted { $0.key < $1.key }.map { resource, ids in
                    var d = V1_ContainerDevices()
                    d.resourceName = resource
                    d.deviceIds = ids
                    return d
                }
                p.containers = [c]
                return p
            }
            return response
        }

        func getAllocatableResources(request: V1_AllocatableResourcesRequest, context: ServerContext) async throws -> V1_AllocatableResourcesResponse {
            guard let devices = node.podResourcesAllocatable() else {
                throw RPCError(code: .unimplemented, message: "unknown method GetAllocatableResources for service v1.PodResourcesLister")
            }
            var response = V1_AllocatableResourcesResponse()
            response.devices = devices.sorted { $0.key < $1.key }.map { resource, ids in
                var d = V1_ContainerDevices()
                d.resourceName = resource
                d.deviceIds = ids
                return d
            }
            return response
        }

        func get(request: V1_GetPodResourcesRequest, context: ServerContext) async throws -> V1_GetPodResourcesResponse {
            guard let pod = node.podResourcesList().first(where: { $0.name == request.podName && $0.namespace == request.podNamespace }) else {
                throw RPCError(code: .notFound, message: "pod \(request.podNamespace)/\(request.podName) not found")
            }
            var response = V1_GetPodResourcesResponse()
            response.podResources.name = pod.name
            response.podResources.namespace = pod.namespace
            return response
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

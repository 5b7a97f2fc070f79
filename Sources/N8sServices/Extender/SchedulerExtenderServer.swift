import Foundation
import Hummingbird
import KubeCore
import Logging
import NIOCore
import ServiceLifecycle

/// kube-scheduler's extender endpoint (`extender/v1` JSON over plain HTTP on 127.0.0.1; the
/// scheduler runs in the same pod).
///
/// - `POST /filter`: ``SchedulerExtender/filter(body:)``; always 200 with an
///   ``ExtenderFilterResult`` (bad input, including a body over ``maxBodyBytes``, in its `Error`,
///   which kube-scheduler reports as the extender's failure).
/// - `POST /preempt`: ``SchedulerExtender/preempt(body:)``; 200 with an
///   ``ExtenderPreemptionResult``, or 400 (bad input) / 413 (too large) with `{"Error": "..."}`:
///   the Go type has no error field, so a non-200 status is how kube-scheduler learns of it.
public struct SchedulerExtenderServer: Service {
    /// Largest body read by default (kube-scheduler sends node names only with
    /// `nodeCacheCapable: true`; whole Node objects of a large cluster stay below this).
    public static let defaultMaxBodyBytes = 32 << 20

    public let host: String
    public let port: Int
    public let extender: SchedulerExtender
    public var logger: Logger
    /// Largest body read; a larger one is answered with `Error` unread.
    public var maxBodyBytes = Self.defaultMaxBodyBytes
    /// Called with the bound port once listening (useful with port 0).
    public var onListening: @Sendable (Int) async -> Void = { _ in }

    public init(host: String = "127.0.0.1", port: Int = 8888, extender: SchedulerExtender, logger: Logger = Logger(label: "n8s.scheduler-extender")) {
        self.host = host
        self.port = port
        self.extender = extender
        self.logger = logger
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let extender = self.extender
        let logger = self.logger
        let maxBodyBytes = self.maxBodyBytes
        router.post("/filter") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: maxBodyBytes) else {
                return Self.json(.ok, ExtenderFilterResult(nodeNames: [], error: "the filter request is larger than \(maxBodyBytes) bytes"))
            }
            let result = extender.filter(body: Data(body.readableBytesView))
            if let error = result.error { logger.notice("filter refused", metadata: ["error": "\(error)"]) }
            return Self.json(.ok, result)
        }
        router.post("/preempt") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: maxBodyBytes) else {
                return Self.json(.contentTooLarge, ExtenderPreemptionResult(error: "the preempt request is larger than \(maxBodyBytes) bytes"))
            }
            let result = extender.preempt(body: Data(body.readableBytesView))
            if let error = result.error { logger.notice("preempt refused", metadata: ["error": "\(error)"]) }
            return Self.json(result.error == nil ? .ok : .badRequest, result)
        }
        return router
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? KubeJSON.encode(value)) ?? Data(#"{"NodeNames":[],"Error":"cannot encode the answer"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    public func run() async throws {
        let onListening = self.onListening
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "n8s-scheduler-extender"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.run()
    }
}

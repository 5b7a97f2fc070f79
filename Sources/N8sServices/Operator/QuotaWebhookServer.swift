import Foundation
import Hummingbird
import HummingbirdTLS
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import NIOCore
import ServiceLifecycle

/// The validating webhook of ElasticQuota and CompositeElasticQuota (docs/design.md section 6),
/// served over TLS by every replica, leader or not.
///
/// `POST /validate-quota` takes an `admission.k8s.io/v1` `AdmissionReview` and answers one with
/// ``QuotaWebhook/review(_:existing:)``'s decision against the quotas in the caches. A body that
/// is not such a review (truncated, another version or kind, no request) gets 400 with a
/// plain-text message naming the problem; a replica whose caches have not synced yet answers 503,
/// so the API server applies the configuration's `failurePolicy`. The certificate and key are
/// reread from ``CertificateFiles`` on every handshake.
public struct QuotaWebhookServer: Service {
    public static let path = "/validate-quota"
    /// Largest body accepted (kube-apiserver sends objects up to 3 MiB).
    public static let maxBodyBytes = 4 << 20

    public let host: String
    public let port: Int
    public let certificates: CertificateFiles
    public let quotas: @Sendable () -> [Quota]?
    public var logger: Logger
    /// Called with the bound port once listening (useful with port 0).
    public var onListening: @Sendable (Int) async -> Void = { _ in }

    /// - Parameter quotas: the quotas now cached; `nil` while the caches have not synced.
    public init(host: String = "0.0.0.0", port: Int = 9443, certificates: CertificateFiles, logger: Logger = Logger(label: "n8s.webhook"),
                quotas: @escaping @Sendable () -> [Quota]?) {
        self.host = host
        self.port = port
        self.certificates = certificates
        self.quotas = quotas
        self.logger = logger
    }

    /// The quotas of two caches, for ``quotas``.
    public static func cached(_ op: QuotaOperator) -> @Sendable () -> [Quota]? {
        { op.elasticQuotas.hasSynced && op.compositeQuotas.hasSynced
            ? op.elasticQuotas.list().map(Quota.init) + op.compositeQuotas.list().map(Quota.init) : nil }
    }

    /// The answer to one request body: status and JSON (an AdmissionReview) or plain text.
    static func answer(_ body: Data, quotas: [Quota]?) -> (status: HTTPResponse.Status, json: Bool, body: [UInt8]) {
        let request: AdmissionReview.Request
        do { request = try AdmissionReview.decodeRequest(body) } catch {
            return (.badRequest, false, Array("\(error)\n".utf8))
        }
        guard let quotas else { return (.serviceUnavailable, false, Array("the quota caches have not synced yet\n".utf8)) }
        let review = AdmissionReview(response: QuotaWebhook.review(request, existing: quotas))
        guard let data = try? KubeJSON.encode(review) else { return (.internalServerError, false, Array("cannot encode the response\n".utf8)) }
        return (.ok, true, Array(data))
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let quotas = self.quotas
        let logger = self.logger
        router.post(RouterPath(Self.path)) { request, _ -> Response in
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: Self.maxBodyBytes) } catch {
                return Self.text(.contentTooLarge, "the body is larger than \(Self.maxBodyBytes) bytes\n")
            }
            let (status, json, bytes) = Self.answer(Data(buffer.readableBytesView), quotas: quotas())
            if status != .ok { logger.notice("webhook request refused", metadata: ["http.status": "\(status.code)", "reason": "\(String(decoding: bytes, as: UTF8.self))"]) }
            return Response(
                status: status, headers: [.contentType: json ? "application/json" : "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        return router
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    public func run() async throws {
        let onListening = self.onListening
        let app = Application(
            router: router(),
            server: try .tls(.http1(), tlsConfiguration: certificates.serverConfiguration()),
            configuration: .init(address: .hostname(host, port: port), serverName: "n8s-webhook"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.run()
    }
}

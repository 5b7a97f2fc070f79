import AsyncHTTPClient
import Foundation
import KubeCore
import KubeSim
import N8sCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ServiceLifecycle
import Testing

@testable import N8sServices

/// The quota webhook over real TLS: AdmissionReview answers, 400s naming the problem, and
/// certificate rotation by replacing the files while the server runs.
@Suite("quota webhook over TLS")
struct WebhookTLSTests {
    /// Writes `tls`'s server certificate and key to `dir` (as a mounted Secret would hold them).
    static func write(_ tls: KubeSimTLS, to dir: URL) throws {
        try Data(tls.serverCertificatePEM.utf8).write(to: dir.appendingPathComponent("tls.crt"), options: .atomic)
        try Data(tls.serverKeyPEM.utf8).write(to: dir.appendingPathComponent("tls.key"), options: .atomic)
    }

    /// Runs a webhook server on a free port with the certificate files in a fresh directory.
    static func withWebhook(_ first: KubeSimTLS, quotas: [Quota], _ body: @Sendable (Int, URL) async throws -> Void) async throws {
        try await withWebhook(first, quotas: { quotas }, body)
    }

    /// ``withWebhook(_:quotas:_:)`` reading the quotas anew on each review.
    static func withWebhook(_ first: KubeSimTLS, quotas: @escaping @Sendable () -> [Quota]?, _ body: @Sendable (Int, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-webhook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(first, to: dir)
        let files = try CertificateFiles(certificatePath: dir.appendingPathComponent("tls.crt").path, keyPath: dir.appendingPathComponent("tls.key").path)
        let (ports, sink) = AsyncStream.makeStream(of: Int.self)
        var server = QuotaWebhookServer(host: "127.0.0.1", port: 0, certificates: files, logger: quietLogger, quotas: quotas)
        server.onListening = { port in
            sink.yield(port)
            sink.finish()
        }
        try await withRunning([server], ready: ports) { port in try await body(port, dir) }
    }

    /// POSTs `body` trusting only `ca`; returns the status and body text.
    static func post(_ body: String, port: Int, ca: String) async throws -> (code: UInt, text: String) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(QuotaWebhookServer.path)")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (response.status.code, String(buffer: bytes))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The serial number of the certificate the server presents in a fresh handshake.
    static func servedSerial(port: Int, ca: String) async throws -> [UInt8] {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: group).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                try channel.pipeline.syncOperations.addHandler(SerialCapture(promise: promise))
            }
        }.connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }

    static func review(_ object: String, uid: String = "u1") -> String {
        """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"\(uid)",
        "kind":{"group":"n8s.nebuly.ai","version":"v1alpha1","kind":"ElasticQuota"},
        "resource":{"group":"n8s.nebuly.ai","version":"v1alpha1","resource":"elasticquotas"},
        "namespace":"team","name":"q","operation":"CREATE","object":\(object)}}
        """
    }

    static func serial(of pem: String) throws -> [UInt8] { try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem).serialNumber }

    @Test("answers AdmissionReviews over TLS; bad bodies get 400 naming the problem")
    func answers() async throws {
        let tls = try KubeSimTLS.generate()
        let existing = [Quota(id: QuotaID(.elastic, namespace: "team", name: "old"), namespaces: ["team"])]
        try await Self.withWebhook(tls, quotas: existing) { port, _ in
            let ok = #"{"apiVersion":"n8s.nebuly.ai/v1alpha1","kind":"ElasticQuota","metadata":{"name":"q","namespace":"team"},"spec":{"min":{"nvidia.com/gpu":"2"},"max":{"nvidia.com/gpu":"1"}}}"#
            let denied = try await Self.post(Self.review(ok), port: port, ca: tls.caCertificatePEM)
            #expect(denied.code == 200)
            let reply = try JSONDecoder().decode(JSONValue.self, from: Data(denied.text.utf8))
            #expect(reply["apiVersion"] == "admission.k8s.io/v1" && reply["kind"] == "AdmissionReview")
            #expect(reply["response"]?["uid"] == "u1" && reply["response"]?["allowed"] == false)
            let message = reply["response"]?["status"]?["message"]?.stringValue ?? ""
            #expect(message.contains("spec.max"), "\(message)")

            let truncated = try await Self.post(String(Self.review(ok).prefix(60)), port: port, ca: tls.caCertificatePEM)
            #expect(truncated.code == 400)
            #expect(truncated.text.contains("not an AdmissionReview"), "\(truncated.text)")
            let v1beta1 = Self.review(ok).replacingOccurrences(of: "admission.k8s.io/v1", with: "admission.k8s.io/v1beta1")
            let old = try await Self.post(v1beta1, port: port, ca: tls.caCertificatePEM)
            #expect(old.code == 400 && old.text.contains("admission.k8s.io/v1beta1"), "\(old.text)")
            let noRequest = try await Self.post(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, port: port, ca: tls.caCertificatePEM)
            #expect(noRequest.code == 400 && noRequest.text.contains("no request"), "\(noRequest.text)")
        }
    }

    @Test("a replica whose caches have not synced answers 503, so the API server applies the failurePolicy")
    func notSynced() throws {
        let answer = QuotaWebhookServer.answer(Data(Self.review(#"{"metadata":{"name":"q"},"spec":{}}"#).utf8), quotas: nil)
        #expect(answer.status == .serviceUnavailable && !answer.json)
        #expect(String(decoding: answer.body, as: UTF8.self).contains("not synced"))
    }

    @Test("replacing the certificate files mid-run: the next handshake presents the new certificate, without a restart")
    func rotation() async throws {
        let first = try KubeSimTLS.generate()
        let second = try KubeSimTLS.generate()
        try await Self.withWebhook(first, quotas: []) { port, dir in
            #expect(try await Self.servedSerial(port: port, ca: first.caCertificatePEM) == Self.serial(of: first.serverCertificatePEM))
            try Self.write(second, to: dir)
            #expect(try await Self.servedSerial(port: port, ca: second.caCertificatePEM) == Self.serial(of: second.serverCertificatePEM))
            let allowed = try await Self.post(Self.review(#"{"metadata":{"name":"q","namespace":"team"},"spec":{}}"#), port: port, ca: second.caCertificatePEM)
            #expect(allowed.code == 200 && allowed.text.contains(#""allowed":true"#), "\(allowed.text)")
            // The old CA no longer verifies the server.
            await #expect(throws: NIOSSLError.self) { _ = try await Self.servedSerial(port: port, ca: first.caCertificatePEM) }
            // A half-written pair is ignored: the last good certificate keeps being served.
            try Data("not a certificate".utf8).write(to: dir.appendingPathComponent("tls.crt"))
            #expect(try await Self.servedSerial(port: port, ca: second.caCertificatePEM) == Self.serial(of: second.serverCertificatePEM))
        }
    }
}

/// Completes `promise` with the peer certificate's serial once the TLS handshake is done.
final class SerialCapture: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<[UInt8]>

    init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            do {
                let handler = try context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
                promise.succeed(handler.peerCertificate?.serialNumber ?? [])
            } catch {
                promise.fail(error)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

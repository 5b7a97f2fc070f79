import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import NIOSSL
import Synchronization

/// One call of a validating webhook, as kube-apiserver makes it: an `admission.k8s.io/v1`
/// AdmissionReview POSTed over HTTPS to the configured URL or service (with `?timeout=<n>s`),
/// the server's certificate checked against `caBundle`, the answer checked for version, kind
/// and uid.
enum WebhookCall {
    enum Outcome: Sendable, Equatable {
        case allowed
        /// The webhook said no; the status the client receives (kube-apiserver's wording).
        case denied(APIStatus)
        /// No usable answer: why, in kube-apiserver's words (after `failed calling webhook "<name>": `).
        case failed(String)
    }

    /// Where a service reference is reached: `https://<name>.<namespace>.svc:<port><path>` with
    /// the name resolved to `address` (the certificate must still name `<name>.<namespace>.svc`).
    struct Endpoint: Sendable, Equatable {
        var url: String
        /// Host name to IP address, for service references.
        var dnsOverride: [String: String] = [:]
    }

    /// The CA certificates of a `caBundle` (base64 of PEM); `nil` when it is not that.
    static func trustRoots(caBundle: String) -> [NIOSSLCertificate]? {
        guard let data = Data(base64Encoded: caBundle, options: .ignoreUnknownCharacters),
            let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(data)), !certificates.isEmpty
        else { return nil }
        return certificates
    }

    /// Sends `review` and reads the decision. Never throws: every failure is an ``Outcome/failed(_:)``.
    /// - Parameter clock: the webhook's `timeoutSeconds` run on it (so tests step a manual
    ///   clock); the same timeout also bounds the real connection.
    static func send(_ review: AdmissionReview, to hook: ValidatingWebhookConfiguration.Webhook, at endpoint: Endpoint, clock: any KubeClock) async -> Outcome {
        let timeout = hook.timeoutSeconds ?? 10
        let url = "\(endpoint.url)?timeout=\(timeout)s"
        var tls = TLSConfiguration.makeClientConfiguration()
        if let bundle = hook.clientConfig.caBundle {
            guard let roots = trustRoots(caBundle: bundle) else { return .failed("failed to call webhook: clientConfig.caBundle is not base64 of PEM certificates") }
            tls.trustRoots = .certificates(roots)
        }
        let body: Data
        do { body = try KubeJSON.encode(review) } catch { return .failed("failed to call webhook: cannot encode the AdmissionReview: \(error)") }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.dnsOverride = endpoint.dnsOverride
        configuration.timeout.connect = .seconds(Int64(timeout))
        // A refused connection or a failed handshake ends the call at once, as with kube-apiserver.
        configuration.connectionPool.retryConnectionEstablishment = false
        // A client per call: each call makes a fresh handshake, so a rotated certificate is seen at once.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "kubesim-admission")
        request.body = .bytes(ByteBuffer(data: body))
        let post = request
        let answer = await race(timeout: .seconds(timeout), on: clock) {
            let result: Result<(UInt, Data), any Error>
            do {
                let response = try await client.execute(post, timeout: .seconds(Int64(timeout)))
                let bytes = try await response.body.collect(upTo: 3 << 20)
                result = .success((response.status.code, Data(bytes.readableBytesView)))
            } catch {
                result = .failure(error)
            }
            try? await client.shutdown()
            return result
        }
        switch answer {
        case .failure(let error as HTTPClientError) where error == .deadlineExceeded || error == .connectTimeout:
            return .failed("failed to call webhook: Post \"\(url)\": context deadline exceeded")
        case .failure(CallError.deadlineExceeded):
            return .failed("failed to call webhook: Post \"\(url)\": context deadline exceeded")
        case .failure(let error):
            return .failed("failed to call webhook: Post \"\(url)\": \(error)")
        case .success(let (code, data)):
            guard code == 200 else {
                let text = String(decoding: data.prefix(256), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return .failed("failed to call webhook: the server responded with the status code \(code) (\(text.isEmpty ? "no body" : text))")
            }
            return decision(data, for: review, webhook: hook.name)
        }
    }

    /// Reads a webhook's answer body: the review's response for this uid.
    static func decision(_ data: Data, for review: AdmissionReview, webhook: String) -> Outcome {
        let answer: AdmissionReview
        do { answer = try KubeJSON.decode(AdmissionReview.self, from: data) } catch {
            return .failed("received invalid webhook response: \(error)")
        }
        guard answer.apiVersion == AdmissionReview.apiVersion, answer.kind == AdmissionReview.kind else {
            return .failed("received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got \(answer.apiVersion), Kind=\(answer.kind)")
        }
        guard let response = answer.response else { return .failed("received invalid webhook response: webhook response was absent") }
        let uid = review.request?.uid ?? ""
        guard response.uid == uid else {
            return .failed("received invalid webhook response: expected response.uid=\"\(uid)\", got \"\(response.uid)\"")
        }
        return response.allowed ? .allowed : .denied(denial(by: webhook, response.status))
    }

    /// kube-apiserver's status for a denial: the webhook's code (400 when below 400), reason, and
    /// `admission webhook "<name>" denied the request: <message>` (or its reason, or "without explanation").
    static func denial(by webhook: String, _ status: AdmissionReview.ResponseStatus?) -> APIStatus {
        let deniedBy = "admission webhook \"\(webhook)\" denied the request"
        let message: String
        if let m = status?.message, !m.isEmpty {
            message = "\(deniedBy): \(m)"
        } else if let r = status?.reason, !r.isEmpty {
            message = "\(deniedBy): \(r)"
        } else {
            message = "\(deniedBy) without explanation"
        }
        var result = APIStatus(code: max(status?.code ?? 0, 400), reason: status?.reason ?? "", message: message)
        if result.reason?.isEmpty == true { result.reason = nil }
        return result
    }

    enum CallError: Error { case deadlineExceeded }

    /// `call`'s result, or ``CallError/deadlineExceeded`` once `clock` has passed `timeout`.
    /// The call is not awaited past the deadline (a handshake that never completes holds it
    /// until its own real-time timeout, the same number of seconds); it ends on its own.
    static func race(timeout: Duration, on clock: any KubeClock,
                     _ call: @escaping @Sendable () async -> Result<(UInt, Data), any Error>) async -> Result<(UInt, Data), any Error> {
        let pending = Mutex<CheckedContinuation<Result<(UInt, Data), any Error>, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let resume: @Sendable (Result<(UInt, Data), any Error>) -> Void = { result in
                pending.withLock { $0.take() }?.resume(returning: result)
            }
            let deadline = Task {
                do { try await clock.sleep(for: timeout) } catch { return }
                resume(.failure(CallError.deadlineExceeded))
            }
            Task {
                resume(await call())
                deadline.cancel()
            }
        }
    }
}

import Foundation
import KubeCore
import Logging

/// A connection to one API server as one user: rate limiting, retries and error decoding over a
/// ``Transport``. Cheap to copy; typed access goes through ``resource(_:in:)``.
///
/// Retries: a 429 is retried for every verb (the server did not process it), after the
/// `Retry-After` it gave or else ``RetryPolicy/backoff``; a 5xx or a lost connection only for
/// GET, PUT and DELETE. A 401 refreshes the credentials and is retried once.
public struct KubeClient: Sendable {
    public let transport: any Transport
    /// Namespace used when a call names none (the kubeconfig context's).
    public let defaultNamespace: String
    public var retry: RetryPolicy
    public let limiter: TokenBucket?
    public let clock: any KubeClock
    public var logger: Logger

    /// - Parameters:
    ///   - qps, burst: client-side rate limit (requests per second on average, and at once);
    ///     `qps: nil` disables it. Watches count once, when opened.
    public init(
        transport: any Transport,
        defaultNamespace: String = "default",
        qps: Double? = 20,
        burst: Int = 30,
        retry: RetryPolicy = .default,
        clock: any KubeClock = SystemClock(),
        logger: Logger = Logger(label: "n8s.kube-client")
    ) {
        self.transport = transport
        self.defaultNamespace = defaultNamespace
        self.retry = retry
        self.limiter = qps.map { TokenBucket(qps: $0, burst: burst, clock: clock) }
        self.clock = clock
        self.logger = logger
    }

    /// Typed access to kind `R` in `namespace` (`nil`: all namespaces, or a cluster-scoped kind).
    public func resource<R: Resource>(_ type: R.Type, in namespace: String? = nil) -> ResourceClient<R> {
        ResourceClient(client: self, namespace: R.isNamespaced ? namespace : nil)
    }

    /// Sends `request` with rate limiting and retries.
    /// - Returns: the answer, whose status is below 400.
    /// - Throws: ``KubeClientError/api(_:)`` for a 4xx/5xx after retries, ``KubeClientError/transport(underlying:)``
    ///   when no answer came, or `CancellationError`.
    public func send(_ request: APIRequest) async throws -> APIResponse {
        var attempt = 0
        var backoff = retry.backoff
        var refreshedCredentials = false
        while true {
            attempt += 1
            try await limiter?.acquire()
            let response: APIResponse
            do {
                response = try await transport.send(request)
            } catch let error as CancellationError {
                throw error
            } catch {
                guard request.verb.isIdempotent, attempt < retry.maxAttempts else {
                    throw KubeClientError.transport(underlying: error)
                }
                let delay = backoff.next()
                log(retry: request, attempt: attempt, delay: delay, cause: "\(error)")
                try await clock.sleep(for: delay)
                continue
            }
            guard response.statusCode >= 400 else { return response }
            let error = KubeClientError.api(Self.status(of: response))
            if response.statusCode == 401, !refreshedCredentials {
                refreshedCredentials = true
                transport.invalidateCredentials()
                continue
            }
            let retriable = error.isTooManyRequests || (error.isServerError && request.verb.isIdempotent)
            guard retriable, attempt < retry.maxAttempts else { throw error }
            let delay = min(error.retryAfter ?? backoff.next(), retry.maxRetryAfter)
            log(retry: request, attempt: attempt, delay: delay, cause: "\(error)")
            try await clock.sleep(for: delay)
        }
    }

    /// Opens a streaming request (a watch): rate-limited, not retried.
    /// - Throws: as ``send(_:)``; a 4xx/5xx answer is read in full and thrown as ``KubeClientError/api(_:)``.
    public func openStream(_ request: APIRequest) async throws -> APIStreamingResponse {
        try await limiter?.acquire()
        let response: APIStreamingResponse
        do { response = try await transport.stream(request) } catch let error as CancellationError { throw error } catch {
            throw KubeClientError.transport(underlying: error)
        }
        guard response.statusCode >= 400 else { return response }
        var body = Data()
        do {
            for try await chunk in response.body where body.count < 1 << 20 { body.append(contentsOf: chunk.readableBytesView) }
        } catch {
            throw KubeClientError.transport(underlying: error)
        }
        if response.statusCode == 401 { transport.invalidateCredentials() }
        throw KubeClientError.api(Self.status(of: APIResponse(statusCode: response.statusCode, headers: response.headers, body: body)))
    }

    /// The server's `Status` body, or one made from the HTTP status when the body is not a Status.
    /// The `Retry-After` header (seconds) fills `details.retryAfterSeconds` when the body lacks it.
    static func status(of response: APIResponse) -> APIStatus {
        var status: APIStatus
        if let decoded = try? KubeJSON.decode(APIStatus.self, from: response.body), decoded.kind == "Status" {
            status = decoded
            if status.code == nil { status.code = response.statusCode }
        } else {
            let text = String(decoding: response.body.prefix(256), as: UTF8.self)
            status = APIStatus(code: response.statusCode, reason: reason(for: response.statusCode), message: text)
        }
        if let header = response.headers["retry-after"], let seconds = Int32(header.trimmingCharacters(in: .whitespaces)) {
            var details = status.details ?? APIStatus.Details()
            if details.retryAfterSeconds == nil { details.retryAfterSeconds = seconds }
            status.details = details
        }
        return status
    }

    private static func reason(for code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 410: "Expired"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: code >= 500 ? "InternalError" : "Unknown"
        }
    }

    private func log(retry request: APIRequest, attempt: Int, delay: Duration, cause: String) {
        logger.debug(
            "retrying request",
            metadata: ["http.verb": "\(request.verb.rawValue)", "http.path": "\(request.path)", "retry.attempt": "\(attempt)", "retry.in": "\(delay)", "error": "\(cause)"]
        )
    }
}

/// How often and how patiently ``KubeClient`` retries.
public struct RetryPolicy: Sendable, Hashable {
    /// Total tries, the first included; `1` disables retries.
    public var maxAttempts: Int
    public var backoff: Backoff
    /// A longer `Retry-After` is cut to this.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 5, backoff: Backoff = .request, maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.maxRetryAfter = maxRetryAfter
    }

    public static let `default` = RetryPolicy()
    public static let none = RetryPolicy(maxAttempts: 1)
}

extension Transport {
    public func invalidateCredentials() {}
}

extension HTTPTransport {
    public func invalidateCredentials() { credentials.invalidate() }
}

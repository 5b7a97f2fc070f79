import Foundation
import KubeCore

/// Why a ``KubeClient`` call failed.
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    /// The API server answered 4xx/5xx (or sent a watch `ERROR` event); `status.code` is the HTTP status.
    case api(APIStatus)
    /// No HTTP answer arrived: connect, TLS, reset, or the request's own deadline.
    case transport(underlying: any Error)
    /// The body was not a valid `type`. `snippet` is its first 256 bytes, for logs.
    case decoding(type: String, snippet: String, underlying: any Error)
    /// kubeconfig, in-cluster environment or a call's arguments are unusable; the text names the field.
    case configuration(String)
    /// The credential plugin or token source could not produce a credential.
    case credentials(String)

    public var description: String {
        switch self {
        case .api(let status): "API error \(status)"
        case .transport(let underlying): "transport error: \(underlying)"
        case .decoding(let type, let snippet, let underlying): "cannot decode \(type): \(underlying); body: \(snippet)"
        case .configuration(let text): "configuration error: \(text)"
        case .credentials(let text): "credentials error: \(text)"
        }
    }
}

extension KubeClientError {
    /// The HTTP status of an ``api(_:)`` error.
    public var statusCode: Int? { if case .api(let s) = self { s.code } else { nil } }
    /// The server's status body of an ``api(_:)`` error.
    public var status: APIStatus? { if case .api(let s) = self { s } else { nil } }
    public var isNotFound: Bool { statusCode == 404 }
    /// Optimistic-concurrency clash or a failed JSON-patch `test`/precondition: re-read and retry.
    /// `AlreadyExists` is also a 409 but is not a conflict.
    public var isConflict: Bool { statusCode == 409 && status?.reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { statusCode == 409 && status?.reason == "AlreadyExists" }
    /// The watch's resourceVersion is older than the server's history: relist.
    public var isGone: Bool { statusCode == 410 }
    /// The server (or a PodDisruptionBudget, for evictions) asks to come back later.
    public var isTooManyRequests: Bool { statusCode == 429 }
    public var isServerError: Bool { (statusCode ?? 0) >= 500 }
    public var isTransport: Bool { if case .transport = self { true } else { false } }

    /// The wait the server asked for (`Retry-After` header or `details.retryAfterSeconds`).
    public var retryAfter: Duration? {
        guard let seconds = status?.details?.retryAfterSeconds, seconds > 0 else { return nil }
        return .seconds(Int(seconds))
    }
}

/// Wraps a reconcile failure that retrying cannot fix: the runtime logs it and does not retry.
public struct TerminalError: Error, Sendable, CustomStringConvertible {
    public var underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { "terminal: \(underlying)" }
}

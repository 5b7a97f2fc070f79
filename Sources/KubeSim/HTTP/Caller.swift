/// Who sent a request, as KubeSim's HTTP layer sees it. In-process calls have no caller unless
/// they run inside `Caller.$current.withValue(…)`.
///
/// `user` is the authenticated user name: the client certificate's subject `CN`, or the user a
/// bearer token maps to in ``KubeSimAuthentication/tokens``.
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    public var user: String?
    public var bearerToken: String?
    public var userAgent: String?

    public init(user: String? = nil, bearerToken: String? = nil, userAgent: String? = nil) {
        self.user = user
        self.bearerToken = bearerToken
        self.userAgent = userAgent
    }

    public var description: String {
        "caller(user: \(user ?? "-"), token: \(bearerToken == nil ? "-" : "…"), agent: \(userAgent ?? "-"))"
    }

    /// The caller of the request being served; set by the HTTP layer for the request's duration.
    @TaskLocal public static var current: Caller?
}

/// Selects callers for per-client fault injection and request counts (``KubeSim/failNext(_:verb:resource:with:caller:)``,
/// ``KubeSim/cutOff(_:)``, ``KubeSim/requestCount(verb:resource:caller:)``).
///
/// A matcher never matches a call without a caller (in process, outside ``Caller/current``).
public enum CallerMatch: Sendable, Hashable {
    /// The authenticated user (certificate `CN`, or the token's user), exactly.
    case user(String)
    /// The bearer token sent, exactly.
    case bearerToken(String)
    /// A `User-Agent` header that starts with this text.
    case userAgent(prefix: String)

    public func matches(_ caller: Caller?) -> Bool {
        guard let caller else { return false }
        switch self {
        case .user(let name): return caller.user == name
        case .bearerToken(let token): return caller.bearerToken == token
        case .userAgent(let prefix): return caller.userAgent?.hasPrefix(prefix) ?? false
        }
    }
}

/// Who may call KubeSim over HTTP. Without it (the default) every request is served.
///
/// With it, a request must carry a client certificate signed by the TLS CA (see ``KubeSimTLS``)
/// or a bearer token listed in ``tokens``; otherwise it is answered `401 Unauthorized` with a
/// `Status` body, as kube-apiserver does. An unknown token is a 401 even when anonymous access
/// is allowed.
public struct KubeSimAuthentication: Sendable, Hashable {
    /// Accepted bearer tokens, each mapped to the user name it authenticates.
    public var tokens: [String: String]
    /// Serve requests that carry no credentials at all (as `system:anonymous`).
    public var allowsAnonymous: Bool

    public init(tokens: [String: String] = [:], allowsAnonymous: Bool = false) {
        self.tokens = tokens
        self.allowsAnonymous = allowsAnonymous
    }
}

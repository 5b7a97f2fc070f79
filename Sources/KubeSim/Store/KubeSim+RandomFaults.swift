import KubeCore

/// API errors injected at a rate, for fault campaigns (``KubeSim/failRandomly(_:)``).
public struct RandomFaults: Sendable, Hashable {
    /// Share of matching calls answered with an error, 0...1.
    public var rate: Double
    /// The errors, drawn uniformly per failed call. A 429's `details.retryAfterSeconds` becomes
    /// the `Retry-After` header over HTTP.
    public var statuses: [APIStatus]
    /// Only calls over HTTP from these callers (in-process calls are never failed).
    public var callers: [CallerMatch]
    /// Verbs that may fail (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`); empty: all.
    public var verbs: Set<String>
    /// Seed of the random stream: the same seed and the same sequence of calls fail the same calls.
    public var seed: UInt64

    public init(rate: Double, statuses: [APIStatus] = RandomFaults.standardStatuses, callers: [CallerMatch], verbs: Set<String> = [], seed: UInt64) {
        self.rate = rate
        self.statuses = statuses
        self.callers = callers
        self.verbs = verbs
        self.seed = seed
    }

    /// 409 Conflict, 429 TooManyRequests (Retry-After 1 s), 500 InternalError, 503 ServiceUnavailable.
    public static let standardStatuses: [APIStatus] = {
        var tooMany = APIStatus(code: 429, reason: "TooManyRequests", message: "the server has received too many requests and has asked us to try again later (injected)")
        tooMany.details = APIStatus.Details(retryAfterSeconds: 1)
        return [
            APIStatus(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again (injected)"),
            tooMany,
            APIStatus(code: 500, reason: "InternalError", message: "Internal error occurred: etcdserver: request timed out (injected)"),
            APIStatus(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request (injected)"),
        ]
    }()
}

/// The random-fault state inside KubeSim's lock: the configuration, a seeded stream and counts.
struct RandomFaultState {
    var faults: RandomFaults?
    var stream: UInt64 = 0
    var injected: [Int: Int] = [:]

    mutating func draw(verb: String, caller: Caller?) -> APIStatus? {
        guard let f = faults, f.rate > 0, !f.statuses.isEmpty, f.verbs.isEmpty || f.verbs.contains(verb),
            f.callers.contains(where: { $0.matches(caller) })
        else { return nil }
        guard Double(next() >> 11) / Double(1 << 53) < f.rate else { return nil }
        let status = f.statuses[Int(next() % UInt64(f.statuses.count))]
        injected[status.code ?? 0, default: 0] += 1
        return status
    }

    /// xorshift64* (Vigna 2016): small, seeded, the same on every platform.
    mutating func next() -> UInt64 {
        if stream == 0 { stream = 0x2545_F491_4F6C_DD1D }
        stream ^= stream >> 12
        stream ^= stream << 25
        stream ^= stream >> 27
        return stream &* 0x2545_F491_4F6C_DD1D
    }
}

extension KubeSim {
    /// Fails a share of the calls of matching callers from now on (replacing an earlier setting);
    /// `nil` stops. Checked before the one-shot faults of ``failNext(_:verb:resource:with:caller:)``.
    public func failRandomly(_ faults: RandomFaults?) {
        state.withLock { s in
            s.randomFaults.faults = faults
            s.randomFaults.stream = faults?.seed ?? 0
        }
    }

    /// Errors injected by ``failRandomly(_:)`` so far, by HTTP status code.
    public var injectedFaults: [Int: Int] { state.withLock { $0.randomFaults.injected } }
}

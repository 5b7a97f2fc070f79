import KubeCore

/// Why quota arithmetic could not give an answer. Never a trap: absurd user input (a quantity of
/// `1e29` GPUs) is reported, so no caller writes a wrong `status.used` or admits on a wrapped sum.
public enum QuotaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A sum or product of `resource` leaves the range of ``Quantity`` (about ±1.7 × 10²⁹ units);
    /// `context` says whose (a pod, a quota, all quotas).
    case overflow(resource: String, context: String)
    /// A pod's requests cannot be charged: a fractional or negative device count, or a sum that overflows.
    case invalidPodRequest(pod: ObjectKey, reason: RequestError)

    public var description: String {
        switch self {
        case .overflow(let r, let context): "\(context): the amount of '\(r)' is too large to add up (over 1.7e29)"
        case .invalidPodRequest(let pod, let reason): "pod \(pod): \(reason)"
        }
    }
}

/// Exact quantity arithmetic that reports overflow instead of trapping.
enum QuotaMath {
    static func add(_ a: Quantity, _ b: Quantity, resource: String, context: @autoclosure () -> String) throws(QuotaError) -> Quantity {
        let (sum, overflow) = a.nanos.addingReportingOverflow(b.nanos)
        guard !overflow else { throw .overflow(resource: resource, context: context()) }
        return Quantity(nanos: sum, notation: a.notation)
    }

    static func subtract(_ a: Quantity, _ b: Quantity, resource: String, context: @autoclosure () -> String) throws(QuotaError) -> Quantity {
        let (difference, overflow) = a.nanos.subtractingReportingOverflow(b.nanos)
        guard !overflow else { throw .overflow(resource: resource, context: context()) }
        return Quantity(nanos: difference, notation: a.notation)
    }

    /// Adds every amount of `values` into `total`, resource by resource.
    static func add(_ values: [String: Quantity], into total: inout [String: Quantity], context: @autoclosure () -> String) throws(QuotaError) {
        for (name, amount) in values {
            total[name] = try add(total[name] ?? .zero, amount, resource: name, context: context())
        }
    }

    /// `max(0, a - b)`.
    static func excess(_ a: Quantity, over b: Quantity, resource: String, context: @autoclosure () -> String) throws(QuotaError) -> Quantity {
        a > b ? try subtract(a, b, resource: resource, context: context()) : .zero
    }
}

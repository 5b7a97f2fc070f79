/// An exact Kubernetes resource amount such as `250m` (CPU), `16Gi` (bytes) or `1` (a device).
///
/// Held as a whole number of nano-units in an `Int128`, so `1Gi == 1024Mi`, sums never round,
/// and every suffix from `n` to `Ei` fits. The notation only affects ``description``, which is
/// the canonical form kube-apiserver prints (`1.5Gi` reads back as `1536Mi`, `2000m` as `2`).
///
/// Grammar (Kubernetes API reference, "Quantity"): an optionally signed decimal number followed by
/// a binary suffix (`Ki` `Mi` `Gi` `Ti` `Pi` `Ei`), a decimal suffix (`n` `u` `m` `k` `M` `G` `T`
/// `P` `E`, or none) or a decimal exponent (`e3`, `E-2`). Precision below one nano-unit is rounded
/// up, as Kubernetes does.
public struct Quantity: Sendable, Hashable, Comparable {
    /// How a quantity is written; kept from parsing so values print in their user's notation.
    public enum Notation: Sendable, Hashable { case decimalSI, binarySI, decimalExponent }

    /// The amount in units of 10⁻⁹ (one CPU is `1_000_000_000`).
    public private(set) var nanos: Int128
    public var notation: Notation

    public init(nanos: Int128, notation: Notation = .decimalSI) {
        self.nanos = nanos
        self.notation = notation
    }

    /// A whole number of units (`Quantity(3)` is three devices), decimal notation.
    public init(_ units: Int) { self.init(nanos: Int128(units) * Self.nanosPerUnit) }

    /// Thousandths of a unit (`Quantity(milli: 250)` is `250m`).
    public init(milli: Int) { self.init(nanos: Int128(milli) * 1_000_000) }

    /// A whole number of bytes, binary notation (`Quantity(bytes: 1 << 30)` prints `1Gi`).
    public init(bytes: Int) { self.init(nanos: Int128(bytes) * Self.nanosPerUnit, notation: .binarySI) }

    public static let zero = Quantity(nanos: 0)
    static let nanosPerUnit: Int128 = 1_000_000_000

    /// Whole units, rounded up as Kubernetes' `Value()` does (`1500m` gives `2`).
    public var value: Int128 { Self.divideRoundingUp(nanos, Self.nanosPerUnit) }

    /// Whole milli-units, rounded up as the kubelet does (`0.1m` gives `1`).
    public var milliValue: Int128 { Self.divideRoundingUp(nanos, 1_000_000) }

    public var isZero: Bool { nanos == 0 }
    public var isNegative: Bool { nanos < 0 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanos < rhs.nanos }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.nanos == rhs.nanos }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanos) }

    /// Sums keep the left operand's notation, as Kubernetes' `Add` does.
    public static func + (lhs: Self, rhs: Self) -> Self { Quantity(nanos: lhs.nanos + rhs.nanos, notation: lhs.notation) }
    public static func - (lhs: Self, rhs: Self) -> Self { Quantity(nanos: lhs.nanos - rhs.nanos, notation: lhs.notation) }
    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
    public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }
    public static func * (lhs: Self, rhs: Int) -> Self { Quantity(nanos: lhs.nanos * Int128(rhs), notation: lhs.notation) }
    public static prefix func - (q: Self) -> Self { Quantity(nanos: -q.nanos, notation: q.notation) }

    static func divideRoundingUp(_ a: Int128, _ b: Int128) -> Int128 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r > 0 ? q + 1 : q
    }
}

/// Why text is not a ``Quantity``.
public enum QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not of the Kubernetes quantity grammar; carries the text.
    case malformed(String)
    /// Beyond what an `Int128` of nano-units holds (about ±1.7 × 10²⁹ units).
    case outOfRange(String)

    public var description: String {
        switch self {
        case .malformed(let t): "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': '\(t)'"
        case .outOfRange(let t): "quantity '\(t)' is out of range"
        }
    }
}

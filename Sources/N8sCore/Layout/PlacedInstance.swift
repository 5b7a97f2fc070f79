/// One GPU instance at a fixed place on the placement grid: `<profile>@<start>`.
public struct PlacedInstance: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// NVIDIA's profile name, e.g. `3g.40gb` or `1g.10gb+me`.
    public var profile: String
    /// First placement-grid unit (0-based), as NVML's `nvmlGpuInstancePlacement_t.start`.
    public var start: Int

    public init(_ profile: String, at start: Int) {
        self.profile = profile
        self.start = start
    }

    /// Ordered by start, then profile name.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.start, lhs.profile) < (rhs.start, rhs.profile) }

    /// `<profile>@<start>`, the form of the placements annotations.
    public var description: String { "\(profile)@\(start)" }
}

/// A multiset of profiles: profile name (NVIDIA form) to count, e.g. `["1g.10gb": 3, "4g.40gb": 1]`.
public typealias Geometry = [String: Int]

/// Helpers for geometries as plain dictionaries.
public enum Geometries {
    /// The geometry of a layout.
    public static func of(_ instances: some Sequence<PlacedInstance>) -> Geometry {
        var g: Geometry = [:]
        for i in instances { g[i.profile, default: 0] += 1 }
        return g
    }

    /// `1g.10gb×3 + 4g.40gb`, profiles by name; `(empty)` for none.
    public static func describe(_ geometry: Geometry) -> String {
        let parts = geometry.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { $0.value == 1 ? $0.key : "\($0.key)×\($0.value)" }
        return parts.isEmpty ? "(empty)" : parts.joined(separator: " + ")
    }
}

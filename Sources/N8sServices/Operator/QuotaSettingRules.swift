/// Checks shared by the quota components' settings (`n8s operator`, `n8s scheduler-extender`):
/// each returns the first bad field and why, or `nil`.
enum QuotaSettingRules {
    /// The first port outside 0...65535 (0 picks a free one).
    static func badPort(_ ports: [(field: String, port: Int)]) -> (field: String, reason: String)? {
        ports.first { !(0...65_535).contains($0.port) }.map { ($0.field, "must be within 0...65535, got \($0.port)") }
    }

    /// `gpuMemoryPerGPU` outside 1...10000 GB.
    static func badGPUMemoryPerGPU(_ gb: Int) -> (field: String, reason: String)? {
        (1...10_000).contains(gb) ? nil : ("gpuMemoryPerGPU", "must be within 1...10000 GB, got \(gb)")
    }
}

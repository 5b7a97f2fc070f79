/// Why a set of placed instances is not a valid layout of a GPU model.
public enum LayoutError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The model has no such profile, or the catalog does not know its placements.
    case unknownProfile(model: String, profile: String)
    /// NVML does not allow the profile to start there.
    case placementNotAllowed(model: String, instance: PlacedInstance, allowed: [Int])
    /// Two instances share placement-grid units.
    case overlap(PlacedInstance, PlacedInstance)
    /// More instances of a profile than the model allows.
    case tooMany(model: String, profile: String, count: Int, max: Int)
    /// The instances need more compute slices than the GPU has.
    case computeExceeded(model: String, used: Int, available: Int)
    /// More than one media-extension (`+me`) instance, or a `+me.all` beside other profiles.
    case mediaExtensionConflict(model: String)
    /// The model's grid is unknown, so nothing can be placed.
    case unplannableModel(model: String)

    public var description: String {
        switch self {
        case .unknownProfile(let m, let p): "profile '\(p)' is not placeable on model '\(m)'"
        case .placementNotAllowed(let m, let i, let allowed): "\(i) is not an allowed placement on '\(m)' (allowed starts: \(allowed))"
        case .overlap(let a, let b): "\(a) overlaps \(b)"
        case .tooMany(let m, let p, let c, let max): "\(c) instances of '\(p)' exceed the maximum \(max) on '\(m)'"
        case .computeExceeded(let m, let u, let a): "instances need \(u) compute slices, '\(m)' has \(a)"
        case .mediaExtensionConflict(let m): "more than one media-extension instance, or '+me.all' beside other profiles, on '\(m)'"
        case .unplannableModel(let m): "the catalog does not know the placement grid of '\(m)'"
        }
    }
}

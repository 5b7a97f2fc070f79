// swift-tools-version:6.2
import PackageDescription

// libFuzzer executables over n8s's parsers of outside input, one per `FuzzTarget`. A package of its
// own so the instrumented build (`-sanitize=fuzzer,address`, no `main`) never touches the normal one.
// Build and run them with `scripts/fuzz`.
let package = Package(
    name: "n8s-fuzz",
    dependencies: [.package(name: "n8s", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-annotations", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-quantity", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-label-selector", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-field-selector", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-json-patch", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-merge-patch", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-strategic-merge-patch", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-scenario", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-kubeconfig", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
        .executableTarget(name: "fuzz-pod-resources", dependencies: [.product(name: "N8sFuzzing", package: "n8s")]),
    ],
    swiftLanguageModes: [.v6]
)

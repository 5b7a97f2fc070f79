// swift-tools-version:6.2
import PackageDescription

// Layout: docs/design.md section 8. `Kube*` never imports `N8s*`; `KubeCore` and `N8sCore` do no I/O.
// Test targets depend only on what they test, so the pure suites build without the network stack.

let package = Package(
    name: "n8s",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "n8s", targets: ["n8s"]),
        .executable(name: "n8s-quality", targets: ["n8s-quality"]),
        .executable(name: "n8s-bench", targets: ["n8s-bench"]),
        .library(name: "KubeCore", targets: ["KubeCore"]),
        .library(name: "KubeSim", targets: ["KubeSim"]),
        .library(name: "N8sCore", targets: ["N8sCore"]),
        // For the libFuzzer build in fuzz/ (a package of its own, so this build stays uninstrumented).
        .library(name: "N8sFuzzing", targets: ["N8sFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .target(name: "KubeCore"),
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "KubeRuntime",
            dependencies: [
                "KubeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KubeSim",
            dependencies: [
                "KubeCore",
                // KubeSimTransport: KubeClient's Transport served in process.
                "KubeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Calls admission webhooks (ValidatingWebhookConfiguration) as kube-apiserver does.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Certificates for `withServer(tls:)` only; production targets do not import KubeSim.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "N8sCore",
            dependencies: [
                "KubeCore",
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Resources/mig-profiles.yaml")]
        ),
        .target(
            name: "N8sServices",
            dependencies: [
                "N8sCore",
                "KubeCore",
                "KubeClient",
                "KubeRuntime",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["PodResources/api.proto"]
        ),
        .target(
            name: "N8sSimulation",
            dependencies: [
                "KubeSim",
                "N8sServices",
                "KubeClient",
                "KubeRuntime",
                "N8sCore",
                "KubeCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "n8s",
            dependencies: [
                "KubeCore",
                "KubeClient",
                "KubeRuntime",
                "KubeSim",
                "N8sCore",
                "N8sServices",
                "N8sSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "N8sFuzzing",
            dependencies: [
                "KubeCore", "KubeClient", "N8sCore", "N8sServices", "N8sSimulation",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(name: "N8sFuzzingTests", dependencies: ["N8sFuzzing"], resources: [.copy("Inputs")]),
        .executableTarget(name: "n8s-quality", dependencies: ["N8sCore"]),
        .executableTarget(name: "n8s-bench", dependencies: ["KubeCore", "N8sCore"]),
        .testTarget(name: "KubeCoreTests", dependencies: ["KubeCore"]),
        .target(name: "TestSupport", dependencies: ["KubeCore", "KubeClient", "KubeSim"], path: "Tests/TestSupport"),
        .testTarget(
            name: "KubeSimTests",
            dependencies: [
                "KubeSim",
                "KubeClient",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Reads the repository's CRDs (deploy/crds/*.yaml).
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "kube-bench",
            dependencies: ["KubeRuntime", "KubeSim"]
        ),
        .executableTarget(
            name: "kubesim-bench",
            dependencies: ["KubeSim", "KubeClient"]
        ),
        .testTarget(
            name: "N8sCoreTests",
            dependencies: ["N8sCore", "KubeCore", .product(name: "Yams", package: "Yams")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "N8sServicesTests",
            dependencies: [
                "N8sServices", "N8sCore", "KubeCore", "KubeClient", "KubeRuntime", "KubeSim", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "N8sSimulationTests",
            dependencies: [
                "N8sSimulation", "N8sServices", "N8sCore", "KubeCore", "KubeClient", "KubeRuntime", "KubeSim", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeSim", "TestSupport"]),
        .testTarget(
            name: "KubeRuntimeTests",
            dependencies: [
                "KubeRuntime",
                "KubeSim",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

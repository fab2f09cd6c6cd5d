// swift-tools-version: 6.1
// plan-check: finds where spatial plans contradict each other (多规合一) and turns regional
// pre-assessments (区域评估) into answers that construction projects can reuse.
import PackageDescription

let package = Package(
    name: "plan-check",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "plan-check", targets: ["PlanCheckCLI"]),
        .library(name: "PlanCheckKit", targets: ["PlanCheckKit"]),
    ],
    dependencies: [
        // The command line: subcommands, typed options, help text and usage errors (exit 64).
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        // Rule sets are YAML; Yams (libyaml) gives nodes with line and column, so every rule-set
        // diagnostic can point at its line.
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // SHA-256 of inputs and rule sets for provenance (BoringSSL's implementation on Linux).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // `plan-check serve`: HTTP/1.1 server on SwiftNIO, graceful shutdown on SIGTERM/SIGINT
        // (swift-service-lifecycle), request logging through swift-log. The default trait
        // ConfigurationSupport (swift-configuration) is left out: options come from the command line.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: ["FullFoundation"]),
        // Already in the graph through Hummingbird; named for NIOCore's Channel (the bound address)
        // and IOError (why a bind failed), and NIOHTTP1's HTTPParserError (why a request is not HTTP).
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // Also through Hummingbird; named for NIOHTTPTypes' request and response parts, which the
        // channel handler that answers malformed HTTP with JSON (PlanCheckServer) reads and writes.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        // Also through Hummingbird; named for HTTPField (Retry-After, Allow headers).
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // The request log of `plan-check serve` (one line per request on stderr); Hummingbird logs
        // through it too. 1.14 is Hummingbird's own floor; `LogHandler.log(event:)` is from 1.11.
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
    ],
    targets: [
        // C libraries from Debian (libgeos-dev, libproj-dev, libsqlite3-dev, libgdal-dev). Each is
        // imported by exactly one Swift module below; no C type crosses that module's public API.
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        // Clipper 6.4 (libpolyclipping-dev) is C++: this small C++ target gives it a plain C face
        // (integer rings in, polygons with holes out), imported only by PlanClipper.
        .target(
            name: "CClipperShim",
            linkerSettings: [.linkedLibrary("polyclipping")]
        ),

        // Plain Swift values shared by every layer: positions, geometries, features, layers,
        // attribute values, WKB, area units. No C.
        .target(name: "PlanModel"),
        // Geometry operations over GEOS (the only importer of CGEOS).
        .target(name: "PlanGeometry", dependencies: ["PlanModel", "CGEOS"]),
        // Boolean operations of polygons on a 64-bit integer grid (1 µm) through Clipper: the
        // overlay's pairwise kernel (the only importer of CClipperShim).
        .target(name: "PlanClipper", dependencies: ["PlanModel", "CClipperShim"]),
        // Coordinate reference systems, reprojection and ellipsoidal area over PROJ
        // (the only importer of CPROJ).
        .target(name: "PlanCRS", dependencies: ["PlanModel", "CPROJ"]),
        // SQLite connections and the OGC GeoPackage format (the only importer of CSQLite).
        .target(name: "PlanStore", dependencies: ["PlanModel", "CSQLite"]),
        // The regional-assessment registry: a GeoPackage with regions, outcome zones, items and
        // the provenance of every run, written in one transaction and read through its R-tree.
        .target(name: "PlanRegistry", dependencies: ["PlanModel", "PlanStore", "PlanOutput"]),
        // Output files: where a path really leads (links followed; FIFOs, devices, sockets and
        // folders refused; `-` for standard output), temporaries beside the target renamed into
        // place together, and the stale temporaries of killed runs removed. No C library.
        .target(name: "PlanOutput", dependencies: ["PlanModel"]),
        // Reading the vector formats plan-check has no native reader for (Shapefile with its
        // encodings, File Geodatabase, FlatGeobuf, KML, GML, MapInfo …) through GDAL (the only
        // importer of CGDAL).
        .target(name: "PlanGDAL", dependencies: ["PlanModel", "CGDAL"]),
        // Reading layer files into the one layer model: GeoJSON and GeoPackage natively, the rest
        // through PlanGDAL; writing GeoJSON.
        .target(name: "PlanLayers", dependencies: ["PlanModel", "PlanStore", "PlanOutput", "PlanGDAL"]),
        // Rule sets (YAML, version 1): layers, class maps, conflict rules, with line-numbered
        // diagnostics.
        .target(name: "PlanRules", dependencies: ["PlanModel", .product(name: "Yams", package: "Yams")]),
        // The engine: layer checking and repair, inspection reports, overlay, regional assessment
        // and queries, exit statuses.
        .target(
            name: "PlanCheckKit",
            dependencies: [
                "PlanModel", "PlanGeometry", "PlanClipper", "PlanCRS", "PlanStore", "PlanGDAL", "PlanLayers", "PlanRules", "PlanRegistry", "PlanOutput",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The documented layout of the query answer; the tests validate answers against it.
            // The HTML report's CSS and script are compiled in through Report/ReportAssets.swift,
            // generated from them by Tools/embed-assets.sh (no resource bundle to find at run time).
            exclude: ["Query/query-answer.schema.json", "Report/assets"]
        ),
        // The web service applicants use (`plan-check serve`): HTTP endpoints over the query engine,
        // errors as JSON with the HTTP status of their exit status.
        .target(
            name: "PlanCheckServer",
            dependencies: [
                "PlanCheckKit", "PlanOutput", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The applicants' page (HTML, CSS, script) and the OpenAPI template are compiled in
            // through PageAssets.swift, generated from them by Tools/embed-assets.sh.
            exclude: ["assets"]
        ),
        // The `plan-check` command: parses arguments, calls the engine, maps errors to exit codes.
        .executableTarget(
            name: "PlanCheckCLI",
            dependencies: ["PlanCheckKit", "PlanCheckServer", "PlanOutput", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // jemalloc (Debian's libjemalloc-dev) replaces glibc's malloc in the release binary:
            // GEOS's overlays allocate and free many small objects, and glibc's malloc took ~10 %
            // of the CPU of an overlay of 100 000 parcels; with jemalloc the same run uses ~10 %
            // less CPU and less memory (Tools/bench-overlay/RESULTS.md). Debug builds (and so
            // `make asan`, whose sanitizer brings its own malloc) keep glibc's.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux], configuration: .release))]
        ),
        // Clock, peak memory and stderr for the benchmark executables below.
        .target(name: "PlanCheckBenchSupport", path: "Tools/bench-support/Sources"),
        // Benchmark: reads one layer file as plan-check does (GeoJSON, GeoPackage, a Shapefile through
        // GDAL), prints seconds and peak memory (Tools/bench-geojson/run.sh compares it with pyogrio).
        .executableTarget(
            name: "plan-check-bench-read", dependencies: ["PlanLayers", "PlanModel", "PlanCheckBenchSupport"],
            path: "Tools/bench-geojson/Sources"),
        // Benchmark: the single-threaded bare loop of STRtree query + GEOSIntersection_r over two
        // layers, the floor for `plan-check overlay` (Tools/bench-overlay/run.sh).
        .executableTarget(
            name: "plan-check-bench-bareloop", dependencies: ["PlanLayers", "PlanGeometry", "PlanModel", "PlanCheckBenchSupport"],
            path: "Tools/bench-overlay/Sources"),
        // Benchmark: one prepared QueryEngine answers every generated site in turn (and from
        // several tasks at once), per-query latency percentiles (Tools/bench-query/run.sh).
        .executableTarget(
            name: "plan-check-bench-query", dependencies: ["PlanCheckKit", "PlanCheckBenchSupport"],
            path: "Tools/bench-query/Sources"),

        // Independent checkers the tests run (GDAL's GeoPackage validator, ogrinfo), shared by them.
        .target(name: "PlanCheckTestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PlanModelTests", dependencies: ["PlanModel", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanGeometryTests", dependencies: ["PlanGeometry", "PlanModel", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanClipperTests", dependencies: ["PlanClipper", "PlanGeometry", "PlanModel", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanCRSTests", dependencies: ["PlanCRS", "PlanModel", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanStoreTests", dependencies: ["PlanStore", "PlanModel", "PlanCheckTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PlanOutputTests", dependencies: ["PlanOutput", "PlanModel", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanRegistryTests", dependencies: ["PlanRegistry", "PlanStore", "PlanModel", "PlanOutput", "PlanCheckTestSupport"]),
        .testTarget(name: "PlanLayersTests", dependencies: ["PlanLayers", "PlanModel", "PlanOutput", "PlanCheckTestSupport"]),
        // GDAL-read Shapefiles (GBK with .cpg, code-page byte or neither), File Geodatabase, zip,
        // ESRI .prj, broken inputs; fixtures made by ogr2ogr (Tests/Fixtures/gdal/README.md).
        .testTarget(name: "PlanGDALTests", dependencies: ["PlanGDAL", "PlanLayers", "PlanModel"]),
        .testTarget(name: "PlanRulesTests", dependencies: ["PlanRules", "PlanModel"]),
        .testTarget(name: "PlanCheckKitTests", dependencies: ["PlanCheckKit", "PlanClipper", "PlanGeometry", "PlanModel", "PlanLayers", "PlanStore", "PlanRegistry", "PlanOutput", "PlanCheckTestSupport"]),
        // Runs the built `plan-check` binary (a dependency, so `swift build --build-tests` makes it).
        .testTarget(name: "PlanCheckCLITests", dependencies: ["PlanCheckCLI", "PlanCheckKit", "PlanModel", "PlanRegistry", "PlanStore", "PlanOutput", "PlanCheckTestSupport"]),
        // The service's HTTP mapping without a socket (the live server is tested in PlanCheckCLITests).
        .testTarget(
            name: "PlanCheckServerTests",
            dependencies: ["PlanCheckServer", "PlanCheckKit", "PlanStore", "PlanLayers", "PlanOutput", "PlanCheckTestSupport", .product(name: "NIOHTTP1", package: "swift-nio")]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

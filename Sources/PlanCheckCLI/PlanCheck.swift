import ArgumentParser
import PlanCheckKit

/// The `plan-check` command: one subcommand per job.
@main
struct PlanCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan-check",
        abstract: "Find where spatial plans contradict each other (多规合一) and reuse regional assessments (区域评估).",
        discussion: """
            Exit codes: 0 success; 1 findings at or above --fail-on (overlay), or a site that may \
            not rely on the regional assessments alone (query); 64 usage error; 65 bad input data; \
            66 missing input; 70 a GEOS/PROJ/SQLite/GDAL failure; 74 cannot write output; 75 the registry \
            is locked by another writer (try again).
            """,
        version: "plan-check \(PlanCheckVersion.current) (GEOS \(LibraryVersions.geos), PROJ \(LibraryVersions.proj), SQLite \(LibraryVersions.sqlite), GDAL \(LibraryVersions.gdal), Clipper \(LibraryVersions.clipper))",
        subcommands: [Inspect.self, Overlay.self, Merge.self, Diff.self, Assess.self, Query.self, History.self, Serve.self]
    )
}

/// Runs a command body and turns any error into its documented exit code, with one line on
/// stderr that names the file, the feature and the reason.
func runReportingErrors(_ body: () async throws -> ExitStatus) async throws {
    let status: ExitStatus
    do {
        status = try await body()
    } catch let error as CleanExit {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let failure = Failure(error)
        StandardError.write("plan-check: error: \(failure.message)\n")
        throw ExitCode(failure.status.rawValue)
    }
    if status != .success { throw ExitCode(status.rawValue) }
}

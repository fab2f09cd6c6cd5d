/// The exit statuses of every plan-check command (BSD sysexits where one fits), as documented in
/// the README. Commands map errors to these instead of printing and calling `exit` themselves.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success: the command did what was asked (findings below `--fail-on`, if any).
    case success = 0
    /// Findings at or above `--fail-on` (overlay), or an answer that is not "may reuse" (query).
    case findings = 1
    /// The command line is wrong: unknown flag, missing argument, bad value.
    case usage = 64
    /// Input data is wrong: broken GeoJSON, not a GeoPackage, a Shapefile without its .shx or
    /// .dbf, text in an undeclared encoding, a bad feature under `--invalid fail`, an unknown CRS,
    /// coordinates that do not fit the CRS.
    case dataError = 65
    /// An input file does not exist or cannot be opened.
    case noInput = 66
    /// GEOS, PROJ, SQLite or GDAL failed on input that should have worked (a bug or a library limit).
    case software = 70
    /// An output file cannot be written.
    case cannotWrite = 74
    /// Try again later: the registry is locked by another writer beyond the busy timeout, or the
    /// service is full or past its time limit.
    case temporaryFailure = 75

    /// One line for the README's table.
    public var meaning: String {
        switch self {
        case .success: "success"
        case .findings: "findings at or above --fail-on (overlay); the site may not reuse every assessment, or a critical conformity patch (query)"
        case .usage: "usage error (bad flag, argument or value)"
        case .dataError: "bad input data (file, feature and reason are printed)"
        case .noInput: "an input file is missing or unreadable"
        case .software: "a GEOS, PROJ, SQLite or GDAL failure"
        case .cannotWrite: "an output file cannot be written"
        case .temporaryFailure: "try again: another process is writing the registry, or the service is full"
        }
    }
}

/// An error that knows which exit status it stands for and how to say itself in one line.
///
/// Every error type of every plan-check module conforms, each choosing its status in its own
/// module by an exhaustive switch over its kinds, so a new kind or a new error type cannot fall
/// silently into exit 70 (a test checks that every error type in Sources conforms).
public protocol PlanCheckFailure: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}

import PlanModel

extension GDALError: PlanCheckFailure {
    /// A file GDAL cannot read as a layer, or text it cannot decode, is bad input (65); GDAL
    /// failing in itself is a library failure (70); an output GDAL cannot write is 74.
    public var exitStatus: ExitStatus {
        switch kind {
        case .notRecognized, .openFailed, .missingPart, .noSuchLayer, .readFailed, .textNotUTF8, .unknownEncoding,
             .encodingNotApplicable:
            .dataError
        case .writeFailed:
            .cannotWrite
        case .library:
            .software
        }
    }
}

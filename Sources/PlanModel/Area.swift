/// Area units a planner reports in. 1 ha (公顷) = 10 000 m²; 1 亩 (mu) = 10 000/15 m² ≈ 666.67 m².
public enum AreaUnit {
    public static let squareMetresPerHectare = 10_000.0
    public static let squareMetresPerMu = 10_000.0 / 15.0

    /// Hectares in `squareMetres` m².
    @inlinable public static func hectares(_ squareMetres: Double) -> Double { squareMetres / squareMetresPerHectare }
    /// Mu (亩) in `squareMetres` m².
    @inlinable public static func mu(_ squareMetres: Double) -> Double { squareMetres / squareMetresPerMu }
}

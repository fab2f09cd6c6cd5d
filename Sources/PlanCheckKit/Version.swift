/// plan-check's own version, recorded in every report and registry row it writes.
public enum PlanCheckVersion {
    public static let current = "0.1.0"
}

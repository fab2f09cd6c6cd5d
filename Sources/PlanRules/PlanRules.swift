// PlanRules: see Package.swift for this module's one job.

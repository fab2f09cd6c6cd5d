@_exported import enum PlanModel.ExitStatus
@_exported import protocol PlanModel.PlanCheckFailure

import PlanCheckKit
print("plan-check")

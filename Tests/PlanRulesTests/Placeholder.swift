import Testing
import PlanRules

@Test func placeholderModuleLoads() { #expect(Bool(true)) }

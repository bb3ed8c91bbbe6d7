// Types of scripts/preprovision.mjs for the tests that import it.
export interface ArmWorkflow { name: string; properties?: { state?: string; definition?: { triggers?: Record<string, { recurrence?: unknown }> } } }
export interface ArmRoleAssignment { id: string; properties: { scope: string; principalId: string; roleDefinitionId: string } }
export function scheduleNames(): string[];
export function schedulesFound(workflows: ArmWorkflow[], names: string[]): string;
export function normaliseScope(scope: string): string;
export function targetScopes(value: string | undefined): string[];
export function staleAssignments(input: {
  assignableBefore: string[];
  targets: string[];
  keep: string[];
  assignments: ArmRoleAssignment[];
  roleDefinitionId: string;
  principalId: string;
}): ArmRoleAssignment[];

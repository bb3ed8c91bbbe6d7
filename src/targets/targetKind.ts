/**
 * The kinds of target a run acts on (docs/targets.md). A Flexible scale set's member is a VM resource with a
 * `virtualMachineScaleSet` reference: it uses the VM port unchanged and differs in how it is named and in what
 * counts as Azure-managed. Pure.
 */
import { assertNever } from "./powerAction";

export type TargetKind = "vm" | "flexibleMember";

export function kindOf(target: { scaleSetId?: string }): TargetKind {
  return target.scaleSetId ? "flexibleMember" : "vm";
}

/** "VM" / "member of scale set vmss-web": how an outcome names the target. */
export function describeKind(kind: TargetKind, scaleSetId?: string): string {
  switch (kind) {
    case "vm":
      return "VM";
    case "flexibleMember":
      return `member of Flexible scale set ${scaleSetId?.split("/").pop() ?? "?"}`;
    default:
      return assertNever(kind, "target kind");
  }
}

import { describe, expect, it } from "vitest";
import {
  isClassicVmId,
  isGuid,
  parseResourceGroupId,
  parseSubscriptionId,
  parseVmId,
  vmId,
  vmKey,
} from "../../src/domain/resourceId";

const SUB = "1a2b3c4d-0000-4000-8000-00000000abcd";
const SUB_UP = SUB.toUpperCase();

describe("isGuid", () => {
  it("accepts 8-4-4-4-12 hex in any case", () => {
    expect(isGuid(SUB)).toBe(true);
    expect(isGuid(SUB_UP)).toBe(true);
  });
  it.each(["", "1a2b3c4d00004000800000000000abcd", `{${SUB}}`, `${SUB}x`, "zzzzzzzz-0000-4000-8000-00000000abcd"])(
    "rejects %j",
    (s) => expect(isGuid(s)).toBe(false),
  );
});

describe("parseVmId", () => {
  const id = `/subscriptions/${SUB}/resourceGroups/rg-Prod/providers/Microsoft.Compute/virtualMachines/Web01`;

  it("parses a canonical id, keeping the casing as written", () => {
    expect(parseVmId(id)).toEqual({ subscriptionId: SUB, resourceGroup: "rg-Prod", name: "Web01" });
  });
  it("accepts a trailing slash", () => {
    expect(parseVmId(`${id}/`)).toEqual(parseVmId(id));
  });
  it("accepts any casing of literal segments", () => {
    const odd = `/SUBSCRIPTIONS/${SUB_UP}/RESOURCEGROUPS/rg-Prod/PROVIDERS/microsoft.compute/VIRTUALMACHINES/Web01`;
    expect(parseVmId(odd)).toEqual({ subscriptionId: SUB_UP, resourceGroup: "rg-Prod", name: "Web01" });
    expect(parseVmId(`/subscriptions/${SUB}/resourcegroups/rg/providers/Microsoft.Compute/virtualmachines/vm`)).toBeDefined();
  });
  it("ignores surrounding whitespace", () => {
    expect(parseVmId(`  ${id}\n`)).toEqual(parseVmId(id));
  });
  it.each([
    ["classic", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ClassicCompute/virtualMachines/vm`],
    ["scale set", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vm`],
    ["not a guid", `/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`],
    ["missing leading slash", `subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`],
    ["double slash", `/subscriptions/${SUB}//resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`],
    ["two trailing slashes", `${id}//`],
    ["extra segment", `${id}/extensions/x`],
    ["resource group id", `/subscriptions/${SUB}/resourceGroups/rg`],
    ["vm name with space", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/my vm`],
    ["vm name starting with _", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/_vm`],
    ["vm name ending with .", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm.`],
    ["vm name ending with -", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-`],
    ["vm name 65 chars", `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${"a".repeat(65)}`],
    ["rg ending with .", `/subscriptions/${SUB}/resourceGroups/rg./providers/Microsoft.Compute/virtualMachines/vm`],
    ["rg 91 chars", `/subscriptions/${SUB}/resourceGroups/${"r".repeat(91)}/providers/Microsoft.Compute/virtualMachines/vm`],
    ["rg with !", `/subscriptions/${SUB}/resourceGroups/r!g/providers/Microsoft.Compute/virtualMachines/vm`],
    ["empty", ""],
    ["slash only", "/"],
  ])("rejects %s", (_label, s) => {
    expect(parseVmId(s)).toBeUndefined();
  });
  it("accepts boundary names: 64-char vm, 90-char rg with ( ) . _ -", () => {
    const rg = "(a)._-" + "r".repeat(84);
    const name = "a" + "b_.-".repeat(15) + "zzz";
    expect(rg.length).toBe(90);
    expect(name.length).toBe(64);
    expect(parseVmId(`/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`)).toEqual({
      subscriptionId: SUB,
      resourceGroup: rg,
      name,
    });
  });
  it("never throws on non-string input", () => {
    for (const v of [undefined, null, 1, {}, []]) expect(parseVmId(v as unknown as string)).toBeUndefined();
  });
});

describe("parseResourceGroupId", () => {
  it("parses with and without trailing slash, any casing", () => {
    const want = { subscriptionId: SUB, resourceGroup: "My-RG" };
    expect(parseResourceGroupId(`/subscriptions/${SUB}/resourceGroups/My-RG/`)).toEqual(want);
    expect(parseResourceGroupId(`/subscriptions/${SUB}/resourceGroups/My-RG`)).toEqual(want);
    expect(parseResourceGroupId(`/Subscriptions/${SUB}/resourcegroups/My-RG`)).toEqual(want);
  });
  it.each([`/subscriptions/${SUB}/`, `/subscriptions/${SUB}/resourceGroups/`, `/subscriptions/${SUB}/resourceGroups/rg/providers`, `/subscriptions/x/resourceGroups/rg`])(
    "rejects %j",
    (s) => expect(parseResourceGroupId(s)).toBeUndefined(),
  );
});

describe("parseSubscriptionId", () => {
  it("returns the lower-cased GUID for the path form, trailing slash optional", () => {
    expect(parseSubscriptionId(`/subscriptions/${SUB_UP}/`)).toBe(SUB);
    expect(parseSubscriptionId(`/subscriptions/${SUB_UP}`)).toBe(SUB);
    expect(parseSubscriptionId(`/SUBSCRIPTIONS/${SUB}`)).toBe(SUB);
  });
  it("rejects a bare GUID and other shapes", () => {
    expect(parseSubscriptionId(SUB)).toBeUndefined();
    expect(parseSubscriptionId(`/subscriptions/`)).toBeUndefined();
    expect(parseSubscriptionId(`/subscriptions/not-a-guid/`)).toBeUndefined();
    expect(parseSubscriptionId(`/subscriptions/${SUB}/resourceGroups/rg`)).toBeUndefined();
  });
});

describe("isClassicVmId", () => {
  it("detects classic VM ids in any casing", () => {
    expect(isClassicVmId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ClassicCompute/virtualMachines/vm`)).toBe(true);
    expect(isClassicVmId(`/subscriptions/${SUB}/resourceGroups/rg/providers/microsoft.classiccompute/virtualmachines/vm/`)).toBe(true);
  });
  it("is false for ARM VMs and junk", () => {
    expect(isClassicVmId(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm`)).toBe(false);
    expect(isClassicVmId("Az*")).toBe(false);
  });
});

describe("vmId / vmKey", () => {
  const ref = { subscriptionId: SUB_UP, resourceGroup: "RG", name: "Vm1" };
  it("builds the canonical id, as written", () => {
    expect(vmId(ref)).toBe(`/subscriptions/${SUB_UP}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/Vm1`);
  });
  it("vmKey is the lower-cased id, equal across casings and round-trips through parseVmId", () => {
    expect(vmKey(ref)).toBe(vmId(ref).toLowerCase());
    const other = parseVmId(`/SUBSCRIPTIONS/${SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/VM1/`)!;
    expect(vmKey(other)).toBe(vmKey(ref));
    expect(parseVmId(vmId(ref))).toEqual(ref);
  });
});

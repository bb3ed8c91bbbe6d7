import { describe, expect, it } from "vitest";
import { VmRef, parseVmId, vmKey } from "../../src/domain/resourceId";
import { RequestScopes, parseScheduledRequest } from "../../src/domain/scheduledRequest";
import { VmCandidate, inScope, isExcludedByTag, selectVms } from "../../src/domain/scope";

const SUB = "1a2b3c4d-0000-4000-8000-00000000abcd";
const SUB2 = "99999999-aaaa-4bbb-8ccc-dddddddddddd";
const SUB3 = "33333333-3333-4333-8333-333333333333";

interface Found extends VmCandidate {
  location: string;
}
const vm = (sub: string, rg: string, name: string, tags: Record<string, string> = {}): Found => {
  const ref: VmRef = { subscriptionId: sub, resourceGroup: rg, name };
  return { ref, key: vmKey(ref), tags, location: "westeurope" };
};
const id = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

function scopesOf(requestScopes: Record<string, unknown>): RequestScopes {
  const r = parseScheduledRequest({ Action: "start", RequestScopes: requestScopes }, { maxScopeEntries: 100 });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.scopes;
}
const names = (xs: { ref: VmRef }[]) => xs.map((x) => x.ref.name);

describe("selectVms: v2 documented example", () => {
  // Subscriptions: all of SUB; ResourceGroups: rg-web in SUB2; VMLists: one VM in SUB3;
  // ExcludedVMLists: a full id and "Az*".
  const scopes = scopesOf({
    Subscriptions: [`/subscriptions/${SUB}/`],
    ResourceGroups: [`/subscriptions/${SUB2}/resourceGroups/rg-web/`],
    VMLists: [id(SUB3, "rg-x", "AzListed")],
    ExcludedVMLists: [id(SUB, "rg-a", "db1"), "Az*"],
  });
  const found = [
    vm(SUB, "rg-a", "app1"),
    vm(SUB, "rg-a", "db1"), // excluded by full id
    vm(SUB, "rg-b", "AzDevBox"), // excluded by Az*
    vm(SUB, "rg-b", "azure-agent"), // excluded by Az* (case-insensitive)
    vm(SUB, "rg-b", "batch", { SSV2ExcludeVM: "TRUE" }), // excluded by tag
    vm(SUB2, "rg-web", "web1"),
    vm(SUB2, "rg-web", "AZweb"), // excluded by Az*
    vm(SUB2, "rg-other", "web9"), // not in scope
    vm(SUB3, "rg-x", "AzListed"), // explicit VMLists beats Az*
    vm(SUB3, "rg-x", "neighbour"), // not in scope
  ];

  it("resolves to exactly the expected set, with reasons, sorted by key", () => {
    const sel = selectVms(scopes, found);
    // Keys sort by subscription (1a2b.. < 3333.. < 9999..), then group, then name.
    expect(names(sel.selected)).toEqual(["app1", "AzListed", "web1"]);
    expect(sel.excluded.map((e) => [e.vm.ref.name, e.reason])).toEqual([
      ["db1", `excluded by ExcludedVMLists entry "${id(SUB, "rg-a", "db1").toLowerCase()}"`],
      ["AzDevBox", 'excluded by ExcludedVMLists entry "Az*"'],
      ["azure-agent", 'excluded by ExcludedVMLists entry "Az*"'],
      ["batch", "excluded by tag ssv2excludevm=true"],
      ["AZweb", 'excluded by ExcludedVMLists entry "Az*"'],
    ]);
  });

  it("keeps the caller's extra fields and object identity", () => {
    const sel = selectVms(scopes, found);
    expect(sel.selected[0]).toBe(found[0]);
    expect(sel.selected[0]!.location).toBe("westeurope");
  });

  it("does not depend on the order of found", () => {
    const a = selectVms(scopes, found);
    const b = selectVms(scopes, [...found].reverse());
    expect(b).toEqual(a);
  });
});

describe("selectVms: rules", () => {
  it("deduplicates found by key (first occurrence wins) even across casings", () => {
    const a = vm(SUB, "RG", "Vm1");
    const b = vm(SUB.toUpperCase(), "rg", "VM1");
    const sel = selectVms(scopesOf({ Subscriptions: [`/subscriptions/${SUB}`] }), [a, b, a]);
    expect(sel.selected).toEqual([a]);
  });

  it("selects a VM in several scopes once", () => {
    const v = vm(SUB, "rg", "one");
    const sel = selectVms(
      scopesOf({ Subscriptions: [`/subscriptions/${SUB}/`], ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/rg/`], VMLists: [id(SUB, "rg", "one")] }),
      [v],
    );
    expect(sel).toEqual({ selected: [v], excluded: [] });
  });

  it("matches subscription, group and VM names case-insensitively", () => {
    const scopes = scopesOf({
      ResourceGroups: [`/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/MY-RG/`],
      VMLists: [id(SUB2, "Other", "Solo").toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/")],
    });
    const sel = selectVms(scopes, [vm(SUB, "my-rg", "a"), vm(SUB2, "other", "solo"), vm(SUB, "my-rg2", "b")]);
    expect(names(sel.selected)).toEqual(["a", "solo"]);
  });

  it("ignores VMs in no scope (not reported as excluded)", () => {
    const sel = selectVms(scopesOf({ VMLists: [id(SUB, "rg", "a")], ExcludedVMLists: ["b"] }), [vm(SUB, "rg", "a"), vm(SUB, "rg", "b")]);
    expect(sel).toEqual({ selected: [vm(SUB, "rg", "a")], excluded: [] });
  });

  it("excludes by plain name, case-insensitive exact (not a prefix)", () => {
    const sel = selectVms(scopesOf({ Subscriptions: [`/subscriptions/${SUB}`], ExcludedVMLists: ["Build"] }), [
      vm(SUB, "rg", "BUILD"),
      vm(SUB, "rg", "build2"),
    ]);
    expect(names(sel.selected)).toEqual(["build2"]);
    expect(sel.excluded).toEqual([{ vm: vm(SUB, "rg", "BUILD"), reason: 'excluded by ExcludedVMLists entry "Build"' }]);
  });

  it("explicit VMLists entry beats name, prefix and tag exclusions", () => {
    const listed = vm(SUB, "rg", "AzKeep", { ssv2excludevm: "true" });
    const sel = selectVms(
      scopesOf({ Subscriptions: [`/subscriptions/${SUB}`], VMLists: [id(SUB, "rg", "azkeep")], ExcludedVMLists: ["Az*", "AzKeep"] }),
      [listed],
    );
    expect(sel).toEqual({ selected: [listed], excluded: [] });
  });

  it("full-id exclusion beats everything, including VMLists", () => {
    const v = vm(SUB, "rg", "both");
    const sel = selectVms(scopesOf({ VMLists: [id(SUB, "rg", "both")], ExcludedVMLists: [`${id(SUB, "RG", "BOTH")}/`] }), [v]);
    expect(sel.selected).toEqual([]);
    expect(sel.excluded).toEqual([{ vm: v, reason: `excluded by ExcludedVMLists entry "${id(SUB, "rg", "both").toLowerCase()}"` }]);
  });

  it("tag exclusion applies to resource-group scope; reason names the first matching ExcludedVMLists entry before the tag", () => {
    const scopes = scopesOf({ ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/rg`], ExcludedVMLists: ["x*", "xy*"] });
    const sel = selectVms(scopes, [vm(SUB, "rg", "xyz", { ssv2excludevm: "true" }), vm(SUB, "rg", "t", { SsV2ExcludeVm: "True" })]);
    expect(sel.excluded.map((e) => e.reason)).toEqual(["excluded by tag ssv2excludevm=true", 'excluded by ExcludedVMLists entry "x*"']);
  });
});

describe("isExcludedByTag", () => {
  it.each([
    [{ ssv2excludevm: "true" }, true],
    [{ SSV2EXCLUDEVM: "TRUE" }, true],
    [{ Ssv2ExcludeVm: " True " }, true],
    [{ ssv2excludevm: "false" }, false],
    [{ ssv2excludevm: "yes" }, false],
    [{ ssv2excludevm: "" }, false],
    [{ other: "true" }, false],
    [{}, false],
  ])("%j → %s", (tags, want) => {
    expect(isExcludedByTag(tags)).toBe(want);
  });
  it("tolerates missing tags (ARM omits the property)", () => {
    expect(isExcludedByTag(undefined as unknown as Record<string, string>)).toBe(false);
  });
});

describe("inScope", () => {
  const scopes = scopesOf({
    Subscriptions: [`/subscriptions/${SUB}/`],
    ResourceGroups: [`/subscriptions/${SUB2}/resourceGroups/rg/`, `/subscriptions/${SUB}/resourceGroups/rg/`],
    VMLists: [id(SUB, "rg", "listed")],
  });
  it("reports the most explicit scope", () => {
    expect(inScope(scopes, vm(SUB, "rg", "listed"))).toBe("vmList");
    expect(inScope(scopes, vm(SUB, "RG", "other"))).toBe("resourceGroup");
    expect(inScope(scopes, vm(SUB2, "rg", "x"))).toBe("resourceGroup");
    expect(inScope(scopes, vm(SUB, "rg2", "x"))).toBe("subscription");
    expect(inScope(scopes, vm(SUB2, "rg2", "x"))).toBeUndefined();
  });
  it("does not confuse a group of the same name in another subscription", () => {
    expect(inScope(scopesOf({ ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/rg`] }), vm(SUB3, "rg", "x"))).toBeUndefined();
  });
  it("works with a VmRef parsed from user input", () => {
    const ref = parseVmId(`${id(SUB.toUpperCase(), "RG", "LISTED")}/`)!;
    expect(inScope(scopes, { ref, key: vmKey(ref), tags: {} })).toBe("vmList");
  });
});

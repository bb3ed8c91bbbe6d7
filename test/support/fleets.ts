/** Fleets shared by integration tests. Subscription ids are fixed so payloads can name them. */
export const SUB_A = "aaaaaaaa-0000-4000-8000-000000000001";
export const SUB_B = "bbbbbbbb-0000-4000-8000-000000000002";
export const SUB_C = "cccccccc-0000-4000-8000-000000000003";

export const rgId = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}/`;
export const vmIdOf = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

const fast = { start: { minSeconds: 1, maxSeconds: 3 }, deallocate: { minSeconds: 1, maxSeconds: 3 } };

/** A small, varied fleet shaped like v2's documentation examples. */
export function smallFleet() {
  return {
    durations: fast,
    subscriptions: [
      {
        subscriptionId: SUB_A,
        resourceGroups: [
          {
            name: "rg-web", location: "westeurope",
            vms: [
              { name: "web-01", powerState: "deallocated" },
              { name: "web-02", powerState: "deallocated", osType: "Windows" },
              { name: "AzBuildAgent", powerState: "deallocated" },
              { name: "web-keep", powerState: "deallocated", tags: { ssv2excludevm: "true" } },
            ],
          },
          {
            name: "rg-data", location: "northeurope",
            vms: [
              { name: "db-01", powerState: "deallocated", tags: { sequencestart: "1" } },
              { name: "azure-db-02", powerState: "running" },
            ],
          },
        ],
      },
      {
        subscriptionId: SUB_B,
        resourceGroups: [
          {
            name: "rg-apps", location: "eastus",
            vms: [
              { name: "app-01", powerState: "deallocated" },
              { name: "Az-app-02", powerState: "deallocated", priority: "Spot", evictionPolicy: "Deallocate" },
            ],
          },
          { name: "rg-other", location: "eastus", vms: [{ name: "other-01", powerState: "deallocated" }] },
        ],
      },
      {
        subscriptionId: SUB_C,
        resourceGroups: [{ name: "rg-c", location: "westus", vms: [{ name: "c-01", powerState: "deallocated" }, { name: "c-02", powerState: "deallocated" }] }],
      },
    ],
  };
}

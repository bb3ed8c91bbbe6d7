/**
 * The package `azd deploy` really ships: `npm run package`, then the zip azd makes of `.package/` (rules in
 * azd-zip.ts, from azd's source at a pinned release), unzipped into a clean folder and started in the local host with
 * no way to reach the repository's node_modules. Every function registers, and a start of 10 VMs completes
 * (judged by the simulator's VM states and its log of accepted start calls). The guardian's own package (azd service
 * "guardian") likewise: unzipped alone and started in its own host, it registers its one function, none of the app's,
 * and its timer runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, World } from "../../src/local/world";
import { azdRemoteBuild, azdZipEntries, readAzdService, writeZip, type ZipEntry } from "./azd-zip";
import { SUB_A, rgId } from "../support/fleets";
import { createRequire } from "node:module";
import { CoreRegistry, createCoreApi, installCoreApi } from "../../src/local/host/coreApi";

// A clean folder outside the repository; in memory where the machine has one (16k small files unzip 7× faster).
const work = mkdtempSync(path.join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "ssv-azd-zip-"));
const svc = readAzdService(readFileSync(path.join(REPO_ROOT, "azure.yaml"), "utf8"), "api");
const packageDir = path.join(REPO_ROOT, svc.dist ?? ".");
const guardianSvc = readAzdService(readFileSync(path.join(REPO_ROOT, "azure.yaml"), "utf8"), "guardian");
let entries: ZipEntry[] = [];
let names: string[] = [];
let guardianNames: string[] = [];
let world: World | undefined;
let appDir = "";

const fleet = {
  durations: { start: { minSeconds: 1, maxSeconds: 2 }, deallocate: { minSeconds: 1, maxSeconds: 2 } },
  subscriptions: [{
    subscriptionId: SUB_A,
    resourceGroups: [{ name: "rg-pkg", location: "westeurope", vms: Array.from({ length: 10 }, (_, i) => ({ name: `pkg-${i}`, powerState: "deallocated" })) }],
  }],
};

// Loaded with NODE_OPTIONS=--require into the host: any module the package's code resolves outside the package
// (the repository's node_modules through NODE_PATH, a global folder, a relative path out) fails that load.
const GUARD = `
const Module = require("node:module");
const path = require("node:path");
const dir = process.env.PACKAGE_GUARD_DIR + path.sep;
const resolve = Module._resolveFilename;
let announced = false;
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = resolve.call(this, request, parent, ...rest);
  const from = parent && parent.filename;
  if (from && from.startsWith(dir)) {
    if (!announced) { announced = true; process.stderr.write("[package-guard] checking what the package loads\\n"); }
    if (path.isAbsolute(resolved) && !resolved.startsWith(dir)) throw new Error("package code " + from + " loads " + request + " from outside the package: " + resolved);
  }
  return resolved;
};
`;

beforeAll(async () => {
  // npm test has just built dist/ (PACKAGE_BUILD=0 skips package.sh's own tsc run)
  execFileSync("bash", [path.join(REPO_ROOT, "scripts/package.sh")], { cwd: REPO_ROOT, stdio: "ignore", env: { ...process.env, PACKAGE_ZIP: "0", PACKAGE_BUILD: "0" } });
  entries = azdZipEntries(packageDir, svc);
  names = entries.map((e) => e.name);
  const zip = path.join(work, "api.zip");
  writeZip(entries, zip, 1); // fastest level: the same files come out
  appDir = path.join(work, "wwwroot");
  execFileSync("unzip", ["-q", zip, "-d", appDir]);
  appDir = realpathSync(appDir);
  const guardianEntries = azdZipEntries(path.join(REPO_ROOT, guardianSvc.dist ?? "."), guardianSvc);
  guardianNames = guardianEntries.map((e) => e.name);
  writeZip(guardianEntries, path.join(work, "guardian.zip"), 1);
  execFileSync("unzip", ["-q", path.join(work, "guardian.zip"), "-d", path.join(work, "guardian")]);
  const guardianDir = realpathSync(path.join(work, "guardian"));
  const guard = path.join(work, "package-guard.cjs");
  writeFileSync(guard, GUARD);
  world = await World.start({
    fleet,
    appDir,
    settings: { NODE_OPTIONS: `--require ${guard}`, NODE_PATH: "", PACKAGE_GUARD_DIR: appDir },
    guardian: { appDir: guardianDir, settings: { NODE_OPTIONS: `--require ${guard}`, NODE_PATH: "", PACKAGE_GUARD_DIR: guardianDir, GUARDIAN_SCHEDULE: "*/1 * * * * *" } },
  });
}, 180_000);

afterAll(async () => {
  await world?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("the zip azd deploys", () => {
  it("azure.yaml turns Azure's build off and the root .funcignore lets it (no error from azd)", () => {
    expect(svc).toMatchObject({ language: "js", host: "function", dist: ".package", remoteBuild: false });
    expect(azdRemoteBuild(REPO_ROOT, svc)).toBe(false);
    expect(readFileSync(path.join(REPO_ROOT, "azure.yaml"), "utf8")).toMatch(/^requiredVersions:\n {2}azd: ">= 1\.23\.12"/m);
  });

  it("holds the app and its production dependencies, and nothing of the tests or the local world", () => {
    expect(names).toContain("host.json");
    expect(names).toContain("package.json");
    expect(names).toContain("dist/src/functions/Scheduled.js");
    expect(names).toContain("node_modules/@azure/functions/package.json");
    expect(names.filter((n) => n.startsWith("dist/") && !n.startsWith("dist/src/"))).toEqual([]);
    expect(names.filter((n) => /(^|\/)test(\/|$)|twins|\.test\.js$|^dist\/src\/local\//.test(n) && !n.startsWith("node_modules/"))).toEqual([]);
    expect(names.filter((n) => /(^|\/)(\.funcignore|local\.settings\.json)$|\.map$/.test(n))).toEqual([]);
    // dev-only dependencies stay out
    for (const dev of ["vitest", "azurite", "typescript", "web-tree-sitter"]) expect(names.some((n) => n.startsWith(`node_modules/${dev}/`)), dev).toBe(false);
  });

  it("the same rules show what shipped before: without remoteBuild or an ignore file node_modules is left out; the root .funcignore would drop dist/src", () => {
    const before = { ...svc };
    delete before.remoteBuild;
    const unset = azdZipEntries(packageDir, before, null).map((e) => e.name);
    expect(unset).toContain("dist/src/functions/Scheduled.js");
    expect(unset.filter((n) => n.startsWith("node_modules/"))).toEqual([]);
    const rootRules = readFileSync(path.join(REPO_ROOT, ".funcignore"), "utf8");
    expect(azdZipEntries(packageDir, svc, rootRules).filter((e) => e.name.startsWith("dist/src/"))).toEqual([]);
  });

  it("unzipped alone, every function registers in the host and a start of 10 VMs completes", async () => {
    // what the repository's own build registers, loaded here the way the host loads it (with the world's settings,
    // which the modules read when loaded)
    const { NODE_OPTIONS: _o, NODE_PATH: _p, PACKAGE_GUARD_DIR: _g, ...settings } = world!.appSettings();
    for (const [k, v] of Object.entries(settings)) process.env[k] ??= v;
    const registry = new CoreRegistry();
    installCoreApi(createCoreApi(registry));
    const load = createRequire(path.join(REPO_ROOT, "package.json"));
    const dir = path.join(REPO_ROOT, "dist/src/functions");
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".js"))) load(path.join(dir, name));
    const expected = registry.functions.map((f) => f.name).sort();
    expect(expected.length).toBeGreaterThan(10);
    const registered = () => world!.hostLogs().map((l) => /^ {2}(\w+): (\[|queueTrigger|timerTrigger)/.exec(l)?.[1]).filter((n): n is string => !!n).sort();
    await world!.eventually("the host to list every function it registered", () => registered().length >= expected.length, { explain: () => world!.hostLogs().slice(0, 40).join("\n") });
    expect(registered()).toEqual(expected);
    expect(world!.hostLogs().some((l) => l.includes("[package-guard]"))).toBe(true);

    const accepted = await world!.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-pkg")] } });
    expect(accepted.status).toBe(202);
    const status = await world!.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Succeeded");
    expect((await world!.vms()).filter((v) => v.powerState === "running").length).toBe(10);
    const starts = (await world!.armRequests()).filter((r) => r.operation === "start" && r.status < 300);
    expect(new Set(starts.map((r) => r.vmId)).size).toBe(10);
  });

  it("the guardian's zip holds its one function and its dependencies, none of the app's functions, nothing of the local world", () => {
    expect(guardianSvc).toMatchObject({ language: "js", host: "function", dist: ".package-guardian", remoteBuild: false });
    expect(guardianNames).toContain("host.json");
    expect(guardianNames).toContain("dist/src/guardian/functions/Guardian.js");
    expect(guardianNames).toContain("node_modules/@azure/functions/package.json");
    expect(guardianNames.filter((n) => n.startsWith("dist/src/functions/") || n.startsWith("dist/src/local/"))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(REPO_ROOT, guardianSvc.dist!, "package.json"), "utf8")).main).toBe("dist/src/guardian/functions/*.js");
  });

  it("the guardian unzipped alone registers only its function, loads nothing from outside its package, and its timer runs", async () => {
    const logs = () => world!.guardianLogs();
    await world!.eventually("the guardian's first tick", () => logs().some((l) => l.includes("Guardian: idle")), { explain: () => logs().slice(-20).join("\n") });
    expect(logs().map((l) => /^ {2}(\w+): (\[|queueTrigger|timerTrigger)/.exec(l)?.[1]).filter(Boolean)).toEqual(["Guardian"]);
    expect(logs().some((l) => l.includes("[package-guard]"))).toBe(true);
    expect(logs().filter((l) => /loads .* from outside the package/.test(l))).toEqual([]);
  });
});

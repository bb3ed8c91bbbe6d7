/**
 * What `azd deploy` puts in the zip of a Function App service, reproduced from azd's own source at a pinned release:
 *
 *   Azure/azure-dev, tag azure-dev-cli_1.31.2 (commit 3440050737c18537ae6cdbd1d64b98c594c495ad)
 *   - cli/azd/pkg/project/project_utils.go            createDeployableZip: which files go in
 *     https://github.com/Azure/azure-dev/blob/azure-dev-cli_1.31.2/cli/azd/pkg/project/project_utils.go
 *   - cli/azd/pkg/rzip/rzip.go                        CreateFromDirectory: how they are written
 *     https://github.com/Azure/azure-dev/blob/azure-dev-cli_1.31.2/cli/azd/pkg/rzip/rzip.go
 *   - cli/azd/pkg/project/service_target_functionapp.go  resolveFunctionAppRemoteBuild: whether Azure builds it
 *     https://github.com/Azure/azure-dev/blob/azure-dev-cli_1.31.2/cli/azd/pkg/project/service_target_functionapp.go
 *   - cli/azd/pkg/project/framework_service_node.go   Package: the zipped folder is the service's `dist`
 *     https://github.com/Azure/azure-dev/blob/azure-dev-cli_1.31.2/cli/azd/pkg/project/framework_service_node.go
 *
 * Written from reading that code (not copied). The ignore file uses gitignore syntax (azd parses it with
 * github.com/denormal/go-gitignore); only the subset below is modelled, and a pattern outside it is an error, so the
 * model cannot silently differ from azd on our files.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

export const AZD_RELEASE = { tag: "azure-dev-cli_1.31.2", commit: "3440050737c18537ae6cdbd1d64b98c594c495ad" };

/** The parts of an azure.yaml service azd's function-app packaging reads. */
export interface AzdService {
  project: string;
  language: string;
  host: string;
  dist?: string;
  remoteBuild?: boolean;
}

/** Reads `services.<name>` of azure.yaml (the keys packaging uses; a plain two-level YAML map, as ours is). */
export function readAzdService(azureYaml: string, name: string): AzdService {
  const lines = azureYaml.split("\n");
  const start = lines.findIndex((l) => l === `  ${name}:`);
  if (start < 0) throw new Error(`azure.yaml has no service ${name}`);
  const fields: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (!/^ {4}/.test(line) && line.trim() !== "") break;
    const m = /^ {4}(\w+):\s*(\S.*)?$/.exec(line);
    if (m && m[2] !== undefined) fields[m[1]!] = m[2].replace(/\s+#.*$/, "");
  }
  const remoteBuild = fields.remoteBuild === undefined ? undefined : fields.remoteBuild === "true" ? true : fields.remoteBuild === "false" ? false : undefined;
  if (fields.remoteBuild !== undefined && remoteBuild === undefined) throw new Error(`remoteBuild: ${fields.remoteBuild} is not a boolean`);
  return { project: fields.project ?? ".", language: fields.language ?? "", host: fields.host ?? "", ...(fields.dist ? { dist: fields.dist } : {}), ...(remoteBuild !== undefined ? { remoteBuild } : {}) };
}

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  anchored: boolean;
  regex: RegExp;
  source: string;
}

function globToRegex(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      // "**/" any leading directories, "/**" everything inside
      if (glob[i + 2] === "/") { out += "(?:.*/)?"; i += 2; } else { out += ".*"; i += 1; }
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if ("[]\\".includes(c)) throw new Error(`ignore pattern ${glob}: '${c}' is outside the modelled gitignore subset`);
    else out += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return out;
}

/** A gitignore file's rules: last match wins; an unanchored pattern (no inner `/`) matches a name at any depth. */
export class Ignorer {
  private readonly rules: Rule[];
  constructor(text: string) {
    this.rules = text.replace(/^\uFEFF/, "").split(/\r?\n/).flatMap((raw): Rule[] => {
      let line = raw.replace(/\s+$/, "");
      if (line === "" || line.startsWith("#")) return [];
      const negate = line.startsWith("!");
      if (negate) line = line.slice(1);
      const dirOnly = line.endsWith("/");
      if (dirOnly) line = line.slice(0, -1);
      const anchored = line.includes("/");
      if (line.startsWith("/")) line = line.slice(1);
      return [{ negate, dirOnly, anchored, regex: new RegExp(`^${globToRegex(line)}$`), source: raw }];
    });
  }

  /** Whether `rel` (relative to the ignore file's folder, `/`-separated) is ignored. */
  ignores(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.dirOnly && !isDir) continue;
      const subject = rule.anchored ? rel : rel.split("/").pop()!;
      if (rule.regex.test(subject)) ignored = !rule.negate;
    }
    return ignored;
  }
}

/** resolveFunctionAppRemoteBuild for a js/ts service: reads the ignore file in the *project* folder, not dist. */
export function azdRemoteBuild(projectDir: string, svc: AzdService): boolean {
  if (svc.language !== "js" && svc.language !== "ts") throw new Error("modelled for js/ts services only");
  let text: string;
  try {
    text = readFileSync(path.join(projectDir, ".funcignore"), "utf8");
  } catch {
    return svc.remoteBuild ?? true;
  }
  const nodeModulesExcluded = new Ignorer(text).ignores("node_modules", true);
  if (svc.remoteBuild === undefined) return nodeModulesExcluded;
  if (svc.remoteBuild && !nodeModulesExcluded) throw new Error("'remoteBuild: true' requires '.funcignore' to exclude node_modules");
  if (!svc.remoteBuild && nodeModulesExcluded) throw new Error("'remoteBuild: false' cannot be used when '.funcignore' excludes node_modules");
  return svc.remoteBuild;
}

export interface ZipEntry {
  /** Name in the zip, `/`-separated. */
  name: string;
  /** File whose bytes it holds (symlinks resolved). */
  source: string;
  mode: number;
  mtime: Date;
}

/**
 * createDeployableZip + rzip.CreateFromDirectory: walk `root` (the service's dist) depth-first in directory order;
 * skip `.azure` folders, the ignore file itself and `local.settings.json`; then the ignore file's rules if there is
 * one, else for js/ts skip `node_modules` unless remoteBuild is false. Symlinks are followed; an excluded folder is
 * not entered; folders get no entry of their own.
 */
export function azdZipEntries(root: string, svc: AzdService, ignoreText?: string | null): ZipEntry[] {
  // undefined: read root/.funcignore as azd does; null: as if there were none; a string: these rules.
  let text = ignoreText ?? undefined;
  if (ignoreText === undefined) {
    try { text = readFileSync(path.join(root, ".funcignore"), "utf8"); } catch { text = undefined; }
  }
  const ignorer = text === undefined ? undefined : new Ignorer(text);
  const entries: ZipEntry[] = [];
  const include = (abs: string, rel: string, name: string, isDir: boolean): boolean => {
    if (name === ".azure" && isDir) return false;
    if (name === ".funcignore" && !isDir) return false;
    if (name === "local.settings.json" && !isDir) return false;
    if (ignorer) return !ignorer.ignores(rel, isDir);
    if ((svc.language === "js" || svc.language === "ts") && name === "node_modules" && isDir) return svc.remoteBuild === false;
    return true;
  };
  const walk = (dir: string, destRoot: string, relRoot: string, depth: number): void => {
    if (depth > 40) return;
    // os.ReadDir sorts by name (byte order).
    const names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const abs = path.join(dir, name);
      const info = lstatSync(abs);
      const isLink = info.isSymbolicLink();
      const target = isLink ? statSync(abs) : info;
      const rel = relRoot ? `${relRoot}/${name}` : name;
      if (!include(abs, rel, name, target.isDirectory())) continue;
      const dest = destRoot ? `${destRoot}/${name}` : name;
      if (target.isDirectory()) walk(isLink ? realpathSync(abs) : abs, dest, rel, depth + (isLink ? 1 : 0));
      else entries.push({ name: dest, source: isLink ? realpathSync(abs) : abs, mode: target.mode & 0o777, mtime: target.mtime });
    }
  };
  walk(root, "", "", 0);
  return entries;
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/**
 * Writes the entries as a deflated zip with Unix modes, as Go's archive/zip does for rzip (no folder entries).
 * `level` is zlib's; azd uses Go's default. The level changes the zip's size, never what is extracted.
 */
export function writeZip(entries: ZipEntry[], out: string, level = 6): void {
  const fd = openSync(out, "w");
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer) => { writeSync(fd, b); offset += b.length; };
  try {
    for (const e of entries) {
      const data = readFileSync(e.source);
      const packed = deflateRawSync(data, { level });
      const crc = crc32(data);
      const name = Buffer.from(e.name, "utf8");
      const { time, date } = dosTime(e.mtime);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(8, 8);
      local.writeUInt16LE(time, 10); local.writeUInt16LE(date, 12); local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(name.length, 26);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0); header.writeUInt16LE((3 << 8) | 20, 4); header.writeUInt16LE(20, 6);
      header.writeUInt16LE(0x0800, 8); header.writeUInt16LE(8, 10); header.writeUInt16LE(time, 12); header.writeUInt16LE(date, 14);
      header.writeUInt32LE(crc, 16); header.writeUInt32LE(packed.length, 20); header.writeUInt32LE(data.length, 24);
      header.writeUInt16LE(name.length, 28); header.writeUInt32LE(((0o100000 | e.mode) << 16) >>> 0, 38); header.writeUInt32LE(offset, 42);
      central.push(header, name);
      write(local); write(name); write(packed);
    }
    const start = offset;
    for (const b of central) write(b);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(offset - start, 12); end.writeUInt32LE(start, 16);
    write(end);
  } finally {
    closeSync(fd);
  }
}

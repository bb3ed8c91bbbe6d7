/** CLI: node dist/src/local/arm-simulator/main.js --port 8443 --fleet fleet.json --time-scale 60 --seed 1 --ca-out .local/sim-ca.pem */
import { startArmSimulator, type ArmSimulatorOptions } from "./index";

function parseArgs(argv: string[]): ArmSimulatorOptions {
  const options: ArmSimulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v)) throw new Error(`${flag} needs a number`);
      return v;
    };
    switch (flag) {
      case "--port": options.port = number(); break;
      case "--fleet": options.fleet = value(); break;
      case "--time-scale": options.timeScale = number(); break;
      case "--seed": options.seed = number(); break;
      case "--ca-out": options.caOut = value(); break;
      case "--page-size": options.pageSize = number(); break;
      case "--no-limits": options.limits = false; break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const sim = await startArmSimulator(parseArgs(process.argv.slice(2)));
  console.log(`ARM simulator listening on ${sim.url}`);
  const stop = (): void => {
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((err: unknown) => {
  console.error(`ARM simulator failed to start: ${(err as Error).message}`);
  process.exit(1);
});

/**
 * The engine over the in-memory twins of its ports (store, queues, Compute, budget ledger, maintenance calendar), with
 * a clock the test moves by hand: the engine's own code runs unchanged, deterministically.
 */
import { MemoryBudgetLedger } from "../twins/memoryBudgetLedger";
import { MemoryCompute } from "../twins/memoryCompute";
import { MemoryDesiredStateStore } from "../twins/memoryDesiredStateStore";
import { MemoryMaintenanceCalendar } from "../twins/memoryMaintenanceCalendar";
import { MemoryQueue } from "../twins/memoryQueue";
import { MemoryRequestStore } from "../twins/memoryRequestStore";
import { DEFAULT_BREAKER } from "../../src/domain/circuitBreaker";
import { DOCUMENTED_BUDGET } from "../../src/domain/pacing";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/retryPolicy";
import { Backpressure } from "../../src/engine/backpressure";
import type { EngineDeps } from "../../src/engine/ports";
import type { ExecutionMessage, OrchestrationMessage } from "../../src/engine/records";

export interface MemoryEngine {
  deps: EngineDeps;
  store: MemoryRequestStore;
  compute: MemoryCompute;
  execution: MemoryQueue<ExecutionMessage>;
  calendar: MemoryMaintenanceCalendar;
  /** The clock's current time, epoch ms; tests move it forward. */
  time: { ms: number };
}

export function memoryEngine(startIso: string): MemoryEngine {
  const time = { ms: Date.parse(startIso) };
  const store = new MemoryRequestStore();
  const compute = new MemoryCompute();
  const execution = new MemoryQueue<ExecutionMessage>();
  const calendar = new MemoryMaintenanceCalendar();
  const deps: EngineDeps = {
    compute, store, desiredStates: new MemoryDesiredStateStore(), maintenance: calendar,
    orchestrationQueue: new MemoryQueue<OrchestrationMessage>(), executionQueue: execution,
    clock: { now: () => new Date(time.ms), sleep: async (s) => void (time.ms += s * 1000), appSeconds: (s) => s, realSeconds: (s) => s },
    random: () => 0.5,
    backpressure: new Backpressure(DOCUMENTED_BUDGET, DEFAULT_BREAKER), budget: new MemoryBudgetLedger(DOCUMENTED_BUDGET),
    settings: { deadlineMinutes: 120, verifyIntervalSeconds: 15, stallGraceSeconds: 300, singleReadThreshold: 10, verifyListVmsPerSecond: 200, retry: DEFAULT_RETRY_POLICY, pacing: DOCUMENTED_BUDGET, budgetCallWindowSeconds: 10 },
    log: () => undefined,
    finishedListeners: [],
  };
  return { deps, store, compute, execution, calendar, time };
}

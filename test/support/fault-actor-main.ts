/**
 * The fault tests' actor process: services/actor-main.ts plus fault seams, switched on by
 * test-only environment variables read here and nowhere in production code:
 *
 * - RAG_TEST_STAGE_DELAY_MS: every handler first waits this long (so a SIGKILL lands mid-message).
 * - RAG_TEST_CRASH_AFTER_INDEX=<marker file>: the first index write (when the marker does not
 *   exist yet) is followed by SIGKILL of this process, after the store commit and before the ack.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STAGES, type Stage } from '../../schema/domain.ts';
import { createLogger } from '../../observability/logger.ts';
import { openStore } from '../../config/components.ts';
import { readConfig } from '../../config/config.ts';
import { runActors } from '../../services/run-actors.ts';
import { onShutdown } from '../../supervisor/shutdown.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import type { Store } from '../../stores/store.ts';

const stages = process.argv.slice(2).map((name) => name.toUpperCase()).filter((name): name is Stage => (STAGES as readonly string[]).includes(name));
const config = readConfig(process.env);
const logger = createLogger(`fault-actor-${stages.join('-').toLowerCase()}`, config.logLevel);
const delayMs = Number(process.env.RAG_TEST_STAGE_DELAY_MS ?? 0);
const crashMarker = process.env.RAG_TEST_CRASH_AFTER_INDEX;

const store = await openStore(config);
const crashingStore: Store = crashMarker
  ? Object.assign(Object.create(store) as Store, {
    indexDocument: async (request: Parameters<Store['indexDocument']>[0]) => {
      const outcome = await store.indexDocument(request);
      if (!existsSync(crashMarker)) {
        writeFileSync(crashMarker, path.basename(crashMarker));
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => {}); // never reached: the process is gone
      }
      return outcome;
    },
  })
  : store;

const slow = (actor: StageActor<any>): StageActor<any> => delayMs <= 0 ? actor : {
  ...actor,
  async handle(message, context) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return actor.handle(message, context);
  },
};

const actors = await runActors(stages, config, logger, { store: crashingStore, wrapActor: slow });
onShutdown(logger, async () => { await actors.stop(config.shutdownGraceMs); await store.close(); });

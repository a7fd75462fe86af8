import { QUEUE_TYPES } from '../messaging/topology.ts';
import { describePriority } from './support/priority-suite.ts';

for (const queueType of QUEUE_TYPES) describePriority(queueType);

/**
 * The Kubernetes manifests are checked by reading them (no cluster here): every actor has a
 * Deployment on every RabbitMQ node and a KEDA ScaledObject whose trigger reads exactly that
 * stage's queues as the code names them (topology('rag', 'quorum')), summed over the bands.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { STAGES } from '../schema/domain.ts';
import { topology } from '../messaging/topology.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';

interface Manifest {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly data?: Record<string, string>;
  readonly spec?: {
    readonly scaleTargetRef?: { readonly name: string };
    readonly triggers?: readonly { readonly type: string; readonly metadata: Record<string, string> }[];
    readonly secretTargetRef?: readonly { readonly parameter: string; readonly key: string }[];
    readonly template?: { readonly spec: { readonly containers: readonly { readonly env?: readonly { readonly name: string; readonly valueFrom?: { readonly secretKeyRef?: { readonly key: string } } }[] }[] } };
  };
}

describe('compose/k8s/rag.yaml', () => {
  let manifests: Manifest[];
  before(async () => {
    const text = await readFile(`${PROJECT_ROOT}/compose/k8s/rag.yaml`, 'utf8');
    manifests = parseAllDocuments(text).map((document) => document.toJS() as Manifest);
  });
  const named = (kind: string, name: string) => {
    const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
    assert.ok(found, `${kind} ${name} is missing`);
    return found;
  };

  it('when deployed on the three-node cluster, should run quorum queues and give every process every node', () => {
    const config = named('ConfigMap', 'rag-config').data ?? {};
    assert.equal(config.QUEUE_TYPE, 'quorum');
    for (const name of ['rag-gateway', ...STAGES.map((stage) => `rag-actor-${stage.toLowerCase()}`)]) {
      const env = named('Deployment', name).spec?.template?.spec.containers[0]?.env ?? [];
      assert.equal(env.find((variable) => variable.name === 'AMQP_URL')?.valueFrom?.secretKeyRef?.key, 'nodes', `${name} reads every node`);
    }
  });

  it('when KEDA scales an actor, should sum exactly the band queues of its stage through the management API', () => {
    const names = topology(named('ConfigMap', 'rag-config').data?.AMQP_NAMESPACE ?? '', 'quorum');
    assert.deepEqual(named('TriggerAuthentication', 'rag-rabbitmq').spec?.secretTargetRef?.map((ref) => ref.key), ['management']);
    const allQueues = STAGES.flatMap((stage) => names.stageQueues(stage));
    for (const stage of STAGES) {
      const scaled = named('ScaledObject', `rag-actor-${stage.toLowerCase()}`);
      assert.equal(scaled.spec?.scaleTargetRef?.name, `rag-actor-${stage.toLowerCase()}`);
      const trigger = scaled.spec?.triggers?.[0];
      assert.equal(trigger?.type, 'rabbitmq');
      assert.deepEqual([trigger.metadata.protocol, trigger.metadata.useRegex, trigger.metadata.operation, trigger.metadata.mode], ['http', 'true', 'sum', 'QueueLength']);
      const pattern = new RegExp(trigger.metadata.queueName!);
      assert.deepEqual(allQueues.filter((queue) => pattern.test(queue)), [...names.stageQueues(stage)], `${stage}'s trigger reads its ${names.stageQueues(stage).length} band queues and nothing else`);
    }
  });
});

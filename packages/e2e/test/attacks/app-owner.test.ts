/**
 * Attack (issue 14, finding 8): a submitter deploys its own code under another team's app name
 * (`payments`), replacing their running service. App names are owned by the key that first
 * deployed them; other keys get 403 APP_NOT_OWNED unless they are operators.
 */
import type { ApiErrorBody, CreatedKey, RunView } from '@baton/contracts';
import { spawnOrchestrator, testNamespace, useTestStack } from '@baton/testing';
import { describe, expect, it } from 'vitest';

const stack = useTestStack();
const BOOTSTRAP = `boot-${'o'.repeat(40)}`;

describe('attack: deploying over another key\'s app', () => {
  it('is refused with 403 APP_NOT_OWNED; the owner and operators may deploy it', async () => {
    const orch = await spawnOrchestrator(stack.redis.url, testNamespace(), { BATON_AUTH: 'required', BATON_BOOTSTRAP_ADMIN_KEY: BOOTSTRAP });
    stack.defer(() => orch.kill());
    const key = async (name: string, role: string) => {
      const res = await fetch(`${orch.url}/v1/keys`, { method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, role }) });
      expect(res.status).toBe(201);
      return (await res.json()) as CreatedKey;
    };
    const [alice, mallory, ops] = [await key('payments-team', 'submitter'), await key('mallory', 'submitter'), await key('ops', 'operator')];
    const deploy = async (who: CreatedKey, app: string) => {
      const body = { pipeline: 'ci', input: { name: app, repository: 'https://git.example.com/team/app.git', branch: 'main' } };
      const res = await fetch(`${orch.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${who.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as RunView & ApiErrorBody };
    };

    expect((await deploy(alice, 'payments')).status).toBe(202);
    const stolen = await deploy(mallory, 'payments');
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.code).toBe('APP_NOT_OWNED');
    expect(stolen.body.error.message).toContain(`"payments" belongs to key ${alice.id}`);
    // The owner deploys again; an operator may too (and claims nothing); mallory's own app is hers.
    expect((await deploy(alice, 'payments')).status).toBe(202);
    expect((await deploy(ops, 'payments')).status).toBe(202);
    expect((await deploy(mallory, 'mallory-app')).status).toBe(202);
    expect((await deploy(alice, 'mallory-app')).status).toBe(403);
  }, 60_000);
});

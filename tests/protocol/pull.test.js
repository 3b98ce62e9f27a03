// Pull diagnostics (`textDocument/diagnostic`): a client that declares the capability asks, and is
// never pushed to.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Session, clientCapabilities, makeProject, rangeOf } from './lib/session.js';

const SELF_CYCLE = 'name: p\nagents:\n  - name: a\n    model_profile: fake\n    depends_on: [a]\n';

describe('an editor with pull diagnostics', () => {
  let project;
  let session;
  let uri;

  before(async () => {
    project = makeProject();
    session = new Session(project);
    await session.initialize(clientCapabilities({ pull: true }));
    uri = session.open(project.path('.llm-orc', 'ensembles', 'pulled.yaml'), SELF_CYCLE);
  });

  after(async () => {
    await session?.dispose();
    project?.remove();
  });

  it('answers textDocument/diagnostic with a full report', async () => {
    const report = await session.request('textDocument/diagnostic', { textDocument: { uri } });
    assert.deepEqual(report, {
      kind: 'full',
      items: [
        {
          range: rangeOf(SELF_CYCLE, 4, 'a'),
          message: 'dependency cycle: a -> a',
          severity: 1,
          code: 'dependency-cycle',
          source: 'llm-orc',
        },
      ],
    });
  });

  it('answers for the newest version after a change', async () => {
    await session.change(uri, 2, SELF_CYCLE.replace('[a]', '[]'));
    const report = await session.request('textDocument/diagnostic', {
      textDocument: { uri },
      identifier: 'llm-orc',
    });
    assert.deepEqual(report, { kind: 'full', items: [] });
  });

  it('pushes nothing', async () => {
    const { code } = await session.shutdown();
    assert.equal(code, 0);
    const pushed = session.notifications.filter(
      (n) => n.method === 'textDocument/publishDiagnostics',
    );
    assert.deepEqual(pushed, []);
    assert.deepEqual(session.errors, []);
  });
});

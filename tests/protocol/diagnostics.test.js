// Push diagnostics, seen from an independent client: the exact publishDiagnostics payloads.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Session, clientCapabilities, makeProject, rangeOf, sorted } from './lib/session.js';

const BROKEN = `\
name: broken
description: "Größe 🎵 of the ensemble"
agents:
  - name: first
    model_profile: fake
    depends_on: [second]
  - name: second
    model_profile: fake
    temprature: 0.3
    depends_on: [first, ghost]
  - name: third
    model_profile: fasst
  - {name: "🎵 fourth", model_profile: fake, temperature: hot}
`;

const error = (range, code, message, extra = {}) => ({
  range,
  message,
  severity: 1, // Error
  code,
  source: 'llm-orc',
  ...extra,
});

describe('an editor with push diagnostics', () => {
  let project;
  let session;
  let initializeResult;
  let uri;
  let text = BROKEN; // the document's text as the server should now have it

  before(async () => {
    project = makeProject();
    session = new Session(project);
    initializeResult = await session.initialize(clientCapabilities());
  });

  after(async () => {
    await session?.dispose();
    project?.remove();
  });

  it('advertises what it implements at initialize', () => {
    const { capabilities, serverInfo } = initializeResult;
    assert.equal(serverInfo.name, 'llm-orc');
    assert.match(serverInfo.version, /^\d+\.\d+\.\d+/);
    assert.equal(capabilities.positionEncoding, 'utf-16');
    assert.deepEqual(capabilities.textDocumentSync, { openClose: true, change: 2, save: true });
    assert.deepEqual(capabilities.diagnosticProvider, {
      identifier: 'llm-orc',
      interFileDependencies: true,
      workspaceDiagnostics: false,
    });
    assert.ok(capabilities.codeActionProvider.codeActionKinds.includes('quickfix'));
    const { commands } = capabilities.executeCommandProvider;
    assert.ok(Array.isArray(commands));
    for (const command of commands) assert.match(command, /^llm-orc\./);
    assert.equal(new Set(commands).size, commands.length, 'a command advertised twice');
  });

  it('publishes every diagnostic of a broken ensemble on its exact range', async () => {
    uri = session.open(project.path('.llm-orc', 'ensembles', 'broken.yaml'), BROKEN);
    const published = await session.diagnosticsFor(uri, 1);
    const cycle = 'dependency cycle: first -> second -> first';
    assert.deepEqual({ ...published, diagnostics: sorted(published.diagnostics) }, {
      uri,
      version: 1,
      diagnostics: [
        error(rangeOf(BROKEN, 5, 'second'), 'dependency-cycle', cycle, {
          relatedInformation: [
            {
              location: { uri, range: rangeOf(BROKEN, 6, 'second') },
              message: "'second' depends on 'first'",
            },
          ],
        }),
        error(
          rangeOf(BROKEN, 8, 'temprature'),
          'unknown-key',
          "unknown key 'temprature' in agent 'second'; did you mean 'temperature'?",
        ),
        error(rangeOf(BROKEN, 9, 'first'), 'dependency-cycle', cycle, {
          relatedInformation: [
            {
              location: { uri, range: rangeOf(BROKEN, 3, 'first') },
              message: "'first' depends on 'second'",
            },
          ],
        }),
        error(
          rangeOf(BROKEN, 9, 'ghost'),
          'missing-dependency',
          "depends_on names 'ghost', which is not an agent of this ensemble",
        ),
        error(
          rangeOf(BROKEN, 11, 'fasst'),
          'unknown-profile',
          "unknown model profile 'fasst' (known: default, echo, fake, local)",
        ),
        error(
          rangeOf(BROKEN, 12, 'hot'),
          'invalid-type',
          "'temperature' must be a number, not 'hot'",
        ),
      ],
    });
  });

  it('counts positions in UTF-16 code units', async () => {
    const [published] = session.published(uri);
    const invalid = published.diagnostics.find((d) => d.code === 'invalid-type');
    const line = BROKEN.split('\n')[12];
    const codePoints = [...line.slice(0, line.indexOf('hot'))].length;
    // '🎵' is one code point but two UTF-16 units: everything after it moves by one.
    assert.equal(invalid.range.start.character, codePoints + 1);
    assert.equal(invalid.range.end.character, codePoints + 1 + 'hot'.length);
  });

  it('publishes the new version after a full-text change', async () => {
    const fixed = BROKEN.replace('temprature', 'temperature').replace(', ghost]', ']');
    await session.change(uri, 2, fixed);
    const published = await session.diagnosticsFor(uri, 2);
    assert.deepEqual(
      sorted(published.diagnostics).map((d) => [d.code, d.range.start.line]),
      [
        ['dependency-cycle', 5],
        ['dependency-cycle', 9],
        ['unknown-profile', 11],
        ['invalid-type', 12],
      ],
    );
    text = fixed;
  });

  it('applies incremental changes whose ranges are in UTF-16 code units', async () => {
    // Replace 'hot' (after the emoji) with 0.5 by range, as an editor sends a keystroke.
    const range = rangeOf(text, 12, 'hot');
    await session.notify('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range, text: '0.5' }],
    });
    text = text.replace('temperature: hot', 'temperature: 0.5');
    let published = await session.diagnosticsFor(uri, 3);
    assert.deepEqual(
      sorted(published.diagnostics).map((d) => d.code),
      ['dependency-cycle', 'dependency-cycle', 'unknown-profile'],
    );
    // Then break the cycle and fix the profile: nothing left to report.
    const line = (n) => text.split('\n')[n];
    await session.notify('textDocument/didChange', {
      textDocument: { uri, version: 4 },
      contentChanges: [
        { range: rangeOf(text, 11, 'fasst'), text: 'fake' },
        {
          range: {
            start: { line: 5, character: line(5).indexOf('[') },
            end: { line: 5, character: line(5).length },
          },
          text: '[]',
        },
      ],
    });
    published = await session.diagnosticsFor(uri, 4);
    assert.deepEqual(published, { uri, version: 4, diagnostics: [] });
  });

  it('publishes an empty list without a version when the document closes', async () => {
    const before = session.published(uri).length;
    await session.notify('textDocument/didClose', { textDocument: { uri } });
    const published = await session.until(() => session.published(uri)[before], 'a publish');
    assert.deepEqual(published, { uri, diagnostics: [] });
  });

  it('does not check YAML that is not llm-orc configuration', async () => {
    const other = session.open(project.path('docker-compose.yaml'), 'services: [\n');
    const ensemble = session.open(project.path('ok.ensemble.yaml'), 'name: ok\nagents: [\n');
    const published = await session.diagnosticsFor(ensemble, 1);
    assert.deepEqual(
      published.diagnostics.map((d) => d.code),
      ['yaml-syntax'],
    );
    assert.deepEqual(session.published(other), []);
  });

  it('shuts down on request and exits with code 0', async () => {
    const { result, code, signal } = await session.shutdown();
    assert.equal(result, null);
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.deepEqual(session.errors, [], 'the server wrote something that is not JSON-RPC');
  });
});

describe('an exit without shutdown', () => {
  // LSP: "exit with success code 0 if the shutdown request has been received before;
  // otherwise with error code 1".
  it('exits with code 1, as the specification asks', async () => {
    const project = makeProject();
    const session = new Session(project);
    try {
      await session.initialize(clientCapabilities());
      await session.notify('exit');
      const { code } = await session.exited;
      assert.equal(code, 1);
    } finally {
      await session.dispose();
      project.remove();
    }
  });
});
